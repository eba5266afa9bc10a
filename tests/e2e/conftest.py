"""Browser tests: a real gunicorn-less werkzeug server on 127.0.0.1 and Debian's Chromium.

The server runs the app against its own database file (migrated here), not the rolled-back test
transaction: the browser is a separate client, exactly like production.

Every page the browser loads is audited by axe-core (vendored from the npm package, see
tests/e2e/vendor/): an init script runs it on each `load` event and reports back; a test fails on
any serious or critical violation, listing the rule ids and the elements.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from werkzeug.serving import make_server

from cocreate.config import override
from cocreate.core.cli import alembic_config
from tests.conftest import make_test_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
BLOCKING_IMPACTS = {"serious", "critical"}

# Runs in every document the browser loads, after axe itself: audit the page once it has loaded
# and hand the serious and critical violations to Python. `window.__axeAudit` lets the fixture
# wait for (or start) the audit of the page showing when a test ends.
AUDIT_ON_LOAD = """
(() => {
  if (window.top !== window) return;
  const audit = () => axe.run(document, {resultTypes: ["violations"]}).then((result) => {
    const found = result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => ({id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(" "))}));
    return window.__axeReport(location.href, found).then(() => found);
  });
  window.addEventListener("load", () => { window.__axeAudit = audit(); });
})();
"""


class AxeAudit:
    """What axe found on each page a browser context loaded."""

    def __init__(self) -> None:
        self.loaded: list[str] = []
        self.audited: dict[str, list[dict[str, Any]]] = {}

    def install(self, context: BrowserContext) -> None:
        context.expose_binding("__axeReport", self._report)
        context.add_init_script(path=str(AXE))
        context.add_init_script(script=AUDIT_ON_LOAD)

    def _report(self, _source: Any, url: str, violations: list[dict[str, Any]]) -> None:
        self.audited[url] = violations

    def watch(self, page: Page) -> None:
        page.on("load", lambda loaded: self.loaded.append(loaded.url))

    def finish(self, page: Page) -> None:
        """Wait for the last page's audit; audit again any page left before its audit ended."""
        if not page.is_closed() and page.url.startswith("http"):
            page.evaluate("() => window.__axeAudit")
        for url in dict.fromkeys(self.loaded):
            if url in self.audited or not url.startswith("http"):
                continue
            again = page.context.new_page()
            again.goto(url)
            again.evaluate("() => window.__axeAudit")
            again.close()

    def forget(self) -> None:
        self.loaded.clear()
        self.audited.clear()

    def problems(self) -> list[str]:
        return [
            f"{url}: {v['impact']} {v['id']} on {', '.join(v['targets'])}"
            for url, violations in self.audited.items()
            for v in violations
        ]


def assert_accessible(audit: AxeAudit) -> None:
    problems = audit.problems()
    assert not problems, "axe-core found serious or critical violations:\n" + "\n".join(problems)


class LiveServer:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        override(app, PUBLIC_URL=self.url)  # email links point at this server
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture
def live_app(tmp_path: Path) -> Flask:
    url = f"sqlite:///{tmp_path / 'e2e.sqlite3'}"
    command.upgrade(alembic_config(url), "head")
    # CSRF stays on here: the browser goes through the real forms.
    return make_test_app(url, tmp_path / "uploads", extra={})


@pytest.fixture
def live_server(live_app: Flask) -> Iterator[LiveServer]:
    with LiveServer(live_app) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def axe_audit() -> AxeAudit:
    return AxeAudit()


@pytest.fixture
def page(browser: Browser, axe_audit: AxeAudit) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB")
    context.set_default_timeout(15_000)
    axe_audit.install(context)
    page = context.new_page()
    axe_audit.watch(page)
    yield page
    axe_audit.finish(page)
    context.close()
    assert_accessible(axe_audit)

"""The package's shape: the import rules hold, and the factory wires exactly the known domains."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "cocreate"
SHARED_TEMPLATES = PACKAGE / "templates"
TEMPLATE_NAME = re.compile(r"""["']((?:[a-z_]+/)+[a-z_]+\.(?:html|txt))["']""")


def test_import_contracts_are_kept() -> None:
    # The venv's own binary, run from the project root as `make lint` does.
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _views_contract() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = [
        c
        for c in config["tool"]["importlinter"]["contracts"]
        if c["name"] == "No domain imports another domain's views"
    ]
    return contract["forbidden_modules"]


def test_every_views_module_is_named_in_the_views_contract() -> None:
    # import-linter has no partial wildcard (`*_views`), so a new views module must be listed.
    patterns = [
        re.compile("^" + re.escape(expression).replace(r"\*", r"[^.]+") + "$")
        for expression in _views_contract()
    ]
    views_modules = sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for path in PACKAGE.rglob("*.py")
        if path.stem == "views" or path.stem.endswith("_views")
    )
    assert views_modules  # guards against checking nothing
    missing = [name for name in views_modules if not any(p.match(name) for p in patterns)]
    assert missing == []


def test_domains_use_only_their_own_templates_and_the_shared_ones() -> None:
    # `site` composes pages from several domains, so it may use their template macros.
    offences = []
    for package in sorted(p for p in PACKAGE.iterdir() if (p / "__init__.py").exists()):
        if package.name == "site":
            continue
        sources = [*package.rglob("*.py"), *package.rglob("*.html"), *package.rglob("*.txt")]
        for source in sources:
            for name in TEMPLATE_NAME.findall(source.read_text(encoding="utf-8")):
                own = name.startswith(f"{package.name}/")
                if not own and not (SHARED_TEMPLATES / name).is_file():
                    offences.append(f"{source.relative_to(ROOT)}: {name}")
    assert offences == []


def test_create_app_registers_exactly_the_known_blueprints(app: Flask) -> None:
    assert sorted(app.blueprints) == [
        "accounts",
        "admin",
        "checkout",
        "comments",
        "core",
        "design_staff",
        "designs",
        "media",
        "notifications",
        "order_desk",
        "payments",
        "production",
        "reprints",
        "royalty_admin",
        "shop",
        "site",
        "vote_staff",
        "voting",
    ]


def test_create_app_registers_exactly_the_known_command_groups(app: Flask) -> None:
    assert sorted(app.cli.commands) == [
        "db",
        "demo",
        "jobs",
        "payments",
        "royalties",
        "shop",
        "storage",
        "users",
        "voting",
    ]


def test_pages_that_combine_domains_are_served_by_site_at_their_old_urls(app: Flask) -> None:
    endpoints = {rule.rule: rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints["/"] == "site.home"
    assert endpoints["/designers/<id:user_id>"] == "site.profile"
    assert endpoints["/staff/"] == "site.dashboard"

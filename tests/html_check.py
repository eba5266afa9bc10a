"""Every HTML page the suite renders goes through a strict HTML5 parser (html5lib, the WHATWG
parsing algorithm). A parse error fails the test that rendered the page, naming the URL, the line
and the error, so invalid markup cannot slip in with any new page or state.
"""

from __future__ import annotations

from typing import Any

import html5lib  # type: ignore[import-untyped]
from flask.testing import FlaskClient
from werkzeug.test import TestResponse


class HTMLParseError(AssertionError):
    pass


def parse_errors(html: str) -> list[str]:
    """Every parse error in `html`, as "line L, column C: code {details}" with the source line."""
    parser = html5lib.HTMLParser(strict=False)
    parser.parse(html)
    lines = html.splitlines()
    found = []
    for (line, column), code, details in parser.errors:
        source = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        found.append(f"line {line}, column {column}: {code} {details or ''}\n    {source}")
    return found


def check_response(method: str, url: str, response: TestResponse) -> None:
    if response.mimetype != "text/html" or 300 <= response.status_code < 400:
        return
    body = response.get_data(as_text=True)
    if not body.lstrip().startswith("<"):
        return  # plain text sent as text/html (test-only views answering "200"), not a page
    errors = parse_errors(body)
    if errors:
        listing = "\n".join(errors)
        raise HTMLParseError(
            f"{method} {url} ({response.status_code}) is not valid HTML:\n{listing}"
        )


class HTMLCheckingClient(FlaskClient):
    """The test client every test app uses: it parses every HTML response it returns."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        response = super().open(*args, **kwargs)
        request = response.request
        check_response(
            request.method, request.full_path if request.query_string else request.path, response
        )
        return response

"""Security headers, written out literally, and the local-path check behind every `next=`."""

from __future__ import annotations

import pytest
from flask import Flask, Response
from flask.testing import FlaskClient

from cocreate.config import override
from cocreate.core.security import CSP, is_safe_local_path, safe_next

EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

EXPECTED_HEADERS = {
    "Content-Security-Policy": EXPECTED_CSP,
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=63072000; includeSubDomains"


def test_the_policy_constant() -> None:
    assert CSP == EXPECTED_CSP


@pytest.mark.parametrize("path", ["/", "/login", "/no/such/page"])
def test_every_response_carries_the_headers(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    for name, value in EXPECTED_HEADERS.items():
        assert response.headers.get_all(name) == [value], name
    assert "Strict-Transport-Security" not in response.headers


def test_header_names_are_spelt_canonically(client: FlaskClient) -> None:
    # Names are case-insensitive in HTTP, but scanners and proxies compare the usual spelling.
    sent = {name for name, _ in client.get("/").headers.items()}
    assert set(EXPECTED_HEADERS) <= sent


def test_hsts_only_in_production(app: Flask, client: FlaskClient) -> None:
    override(app, ENV="production")
    response = client.get("/")
    assert response.headers.get_all("Strict-Transport-Security") == [HSTS]
    assert "Strict-Transport-Security" in {name for name, _ in response.headers.items()}
    for name, value in EXPECTED_HEADERS.items():
        assert response.headers.get_all(name) == [value], name

    override(app, ENV="development")
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_a_view_that_sets_a_header_keeps_its_own(app: Flask, client: FlaskClient) -> None:
    @app.get("/embeddable")
    def embeddable() -> Response:
        response = Response("ok")
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        response.headers["Content-Security-Policy"] = "default-src 'none'"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Permissions-Policy"] = "camera=(self)"
        response.headers["Cross-Origin-Opener-Policy"] = "unsafe-none"
        response.headers["X-Content-Type-Options"] = "other"
        response.headers["Strict-Transport-Security"] = "max-age=60"
        return response

    override(app, ENV="production")
    headers = client.get("/embeddable").headers
    assert headers.get_all("X-Frame-Options") == ["SAMEORIGIN"]
    assert headers.get_all("Content-Security-Policy") == ["default-src 'none'"]
    assert headers.get_all("Referrer-Policy") == ["no-referrer"]
    assert headers.get_all("Permissions-Policy") == ["camera=(self)"]
    assert headers.get_all("Cross-Origin-Opener-Policy") == ["unsafe-none"]
    assert headers.get_all("X-Content-Type-Options") == ["other"]
    assert headers.get_all("Strict-Transport-Security") == ["max-age=60"]


@pytest.mark.parametrize(
    "target",
    ["/", "/settings", "/settings?x=1", "/designs/3#votes", "/a//b", "/a/http://b", "/:x"],
)
def test_local_paths_are_safe(target: str) -> None:
    assert is_safe_local_path(target) is True


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "settings",
        "./settings",
        "//evil.example",
        "//evil.example/path",
        "/\\evil.example",
        "/a\\b",
        "/a\nLocation: x",
        "https://evil.example/",
        "javascript:alert(1)",
        " /settings",
    ],
)
def test_other_targets_are_not(target: str | None) -> None:
    assert is_safe_local_path(target) is False


@pytest.mark.parametrize(
    ("target", "default", "expected"),
    [
        ("/settings", "/", "/settings"),
        ("/settings?tab=2", "/home", "/settings?tab=2"),
        (None, "/", "/"),
        ("", "/home", "/home"),
        ("//evil.example", "/home", "/home"),
        ("https://evil.example/", "/", "/"),
    ],
)
def test_safe_next(target: str | None, default: str, expected: str) -> None:
    assert safe_next(target, default) == expected


def test_safe_next_defaults_to_the_home_page() -> None:
    assert safe_next(None) == "/"
    assert safe_next("//evil.example") == "/"
    assert safe_next("/ok") == "/ok"

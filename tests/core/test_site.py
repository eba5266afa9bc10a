from __future__ import annotations

from flask import Flask, abort
from flask.testing import FlaskClient

from cocreate.config import override
from cocreate.core.security import is_safe_local_path


def test_home_page_and_security_headers(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "Designed by the community" in response.get_data(as_text=True)
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers


def test_404_page(client: FlaskClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_413_page(app: Flask, client: FlaskClient) -> None:
    override(app, MAX_CONTENT_LENGTH=1000)
    response = client.post("/signup", data={"email": "x" * 5000})
    assert response.status_code == 413
    assert "File too large" in response.get_data(as_text=True)


def test_500_page_in_site_look(app: Flask) -> None:
    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("kaboom")

    app.testing = False  # let the error handler run instead of propagating
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)


def test_403_page(app: Flask, client: FlaskClient) -> None:
    @app.get("/forbidden")
    def forbidden() -> str:
        abort(403)

    response = client.get("/forbidden")
    assert response.status_code == 403
    assert "Access denied" in response.get_data(as_text=True)


def test_json_errors_for_json_clients(client: FlaskClient) -> None:
    response = client.get("/nope", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["error"] == "Page not found"


def test_safe_local_paths() -> None:
    assert is_safe_local_path("/settings?x=1")
    for bad in (
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "settings",
        "",
        None,
        "/\nLocation: x",
    ):
        assert not is_safe_local_path(bad)


def test_csrf_enforced_when_enabled(app: Flask) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    response = app.test_client().post("/login", data={"email": "a@b.c", "password": "x"})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)


def test_session_cookie_flags(app: Flask) -> None:
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_healthz(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}

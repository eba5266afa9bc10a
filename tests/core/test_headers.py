"""Security headers as a browser receives them, on pages and on error pages."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient


@pytest.mark.parametrize("path", ["/", "/gallery", "/login", "/no/such/page"])
def test_framing_permissions_and_opener_headers(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Permissions-Policy"] == "camera=(), microphone=(), geolocation=()"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"

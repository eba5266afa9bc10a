"""Stored files are served by key with long cache headers; bad keys are a 404, never a 500."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient


def test_serves_file_with_immutable_cache(app: Flask, client: FlaskClient) -> None:
    key = app.extensions["cocreate.storage"].put(b"RIFF....WEBPVP8 fake", suffix=".webp")
    response = client.get(f"/media/{key}")
    assert response.status_code == 200
    assert response.data == b"RIFF....WEBPVP8 fake"
    assert response.mimetype == "image/webp"
    assert "immutable" in response.headers["Cache-Control"]
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    etag = response.headers["ETag"]
    again = client.get(f"/media/{key}", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_missing_and_malformed_keys_are_404(client: FlaskClient) -> None:
    for key in ("ab/cd/" + "0" * 64 + ".webp", "../../etc/passwd", "x.exe", "%00", "a" * 500):
        assert client.get(f"/media/{key}").status_code == 404, key

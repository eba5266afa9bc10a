"""Every HTTP error keeps its real status, with a page in the site's look; too many form
fields is not called a file too large."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, abort
from flask.testing import FlaskClient


def test_unsatisfiable_range_on_a_static_file_is_416(client: FlaskClient) -> None:
    response = client.get("/static/css/site.css", headers={"Range": "bytes=99999999-"})
    assert response.status_code == 416
    assert response.headers["Content-Range"].startswith("bytes */")
    text = response.get_data(as_text=True)
    assert "416" in text
    assert "Request not completed" in text
    assert "Something went wrong" not in text


def test_unregistered_4xx_code_keeps_its_status(app: Flask, client: FlaskClient) -> None:
    @app.get("/gone")
    def gone() -> str:
        abort(410)

    response = client.get("/gone")
    assert response.status_code == 410
    text = response.get_data(as_text=True)
    assert "410" in text
    assert "Request not completed" in text
    assert "We could not complete this request. Please go back and try again." in text


def test_method_not_allowed_keeps_its_allow_header(client: FlaskClient) -> None:
    response = client.put("/login")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert "This page does not accept that kind of request." in response.get_data(as_text=True)


def test_unregistered_code_in_french(app: Flask, client: FlaskClient) -> None:
    @app.get("/conflict")
    def conflict() -> str:
        abort(409)

    response = client.get("/conflict", headers={"Accept-Language": "fr"})
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "Requête non aboutie" in text


def test_unregistered_5xx_code_keeps_its_status(app: Flask, client: FlaskClient) -> None:
    @app.get("/unavailable")
    def unavailable() -> str:
        abort(503)

    response = client.get("/unavailable")
    assert response.status_code == 503
    assert "Something went wrong" in response.get_data(as_text=True)


def test_json_clients_get_the_real_status(client: FlaskClient) -> None:
    response = client.get(
        "/static/css/site.css",
        headers={"Range": "bytes=99999999-", "Accept": "application/json"},
    )
    assert response.status_code == 416
    assert response.get_json()["error"] == "Request not completed"


def _parts(count: int) -> dict[str, Any]:
    return {f"field{n}": "x" for n in range(count)}


def test_more_than_1000_form_parts_has_its_own_message(client: FlaskClient) -> None:
    response = client.post("/signup", data=_parts(1001), content_type="multipart/form-data")
    assert response.status_code == 413
    text = response.get_data(as_text=True)
    assert "Too many form fields" in text
    assert "The form you sent has too many fields, or too much text in one field." in text
    assert "File too large" not in text


def test_more_than_1000_form_parts_in_french(client: FlaskClient) -> None:
    response = client.post(
        "/signup",
        data=_parts(1001),
        content_type="multipart/form-data",
        headers={"Accept-Language": "fr"},
    )
    assert response.status_code == 413
    assert "Trop de champs" in response.get_data(as_text=True)


def test_1000_form_parts_are_still_accepted(client: FlaskClient) -> None:
    response = client.post("/signup", data=_parts(1000), content_type="multipart/form-data")
    assert response.status_code != 413
    assert response.status_code < 500


@pytest.mark.parametrize("app_overrides", [{"MAX_CONTENT_LENGTH": 1000}])
def test_a_large_body_is_still_a_file_too_large(
    client: FlaskClient, app_overrides: dict[str, Any]
) -> None:
    response = client.post("/signup", data={"email": "x" * 5000})
    assert response.status_code == 413
    assert "File too large" in response.get_data(as_text=True)

"""Odd input never reaches the database as an error: 404 or 400, never a 500."""

from __future__ import annotations

from flask.testing import FlaskClient

from cocreate.core.inputs import single_line


def test_huge_ids_and_pages(client: FlaskClient) -> None:
    assert client.get("/designs/99999999999").status_code == 404
    assert client.get("/designs/0").status_code == 404
    assert client.get("/designers/3000000000").status_code == 404
    assert client.get("/gallery?page=99999999999999999999").status_code == 200


def test_nul_bytes_refused(client: FlaskClient) -> None:
    assert client.get("/gallery?q=%00").status_code == 400
    assert client.post("/login", data={"email": "a\x00@b.c", "password": "x"}).status_code == 400
    assert client.post("/password/forgot", data={"email": "\x00"}).status_code == 400


def test_empty_tag_slug_is_404(client: FlaskClient) -> None:
    assert client.get("/tags/%20").status_code == 404
    assert client.get("/tags/!!!").status_code == 404


def test_single_line() -> None:
    assert single_line("  Sunny\r\nSide\tUp\x00 ") == "Sunny Side Up"
    assert single_line("Été à Lyon") == "Été à Lyon"

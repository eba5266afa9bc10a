"""The home and sign-up pages describe what works today, nothing that is not built yet."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

# Royalties do not exist yet.
NOT_YET = ("royalt", "statement", "earn")


@pytest.mark.parametrize("path", ["/", "/signup"])
def test_no_promise_of_what_does_not_exist(client: FlaskClient, path: str) -> None:
    page = client.get(path).get_data(as_text=True).lower()
    assert [word for word in NOT_YET if word in page] == []


def test_home_says_what_works(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "Designers upload artwork and see it on every product straight away" in page
    assert "Our staff check each submission against the guidelines" in page
    assert "the community votes on it, and the favourites are printed and sold" in page
    assert "members score them, say which size they would buy and comment" in page
    assert "Staff print the favourites in the sizes people asked for" in page


def test_signup_says_what_works(client: FlaskClient) -> None:
    page = client.get("/signup").get_data(as_text=True)
    assert "Submit your own artwork, see it on our products, and vote for the designs" in page


def test_home_in_french(client: FlaskClient) -> None:
    page = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Des artistes déposent leurs créations" in page
    assert "royalties" not in page and "droits d’auteur" not in page

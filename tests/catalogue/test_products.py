"""The catalogue declares each product once; prices and print minimums follow the settings."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cocreate.catalogue import products as catalogue
from cocreate.catalogue.spec import ProductSpec
from cocreate.config import Config
from cocreate.core.money import Money
from tests.accounts.factories import UserFactory


def _colours(product: ProductSpec) -> list[tuple[str, str, bool]]:
    return [(c.key, c.hex, c.dark) for c in product.colours]


def test_the_tee_is_declared() -> None:
    tee = catalogue.get("tee")
    assert [s.key for s in tee.sizes] == ["XS", "S", "M", "L", "XL", "XXL"]
    assert _colours(tee) == [
        ("white", "#F3F3F0", False),
        ("black", "#1E1E20", True),
        ("heather-grey", "#B4B3AF", False),
        ("navy", "#1F2B47", True),
        ("red", "#B3232F", True),
        ("forest-green", "#264A3A", True),
    ]
    assert [c.key for c in tee.colours if c.heathered] == ["heather-grey"]
    assert tee.print_area_mm == (300, 400)
    assert tee.min_long_side == 2400
    assert tee.base_price == 2500


def test_the_poster_is_declared() -> None:
    poster = catalogue.get("poster")
    assert [s.key for s in poster.sizes] == ["30x40", "50x70"]
    assert poster.colours == ()
    assert poster.mockup_names() == ["poster"]
    assert poster.print_area_mm == (500, 700)
    assert poster.min_long_side == 3000
    assert poster.base_price == 1900


def test_the_tee_comes_first_as_the_default_choice() -> None:
    assert catalogue.product_keys()[:2] == ["tee", "poster"]
    assert catalogue.default().key == "tee"


def test_unknown_product_is_not_in_the_catalogue() -> None:
    assert not catalogue.is_product("mug")
    with pytest.raises(KeyError):
        catalogue.get("mug")


def test_names_are_translated(app: Flask) -> None:
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert str(catalogue.get("tee").name) == "T-shirt"
        assert str(catalogue.get("poster").name) == "Affiche"
        assert str(catalogue.get("tee").colour("forest-green").name) == "vert forêt"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert str(catalogue.get("poster").name) == "Poster"


def test_prices_default_to_the_base_price() -> None:
    config = Config()
    assert catalogue.price("tee", config) == Money(2500, "EUR")
    assert catalogue.price("poster", config) == Money(1900, "EUR")


def test_settings_override_one_price_and_leave_the_others() -> None:
    config = Config(PRODUCT_PRICES={"poster": 2150})
    assert catalogue.price("poster", config) == Money(2150, "EUR")
    assert catalogue.price("tee", config) == Money(2500, "EUR")


@pytest.mark.parametrize("app_overrides", [{"PRODUCT_PRICES": {"tee": 2999}}])
def test_price_override_read_from_the_app_settings(app: Flask) -> None:
    with app.app_context():
        assert catalogue.price("tee") == Money(2999, "EUR")
        assert catalogue.price("poster") == Money(1900, "EUR")


@pytest.mark.parametrize("app_overrides", [{"PRODUCT_MIN_LONG_SIDE": {"poster": 3500}}])
def test_print_minimum_override_read_from_the_app_settings(app: Flask) -> None:
    with app.app_context():
        assert catalogue.min_long_side("poster") == 3500
        assert catalogue.min_long_side("tee") == 2400


def test_swatch_stylesheet_has_one_class_per_colour(client: FlaskClient) -> None:
    response = client.get("/designs/swatches.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    css = response.get_data(as_text=True)
    assert ".swatch-tee-white { background: #f3f3f0; }" in css
    assert ".swatch-tee-forest-green { background: #264a3a; }" in css
    assert "swatch-poster" not in css  # posters have no colour choice


def test_upload_form_lists_products_and_their_minimums(
    client: FlaskClient, auth: Any, db_session: Any
) -> None:
    UserFactory(email="form@example.test")
    auth.login("form@example.test")
    page = client.get("/designs/new").get_data(as_text=True)
    assert (
        '<input checked data-min-long-side="2400" data-msg-too-small="This image is '
        "9999991×9999992 px; T-shirt prints need at least 2400 px on the long side. Export it "
        'again at a larger size (enlarging a small image afterwards makes a blurry print)." '
        'id="products-0" name="products" required type="checkbox" value="tee"> T-shirt' in page
    )
    assert (
        '<input data-min-long-side="3000" data-msg-too-small="This image is 9999991×9999992 px; '
        "Poster prints need at least 3000 px on the long side."
    ) in page
    assert 'id="products-1" name="products" required type="checkbox" value="poster">' in page
    assert 'value="poster"' in page
    assert "T-shirt: 2400 px; Poster: 3000 px" in page

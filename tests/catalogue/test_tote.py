"""The tote bag, added by its catalogue entry and its drawing alone, works end to end."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image, ImageDraw
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocreate.catalogue import products as catalogue
from cocreate.config import Config
from cocreate.core.money import Money
from cocreate.core.storage import MemoryStorage
from cocreate.designs.mockups import render_all_mockups, render_mockup_image
from cocreate.designs.models import Design, DesignState, Mockup
from tests.accounts.factories import UserFactory


def artwork_png(size: tuple[int, int]) -> bytes:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((10, 10, size[0] - 10, size[1] - 10), fill=(30, 90, 200, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _upload(client: FlaskClient, data: bytes, products: list[str]) -> Any:
    return client.post(
        "/designs/new",
        data={
            "title": "Canvas Days",
            "description": "",
            "tags": "bag",
            "products": products,
            "artwork": (io.BytesIO(data), "art.png"),
        },
        content_type="multipart/form-data",
    )


@pytest.fixture
def designer(db_session: Session, auth: Any) -> Any:
    user = UserFactory(email="tote@example.test")
    auth.login("tote@example.test")
    return user


def test_the_catalogue_declares_three_products() -> None:
    assert catalogue.product_keys() == ["tee", "poster", "tote"]
    tote = catalogue.get("tote")
    assert [s.key for s in tote.sizes] == ["one-size"]
    assert [(c.key, c.hex, c.dark) for c in tote.colours] == [
        ("natural", "#E6DCC6", False),
        ("black", "#222120", True),
    ]
    assert tote.print_area_mm == (280, 320)
    assert tote.min_long_side == 2200
    assert tote.base_price == 1800
    assert tote.mockup_names() == ["tote:natural", "tote:black"]
    assert catalogue.base_prices() == {"tee": 2500, "poster": 1900, "tote": 1800}
    assert [catalogue.get(k).min_long_side for k in ("tee", "poster", "tote")] == [2400, 3000, 2200]


def test_tote_price_override_from_settings() -> None:
    assert catalogue.price("tote", Config()) == Money(1800, "EUR")
    overridden = Config(PRODUCT_PRICES={"tote": 1650})
    assert catalogue.price("tote", overridden) == Money(1650, "EUR")
    assert catalogue.price("tee", overridden) == Money(2500, "EUR")


def test_tote_mockups_print_on_the_canvas() -> None:
    art = Image.new("RGBA", (900, 900), (0, 0, 0, 0))
    ImageDraw.Draw(art).rectangle((100, 100, 800, 800), fill=(250, 250, 250, 255))
    tote = catalogue.get("tote")
    left, top, right, bottom = tote.print_area(400, art.size)
    middle = ((left + right) // 2, (top + bottom) // 2)
    # White ink stays white on black canvas (underbase), and the canvas around it stays dark.
    black = render_mockup_image(art, tote, "black", 400)
    assert min(_rgb_at(black, middle)) > 200
    assert max(_rgb_at(black, (left - 20, middle[1]))) < 70
    natural = render_mockup_image(art, tote, "natural", 400)
    assert min(_rgb_at(natural, (left - 20, middle[1]))) > 150  # pale canvas
    storage = MemoryStorage()
    keys = render_all_mockups(_png(art), storage, [tote], size=200)
    assert list(keys) == ["tote:natural", "tote:black"]
    assert len(storage) == 2


def _rgb_at(image: Image.Image, xy: tuple[int, int]) -> tuple[int, int, int]:
    pixel = image.convert("RGB").getpixel(xy)
    assert isinstance(pixel, tuple)
    r, g, b = pixel
    return r, g, b


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    "app_overrides", [{"PRODUCT_MIN_LONG_SIDE": {"tote": 350}, "SCREENING": False}]
)
def test_tote_upload_end_to_end(
    client: FlaskClient, app: Flask, db_session: Session, designer: Any
) -> None:
    response = _upload(client, artwork_png((350, 300)), ["tote"])
    assert response.status_code == 302
    design = db_session.scalar(select(Design))
    assert design is not None and design.product_set == {"tote"}
    mockups = db_session.scalars(
        select(Mockup).where(Mockup.design_id == design.id, Mockup.product == "tote")
    ).all()
    assert sorted(m.colour for m in mockups) == ["black", "natural"]
    storage = app.extensions["cocreate.storage"]
    natural = next(m for m in mockups if m.colour == "natural")
    black = next(m for m in mockups if m.colour == "black")
    for mockup in (natural, black):
        assert storage.exists(mockup.key)
        with Image.open(io.BytesIO(storage.open(mockup.key))) as image:
            assert image.format == "WEBP" and image.size == (800, 800)

    page = client.get(f"/designs/{design.id}").get_data(as_text=True)
    assert f'id="tote-mockup" src="/media/{natural.key}"' in page
    assert "“Canvas Days” on a natural tote bag" in page
    assert f'data-src="/media/{black.key}"' in page
    assert 'class="swatch-chip swatch-tote-black"' in page
    assert '<span class="badge">Tote bag</span>' in page
    assert 'id="tee-mockup"' not in page  # only the chosen product is shown
    page = client.get(f"/designs/{design.id}?colour=black").get_data(as_text=True)
    assert f'id="tote-mockup" src="/media/{black.key}"' in page
    css = client.get("/designs/swatches.css").get_data(as_text=True)
    assert ".swatch-tote-natural { background: #e6dcc6; }" in css

    client.post(f"/designs/{design.id}/submit")
    db_session.refresh(design)
    assert design.state is DesignState.VOTING
    gallery = client.get("/gallery").get_data(as_text=True)
    assert "Canvas Days" in gallery and f"/media/{design.thumb_webp_key}" in gallery


@pytest.mark.parametrize("app_overrides", [{"PRODUCT_MIN_LONG_SIDE": {"tote": 350}}])
def test_tote_print_minimum_boundary(
    client: FlaskClient, db_session: Session, designer: Any
) -> None:
    response = _upload(client, artwork_png((349, 300)), ["tote"])
    assert response.status_code == 422
    assert "This image is 349×300 px; Tote bag prints need at least 350 px on the long side." in (
        response.get_data(as_text=True)
    )
    assert db_session.scalar(select(func.count()).select_from(Design)) == 0
    assert _upload(client, artwork_png((350, 300)), ["tote"]).status_code == 302


def test_too_small_for_the_tote_uses_the_catalogue_minimum(
    client: FlaskClient, db_session: Session, designer: Any
) -> None:
    response = _upload(client, artwork_png((2199, 1000)), ["tote"])
    assert response.status_code == 422
    assert (
        "This image is 2199×1000 px; Tote bag prints need at least 2200 px on the long side."
        in (response.get_data(as_text=True))
    )
    assert db_session.scalar(select(func.count()).select_from(Design)) == 0


def test_too_small_for_the_tote_in_french(
    client: FlaskClient, db_session: Session, auth: Any
) -> None:
    UserFactory(email="sac@example.test", locale="fr")
    auth.login("sac@example.test")
    response = _upload(client, artwork_png((2199, 1000)), ["tote"])
    assert response.status_code == 422
    assert (
        "Cette image mesure 2199\u00a0×\u00a01000\u00a0px\u202f; l’impression "
        "«\u00a0Sac en toile\u00a0» demande au moins 2200\u00a0px sur le grand côté."
    ) in response.get_data(as_text=True)


def test_upload_form_offers_the_tote(client: FlaskClient, designer: Any) -> None:
    page = client.get("/designs/new").get_data(as_text=True)
    assert (
        '<input data-min-long-side="2200" data-msg-too-small="This image is 9999991×9999992 px; '
        "Tote bag prints need at least 2200 px on the long side."
    ) in page
    assert 'id="products-2" name="products" required type="checkbox" value="tote">' in page
    assert "T-shirt: 2400 px; Poster: 3000 px; Tote bag: 2200 px" in page

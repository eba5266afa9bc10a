"""The catalogue and product pages as a shopper sees them."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from cocreate.designs.models import DesignState
from tests.accounts.factories import UserFactory
from tests.designs.factories import TagFactory
from tests.designs.test_gallery import count_queries
from tests.shop.catalog_factories import OnSaleDesignFactory, variant

FR = {"Accept-Language": "fr-FR,fr;q=0.9"}


def cards(html: str) -> list[str]:
    return re.findall(r'<h2 class="design-card-title">([^<]*)</h2>', html)


def test_catalogue_page_filters_with_a_plain_get_form(
    client: FlaskClient, db_session: Session
) -> None:
    ada = UserFactory(display_name="Ada Lovelace")
    wave = OnSaleDesignFactory(title="Wave", designer=ada, tags=[TagFactory(name="ocean")])
    variant(wave.id, "tee", "black", "M", stock=3, price=2500)
    dune = OnSaleDesignFactory(title="Dune")
    variant(dune.id, "poster", "", "30x40", stock=0, price=1900)
    html = client.get("/shop").get_data(as_text=True)
    assert cards(html) == ["Wave", "Dune"]
    assert "from €25.00" in html and "from €19.00" in html
    assert html.count('class="badge sold-out"') == 1
    assert f'<option value="{ada.id}">Ada Lovelace</option>' in html
    assert '<option value="ocean">#ocean</option>' in html
    # The card opens the product page on the variant it shows.
    assert f'href="/shop/{wave.id}?product=tee&amp;colour=black"' in html
    html = client.get("/shop?colour=black&sort=price").get_data(as_text=True)
    assert cards(html) == ["Wave"]
    assert '<option value="black" selected>' in html
    assert '<option value="price" selected>' in html
    assert "Clear the filters" in html
    html = client.get("/shop?size=XXL").get_data(as_text=True)
    assert cards(html) == [] and "Nothing on sale matches these filters." in html


def test_catalogue_in_french(client: FlaskClient, db_session: Session) -> None:
    design = OnSaleDesignFactory(title="Vague")
    variant(design.id, price=2500)
    html = client.get("/shop", headers=FR).get_data(as_text=True)
    assert "<title>Boutique · cocreate</title>" in html
    assert "à partir de 25,00\u00a0€" in html


@pytest.mark.parametrize(
    ("query", "status", "listed"),
    [
        ("page=abc", 200, True),
        ("page=-1", 200, True),
        ("page=99999999999999999999", 200, True),
        ("designer=1e9", 200, True),
        ("sort=;DROP", 200, True),
        ("product[]=tee", 200, True),
        ("colour=" + "x" * 5000, 200, True),
        # Well formed, matching nothing.
        ("tag=" + "%C3%A9" * 100, 200, False),
        ("product=tee&colour=black&size=M&designer=1&tag=x&sort=newest&page=2", 200, False),
        ("tag=%ff%fe", 200, False),
        # Control characters are refused for the whole site (core.inputs).
        ("designer=%00", 400, False),
    ],
)
def test_malformed_filters_are_ignored(
    client: FlaskClient, db_session: Session, query: str, status: int, listed: bool
) -> None:
    design = OnSaleDesignFactory(title="Still here")
    variant(design.id)
    response = client.get(f"/shop?{query}")
    assert response.status_code == status
    assert ("Still here" in response.get_data(as_text=True)) is listed


def test_catalogue_page_runs_a_constant_number_of_queries(
    client: FlaskClient, db_session: Session
) -> None:
    tags = [TagFactory(name=f"t{i}") for i in range(3)]
    for _ in range(3):
        design = OnSaleDesignFactory(tags=tags)
        variant(design.id, "tee", "white", "M")
        variant(design.id, "poster", "", "30x40")
    db_session.commit()
    engine = db_session.get_bind().engine  # type: ignore[union-attr]
    with count_queries(engine) as few:
        assert client.get("/shop").status_code == 200
    for _ in range(20):
        design = OnSaleDesignFactory(tags=tags, designer=UserFactory())
        variant(design.id, "tee", "black", "L")
        variant(design.id, "tee", "white", "S", stock=0)
        variant(design.id, "poster", "", "50x70")
    db_session.commit()
    with count_queries(engine) as many:
        page = client.get("/shop")
    assert page.status_code == 200
    assert len(cards(page.get_data(as_text=True))) == 23
    assert len(many) == len(few), many
    # An anonymous visitor without a cart costs no cart query.
    assert not [s for s in many if "cart" in s]


def test_product_page_picker(client: FlaskClient, db_session: Session) -> None:
    designer = UserFactory(display_name="Kofi")
    design = OnSaleDesignFactory(title="Peaks", designer=designer)
    m = variant(design.id, "tee", "white", "M", stock=12, price=2500)
    s = variant(design.id, "tee", "white", "S", stock=0, price=2500)
    black_l = variant(design.id, "tee", "black", "L", stock=2, price=2500)
    variant(design.id, "poster", "", "50x70", stock=0, price=3900)
    html = client.get(f"/shop/{design.id}").get_data(as_text=True)
    # Opens on the first colour in stock, in catalogue order: white; sizes in catalogue order.
    assert '-tee-white.webp"' in html
    assert html.index(f'name="variant_id" value="{s.id}"') < html.index(
        f'name="variant_id" value="{m.id}"'
    )
    assert f'<input type="radio" name="variant_id" value="{s.id}" required disabled>' in html
    assert f'<input type="radio" name="variant_id" value="{m.id}" required>' in html
    assert "€25.00" in html and "VAT included" in html
    assert "In stock" in html and "Sold out" in html
    assert f'href="/designers/{designer.id}">Kofi</a>' in html
    assert f'href="/designs/{design.id}"' in html
    assert f'name="variant_id" value="{black_l.id}"' not in html
    # The colour switches the mockup and the sizes, without JavaScript.
    html = client.get(f"/shop/{design.id}?product=tee&colour=black&size=L").get_data(as_text=True)
    assert '-tee-black.webp"' in html and '-tee-white.webp"' not in html
    assert f'<input type="radio" name="variant_id" value="{black_l.id}" required checked>' in html
    assert "Only 2 left" in html
    assert f'name="variant_id" value="{m.id}"' not in html
    # The poster: every size sold out, no add button.
    html = client.get(f"/shop/{design.id}?product=poster").get_data(as_text=True)
    assert "€39.00" in html and "-poster.webp" in html
    assert "Every size is sold out for now." in html and "Add to cart" not in html


def test_product_page_when_prices_differ_by_size(client: FlaskClient, db_session: Session) -> None:
    design = OnSaleDesignFactory()
    variant(design.id, "tee", "white", "M", price=2500)
    variant(design.id, "tee", "white", "XXL", price=2900)
    html = client.get(f"/shop/{design.id}").get_data(as_text=True)
    assert "from €25.00" in html
    assert '<span class="size-price">€29.00</span>' in html


def test_only_n_left_starts_at_the_low_stock_setting(
    client: FlaskClient, db_session: Session
) -> None:
    design = OnSaleDesignFactory()
    five = variant(design.id, "tee", "white", "M", stock=5)
    six = variant(design.id, "tee", "black", "M", stock=6)
    html = client.get(f"/shop/{design.id}?colour=white").get_data(as_text=True)
    assert '<span class="size-stock">Only 5 left</span>' in html, five
    html = client.get(f"/shop/{design.id}?colour=black").get_data(as_text=True)
    assert '<span class="size-stock">In stock</span>' in html, six


def test_product_page_is_only_for_designs_on_sale(client: FlaskClient, db_session: Session) -> None:
    retired = OnSaleDesignFactory(state=DesignState.RETIRED)
    variant(retired.id)
    bare = OnSaleDesignFactory()
    assert client.get(f"/shop/{retired.id}").status_code == 404
    assert client.get(f"/shop/{bare.id}").status_code == 404
    assert client.get("/shop/999999").status_code == 404
    assert client.get("/shop/abc").status_code == 404


def test_unknown_choices_fall_back_to_what_is_in_stock(
    client: FlaskClient, db_session: Session
) -> None:
    design = OnSaleDesignFactory()
    navy = variant(design.id, "tee", "navy", "M", stock=1)
    html = client.get(f"/shop/{design.id}?product=mug&colour=purple&size=M").get_data(as_text=True)
    assert f'name="variant_id" value="{navy.id}" required checked' in html


def test_design_page_and_home_lead_to_the_shop(client: FlaskClient, db_session: Session) -> None:
    design = OnSaleDesignFactory()
    variant(design.id)
    html = client.get(f"/designs/{design.id}").get_data(as_text=True)
    assert f'<a class="button" href="/shop/{design.id}">Buy it</a>' in html
    home = client.get("/").get_data(as_text=True)
    assert '<li><a href="/shop">Shop</a></li>' in home
    assert '<a href="/shop">See everything on sale</a>' in home
    bare = OnSaleDesignFactory()
    assert "Buy it" not in client.get(f"/designs/{bare.id}").get_data(as_text=True)

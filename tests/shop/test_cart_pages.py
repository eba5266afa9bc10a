"""The cart as a visitor uses it: adding, changing, removing, the nav badge, log-in, tampering."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cocreate.production.models import Variant
from cocreate.shop.cart_models import Cart, CartLine
from tests.accounts.factories import UserFactory
from tests.conftest import Auth
from tests.designs.test_gallery import count_queries
from tests.shop.catalog_factories import OnSaleDesignFactory, variant


def lines(session: Session) -> list[tuple[int | None, str | None, int, int]]:
    """(cart's member, whether anonymous, variant, quantity) of every cart line."""
    rows = session.execute(
        select(Cart.user_id, Cart.token, CartLine.variant_id, CartLine.quantity)
        .join(CartLine, CartLine.cart_id == Cart.id)
        .order_by(Cart.id, CartLine.variant_id)
    )
    return [(user_id, "anonymous" if token else None, v, q) for user_id, token, v, q in rows]


def test_an_anonymous_visitor_fills_a_cart(client: FlaskClient, db_session: Session) -> None:
    design = OnSaleDesignFactory(title="Wave")
    tee = variant(design.id, "tee", "black", "M", stock=8, price=2500)
    poster = variant(design.id, "poster", "", "50x70", stock=3, price=3900)
    page = client.get("/cart").get_data(as_text=True)
    assert "Your cart is empty." in page and '<span class="badge"' not in page
    response = client.post("/cart/add", data={"variant_id": tee.id, "quantity": "2"})
    assert response.status_code == 302 and response.headers["Location"] == "/cart"
    client.post("/cart/add", data={"variant_id": poster.id, "quantity": "1"})
    page = client.get("/cart").get_data(as_text=True)
    assert "Added to your cart." in page
    assert "T-shirt, black, M" in page and "Poster, 50 × 70 cm" in page
    assert "€50.00" in page and "€39.00" in page
    assert '<td class="cart-total">€89.00</td>' in page
    assert '<span class="badge" aria-hidden="true">3</span>' in page
    assert lines(db_session) == [(None, "anonymous", tee.id, 2), (None, "anonymous", poster.id, 1)]
    # Another browser has its own cart.
    other = client.application.test_client()
    assert "Your cart is empty." in other.get("/cart").get_data(as_text=True)


def test_change_and_remove_lines(client: FlaskClient, db_session: Session) -> None:
    item = variant(OnSaleDesignFactory().id, stock=4, price=2500)
    client.post("/cart/add", data={"variant_id": item.id, "quantity": "1"})
    response = client.post(f"/cart/lines/{item.id}", data={"quantity": "3"})
    assert response.status_code == 302
    page = client.get("/cart").get_data(as_text=True)
    assert "Your cart is updated." in page and '<td class="cart-total">€75.00</td>' in page
    response = client.post(f"/cart/lines/{item.id}", data={"quantity": "5"})
    assert response.status_code == 422
    assert "Only 4 left of this item." in response.get_data(as_text=True)
    assert lines(db_session)[0][3] == 3
    assert client.post(f"/cart/lines/{item.id}/remove").status_code == 302
    assert "The item is removed from your cart." in client.get("/cart").get_data(as_text=True)
    assert lines(db_session) == []
    # Removing it again, or from a visitor with no cart: nothing to do, no error.
    assert client.post(f"/cart/lines/{item.id}/remove").status_code == 302
    stranger = client.application.test_client()
    assert stranger.post(f"/cart/lines/{item.id}/remove").status_code == 302
    response = stranger.post(f"/cart/lines/{item.id}", data={"quantity": "1"})
    assert response.status_code == 422
    assert "This item is not in your cart." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "quantity", ["0", "11", "-1", "abc", "", "1.5", "1e1", "99999999999999999999"]
)
def test_bad_quantities_answer_422(client: FlaskClient, db_session: Session, quantity: str) -> None:
    item = variant(OnSaleDesignFactory().id, stock=50)
    response = client.post("/cart/add", data={"variant_id": item.id, "quantity": quantity})
    assert response.status_code == 422
    assert "Choose a quantity from 1 to 10." in response.get_data(as_text=True)
    assert lines(db_session) == []
    client.post("/cart/add", data={"variant_id": item.id, "quantity": "1"})
    response = client.post(f"/cart/lines/{item.id}", data={"quantity": quantity})
    assert response.status_code == 422
    assert lines(db_session)[0][3] == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"quantity": "1"}, "Choose a size first."),
        ({"variant_id": "abc", "quantity": "1"}, "Choose a size first."),
        ({"variant_id": "999999", "quantity": "1"}, "This item is not for sale."),
    ],
)
def test_bad_variants_answer_422(
    client: FlaskClient, db_session: Session, data: dict[str, str], message: str
) -> None:
    response = client.post("/cart/add", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_a_sold_out_variant_cannot_be_added(client: FlaskClient, db_session: Session) -> None:
    item = variant(OnSaleDesignFactory().id, stock=0)
    response = client.post("/cart/add", data={"variant_id": item.id, "quantity": "1"})
    assert response.status_code == 422
    assert "Sorry, this item is sold out." in response.get_data(as_text=True)
    assert lines(db_session) == []


def test_tampered_prices_change_nothing(client: FlaskClient, db_session: Session) -> None:
    item = variant(OnSaleDesignFactory().id, stock=5, price=2500)
    forged: dict[str, Any] = {
        "variant_id": item.id,
        "quantity": "2",
        "price": "1",
        "price_amount": "1",
        "unit_price": "0.01",
        "total": "0",
    }
    client.post("/cart/add", data=forged)
    client.post(f"/cart/lines/{item.id}", data={"quantity": "3", "price": "1", "total": "0"})
    page = client.get("/cart").get_data(as_text=True)
    assert '<td class="cart-total">€75.00</td>' in page
    assert db_session.scalar(select(Variant.price_amount).where(Variant.id == item.id)) == 2500


def test_a_variant_that_sells_out_in_the_cart_is_flagged(
    client: FlaskClient, db_session: Session
) -> None:
    design = OnSaleDesignFactory(title="Peaks")
    item = variant(design.id, stock=5)
    client.post("/cart/add", data={"variant_id": item.id, "quantity": "3"})
    db_session.execute(update(Variant).where(Variant.id == item.id).values(stock_on_hand=2))
    page = client.get("/cart").get_data(as_text=True)
    assert "Only 2 left: lower the quantity to check out." in page
    assert "Some items changed since you chose them" in page
    db_session.execute(update(Variant).where(Variant.id == item.id).values(stock_on_hand=0))
    page = client.get("/cart").get_data(as_text=True)
    assert "Sold out since you added it: remove it to check out." in page
    assert lines(db_session) == [(None, "anonymous", item.id, 3)]


def test_log_in_merges_the_anonymous_cart(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    member = UserFactory(email="ana@example.test")
    design = OnSaleDesignFactory()
    both = variant(design.id, size="S", stock=20)
    mine = variant(design.id, size="M", stock=20)
    chosen = variant(design.id, size="L", stock=20)
    # The member's cart from another device.
    device = client.application.test_client()
    device.post("/login", data={"email": member.email, "password": "correct horse battery staple"})
    device.post("/cart/add", data={"variant_id": both.id, "quantity": "9"})
    device.post("/cart/add", data={"variant_id": mine.id, "quantity": "1"})
    # Shopping anonymously here, then logging in.
    client.post("/cart/add", data={"variant_id": both.id, "quantity": "4"})
    client.post("/cart/add", data={"variant_id": chosen.id, "quantity": "2"})
    assert auth.login(member.email).status_code == 302
    page = client.get("/cart").get_data(as_text=True)
    assert "The items you chose before logging in are in your cart." in page
    assert lines(db_session) == [
        (member.id, None, both.id, 10),
        (member.id, None, mine.id, 1),
        (member.id, None, chosen.id, 2),
    ]
    assert '<span class="badge" aria-hidden="true">13</span>' in page
    # The cart follows the member, not the browser: logged out, this browser's cart is empty.
    auth.logout()
    assert "Your cart is empty." in client.get("/cart").get_data(as_text=True)
    assert '<span class="badge" aria-hidden="true">13</span>' in (
        device.get("/cart").get_data(as_text=True)
    )


def test_signing_up_keeps_the_anonymous_cart(client: FlaskClient, db_session: Session) -> None:
    item = variant(OnSaleDesignFactory().id, stock=2)
    client.post("/cart/add", data={"variant_id": item.id, "quantity": "2"})
    client.post(
        "/signup",
        data={
            "email": "new@example.test",
            "display_name": "Newcomer",
            "password": "correct horse battery staple",
        },
    )
    ((user_id, token, variant_id, quantity),) = lines(db_session)
    assert (token, variant_id, quantity) == (None, item.id, 2) and user_id is not None


def test_the_nav_badge_costs_one_query_and_none_without_a_cart(
    client: FlaskClient, db_session: Session
) -> None:
    item = variant(OnSaleDesignFactory().id, stock=2)
    db_session.commit()
    engine = db_session.get_bind().engine  # type: ignore[union-attr]
    with count_queries(engine) as before:
        client.get("/gallery")
    assert [s for s in before if "cart" in s] == []
    client.post("/cart/add", data={"variant_id": item.id, "quantity": "1"})
    with count_queries(engine) as after:
        page = client.get("/gallery").get_data(as_text=True)
    assert len([s for s in after if "cart" in s]) == 1
    assert '<span class="visually-hidden">(1 item)</span>' in page


@pytest.mark.parametrize("app_overrides", [{"extra": {"WTF_CSRF_ENABLED": True}}])
def test_cart_forms_need_the_csrf_token(
    client: FlaskClient, db_session: Session, app_overrides: dict[str, Any]
) -> None:
    design = OnSaleDesignFactory()
    item = variant(design.id, stock=5)
    data = {"variant_id": item.id, "quantity": "1"}
    assert client.post("/cart/add", data=data).status_code == 400
    assert lines(db_session) == []
    page = client.get(f"/shop/{design.id}").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/cart/add", data={**data, "csrf_token": token}).status_code == 302
    assert client.post(f"/cart/lines/{item.id}", data={"quantity": "2"}).status_code == 400
    assert client.post(f"/cart/lines/{item.id}/remove").status_code == 400
    assert lines(db_session) == [(None, "anonymous", item.id, 1)]


def test_cart_page_in_french(client: FlaskClient, db_session: Session) -> None:
    item = variant(OnSaleDesignFactory().id, stock=1)
    client.post("/cart/add", data={"variant_id": item.id, "quantity": "1"})
    page = client.get("/cart", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "<h1>Votre panier</h1>" in page and "Total TTC" in page
    assert "T-shirt, blanc, M" in page

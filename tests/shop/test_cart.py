"""The cart's rules: caps, refusals, the log-in merge, what checkout reads, and the purge."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import session as cookie_session
from flask_login import login_user
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cocreate.core.money import Money
from cocreate.designs.models import DesignState
from cocreate.production.models import Variant
from cocreate.shop import cart
from cocreate.shop.cart import CartError
from cocreate.shop.cart_contents import Problem, contents, count, lines
from cocreate.shop.cart_models import Cart, CartLine, Owner
from tests.accounts.factories import UserFactory
from tests.shop.catalog_factories import OnSaleDesignFactory, variant

pytestmark = pytest.mark.usefixtures("request_ctx")

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ANON = Owner(token="anonymous-token")


def add(session: Session, owner: Owner, variant_id: int, quantity: int) -> cart.Added:
    return cart.add(session, owner, variant_id, quantity, max_quantity=10, now=NOW)


def set_stock(session: Session, variant_id: int, stock: int) -> None:
    session.execute(update(Variant).where(Variant.id == variant_id).values(stock_on_hand=stock))
    session.expire_all()


def cart_rows(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Cart)) or 0)


def test_adding_is_capped_by_the_maximum_and_by_stock(db_session: Session) -> None:
    design = OnSaleDesignFactory()
    plenty = variant(design.id, size="M", stock=12)
    few = variant(design.id, size="L", stock=3)
    owner = Owner(user_id=UserFactory().id)
    first = add(db_session, owner, plenty.id, 4)
    assert (first.quantity, first.message(10)) == (4, "Added to your cart.")
    assert add(db_session, owner, plenty.id, 6).quantity == 10
    capped = add(db_session, owner, plenty.id, 1)
    assert capped.quantity == 10
    assert capped.message(10) == ("Your cart holds 10 of this item: the most one order may have.")
    assert add(db_session, owner, few.id, 2).quantity == 2
    short = add(db_session, owner, few.id, 2)
    assert short.quantity == 3
    assert short.message(10) == "Only 3 of this item are left: your cart holds them all."
    assert lines(db_session, owner) == [(plenty.id, 10), (few.id, 3)]


@pytest.mark.parametrize(
    ("stock", "state", "message"),
    [
        (0, DesignState.ON_SALE, "Sorry, this item is sold out."),
        (5, DesignState.RETIRED, "This item is not for sale."),
        (5, DesignState.APPROVED, "This item is not for sale."),
    ],
)
def test_refused_adds_change_nothing(
    db_session: Session, stock: int, state: DesignState, message: str
) -> None:
    design = OnSaleDesignFactory(state=state)
    item = variant(design.id, stock=stock)
    with pytest.raises(CartError, match=re.escape(message)):
        add(db_session, ANON, item.id, 1)
    with pytest.raises(CartError, match=re.escape("This item is not for sale.")):
        add(db_session, ANON, 999_999, 1)
    assert cart_rows(db_session) == 0


def test_set_quantity_and_remove(db_session: Session) -> None:
    design = OnSaleDesignFactory()
    item = variant(design.id, stock=4)
    other = variant(design.id, size="L", stock=4)
    add(db_session, ANON, item.id, 1)

    def change(quantity: int, variant_id: int = item.id) -> None:
        cart.set_quantity(db_session, ANON, variant_id, quantity, max_quantity=10, now=NOW)

    change(4)
    assert lines(db_session, ANON) == [(item.id, 4)]
    for wrong, message in [(0, "from 1 to 10"), (11, "from 1 to 10"), (5, "Only 4 left")]:
        with pytest.raises(CartError, match=re.escape(message)):
            change(wrong)
    with pytest.raises(CartError, match=re.escape("This item is not in your cart.")):
        change(1, other.id)
    set_stock(db_session, item.id, 2)
    with pytest.raises(CartError, match=re.escape("Only 2 left of this item.")):
        change(3)
    change(2)
    set_stock(db_session, item.id, 0)
    with pytest.raises(CartError, match=re.escape("This item sold out: remove it from your cart.")):
        change(1)
    assert lines(db_session, ANON) == [(item.id, 2)]
    assert cart.remove(db_session, ANON, item.id, now=NOW) is True
    assert cart.remove(db_session, ANON, item.id, now=NOW) is False
    assert cart.remove(db_session, Owner(token="nobody"), item.id, now=NOW) is False
    assert lines(db_session, ANON) == []


def test_merge_adds_quantities_capped_by_stock_and_maximum(db_session: Session) -> None:
    member = UserFactory()
    design = OnSaleDesignFactory()
    both = variant(design.id, size="S", stock=20)
    scarce = variant(design.id, size="M", stock=5)
    mine = variant(design.id, size="L", stock=5)
    gone = variant(design.id, size="XL", stock=5)
    owner = Owner(user_id=member.id)
    add(db_session, owner, both.id, 9)
    add(db_session, owner, mine.id, 2)
    add(db_session, ANON, both.id, 3)
    add(db_session, ANON, scarce.id, 4)
    add(db_session, ANON, gone.id, 4)
    set_stock(db_session, scarce.id, 1)
    set_stock(db_session, gone.id, 0)
    assert cart.merge(db_session, "anonymous-token", member.id, max_quantity=10, now=NOW) == 3
    # 9 + 3 capped at 10; 4 capped at the 1 left; the sold-out line stays, to be flagged.
    assert lines(db_session, owner) == [
        (both.id, 10),
        (scarce.id, 1),
        (mine.id, 2),
        (gone.id, 4),
    ]
    assert lines(db_session, ANON) == []
    assert cart_rows(db_session) == 1
    assert cart.merge(db_session, "anonymous-token", member.id, max_quantity=10, now=NOW) == 0


def test_merge_makes_the_member_cart_when_there_is_none(db_session: Session) -> None:
    member = UserFactory()
    item = variant(OnSaleDesignFactory().id, stock=3)
    add(db_session, ANON, item.id, 2)
    assert cart.merge(db_session, "anonymous-token", member.id, max_quantity=10, now=NOW) == 1
    assert lines(db_session, Owner(user_id=member.id)) == [(item.id, 2)]


def test_contents_are_priced_from_the_variants_now_and_flagged(db_session: Session) -> None:
    fine = variant(OnSaleDesignFactory(title="Fine").id, "tee", "black", "M", stock=5)
    short = variant(OnSaleDesignFactory(title="Short").id, "poster", "", "50x70", stock=5)
    sold = variant(OnSaleDesignFactory(title="Sold").id, stock=5, price=1000)
    retired = OnSaleDesignFactory(title="Retired")
    gone = variant(retired.id, stock=5, price=1000)
    for item, quantity in [(fine, 2), (short, 3), (sold, 1), (gone, 1)]:
        add(db_session, ANON, item.id, quantity)
    set_stock(db_session, short.id, 2)
    set_stock(db_session, sold.id, 0)
    retired.state = DesignState.RETIRED
    db_session.execute(update(Variant).where(Variant.id == fine.id).values(price_amount=2700))
    db_session.expire_all()
    found = contents(db_session, ANON)
    assert [(i.design.title, i.quantity, i.problem) for i in found.items] == [
        ("Fine", 2, None),
        ("Short", 3, Problem.SHORT),
        ("Sold", 1, Problem.SOLD_OUT),
        ("Retired", 1, Problem.UNAVAILABLE),
    ]
    assert found.items[0].total == Money(5400, "EUR")
    assert found.items[0].mockup is not None
    assert found.items[0].mockup.key.endswith("-tee-black.webp")
    assert found.items[1].mockup is not None
    assert found.items[1].mockup.key.endswith("-poster.webp")
    assert found.total == Money(5400 + 3 * 2500 + 1000 + 1000, "EUR")
    assert found.count == 7 and found.has_problems
    assert count(db_session, ANON) == 7
    assert contents(db_session, None).total is None
    assert count(db_session, None) == 0


def test_checkout_contract_for_an_anonymous_visitor(db_session: Session) -> None:
    design = OnSaleDesignFactory()
    second = variant(design.id, size="L", stock=2)
    first = variant(design.id, size="M", stock=2)
    assert cart.current_cart_lines(db_session) == []
    cart.clear_current_cart(db_session)  # nothing to clear: no error
    owner = cart.owner_for_change()
    assert cookie_session[cart.SESSION_KEY] == owner.token
    add(db_session, owner, first.id, 2)
    add(db_session, owner, second.id, 1)
    set_stock(db_session, first.id, 0)
    # By variant id, sold-out lines included (checkout refuses them with its own message).
    assert cart.current_cart_lines(db_session) == sorted([(first.id, 2), (second.id, 1)])
    cart.clear_current_cart(db_session)
    assert cart.current_cart_lines(db_session) == []
    assert cart.SESSION_KEY not in cookie_session
    assert cart_rows(db_session) == 0


def test_checkout_contract_for_a_member(db_session: Session) -> None:
    member = UserFactory()
    stranger = UserFactory()
    item = variant(OnSaleDesignFactory().id, stock=2)
    add(db_session, Owner(user_id=stranger.id), item.id, 1)
    login_user(member)
    owner = cart.owner_for_change()
    assert owner == Owner(user_id=member.id)
    assert cart.SESSION_KEY not in cookie_session
    add(db_session, owner, item.id, 2)
    assert cart.current_cart_lines(db_session) == [(item.id, 2)]
    cart.clear_current_cart(db_session)
    assert cart.current_cart_lines(db_session) == []
    assert lines(db_session, Owner(user_id=stranger.id)) == [(item.id, 1)]


def test_abandoned_anonymous_carts_are_purged(db_session: Session) -> None:
    item = variant(OnSaleDesignFactory().id, stock=9)
    member = Owner(user_id=UserFactory().id)
    for owner, days in [(Owner(token="old"), 31), (Owner(token="recent"), 29), (member, 100)]:
        cart.add(db_session, owner, item.id, 1, max_quantity=10, now=NOW - timedelta(days=days))
    assert cart.purge_abandoned(db_session, now=NOW, days=30) == 1
    tokens = db_session.scalars(select(Cart.token).order_by(Cart.id)).all()
    assert tokens == ["recent", None]
    assert db_session.scalar(select(func.count()).select_from(CartLine)) == 2


def test_a_cart_has_exactly_one_owner(db_session: Session) -> None:
    user = UserFactory()
    for owner in [dict(user_id=user.id, token="both"), dict(user_id=None, token=None)]:
        with pytest.raises(IntegrityError), db_session.begin_nested():
            db_session.add(Cart(**owner))
            db_session.flush()

"""The catalogue's read side: what is listed, the filters, the orders, pages, and the prices."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from cocreate.core.db import now_utc
from cocreate.core.money import Money
from cocreate.designs.models import DesignState
from cocreate.shop.catalogue import Filters, Sort, catalogue_page
from tests.accounts.factories import UserFactory
from tests.designs.factories import TagFactory
from tests.shop.catalog_factories import OnSaleDesignFactory, variant


def titles(session: Session, **filters: object) -> list[str]:
    page = catalogue_page(session, Filters(**filters))  # type: ignore[arg-type]
    return [item.design.title for item in page.items]


def test_lists_designs_on_sale_with_variants_in_stock_or_sold_out(db_session: Session) -> None:
    stocked = OnSaleDesignFactory(title="Stocked", rank_score=3.0)
    variant(stocked.id, stock=4)
    sold_out = OnSaleDesignFactory(title="Sold out", rank_score=4.5)
    variant(sold_out.id, stock=0)
    OnSaleDesignFactory(title="No variants")
    for state in (DesignState.RETIRED, DesignState.APPROVED, DesignState.VOTING):
        other = OnSaleDesignFactory(title=state.value, state=state)
        variant(other.id, stock=9)
    page = catalogue_page(db_session, Filters())
    # Sold out comes last even though it ranks higher.
    assert [i.design.title for i in page.items] == ["Stocked", "Sold out"]
    assert [i.in_stock for i in page.items] == [True, False]


def test_the_price_is_the_lowest_in_stock_and_the_mockup_the_first_in_stock(
    db_session: Session,
) -> None:
    design = OnSaleDesignFactory()
    variant(design.id, "poster", "", "30x40", stock=0, price=1500)
    variant(design.id, "tee", "white", "M", stock=0, price=2000)
    variant(design.id, "tee", "black", "L", stock=3, price=2500)
    variant(design.id, "poster", "", "50x70", stock=2, price=3000)
    (item,) = catalogue_page(db_session, Filters()).items
    assert item.price == Money(2500, "EUR")
    assert (item.product, item.colour) == ("tee", "black")
    assert item.mockup is not None and item.mockup.key.endswith("-tee-black.webp")
    (poster,) = catalogue_page(db_session, Filters(product="poster")).items
    assert poster.price == Money(3000, "EUR")
    assert poster.mockup is not None and poster.mockup.key.endswith("-poster.webp")


def test_a_sold_out_design_shows_its_lowest_price(db_session: Session) -> None:
    design = OnSaleDesignFactory()
    variant(design.id, "tee", "white", "M", stock=0, price=2700)
    variant(design.id, "tee", "white", "L", stock=0, price=2600)
    (item,) = catalogue_page(db_session, Filters()).items
    assert (item.price, item.in_stock) == (Money(2600, "EUR"), False)


def test_filters_apply_to_one_variant(db_session: Session) -> None:
    ocean = TagFactory(name="ocean")
    ada = UserFactory(display_name="Ada")
    mixed = OnSaleDesignFactory(title="Mixed", designer=ada, tags=[ocean])
    variant(mixed.id, "tee", "white", "M", stock=2)
    variant(mixed.id, "tee", "black", "L", stock=2)
    variant(mixed.id, "tee", "black", "M", stock=0)
    poster = OnSaleDesignFactory(title="Poster")
    variant(poster.id, "poster", "", "30x40", stock=1)
    assert titles(db_session, product="tee") == ["Mixed"]
    assert titles(db_session, product="poster") == ["Poster"]
    assert titles(db_session, colour="black") == ["Mixed"]
    assert titles(db_session, size="M") == ["Mixed"]
    # The black M is sold out: black and M in stock are two variants, not one.
    assert titles(db_session, colour="black", size="M") == []
    assert titles(db_session, colour="black", size="L") == ["Mixed"]
    assert titles(db_session, size="30x40") == ["Poster"]
    assert titles(db_session, size="50x70") == []
    assert titles(db_session, designer=ada.id) == ["Mixed"]
    assert titles(db_session, tag="ocean") == ["Mixed"]
    assert titles(db_session, tag="desert") == []


def test_orders(db_session: Session) -> None:
    now = now_utc()
    cheap = OnSaleDesignFactory(title="Cheap", rank_score=3.1, buy_intent_count=0)
    variant(cheap.id, price=1900, at=now - timedelta(days=9))
    dear = OnSaleDesignFactory(title="Dear", rank_score=4.2)
    variant(dear.id, price=3500, at=now - timedelta(days=1))
    middle = OnSaleDesignFactory(title="Middle", rank_score=3.1, buy_intent_count=7)
    variant(middle.id, price=2500, at=now - timedelta(days=5))
    gone = OnSaleDesignFactory(title="Gone", rank_score=4.9)
    variant(gone.id, price=100, stock=0, at=now)
    assert titles(db_session) == ["Dear", "Middle", "Cheap", "Gone"]
    assert titles(db_session, sort=Sort.NEWEST) == ["Dear", "Middle", "Cheap", "Gone"]
    assert titles(db_session, sort=Sort.PRICE_LOW) == ["Cheap", "Middle", "Dear", "Gone"]
    assert titles(db_session, sort=Sort.PRICE_HIGH) == ["Dear", "Middle", "Cheap", "Gone"]
    # Restocking an old design later does not make it "newest": its first variant counts.
    variant(cheap.id, size="L", at=now)
    assert titles(db_session, sort=Sort.NEWEST) == ["Dear", "Middle", "Cheap", "Gone"]


def test_pages(db_session: Session) -> None:
    for n in range(5):
        design = OnSaleDesignFactory(title=f"D{n}", rank_score=5 - n / 10)
        variant(design.id)
    first = catalogue_page(db_session, Filters(), per_page=2)
    third = catalogue_page(db_session, Filters(page=3), per_page=2)
    beyond = catalogue_page(db_session, Filters(page=4), per_page=2)
    assert [i.design.title for i in first.items] == ["D0", "D1"]
    assert first.has_next and not first.has_previous
    assert [i.design.title for i in third.items] == ["D4"]
    assert not third.has_next and third.has_previous
    assert beyond.items == [] and not beyond.has_next


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({}, Filters()),
        (
            {"product": "tee", "colour": "navy", "size": "XL", "designer": "7", "tag": "Océan"},
            Filters(product="tee", colour="navy", size="XL", designer=7, tag="ocean"),
        ),
        ({"sort": "price_desc", "page": "3"}, Filters(sort=Sort.PRICE_HIGH, page=3)),
        ({"product": "mug", "colour": "purple", "size": "XXXL"}, Filters()),
        # A colour or size the chosen product does not come in is dropped.
        ({"product": "poster", "colour": "black", "size": "M"}, Filters(product="poster")),
        ({"colour": "natural", "size": "one-size"}, Filters(colour="natural", size="one-size")),
        ({"designer": "abc"}, Filters()),
        ({"designer": "-3"}, Filters()),
        ({"designer": "0"}, Filters()),
        ({"designer": "99999999999999999999999"}, Filters()),
        ({"sort": "cheapest", "page": "abc"}, Filters()),
        ({"page": "0"}, Filters()),
        ({"page": "-2"}, Filters()),
        ({"page": "5000"}, Filters(page=1000)),
        ({"tag": "!!!"}, Filters()),
    ],
)
def test_filters_from_the_query_string_drop_what_they_do_not_know(
    args: dict[str, str], expected: Filters
) -> None:
    assert Filters.from_args(args) == expected


def test_filter_links_keep_the_other_filters() -> None:
    filters = Filters(product="tee", designer=1, sort=Sort.NEWEST, page=4)
    assert filters.args(page=5) == {"product": "tee", "designer": 1, "sort": "newest", "page": 5}
    assert filters.args() == {"product": "tee", "designer": 1, "sort": "newest"}
    assert filters.args(product=None, designer=None) == {"sort": "newest"}
    assert Filters().args(page=1) == {}

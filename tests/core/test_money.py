"""Money: exact values written out, properties checked by hypothesis, storage on a real table."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_UP, Decimal, localcontext
from fractions import Fraction
from typing import Any

import pytest
from babel import Locale
from flask import Flask
from flask_babel import force_locale
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import CheckConstraint, MetaData, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from cocreate.core.db import NAMING_CONVENTION
from cocreate.core.i18n import format_money as money_template_filter
from cocreate.core.money import (
    ROUNDING,
    CurrencyMismatch,
    Money,
    allocate,
    apply_rate,
    format_money,
    minor_digits,
    money_checks,
    money_column,
    net_from_gross,
    round_minor,
)

FAST = settings(max_examples=200, deadline=None)


def eur(cents: int) -> Money:
    return Money(cents, "EUR")


# -- the value ------------------------------------------------------------------------------


def test_money_is_a_frozen_hashable_value() -> None:
    price = Money(1234, "EUR")
    assert price.amount == 1234
    assert price.currency == "EUR"
    assert price == Money(1234, "EUR")
    assert price != Money(1234, "USD")
    assert price != Money(1235, "EUR")
    assert len({price, Money(1234, "EUR"), Money(1234, "USD")}) == 2
    assert repr(price) == "Money(amount=1234, currency='EUR')"
    with pytest.raises(AttributeError):
        price.amount = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("amount", "kind"),
    [(12.5, "float"), (12.0, "float"), (True, "bool"), (Decimal("12"), "Decimal"), ("12", "str")],
)
def test_amount_must_be_an_int(amount: Any, kind: str) -> None:
    with pytest.raises(TypeError, match=rf"^amount must be an int, not {kind}$"):
        Money(amount, "EUR")


@pytest.mark.parametrize("currency", ["eur", "EU", "EURO", "XYZ", "", "E1R", " EUR", "ÉUR"])
def test_currency_must_be_a_known_iso_code(currency: str) -> None:
    with pytest.raises(ValueError, match=rf"^unknown currency code {re.escape(repr(currency))}$"):
        Money(1, currency)


def test_currency_must_be_a_string() -> None:
    with pytest.raises(TypeError, match=r"^currency must be a str, not bytes$"):
        Money(1, b"EUR")  # type: ignore[arg-type]


def test_known_currencies_are_accepted() -> None:
    assert Money(1, "USD").currency == "USD"
    assert Money(1, "JPY").currency == "JPY"
    assert Money(-5, "BHD").amount == -5


def test_money_has_no_truth_value() -> None:
    with pytest.raises(TypeError, match=r"^Money has no truth value: use is_zero\(\)$"):
        bool(eur(0))
    with pytest.raises(TypeError):
        bool(eur(5))
    assert eur(0).is_zero() is True
    assert eur(1).is_zero() is False
    assert eur(-1).is_zero() is False


def test_arithmetic_exact_values() -> None:
    assert eur(1234) + eur(66) == eur(1300)
    assert eur(1234) - eur(1300) == eur(-66)
    assert -eur(250) == eur(-250)
    assert -eur(-250) == eur(250)
    assert eur(250) * 3 == eur(750)
    assert 3 * eur(250) == eur(750)
    assert eur(250) * 0 == eur(0)
    assert eur(250) * -2 == eur(-500)
    assert Money(7, "JPY") + Money(3, "JPY") == Money(10, "JPY")


@pytest.mark.parametrize("factor", [1.5, Decimal("1.5"), True, "2"])
def test_multiplying_by_anything_but_an_int_is_refused(factor: Any) -> None:
    with pytest.raises(TypeError):
        eur(100) * factor
    with pytest.raises(TypeError):
        factor * eur(100)


def test_adding_or_subtracting_a_non_money_is_refused() -> None:
    with pytest.raises(TypeError):
        eur(100) + 1  # type: ignore[operator]
    with pytest.raises(TypeError):
        1 + eur(100)  # type: ignore[operator]
    with pytest.raises(TypeError):
        eur(100) - 1  # type: ignore[operator]
    with pytest.raises(TypeError):
        sum([eur(1), eur(2)])  # type: ignore[arg-type]


def test_mixing_currencies_raises_currency_mismatch() -> None:
    usd = Money(100, "USD")
    with pytest.raises(CurrencyMismatch, match=r"^cannot combine EUR with USD$") as info:
        eur(100) + usd
    assert isinstance(info.value, ValueError)
    assert (info.value.left, info.value.right) == ("EUR", "USD")
    with pytest.raises(CurrencyMismatch, match=r"^cannot combine USD with EUR$"):
        usd - eur(100)
    for compare in (
        lambda: eur(1) < usd,
        lambda: eur(1) <= usd,
        lambda: eur(1) > usd,
        lambda: eur(1) >= usd,
    ):
        with pytest.raises(CurrencyMismatch):
            compare()
    with pytest.raises(CurrencyMismatch):
        Money.sum([eur(1), usd], "EUR")


def test_comparisons_within_one_currency() -> None:
    assert eur(1) < eur(2)
    assert not eur(2) < eur(2)
    assert not eur(3) < eur(2)
    assert eur(1) <= eur(2)
    assert eur(2) <= eur(2)
    assert not eur(3) <= eur(2)
    assert eur(3) > eur(2)
    assert not eur(2) > eur(2)
    assert not eur(1) > eur(2)
    assert eur(3) >= eur(2)
    assert eur(2) >= eur(2)
    assert not eur(1) >= eur(2)
    assert sorted([eur(5), eur(-1), eur(3)]) == [eur(-1), eur(3), eur(5)]
    assert max([eur(5), eur(-1), eur(3)]) == eur(5)


@pytest.mark.parametrize("other", [1, Decimal(1), None])
def test_comparing_with_a_non_money_is_refused(other: Any) -> None:
    for compare in (
        lambda: eur(1) < other,
        lambda: eur(1) <= other,
        lambda: eur(1) > other,
        lambda: eur(1) >= other,
    ):
        with pytest.raises(TypeError):
            compare()


def test_zero_and_sum() -> None:
    assert Money.zero("EUR") == Money(0, "EUR")
    assert Money.zero("JPY") == Money(0, "JPY")
    assert Money.sum([], "USD") == Money(0, "USD")
    assert Money.sum([eur(1), eur(20), eur(300)], "EUR") == eur(321)
    assert Money.sum(iter([eur(-5), eur(5)]), "EUR") == eur(0)
    assert sum([eur(1), eur(2)], Money.zero("EUR")) == eur(3)


# -- major units ----------------------------------------------------------------------------


def test_minor_digits_come_from_cldr() -> None:
    assert minor_digits("EUR") == 2
    assert minor_digits("USD") == 2
    assert minor_digits("JPY") == 0
    assert minor_digits("BHD") == 3


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        (Decimal("12.34"), "EUR", Money(1234, "EUR")),
        ("12.34", "EUR", Money(1234, "EUR")),
        ("12.340", "EUR", Money(1234, "EUR")),
        ("0.01", "EUR", Money(1, "EUR")),
        ("-0.01", "EUR", Money(-1, "EUR")),
        ("0", "EUR", Money(0, "EUR")),
        (12, "EUR", Money(1200, "EUR")),
        ("1234", "JPY", Money(1234, "JPY")),
        (Decimal("1.234"), "BHD", Money(1234, "BHD")),
        ("1e3", "EUR", Money(100000, "EUR")),
    ],
)
def test_from_decimal_is_exact(value: Any, currency: str, expected: Money) -> None:
    assert Money.from_decimal(value, currency) == expected


@pytest.mark.parametrize(
    ("value", "currency"),
    [("12.345", "EUR"), (Decimal("0.001"), "EUR"), ("12.5", "JPY"), ("1.2345", "BHD")],
)
def test_from_decimal_refuses_a_value_finer_than_the_minor_unit(value: Any, currency: str) -> None:
    with pytest.raises(ValueError, match=rf"^{value} {currency} is finer than the currency's"):
        Money.from_decimal(value, currency)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "^not a number: 'abc'$"),
        ("", "^not a number: ''$"),
        ("NaN", "^value must be finite, not NaN$"),
        ("Infinity", "^value must be finite, not Infinity$"),
        (Decimal("-Infinity"), "^value must be finite, not -Infinity$"),
    ],
)
def test_from_decimal_refuses_non_numbers(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Money.from_decimal(value, "EUR")


@pytest.mark.parametrize(("value", "kind"), [(12.34, "float"), (True, "bool"), (None, "NoneType")])
def test_from_decimal_refuses_floats(value: Any, kind: str) -> None:
    with pytest.raises(TypeError, match=rf"^value must be a Decimal or an int, not {kind}$"):
        Money.from_decimal(value, "EUR")


def test_major_units_beyond_the_default_decimal_precision_stay_exact() -> None:
    # 32 digits: a default 28-digit Decimal context would round them.
    assert Money.from_decimal("123456789012345678901234567890.12", "EUR") == eur(
        12345678901234567890123456789012
    )
    assert str(eur(12345678901234567890123456789012).to_decimal()) == (
        "123456789012345678901234567890.12"
    )
    with localcontext(prec=3):
        assert Money.from_decimal("1234.56", "EUR") == eur(123456)
        assert str(eur(123456).to_decimal()) == "1234.56"


def test_to_decimal() -> None:
    assert str(Money(1234, "EUR").to_decimal()) == "12.34"
    assert str(Money(5, "EUR").to_decimal()) == "0.05"
    assert str(Money(0, "EUR").to_decimal()) == "0.00"
    assert str(Money(-150, "USD").to_decimal()) == "-1.50"
    assert str(Money(1234, "JPY").to_decimal()) == "1234"
    assert str(Money(1234, "BHD").to_decimal()) == "1.234"


# -- rates ----------------------------------------------------------------------------------


def test_the_rounding_rule_is_half_even() -> None:
    assert ROUNDING == ROUND_HALF_EVEN


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        (0, 1, 0),
        (12, 1, 12),
        (-12, 1, -12),
        (25, 2, 12),  # 12.5 → 12
        (27, 2, 14),  # 13.5 → 14
        (-25, 2, -12),  # -12.5 → -12
        (-27, 2, -14),  # -13.5 → -14
        (1, 2, 0),  # 0.5 → 0
        (3, 2, 2),  # 1.5 → 2
        (-1, 2, 0),  # -0.5 → 0
        (1251, 100, 13),  # 12.51
        (1249, 100, 12),  # 12.49
        (1349, 100, 13),  # 13.49
        (1351, 100, 14),  # 13.51
        (-1251, 100, -13),
        (-1249, 100, -12),
        (1, 3, 0),
        (2, 3, 1),
        (-1, 3, 0),
        (-2, 3, -1),
        (10**30 + 1, 2, 5 * 10**29),  # a tie beyond any default Decimal precision, to even
        (10**30 + 3, 2, 5 * 10**29 + 2),
    ],
)
def test_round_minor_is_half_even_on_exact_values(
    numerator: int, denominator: int, expected: int
) -> None:
    assert round_minor(Fraction(numerator, denominator)) == expected


@pytest.mark.parametrize("mode", [ROUND_DOWN, ROUND_UP])
def test_rounding_ignores_the_callers_decimal_context(mode: str) -> None:
    with localcontext(rounding=mode, prec=3):
        assert round_minor(Fraction(25, 2)) == 12
        assert round_minor(Fraction(27, 2)) == 14
        assert round_minor(Fraction(1249, 100)) == 12
        assert round_minor(Fraction(1251, 100)) == 13
        assert apply_rate(eur(100), Decimal("0.125")) == eur(12)
        assert apply_rate(eur(100), Decimal("0.135")) == eur(14)
        assert net_from_gross(eur(21), Decimal("0.2")) == (eur(18), eur(3))


@pytest.mark.parametrize(
    ("cents", "rate", "expected"),
    [
        # 100 × 0.125 = 12.5 cents: a tie goes to the even neighbour, 12.
        (100, "0.125", 12),
        # 100 × 0.135 = 13.5 cents → 14 (even).
        (100, "0.135", 14),
        # 100 × 0.145 = 14.5 → 14; 100 × 0.155 = 15.5 → 16.
        (100, "0.145", 14),
        (100, "0.155", 16),
        # Not ties: 12.51 → 13, 12.49 → 12.
        (100, "0.1251", 13),
        (100, "0.1249", 12),
        # Negative ties also go to even: -12.5 → -12, -13.5 → -14.
        (-100, "0.125", -12),
        (-100, "0.135", -14),
        (1999, "0.15", 300),  # 299.85 → 300
        (1999, "1", 1999),
        (1999, "0", 0),
        (3, "0.5", 2),  # 1.5 → 2
        (5, "0.5", 2),  # 2.5 → 2
        # 41152263004115225.958847736995884774: 36 digits, beyond the default 28-digit context
        (123456789012345678, "0.333333333333333333", 41152263004115226),
    ],
)
def test_apply_rate_exact_values(cents: int, rate: str, expected: int) -> None:
    assert apply_rate(eur(cents), Decimal(rate)) == eur(expected)


def test_apply_rate_keeps_the_currency_and_accepts_an_int_rate() -> None:
    assert apply_rate(Money(7, "JPY"), Decimal("0.5")) == Money(4, "JPY")  # 3.5 → 4
    assert apply_rate(Money(7, "JPY"), 2) == Money(14, "JPY")


@pytest.mark.parametrize("rate", [0.2, True, "0.2", None])
def test_apply_rate_refuses_floats_and_strings(rate: Any) -> None:
    with pytest.raises(TypeError, match=r"^rate must be a Decimal or an int, not "):
        apply_rate(eur(100), rate)


@pytest.mark.parametrize("rate", [Decimal("NaN"), Decimal("Infinity")])
def test_apply_rate_refuses_non_finite_rates(rate: Decimal) -> None:
    with pytest.raises(ValueError, match=r"^rate must be finite, not (NaN|Infinity)$"):
        apply_rate(eur(100), rate)


@pytest.mark.parametrize(
    ("gross", "rate", "net", "tax"),
    [
        (1200, "0.20", 1000, 200),
        # 1000 / 1.2 = 833.33… → 833, tax 167
        (1000, "0.20", 833, 167),
        # 1100 / 1.055 = 1042.65… → 1043
        (1100, "0.055", 1043, 57),
        # 21 / 1.2 = 17.5: a tie, to even 18; 15 / 1.2 = 12.5 → 12
        (21, "0.2", 18, 3),
        (15, "0.2", 12, 3),
        (0, "0.2", 0, 0),
        (999, "0", 999, 0),
        (-1200, "0.2", -1000, -200),
    ],
)
def test_net_from_gross_exact_values(gross: int, rate: str, net: int, tax: int) -> None:
    assert net_from_gross(eur(gross), Decimal(rate)) == (eur(net), eur(tax))


def test_net_from_gross_refuses_bad_rates() -> None:
    with pytest.raises(ValueError, match=r"^a VAT rate cannot be negative: -0.01$"):
        net_from_gross(eur(100), Decimal("-0.01"))
    with pytest.raises(TypeError, match=r"^vat_rate must be a Decimal or an int, not float$"):
        net_from_gross(eur(100), 0.2)  # type: ignore[arg-type]
    assert net_from_gross(eur(100), Decimal("0")) == (eur(100), eur(0))
    assert net_from_gross(eur(100), 0) == (eur(100), eur(0))
    yen = net_from_gross(Money(110, "JPY"), Decimal("0.1"))
    assert yen == (Money(100, "JPY"), Money(10, "JPY"))


# -- allocation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cents", "weights", "expected"),
    [
        (1000, [1, 1, 1], [334, 333, 333]),
        (1001, [1, 1, 1], [334, 334, 333]),
        (1002, [1, 1, 1], [334, 334, 334]),
        (-1000, [1, 1, 1], [-334, -333, -333]),
        (100, [1], [100]),
        (100, [0, 1], [0, 100]),
        (5, [1, 0, 1], [3, 0, 2]),
        # shares 10/3, 20/3: remainders 1/3, 2/3 → the larger remainder (second) gets the cent
        (10, [1, 2], [3, 7]),
        # shares 3.33…, 1.66…: the smaller share has the larger remainder and gets the cent
        (5, [2, 1], [3, 2]),
        (-5, [2, 1], [-3, -2]),
        (10, [Decimal("0.7"), Decimal("0.3")], [7, 3]),
        # shares 3.5, 3.5, 3: ties by position: the first gets the spare cent
        (10, [Decimal("0.35"), Decimal("0.35"), Decimal("0.3")], [4, 3, 3]),
        (0, [1, 2, 3], [0, 0, 0]),
        (1, [1, 1, 1, 1], [1, 0, 0, 0]),
        (3, [1, 1, 1, 1], [1, 1, 1, 0]),
    ],
)
def test_allocate_exact_values(cents: int, weights: list[Any], expected: list[int]) -> None:
    assert allocate(eur(cents), weights) == [eur(part) for part in expected]


def test_allocate_keeps_the_currency() -> None:
    assert allocate(Money(5, "JPY"), [1, 1]) == [Money(3, "JPY"), Money(2, "JPY")]


def test_allocate_refuses_bad_weights() -> None:
    with pytest.raises(ValueError, match=r"^allocate needs at least one weight$"):
        allocate(eur(100), [])
    with pytest.raises(ValueError, match=r"^weights cannot all be zero$"):
        allocate(eur(100), [0, 0])
    with pytest.raises(ValueError, match=r"^weights cannot be negative$"):
        allocate(eur(100), [2, -1])
    with pytest.raises(TypeError, match=r"^weight must be a Decimal or an int, not float$"):
        allocate(eur(100), [0.5, 0.5])  # type: ignore[list-item]


# -- formatting -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "locale", "expected"),
    [
        (Money(1234, "EUR"), "en", "€12.34"),
        (Money(1234, "EUR"), "fr", "12,34\u00a0€"),
        (Money(-123450, "EUR"), "fr", "-1\u202f234,50\u00a0€"),
        (Money(123450, "USD"), "en", "$1,234.50"),
        (Money(1234, "JPY"), "en", "¥1,234"),
        (Money(5, "EUR"), Locale.parse("en"), "€0.05"),
    ],
)
def test_format_money(value: Money, locale: Any, expected: str) -> None:
    assert format_money(value, locale) == expected


def test_money_filter_follows_the_request_locale(app: Flask) -> None:
    # The `money` template filter (core.i18n) formats through core.money.
    with app.test_request_context():
        with force_locale("fr"):
            assert money_template_filter(Money(1234, "EUR")) == "12,34\u00a0€"
        with force_locale("en"):
            assert money_template_filter(Money(1234, "EUR")) == "€12.34"
        assert money_template_filter(Money(1234, "JPY")) == "¥1,234"
    assert app.jinja_env.filters["money"] is money_template_filter


def test_money_filter_outside_an_app_speaks_english() -> None:
    assert money_template_filter(Money(99, "EUR")) == "€0.99"


# -- properties -----------------------------------------------------------------------------

amounts = st.integers(min_value=-(10**15), max_value=10**15)
currencies = st.sampled_from(["EUR", "USD", "JPY", "BHD"])
rates = st.decimals(min_value=Decimal("-10"), max_value=Decimal("10"), places=6)
vat_rates = st.decimals(min_value=Decimal("0"), max_value=Decimal("1"), places=4)
weights = st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=12).filter(any)


@FAST
@given(amounts, amounts, amounts)
def test_addition_is_associative_and_commutative(a: int, b: int, c: int) -> None:
    x, y, z = eur(a), eur(b), eur(c)
    assert (x + y) + z == x + (y + z)
    assert x + y == y + x
    assert x - y == x + (-y)


@FAST
@given(amounts, currencies)
def test_adding_the_opposite_gives_zero(a: int, currency: str) -> None:
    value = Money(a, currency)
    assert (value + (-value)).is_zero()
    assert value - value == Money.zero(currency)


@FAST
@given(amounts, weights)
def test_allocation_sums_to_the_whole_and_stays_within_one_unit(a: int, ws: list[int]) -> None:
    parts = allocate(eur(a), ws)
    assert len(parts) == len(ws)
    assert Money.sum(parts, "EUR") == eur(a)
    total = sum(ws)
    for part, w in zip(parts, ws, strict=True):
        assert abs(Fraction(part.amount) - Fraction(a * w, total)) < 1


@FAST
@given(amounts, rates)
def test_apply_rate_is_the_half_even_quantize_of_the_exact_product(a: int, rate: Decimal) -> None:
    exact = Fraction(a) * Fraction(rate)
    # Python rounds a Fraction half to even: an oracle independent of Decimal contexts.
    assert apply_rate(eur(a), rate) == eur(round(exact))


@FAST
@given(amounts, vat_rates)
def test_net_plus_tax_is_the_gross(a: int, rate: Decimal) -> None:
    net, tax = net_from_gross(eur(a), rate)
    assert net + tax == eur(a)
    assert net.amount == round(Fraction(a) / (1 + Fraction(rate)))


@FAST
@given(amounts, currencies)
def test_to_decimal_and_back(a: int, currency: str) -> None:
    value = Money(a, currency)
    assert Money.from_decimal(value.to_decimal(), currency) == value
    assert Money.from_decimal(str(value.to_decimal()), currency) == value


# -- storage --------------------------------------------------------------------------------


def throwaway_model() -> Any:
    """A model on its own metadata (the app's Base.metadata must match the migrations exactly),
    declared when a test runs so that the column helpers run under the test."""

    class ThrowawayBase(DeclarativeBase):
        metadata = MetaData(naming_convention=NAMING_CONVENTION)

    class PricedThing(ThrowawayBase):
        __tablename__ = "test_money_priced_things"
        __table_args__ = (*money_checks("price"), *money_checks("balance", nonnegative=False))

        id: Mapped[int] = mapped_column(primary_key=True)
        price: Mapped[Money] = money_column("price")
        balance: Mapped[Money] = money_column("balance")

    return PricedThing


@pytest.fixture
def priced_thing() -> Any:
    return throwaway_model()


@pytest.fixture
def money_session(connection: Any, priced_thing: Any) -> Iterator[Session]:
    priced_thing.metadata.create_all(connection)
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    yield session
    session.close()


def test_money_columns_are_declared_as_two_columns_with_checks(priced_thing: Any) -> None:
    table = priced_thing.__table__
    assert [c.name for c in table.columns] == [
        "id",
        "price_amount",
        "price_currency",
        "balance_amount",
        "balance_currency",
    ]
    assert str(table.c.price_amount.type) == "BIGINT"
    assert str(table.c.price_currency.type) == "CHAR(3)"
    assert table.c.price_amount.nullable is False
    assert table.c.price_currency.nullable is False
    checks = {c.name: str(c.sqltext) for c in table.constraints if isinstance(c, CheckConstraint)}
    assert checks == {
        "ck_test_money_priced_things_price_currency": (
            "length(price_currency) = 3 AND trim(price_currency, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') = ''"
        ),
        "ck_test_money_priced_things_price_amount_nonnegative": "price_amount >= 0",
        "ck_test_money_priced_things_balance_currency": (
            "length(balance_currency) = 3 "
            "AND trim(balance_currency, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') = ''"
        ),
    }


def test_money_round_trips_through_the_database(money_session: Session, priced_thing: Any) -> None:
    PricedThing = priced_thing
    money_session.add(PricedThing(id=1, price=Money(2500, "EUR"), balance=Money(-300, "JPY")))
    money_session.flush()
    money_session.expunge_all()
    thing = money_session.get(PricedThing, 1)
    assert thing is not None
    assert thing.price == Money(2500, "EUR")
    assert thing.balance == Money(-300, "JPY")
    row = money_session.execute(
        select(PricedThing.price_amount, PricedThing.price_currency)  # type: ignore[attr-defined]
    ).one()
    assert tuple(row) == (2500, "EUR")
    found = money_session.scalars(
        select(PricedThing).where(PricedThing.price == Money(2500, "EUR"))
    ).all()
    assert [t.id for t in found] == [1]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("price_currency", "eur"),
        ("price_currency", "E1R"),
        ("price_currency", "EU"),
        ("price_currency", "É€R"),
        ("price_amount", -1),
        ("balance_currency", "usd"),
    ],
)
def test_the_checks_refuse_bad_rows(
    money_session: Session, priced_thing: Any, column: str, value: Any
) -> None:
    good = {
        "id": 2,
        "price_amount": 0,
        "price_currency": "EUR",
        "balance_amount": -5,
        "balance_currency": "USD",
    }
    table = priced_thing.__table__
    # The good row passes (a negative balance is allowed where nonnegative=False)...
    with money_session.begin_nested():
        money_session.execute(table.insert().values(good))
    # ...and the same row with one bad value does not.
    with pytest.raises(IntegrityError), money_session.begin_nested():
        money_session.execute(table.insert().values({**good, "id": 3, column: value}))

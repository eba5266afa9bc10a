"""Money: integer minor units (cents) and an ISO 4217 currency, never a float.

Amounts are whole minor units of their currency (EUR and USD have 2 decimals, JPY 0, BHD 3,
as CLDR says through Babel). Prices in major units come in through `Money.from_decimal`,
which refuses a value finer than the currency allows instead of rounding it silently.

Rates (royalty shares, VAT, discounts) are `Decimal`s. A rate is applied once per line and the
result is rounded once, with one rule for the whole platform: `ROUNDING`.

Storing money takes two columns, `<prefix>_amount` (BIGINT) and `<prefix>_currency` (CHAR(3)),
mapped to one `Money` attribute, plus CHECK constraints that refuse a malformed currency and,
unless told otherwise, a negative amount::

    class Product(Base):
        __tablename__ = "products"
        __table_args__ = (*money_checks("price"),)

        id: Mapped[int] = mapped_column(primary_key=True)
        price: Mapped[Money] = money_column("price")

    product.price = Money(2500, "EUR")     # writes price_amount=2500, price_currency='EUR'
    select(Product).where(Product.price_amount > 1000)  # the columns stay queryable

Alembic autogenerate sees two plain columns (and the CHECKs on table creation); the
constraint names follow Base's naming convention: `ck_<table>_<prefix>_currency`,
`ck_<table>_<prefix>_amount_nonnegative`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import MAX_PREC, ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from babel import Locale
from babel.numbers import format_currency, get_currency_precision, list_currencies
from sqlalchemy import CHAR, BigInteger, CheckConstraint
from sqlalchemy.orm import Composite, composite, mapped_column

#: The one rounding rule for money. Half-even ("banker's rounding") sends exact halves to the
#: even neighbour, so over many lines halves go up as often as down; half-up would add half a
#: cent of bias for every tied line (royalty statements sum thousands of them).
ROUNDING = ROUND_HALF_EVEN

# Exact arithmetic (no digit limit) and the one rule, whatever the caller's Decimal context.
_CONTEXT = Context(prec=MAX_PREC, rounding=ROUNDING)
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_CURRENCIES = frozenset(list_currencies())


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined or compared."""

    def __init__(self, left: str, right: str) -> None:
        super().__init__(f"cannot combine {left} with {right}")
        self.left = left
        self.right = right


def _check_int(value: object, what: str) -> int:
    # bool is an int subclass, and a float has no business in money: refuse both loudly.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    return value


def _check_decimal(value: object, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{what} must be a Decimal or an int, not {type(value).__name__}")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{what} must be finite, not {number}")
    return number


def minor_digits(currency: str) -> int:
    """Decimals of the currency's minor unit: EUR 2, JPY 0, BHD 3."""
    return int(get_currency_precision(currency))


@dataclass(frozen=True, slots=True)
class Money:
    amount: int
    currency: str

    def __post_init__(self) -> None:
        _check_int(self.amount, "amount")
        if not isinstance(self.currency, str):
            raise TypeError(f"currency must be a str, not {type(self.currency).__name__}")
        if self.currency not in _CURRENCIES:  # CLDR's codes: three capital letters each
            raise ValueError(f"unknown currency code {self.currency!r}")

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def sum(cls, items: Iterable[Money], currency: str) -> Money:
        """The total of `items`, all in `currency` (zero for none)."""
        total = cls.zero(currency)
        for item in items:
            total = total + item
        return total

    @classmethod
    def from_decimal(cls, value: Decimal | str | int, currency: str) -> Money:
        """`Decimal("12.34")`, "EUR" → 1234 cents. Refuses "12.345" EUR rather than rounding."""
        if isinstance(value, str):
            try:
                value = Decimal(value)
            except InvalidOperation as exc:
                raise ValueError(f"not a number: {value!r}") from exc
        number = _check_decimal(value, "value")
        minor = _CONTEXT.scaleb(number, minor_digits(currency))
        if minor != minor.to_integral_value():
            raise ValueError(f"{value} {currency} is finer than the currency's minor unit")
        return cls(int(minor), currency)

    def to_decimal(self) -> Decimal:
        """The amount in major units: 1234 EUR cents → Decimal("12.34"); 5 JPY → Decimal("5")."""
        return _CONTEXT.scaleb(Decimal(self.amount), -minor_digits(self.currency))

    # -- queries -----------------------------------------------------------------------------

    def is_zero(self) -> bool:
        return self.amount == 0

    def __bool__(self) -> bool:
        # `if price:` would read as "if not free" to some and "if set" to others: say which.
        raise TypeError("Money has no truth value: use is_zero()")

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(self.currency, other.currency)

    # -- arithmetic --------------------------------------------------------------------------

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, quantity: object) -> Money:
        # Quantities only: a Decimal factor is a rate and goes through apply_rate's rounding.
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            return NotImplemented
        return Money(self.amount * quantity, self.currency)

    __rmul__ = __mul__

    # -- ordering within one currency --------------------------------------------------------

    def __lt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self.amount >= other.amount


# -- rates -------------------------------------------------------------------------------------

_ONE = Decimal("1")
#: A fraction standing in for a rest below, on, or above the half.
_STAND_IN = {-1: Decimal("0.25"), 0: Decimal("0.5"), 1: Decimal("0.75")}


def round_minor(exact: Fraction) -> int:
    """An exact number of minor units rounded to a whole one by ROUNDING.

    A rounding rule only asks which whole numbers surround the value and whether it lies
    below, on or above the half between them. A Decimal with the same floor and the same
    answer (floor + 0.25, 0.5 or 0.75) rounds the same way: 12.5 → 12, 13.5 → 14,
    12.51 → 13, -12.5 → -12.
    """
    whole, rest = divmod(exact.numerator, exact.denominator)  # floor, and 0 <= rest < denominator
    if not rest:
        return whole
    side = (2 * rest > exact.denominator) - (2 * rest < exact.denominator)
    stand_in = _CONTEXT.add(Decimal(whole), _STAND_IN[side])
    return int(_CONTEXT.quantize(stand_in, _ONE))


def apply_rate(money: Money, rate: Decimal | int) -> Money:
    """`money × rate`, rounded once to the minor unit by ROUNDING.

    100 cents × 0.125 = 12.5 cents → 12; 100 cents × 0.135 = 13.5 cents → 14.
    """
    factor = Fraction(_check_decimal(rate, "rate"))
    return Money(round_minor(money.amount * factor), money.currency)


def net_from_gross(gross: Money, vat_rate: Decimal | int) -> tuple[Money, Money]:
    """Split a tax-included price (EU prices are) into (net, tax), with net + tax == gross.

    net = gross / (1 + vat_rate), rounded once by ROUNDING; tax is the rest, so the two always
    add up to what the customer paid. 1200 cents at 20 % → (1000, 200).
    """
    rate = _check_decimal(vat_rate, "vat_rate")
    if rate < 0:
        raise ValueError(f"a VAT rate cannot be negative: {rate}")
    net = Money(round_minor(gross.amount / (1 + Fraction(rate))), gross.currency)
    return net, gross - net


def allocate(money: Money, weights: Sequence[int | Decimal]) -> list[Money]:
    """Split `money` in proportion to `weights`, the parts summing exactly to `money`.

    Largest remainder: each part gets the floor of its exact share, and the minor units left
    over go one each to the parts with the largest remainders, earlier parts first on a tie.
    10.00 EUR over (1, 1, 1) → 3.34, 3.33, 3.33. A negative amount is split as the mirror image
    of its opposite, so a full refund reverses the original split part for part.
    """
    if not weights:
        raise ValueError("allocate needs at least one weight")
    exact_weights = [Fraction(_check_decimal(w, "weight")) for w in weights]
    if any(w < 0 for w in exact_weights):
        raise ValueError("weights cannot be negative")
    total = sum(exact_weights)
    if total == 0:
        raise ValueError("weights cannot all be zero")
    if money.amount < 0:
        return [-part for part in allocate(-money, weights)]
    shares = [money.amount * w / total for w in exact_weights]
    parts = [int(share) for share in shares]  # floor: shares are not negative here
    left_over = money.amount - sum(parts)
    by_remainder = sorted(range(len(shares)), key=lambda i: (parts[i] - shares[i], i))
    for index in by_remainder[:left_over]:
        parts[index] += 1
    return [Money(part, money.currency) for part in parts]


# -- formatting --------------------------------------------------------------------------------


def format_money(money: Money, locale: Locale | str) -> str:
    """`€12.34` in English, `12,34 €` in French (with CLDR's no-break space)."""
    return str(format_currency(money.to_decimal(), money.currency, locale=locale))


# -- storage -----------------------------------------------------------------------------------


def money_column(prefix: str) -> Composite[Money]:
    """Two NOT NULL columns `<prefix>_amount` BIGINT and `<prefix>_currency` CHAR(3), as Money."""
    return composite(
        Money,
        mapped_column(f"{prefix}_amount", BigInteger, nullable=False),
        mapped_column(f"{prefix}_currency", CHAR(3), nullable=False),
    )


def money_checks(prefix: str, *, nonnegative: bool = True) -> tuple[CheckConstraint, ...]:
    """CHECKs for `money_column(prefix)`: three capital letters and, unless told, amount ≥ 0.

    `trim(x, letters)` is spelt the same on SQLite and PostgreSQL; it empties a valid code.
    """
    currency = f"{prefix}_currency"
    checks: list[Any] = [
        CheckConstraint(
            f"length({currency}) = 3 AND trim({currency}, '{_LETTERS}') = ''",
            name=currency,
        )
    ]
    if nonnegative:
        checks.append(CheckConstraint(f"{prefix}_amount >= 0", name=f"{prefix}_amount_nonnegative"))
    return tuple(checks)

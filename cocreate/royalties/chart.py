"""The monthly earnings chart, drawn on the server as SVG: one bar per month, a money axis in the
reader's language, and the same figures as a table for screen readers (royalties/_chart.html).

This module computes the geometry (pure arithmetic on minor units); the template draws it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from babel import dates as babel_dates

from cocreate.core.i18n import current_locale, format_money
from cocreate.core.money import Money
from cocreate.royalties.dashboard import MonthEarnings

WIDTH = 720
HEIGHT = 260
#: Room for the money labels on the left, the month labels below.
LEFT, RIGHT, TOP, BOTTOM = 88, 12, 14, 44
#: About this many gridlines above and below zero together.
TICKS = 4


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    #: Centre of the bar, where its month label goes.
    middle: float
    value: Money
    month: str
    #: The year under January's bar and under the first bar, else "".
    year: str
    #: "October 2026": the table's and the bar's tooltip text.
    long_label: str
    negative: bool


@dataclass(frozen=True, slots=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    left: int
    right: int
    zero_y: float
    bars: list[Bar]
    ticks: list[Tick]

    @property
    def empty(self) -> bool:
        return all(bar.value.is_zero() for bar in self.bars)


def nice_step(span: int) -> int:
    """A round step (1, 2 or 5 × a power of ten minor units) cutting `span` into about TICKS."""
    rough = max(span / TICKS, 1)
    power = 1
    while power * 10 <= rough:
        power *= 10
    for factor in (1, 2, 5, 10):
        if power * factor >= rough:
            return power * factor
    return power * 10  # pragma: no cover (10 × power ≥ rough by the loop above)


def scale(values: Sequence[int]) -> tuple[int, int, int]:
    """(bottom, top, step) of the axis: round numbers around zero and every value. All zero
    gives 0 to 10.00 (1000 minor units), so an empty chart still has an axis."""
    high = max(0, *values) if values else 0
    low = min(0, *values) if values else 0
    if high == low:
        return 0, 1000, 250
    step = nice_step(high - low)
    top = -(-high // step) * step
    bottom = (low // step) * step
    return bottom, top, step


def _month(period: str) -> date:
    return date(int(period[:4]), int(period[5:7]), 1)


def month_short(period: str) -> str:
    return babel_dates.format_skeleton("MMM", _month(period), locale=current_locale())


def month_long(period: str) -> str:
    """ "October 2026", "octobre 2026"."""
    return babel_dates.format_skeleton("yMMMM", _month(period), locale=current_locale())


def monthly_chart(
    months: Sequence[MonthEarnings], *, money: Callable[[Money], str] = format_money
) -> Chart:
    currency = months[0].earned.currency if months else "EUR"
    values = [m.earned.amount for m in months]
    bottom, top, step = scale(values)
    plot_height = HEIGHT - TOP - BOTTOM
    plot_width = WIDTH - LEFT - RIGHT

    def y(value: int) -> float:
        return round(TOP + (top - value) / (top - bottom) * plot_height, 2)

    slot = plot_width / max(len(months), 1)
    bar_width = round(slot * 0.6, 2)
    zero = y(0)
    bars = []
    for index, month in enumerate(months):
        value = month.earned.amount
        edge = y(value)
        x = round(LEFT + index * slot + (slot - bar_width) / 2, 2)
        bars.append(
            Bar(
                x=x,
                y=min(edge, zero),
                width=bar_width,
                height=round(abs(zero - edge), 2),
                middle=round(x + bar_width / 2, 2),
                value=month.earned,
                month=month_short(month.period),
                year=month.period[:4] if index == 0 or month.period.endswith("-01") else "",
                long_label=month_long(month.period),
                negative=value < 0,
            )
        )
    ticks = [Tick(y(v), money(Money(v, currency))) for v in range(bottom, top + 1, step)]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=WIDTH - RIGHT,
        zero_y=zero,
        bars=bars,
        ticks=ticks,
    )

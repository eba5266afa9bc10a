"""Suggested quantities from buy intent: exact numbers, worked by hand in each docstring."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cocreate.production import suggestions

TEE_SIZES = ("XS", "S", "M", "L", "XL", "XXL")
CURVE = {"XS": 1, "S": 3, "M": 6, "L": 6, "XL": 3, "XXL": 1}
FACTOR = Decimal("1.5")


@pytest.mark.parametrize(
    ("intent", "factor", "expected"),
    [
        (0, "1.5", 0),
        (1, "1.5", 2),  # 1.5 → 2
        (2, "1.5", 3),  # exact: stays 3
        (3, "1.5", 5),  # 4.5 → 5 (half-up would agree; the ceiling also lifts 4.2)
        (7, "1.2", 9),  # 8.4 → 9, where half-up would print 8
        (1, "1.2", 2),  # 1.2 → 2, where half-up would print 1
        (10, "1", 10),
        (5, "0.5", 3),  # 2.5 → 3
        (3, "0.1", 1),  # 0.3 → 1: a voter who would buy gets one
    ],
)
def test_for_size_rounds_up(intent: int, factor: str, expected: int) -> None:
    assert suggestions.for_size(intent, Decimal(factor)) == expected


def test_for_size_refuses_negative_intent() -> None:
    with pytest.raises(ValueError, match="negative"):
        suggestions.for_size(-1, FACTOR)


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        (8, [2, 5, 3], [2, 4, 2]),  # 1.6, 4.0, 2.4 → 1, 4, 2 (+1 to the .6)
        (24, [1, 3, 6, 6, 3, 1], [1, 4, 7, 7, 4, 1]),  # 1.2 3.6 7.2 7.2 3.6 1.2
        (3, [1, 1], [2, 1]),  # a tie: the earlier size first
        (0, [4, 1], [0, 0]),
        (5, [0, 0, 0], [2, 2, 1]),  # no weight at all: even, earlier first
        (10, [0, 1], [0, 10]),
        (1, [1, 1, 1], [1, 0, 0]),
    ],
)
def test_apportion(total: int, weights: list[int], expected: list[int]) -> None:
    assert suggestions.apportion(total, weights) == expected
    assert sum(expected) == total


@pytest.mark.parametrize(
    ("total", "weights", "message"),
    [(-1, [1], "negative"), (3, [], "at least one"), (3, [1, -1], "negative")],
)
def test_apportion_refuses(total: int, weights: list[int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        suggestions.apportion(total, weights)


def test_by_size_above_the_minimum_is_intent_times_factor() -> None:
    """S 4 → 6, M 9 → 13.5 → 14, L 6 → 9, XL 1 → 2: 31 ≥ 24, no top-up."""
    intent = {"S": 4, "M": 9, "L": 6, "XL": 1}
    assert suggestions.by_size(TEE_SIZES, intent, factor=FACTOR, minimum=24, curve=CURVE) == {
        "XS": 0,
        "S": 6,
        "M": 14,
        "L": 9,
        "XL": 2,
        "XXL": 0,
    }


def test_by_size_tops_up_to_the_minimum_in_proportion_to_intent() -> None:
    """S 2 → 3, M 5 → 7.5 → 8, L 3 → 4.5 → 5: 16, short of 24 by 8. The 8 split 2:5:3 is
    1.6, 4, 2.4 → 1, 4, 2 and the last unit to S (remainder .6): S 5, M 12, L 7."""
    intent = {"S": 2, "M": 5, "L": 3}
    result = suggestions.by_size(TEE_SIZES, intent, factor=FACTOR, minimum=24, curve=CURVE)
    assert result == {"XS": 0, "S": 5, "M": 12, "L": 7, "XL": 0, "XXL": 0}
    assert sum(result.values()) == 24


def test_by_size_without_intent_follows_the_size_curve() -> None:
    """24 over 1:3:6:6:3:1 (of 20) → 1.2 3.6 7.2 7.2 3.6 1.2 → 1 3 7 7 3 1 = 22, the two left
    to the .6 remainders (S, XL)."""
    result = suggestions.by_size(TEE_SIZES, {}, factor=FACTOR, minimum=24, curve=CURVE)
    assert result == {"XS": 1, "S": 4, "M": 7, "L": 7, "XL": 4, "XXL": 1}


def test_by_size_exactly_at_the_minimum_adds_nothing() -> None:
    """M 16 × 1.5 = 24 = the minimum."""
    result = suggestions.by_size(TEE_SIZES, {"M": 16}, factor=FACTOR, minimum=24, curve=CURVE)
    assert result == {"XS": 0, "S": 0, "M": 24, "L": 0, "XL": 0, "XXL": 0}


def test_by_size_one_below_the_minimum_adds_one() -> None:
    """M 15 × 1.5 = 22.5 → 23: one short, and M has all the intent."""
    result = suggestions.by_size(TEE_SIZES, {"M": 15}, factor=FACTOR, minimum=24, curve=CURVE)
    assert result["M"] == 24
    assert sum(result.values()) == 24


def test_by_size_sizes_off_the_curve_weigh_one() -> None:
    """Posters: neither size is on the tee curve, so 10 splits 5 and 5."""
    result = suggestions.by_size(("30x40", "50x70"), {}, factor=FACTOR, minimum=10, curve=CURVE)
    assert result == {"30x40": 5, "50x70": 5}


def test_by_size_ignores_intent_for_sizes_no_longer_offered() -> None:
    result = suggestions.by_size(
        ("one-size",), {"one-size": 4, "XL": 50}, factor=FACTOR, minimum=0, curve=CURVE
    )
    assert result == {"one-size": 6}


def test_for_product_puts_everything_in_the_first_colour() -> None:
    """Tote: one size, 7 votes × 1.5 = 10.5 → 11, raised to the minimum 20, all natural."""
    result = suggestions.for_product(
        ("natural", "black"),
        ("one-size",),
        {"one-size": 7},
        factor=FACTOR,
        minimum=20,
        curve=CURVE,
    )
    assert result == {("natural", "one-size"): 20, ("black", "one-size"): 0}


def test_for_product_without_colours() -> None:
    result = suggestions.for_product(
        ("",), ("30x40", "50x70"), {"30x40": 8, "50x70": 1}, factor=FACTOR, minimum=10, curve={}
    )
    # 12 and 2: already 14 ≥ 10.
    assert result == {("", "30x40"): 12, ("", "50x70"): 2}


def test_for_product_needs_a_colour_and_a_size() -> None:
    with pytest.raises(ValueError, match="at least one"):
        suggestions.for_product((), ("M",), {}, factor=FACTOR, minimum=0, curve={})

"""Suggested run quantities from buy intent: pure functions (no database, no settings lookup).

For one product, from the counted "I'd buy it" votes by size:

1. **Each size**: ⌈intent × factor⌉ (`PRODUCTION_CONVERSION_FACTOR`). Rounded *up*, not half
   up: a unit is whole, and with the small counts of a first run half-up loses real buyers
   (1 vote × 1.2 would print none, 3 × 1.5 = 4.5 would print 4 of the 5 hoped for). One spare
   garment costs less than a voter who wanted one and finds it sold out, and the ceiling adds
   at most one unit per size.
2. **Minimum run** (`PRODUCTION_MIN_RUN`): when the sizes add up to less, the shortfall is shared
   across sizes in proportion to their intent; with no intent at all, in proportion to the size
   curve (`PRODUCTION_SIZE_CURVE`, a size it does not list weighs 1). Whole units by largest
   remainder, earlier sizes first on a tie, so the top-up adds up to exactly the shortfall.
3. **Colours**: a vote names a size, never a garment colour, so any split across colours would
   be invented. Everything goes to the product's first colour (the catalogue's default, shown
   first on the design page); one colour also means one garment stock and one print set-up.
   Staff move quantities to other colours in the approve grid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_CEILING, Decimal
from fractions import Fraction


def for_size(intent: int, factor: Decimal) -> int:
    """⌈intent × factor⌉: 3 votes × 1.5 → 5; 4 × 1.5 → 6; 0 → 0."""
    if intent < 0:
        raise ValueError("intent cannot be negative")
    return int((Decimal(intent) * factor).to_integral_value(rounding=ROUND_CEILING))


def apportion(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` whole units in proportion to `weights` (largest remainder; earlier first
    on a tie). 8 over (2, 5, 3) → (2, 4, 2). All weights zero: an even split."""
    if total < 0:
        raise ValueError("total cannot be negative")
    if not weights:
        raise ValueError("apportion needs at least one weight")
    if any(w < 0 for w in weights):
        raise ValueError("weights cannot be negative")
    if sum(weights) == 0:
        weights = [1] * len(weights)
    whole = sum(weights)
    shares = [Fraction(total * w, whole) for w in weights]
    parts = [int(share) for share in shares]  # floor: shares are not negative
    left_over = total - sum(parts)
    by_remainder = sorted(range(len(shares)), key=lambda i: (parts[i] - shares[i], i))
    for index in by_remainder[:left_over]:
        parts[index] += 1
    return parts


def by_size(
    sizes: Sequence[str],
    intent: Mapping[str, int],
    *,
    factor: Decimal,
    minimum: int,
    curve: Mapping[str, int],
) -> dict[str, int]:
    """Suggested quantity of each of `sizes` for one product (rules 1 and 2 above)."""
    counts = [intent.get(size, 0) for size in sizes]
    quantities = [for_size(count, factor) for count in counts]
    shortfall = minimum - sum(quantities)
    if shortfall > 0:
        weights = counts if any(counts) else [curve.get(size, 1) for size in sizes]
        extras = apportion(shortfall, weights)
        quantities = [q + extra for q, extra in zip(quantities, extras, strict=True)]
    return dict(zip(sizes, quantities, strict=True))


def for_product(
    colours: Sequence[str],
    sizes: Sequence[str],
    intent: Mapping[str, int],
    *,
    factor: Decimal,
    minimum: int,
    curve: Mapping[str, int],
) -> dict[tuple[str, str], int]:
    """Suggested quantity of every (colour, size) of one product: all in the first colour
    (rule 3), zero in the others. `colours` is `[""]` for a product without colours."""
    if not colours or not sizes:
        raise ValueError("a product needs at least one colour (or '') and one size")
    sized = by_size(sizes, intent, factor=factor, minimum=minimum, curve=curve)
    return {
        (colour, size): sized[size] if index == 0 else 0
        for index, colour in enumerate(colours)
        for size in sizes
    }

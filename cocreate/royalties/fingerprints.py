"""`verify`'s quick check: the reconciliation's equalities compared as random fingerprints.

`verify` runs it first on PostgreSQL (`verify.quick_first`); SQLite, whose weights are a
Python function, runs the exact checks at once, but the tests run both on both.

`verify` must say whether millions of transactions each balance, whether each creator's
months agree with their statements, and whether every paid order line has one accrual and
every refunded unit one reversal. Checking each transaction or line on its own means grouping
millions of rows, several times slower than reading them once (the README's benchmark). The
quick check instead reads each table once, summing every amount times a random weight drawn
for its transaction, line or month from a seed chosen afresh for each run:

    Σ over legs of amount × h(transaction) = 0
    Σ over paid lines of h(line) = Σ over accruals of h(their line)

Each side is a sum of per-transaction (per-line, per-month) totals times independent random
weights, so if any one total differs, the two sides are equal only if that one weight takes
the single value that cancels the rest: a chance of 1 in 2**24 (the weights' range) for each
check and run. A clean ledger always passes (the sums are exact integers). A failing check
makes `verify` run the full, exact checks, which name each transaction, line or month at
fault; run `verify --full` to run those anyway.

What it compares (Σ_h: a sum weighted by h), the four reconciliations `verify` promises:
- the legs: Σ_h(transaction) of every leg is 0 (each transaction balances);
- per creator and account: Σ_h(month) of the legs equals Σ_h(month) of the statements'
  movements plus the legs of the months still open (each closed month equals its statement;
  the statements' chain, each opening against the month before, runs beside it, exact);
- per creator: payouts take no more than ever came into cleared earnings (exact sums: the
  payouts' legs come from a partial index);
- the shop: Σ_h(line) over paid lines equals that over accruals, and Σ_h(line) × units
  refunded over paid lines equals that × units over reversals (one sum, UNITS_FACTOR apart).

Only the exact checks (`verify --full`, weekly, and whenever this check fails) look at each
transaction's shape (no single leg, no empty transaction, its pieces against its leg and its
units, a clearing that stays within the creator's accounts), each reversal against the
accrual piece it takes back, and each accrual's pending earnings. They need a group per
transaction, piece or accrual: that is what makes them several times slower. The odds hold for rows
the database accepts: it keeps each leg's creator and month equal to its transaction's (a
composite foreign key), and a unique index gives a line one accrual at most. A row without an
order line (`order_line_id` NULL) is outside both this check and the exact one.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from cocreate.core import db

#: Bits of each random weight. On PostgreSQL a product of an amount and a weight is a bigint
#: (exact below 2**40 minor units, ten billion euros, per leg or month; beyond, the query fails
#: rather than pass) and its sums are numeric. SQLite sums 64-bit integers and stops with an
#: error on overflow: it runs this check only in the tests, on small ledgers.
WEIGHT_BITS = 24


def _sqlite_weight(value: Any, seed: int) -> int | None:
    """SQLite has no seeded hash: a keyed BLAKE2b of the value, WEIGHT_BITS bits, signed."""
    if value is None:
        return None
    digest = hashlib.blake2b(
        str(value).encode(), digest_size=8, key=seed.to_bytes(8, "big", signed=True)
    ).digest()
    return int.from_bytes(digest, "big", signed=True) >> (64 - WEIGHT_BITS)


def _weights(session: Session) -> dict[str, str]:
    """The SQL of h(x) for an integer column (`h`) and a text column (`ht`)."""
    if session.get_bind().dialect.name == "postgresql":
        shift = 64 - WEIGHT_BITS
        return {
            "h": f"(hashint8extended({{}}, CAST(:seed AS BIGINT)) >> {shift})",
            "ht": f"(hashtextextended({{}}, CAST(:seed AS BIGINT)) >> {shift})",
        }
    driver = session.connection().connection.driver_connection
    driver.create_function("verify_weight", 2, _sqlite_weight, deterministic=True)  # type: ignore[union-attr]
    return {"h": "verify_weight({}, :seed)", "ht": "verify_weight({}, :seed)"}


# Per creator and account: the legs' inflow, and sums weighted by transaction and by month;
# the statements' movements weighted by month with the open months' legs; the payouts' legs (a
# few rows, from a partial index). One row per problem.
_LEDGER = """
WITH legs AS MATERIALIZED (
    SELECT creator_id, account,
        sum(CASE WHEN amount_amount > 0 THEN amount_amount ELSE 0 END) AS inflow,
        sum(amount_amount * {h_tx}) AS by_tx,
        sum(amount_amount * {ht_period}) AS by_month
    FROM ledger_entries GROUP BY creator_id, account
), payout_legs AS MATERIALIZED (
    SELECT t.creator_id, t.kind, e.account,
        sum(e.amount_amount) AS total,
        sum(CASE WHEN e.amount_amount > 0 THEN e.amount_amount ELSE 0 END) AS inflow
    FROM ledger_transactions t JOIN ledger_entries e ON e.transaction_id = t.id
    WHERE t.kind = 'payout'
    GROUP BY t.creator_id, t.kind, e.account
), months AS (
    SELECT creator_id, account, by_month AS difference FROM legs
    WHERE account IN ('creator_pending', 'creator_cleared')
    UNION ALL
    SELECT creator_id, 'creator_pending',
        -sum((closing_pending - opening_pending) * {ht_s_period})
    FROM royalty_statements GROUP BY creator_id
    UNION ALL
    SELECT creator_id, 'creator_cleared',
        -sum((closing_cleared - opening_cleared) * {ht_s_period})
    FROM royalty_statements GROUP BY creator_id
    UNION ALL
    SELECT creator_id, account, -sum(amount_amount * {ht_period})
    FROM ledger_entries
    WHERE period IN (SELECT period FROM royalty_periods WHERE state = 'open')
        AND account IN ('creator_pending', 'creator_cleared')
    GROUP BY creator_id, account
), payouts AS (
    SELECT creator_id,
        sum(CASE WHEN kind = 'payout' THEN -total ELSE 0 END) AS paid,
        sum(CASE WHEN kind = 'payout' THEN -inflow ELSE inflow END) AS earned
    FROM (
        SELECT creator_id, 'any' AS kind, 0 AS total, inflow FROM legs
        WHERE account = 'creator_cleared'
        UNION ALL
        SELECT creator_id, kind, total, inflow FROM payout_legs
        WHERE kind = 'payout' AND account = 'creator_cleared'
    ) cleared
    GROUP BY creator_id
)
SELECT 'balance' AS name, NULL AS creator_id, NULL AS account
FROM (SELECT sum(by_tx) AS total FROM legs) balance WHERE coalesce(total, 0) <> 0
UNION ALL
SELECT 'month', creator_id, account FROM months
GROUP BY creator_id, account HAVING sum(difference) <> 0
UNION ALL
SELECT 'payout', creator_id, NULL FROM payouts WHERE paid > earned
"""

#: The shop's two equalities in one sum: each paid line weighs h(line) × (1 + UNITS_FACTOR ×
#: units refunded), each accrual h(line) and each reversal h(line) × UNITS_FACTOR × its units.
#: A line has at most one accrual (a unique index), so its accruals' difference is -1, 0 or 1
#: and cannot cancel a difference in units, a multiple of UNITS_FACTOR.
UNITS_FACTOR = 1024

# The shop's side: every line, less the lines of orders not paid, plus UNITS_FACTOR × the
# units refunded (all of a refunded order's, else its confirmed refunds'), less the accruals
# and UNITS_FACTOR × the reversals' units. Only the first sum reads every line (no join); the
# others start from the few orders not paid, the refunded orders and the refunds, and reach
# their lines by index (`_PG_SHOP_SETTINGS`).
_SHOP = """
SELECT
    coalesce((SELECT sum({h_l_id}) FROM order_lines l), 0)
    - coalesce((SELECT sum({h_l_id}) FROM orders o JOIN order_lines l ON l.order_id = o.id
        WHERE o.paid_at IS NULL
            OR o.state NOT IN ('paid', 'fulfilled', 'partially_refunded', 'refunded')), 0)
    + :units_factor * coalesce((SELECT sum(l.quantity * {h_l_id})
        FROM orders o JOIN order_lines l ON l.order_id = o.id
        WHERE o.state = 'refunded' AND o.paid_at IS NOT NULL), 0)
    + :units_factor * coalesce((SELECT sum(rl.quantity * {h_rl_line})
        FROM refunds rf JOIN orders o ON o.id = rf.order_id
        JOIN refund_lines rl ON rl.refund_id = rf.id
        WHERE rf.state = 'done' AND o.paid_at IS NOT NULL
            AND o.state IN ('paid', 'fulfilled', 'partially_refunded')), 0)
    - coalesce((SELECT sum({h_line}) FROM ledger_transactions WHERE kind = 'accrual'), 0)
    - :units_factor * coalesce((SELECT sum(coalesce(units, 0) * {h_line})
        FROM ledger_transactions WHERE kind = 'reversal'), 0)
"""
#: PostgreSQL settings for `_SHOP`: its joins start from a few rows and reach the lines by
#: index; the planner's default hashes those rows and scans every line for each.
_PG_SHOP_SETTINGS = {"enable_hashjoin": "off", "enable_mergejoin": "off"}


def _sql(template: str, weights: dict[str, str]) -> Any:
    h, ht = weights["h"], weights["ht"]
    return text(
        template.format(
            h_tx=h.format("transaction_id"),
            h_l_id=h.format("l.id"),
            h_line=h.format("order_line_id"),
            h_rl_line=h.format("rl.order_line_id"),
            ht_period=ht.format("period"),
            ht_s_period=ht.format("period"),
        )
    )


def screen(session: Session, *, seed: int) -> list[str]:
    """The checks whose fingerprints disagree under `seed`, one line each ([] when all agree):
    "balance", "month <creator> <account>", "payout <creator>", "lines"."""
    weights = _weights(session)
    params = {"seed": seed, "units_factor": UNITS_FACTOR}
    suspects = [
        " ".join(str(part) for part in row if part is not None)
        for row in session.execute(_sql(_LEDGER, weights), params)
    ]
    with db.planner_settings(session, _PG_SHOP_SETTINGS):
        shop = session.execute(_sql(_SHOP, weights), params).scalar_one()
    if shop != 0:
        suspects.append("lines")
    return suspects

"""Reconciliation: the checks that tie the ledger, the statements and the shop together.

`verify()` returns what is wrong, one readable line each, or [] when all is well; `flask
royalties verify` prints them and exits 1. On PostgreSQL it first runs the quick check
(`fingerprints.py`: each table read once, four of the equalities below compared as sums under
random weights, in a few times the time of one GROUP BY over the ledger), with the statements'
chain (exact, and cheap). Only when one of them fails, on SQLite, or with `full` (`flask
royalties verify --full`), does it run the exact checks below, which name each row at fault.
They are set-based SQL (never a loop over ledger rows in Python):

- every transaction's legs sum to zero, none has a single leg, and only a zero royalty (an
  accrual or reversal whose pieces are all zero) has none;
- an accrual's pieces add up to its leg on the creator's account (a reversal's to minus it),
  and to its units; a clearing only moves money between the creator's two accounts;
- per creator and closed month, the legs equal the statement's movement (closing − opening,
  pending and cleared apart), and each statement opens on the previous one's closing (0 for
  the first): so each creator's ledger equals their latest closing plus what came after;
- every paid order line has exactly one accrual, and its reversals cover exactly the units
  refunded (all of them once the order is refunded, else those of confirmed refunds);
- a reversal takes back, per tier piece, no more than the accrual's units, and exactly its
  share of the amount rounded once (all of it when every unit is refunded);
- no clearing (nor reversal of pending earnings) takes more than is pending on its accrual;
- no creator was paid out more than ever came into their cleared earnings;
- no accrual or reversal belongs to a line whose order is not paid.

The ledger is read once: one statement (`_LEDGER`) sums every transaction's legs and pieces
(`tx`: streamed in transaction order from covering indexes, joined once to the transactions)
and derives every ledger check from those per-transaction sums, one tagged row per problem.
A leg repeats its transaction's creator and period (`ledger.post` writes both), so the checks
per creator and month group the transactions. Two queries stand apart: the statements' chain
(it reads the statements alone) and the paid order lines (`_PAID_LINES`, hashed on the line).
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from cocreate.config import Config
from cocreate.core import db
from cocreate.royalties import fingerprints

# Row tags of `_LEDGER`, in the order the problems are reported.
_TRANSACTION, _MONTH, _PENDING, _PAYOUT = 1, 2, 5, 6

_LEDGER = text(
    """
    WITH legs AS (
        SELECT transaction_id, CAST(sum(amount_amount) AS BIGINT) AS total, count(*) AS n,
            CAST(sum(CASE WHEN account = 'creator_pending' THEN amount_amount ELSE 0 END)
                AS BIGINT) AS pending,
            CAST(sum(CASE WHEN account = 'creator_cleared' THEN amount_amount ELSE 0 END)
                AS BIGINT) AS cleared,
            CAST(sum(CASE WHEN account = 'creator_cleared' AND amount_amount > 0
                THEN amount_amount ELSE 0 END) AS BIGINT) AS cleared_in
        FROM ledger_entries GROUP BY transaction_id
    ), pieces AS (
        SELECT transaction_id, CAST(sum(amount_amount) AS BIGINT) AS amount,
            CAST(sum(CASE WHEN reverses_id IS NULL THEN amount_amount ELSE -amount_amount END)
                AS BIGINT) AS signed,
            CAST(sum(units) AS BIGINT) AS units,
            sum(CASE WHEN amount_amount <> 0 THEN 1 ELSE 0 END) AS nonzero
        FROM accrual_pieces GROUP BY transaction_id
    ), tx AS MATERIALIZED (
        SELECT t.id, t.kind, t.creator_id, t.period, t.related_id, t.units,
            legs.total, legs.n, legs.pending, legs.cleared, legs.cleared_in,
            pieces.transaction_id AS pieced, pieces.amount, pieces.signed,
            pieces.units AS piece_units,
            pieces.nonzero
        FROM ledger_transactions t
        LEFT JOIN legs ON legs.transaction_id = t.id
        LEFT JOIN pieces ON pieces.transaction_id = t.id
    )
    SELECT 1 AS tag, id AS k, kind AS s, units AS v1, total AS v2, n AS v3,
        pending + cleared AS v4, signed AS v5, piece_units AS v6
    FROM tx
    WHERE total <> 0 OR n = 1 OR (n IS NULL AND (pieced IS NULL OR nonzero > 0))
        OR (kind IN ('accrual', 'reversal') AND (pieced IS NULL
            OR signed <> coalesce(pending + cleared, 0)
            OR coalesce(piece_units, -1) <> coalesce(units, -1)))
        OR (kind = 'clearing' AND pending + cleared <> 0)
    UNION ALL
    SELECT 2, creator_id, period, CAST(sum(pending) AS BIGINT), CAST(sum(cleared) AS BIGINT),
        sum(stated), NULL, NULL, NULL
    FROM (
        SELECT creator_id, period, opening_pending - closing_pending AS pending,
            opening_cleared - closing_cleared AS cleared, 1 AS stated
        FROM royalty_statements
        UNION ALL
        SELECT creator_id, period, pending, cleared, 0 FROM tx
        WHERE (pending <> 0 OR cleared <> 0) AND period <= (
            SELECT coalesce(max(period), '') FROM royalty_periods WHERE state = 'closed')
    ) months
    GROUP BY creator_id, period
    HAVING sum(pending) <> 0 OR sum(cleared) <> 0
    UNION ALL
    SELECT 5, CASE WHEN kind = 'accrual' THEN id ELSE related_id END, NULL,
        CAST(sum(pending) AS BIGINT), NULL, NULL, NULL, NULL, NULL
    FROM tx WHERE kind IN ('accrual', 'reversal', 'clearing') AND pending <> 0
    GROUP BY CASE WHEN kind = 'accrual' THEN id ELSE related_id END
    HAVING sum(pending) < 0
    UNION ALL
    SELECT 6, creator_id, NULL,
        CAST(sum(CASE WHEN kind = 'payout' THEN -cleared ELSE 0 END) AS BIGINT),
        CAST(sum(CASE WHEN kind <> 'payout' THEN cleared_in ELSE 0 END) AS BIGINT),
        NULL, NULL, NULL, NULL
    FROM tx WHERE cleared <> 0 OR cleared_in <> 0
    GROUP BY creator_id
    HAVING sum(CASE WHEN kind = 'payout' THEN -cleared ELSE 0 END)
        > sum(CASE WHEN kind <> 'payout' THEN cleared_in ELSE 0 END)
    ORDER BY 1, 2, 3
    """
)

# Every paid order line against its accruals, reversals and refunds: joined by hash on the
# line (the planner's default), not in the ledger's transaction order. A line has at most one
# accrual (the unique index uq_ledger_transactions_accrual), so accruals are joined, not counted.
_PAID_LINES = text(
    """
    SELECT l.id, o.number, coalesce(a.n, 0), coalesce(r.units, 0),
        CASE WHEN o.state = 'refunded' THEN l.quantity ELSE coalesce(f.units, 0) END
    FROM order_lines l
    JOIN orders o ON o.id = l.order_id
    LEFT JOIN (
        SELECT order_line_id, 1 AS n FROM ledger_transactions WHERE kind = 'accrual'
    ) a ON a.order_line_id = l.id
    LEFT JOIN (
        SELECT order_line_id, sum(units) AS units FROM ledger_transactions
        WHERE kind = 'reversal' GROUP BY order_line_id
    ) r ON r.order_line_id = l.id
    LEFT JOIN (
        SELECT rl.order_line_id, sum(rl.quantity) AS units
        FROM refund_lines rl JOIN refunds rf ON rf.id = rl.refund_id
        WHERE rf.state = 'done' GROUP BY rl.order_line_id
    ) f ON f.order_line_id = l.id
    WHERE o.paid_at IS NOT NULL
        AND o.state IN ('paid', 'fulfilled', 'partially_refunded', 'refunded')
        AND (coalesce(a.n, 0) <> 1 OR coalesce(r.units, 0) <>
            CASE WHEN o.state = 'refunded' THEN l.quantity ELSE coalesce(f.units, 0) END)
    ORDER BY l.id
    """
)

#: Reversal pieces against the accrual piece each takes back: never more units or money than
#: it had, and their running total is the accrual's share of the units taken back, rounded
#: once: |Σ amount − A × Σ units / U| ≤ ½ minor unit, in integers |2UΣ − 2AΣu| ≤ U. So
#: reversing every unit gives back exactly the accrual.
_REVERSALS = text(
    """
    SELECT p.id, p.units, p.amount_amount, r.units, r.amount
    FROM (
        SELECT reverses_id, CAST(sum(units) AS BIGINT) AS units,
            CAST(sum(amount_amount) AS BIGINT) AS amount
        FROM accrual_pieces WHERE reverses_id IS NOT NULL GROUP BY reverses_id
    ) r
    JOIN accrual_pieces p ON p.id = r.reverses_id
    WHERE r.units > p.units
        OR abs(2 * p.units * r.amount - 2 * p.amount_amount * r.units) > p.units
    ORDER BY p.id
    """
)

#: Accruals and reversals of lines whose order is not (or no longer) paid.
_UNPAID_LINES = text(
    """
    SELECT t.id, t.kind, l.id, o.number
    FROM ledger_transactions t
    JOIN order_lines l ON l.id = t.order_line_id
    JOIN orders o ON o.id = l.order_id
    WHERE t.kind IN ('accrual', 'reversal')
        AND (o.paid_at IS NULL
            OR o.state NOT IN ('paid', 'fulfilled', 'partially_refunded', 'refunded'))
    ORDER BY t.id
    """
)

_STATEMENT_CHAIN = text(
    """
    SELECT creator_id, period, opening_pending, opening_cleared, before_pending, before_cleared
    FROM (
        SELECT creator_id, period, opening_pending, opening_cleared,
            coalesce(lag(closing_pending) OVER (PARTITION BY creator_id ORDER BY period), 0)
                AS before_pending,
            coalesce(lag(closing_cleared) OVER (PARTITION BY creator_id ORDER BY period), 0)
                AS before_cleared
        FROM royalty_statements
    ) chained
    WHERE opening_pending <> before_pending OR opening_cleared <> before_cleared
    ORDER BY creator_id, period
    """
)

#: PostgreSQL settings while `verify` runs: aggregates, sorts and the per-transaction sums stay
#: in memory (not spilled to disk at the default 4MB), and no JIT compilation (longer than the
#: queries it would speed up).
_PG_SETTINGS = {"work_mem": "256MB", "jit": "off"}
#: And for `_LEDGER` alone: its sums are streamed in transaction order and merged with the
#: transactions; a parallel or hash plan would build them once per worker, or hash them all.
_PG_LEDGER_SETTINGS = {"max_parallel_workers_per_gather": "0", "enable_hashjoin": "off"}
#: And for `_REVERSALS`: the few reversal pieces look up the pieces they take back by primary
#: key; the planner's default hashes the reversals and scans every piece (10 times slower at
#: a million pieces).
_PG_REVERSAL_SETTINGS = {"enable_hashjoin": "off", "enable_mergejoin": "off"}


def _transaction_problem(
    tid: int,
    kind: str,
    units: int | None,
    total: int | None,
    n: int | None,
    creator: int | None,
    signed: int | None,
    piece_units: int | None,
) -> str:
    """`signed`: the pieces' sum, a reversal's counted negative (as its leg on the creator's
    account is)."""
    if total is not None and total != 0:
        return f"transaction {tid} ({kind}): its legs sum to {total}, not 0"
    if n == 1:
        return f"transaction {tid} ({kind}) has a single leg"
    if n is None and kind not in ("accrual", "reversal"):
        return f"transaction {tid} ({kind}) has no legs"
    if kind not in ("accrual", "reversal"):
        return f"transaction {tid} ({kind}) changes the creator's earnings by {creator}, not 0"
    if n is None and signed:
        return f"transaction {tid} ({kind}) has no legs but pieces worth {abs(signed)}"
    if signed is None:
        return f"transaction {tid} ({kind}) has no pieces"
    if signed != (creator or 0):
        if abs(signed) == abs(creator or 0):
            return (
                f"transaction {tid} ({kind}): its pieces and its leg on the creator's account "
                f"go opposite ways ({signed} and {creator})"
            )
        return (
            f"transaction {tid} ({kind}): its pieces sum to {abs(signed)}, "
            f"its leg to {abs(creator or 0)}"
        )
    return f"transaction {tid} ({kind}): its pieces count {piece_units} units, not {units}"


def _chain_problems(session: Session) -> list[str]:
    return [
        f"creator {creator}, {period}: opens at pending {opening_p}, cleared {opening_c}; "
        f"the month before closed at pending {before_p}, cleared {before_c}"
        for creator, period, opening_p, opening_c, before_p, before_c in session.execute(
            _STATEMENT_CHAIN
        )
    ]


def _ledger_problems(rows: list[tuple[Any, ...]], then: list[str], lines: list[str]) -> list[str]:
    """`_LEDGER`'s rows as messages, with `then` (the statements' chain) after the months and
    `lines` (the paid lines) before the pending earnings."""
    by_tag: dict[int, list[tuple[Any, ...]]] = {}
    for row in rows:
        by_tag.setdefault(row[0], []).append(row[1:])
    problems = [_transaction_problem(*row) for row in by_tag.get(_TRANSACTION, [])]
    for creator_id, period, pending, cleared, stated, *_rest in by_tag.get(_MONTH, []):
        if stated:
            problems.append(
                f"creator {creator_id}, {period}: the ledger differs from the statement by "
                f"pending {pending}, cleared {cleared}"
            )
        else:
            problems.append(
                f"creator {creator_id}: legs in closed month {period} (pending {pending}, "
                f"cleared {cleared}) but no statement"
            )
    problems += then + lines
    for accrual, _label, left, *_rest in by_tag.get(_PENDING, []):
        problems.append(f"accrual {accrual}: cleared or reversed {-left} more than it had pending")
    for creator_id, _label, paid, earned, *_rest in by_tag.get(_PAYOUT, []):
        problems.append(f"creator {creator_id}: paid out {paid}, more than the {earned} cleared")
    return problems


def _reversal_problems(session: Session) -> list[str]:
    with db.planner_settings(session, _PG_REVERSAL_SETTINGS):
        rows = session.execute(_REVERSALS).all()
    return [
        f"accrual piece {piece} ({units} units, {amount}): its reversals take back "
        f"{taken_units} units and {taken}"
        for piece, units, amount, taken_units, taken in rows
    ]


def _line_problems(session: Session) -> list[str]:
    problems = []
    for line, number, accruals, reversed_units, refunded in session.execute(_PAID_LINES):
        if accruals != 1:
            problems.append(f"order {number}, line {line}: {accruals} accruals, not 1")
        if reversed_units != refunded:
            problems.append(
                f"order {number}, line {line}: {reversed_units} units reversed, {refunded} refunded"
            )
    return problems


def _unpaid_problems(session: Session) -> list[str]:
    return [
        f"transaction {tid} ({kind}): order {number}, line {line} is not paid"
        for tid, kind, line, number in session.execute(_UNPAID_LINES)
    ]


def _exact(session: Session) -> list[str]:
    with db.planner_settings(session, _PG_LEDGER_SETTINGS):
        rows = [tuple(row) for row in session.execute(_LEDGER)]
    lines = _line_problems(session) + _unpaid_problems(session) + _reversal_problems(session)
    return _ledger_problems(rows, _chain_problems(session), lines)


def quick_first(session: Session) -> bool:
    """Whether `verify` runs the quick check first: on PostgreSQL. SQLite has no seeded hash
    (its weights are a Python function, called once per row), and the exact checks are the
    faster there at the sizes an embedded database holds (bench/royalties.py --sqlite)."""
    return session.get_bind().dialect.name == "postgresql"


def verify(
    session: Session, *, settings: Config, full: bool = False, seed: int | None = None
) -> list[str]:
    """What is wrong with the royalty ledger, one line each; [] when all is well.

    On PostgreSQL the quick check runs first (fingerprints.py, with `seed`, random unless
    given) with the statements' chain, and the exact checks only if
    one of them fails, to name what is wrong; on SQLite the exact checks run at once. `full`
    runs the exact checks alone, including those the quick check leaves out (each
    transaction's shape and pieces, each reversal's rule, each accrual's pending earnings)."""
    suspects: list[str] = []
    with db.planner_settings(session, _PG_SETTINGS):
        if not full and quick_first(session):
            seed = secrets.randbits(62) if seed is None else seed
            suspects = fingerprints.screen(session, seed=seed)
            if not suspects and not _chain_problems(session):
                return []
        problems = _exact(session)
    if problems or not suspects:
        return problems
    return [
        f"the quick check found the ledger inconsistent ({'; '.join(suspects)}) "
        "but no exact check names a row: run `flask royalties verify --full` and report it"
    ]

"""Reconciliation: the checks that tie the ledger, the statements and the shop together.

`verify()` returns what is wrong, one readable line each, or [] when all is well; `flask
royalties verify` prints them and exits 1. The checks are set-based SQL (never a loop over
ledger rows in Python), so they run over millions of legs:

- every transaction's legs sum to zero, none has a single leg, and only a zero royalty (an
  accrual or reversal whose pieces are all zero) has none;
- an accrual's or reversal's pieces add up to its leg on the creator's account, and to its units;
- per creator and closed month, the legs equal the statement's movement (closing − opening,
  pending and cleared apart), and each statement opens on the previous one's closing (0 for
  the first): so each creator's ledger equals their latest closing plus what came after;
- every paid order line has exactly one accrual, and its reversals cover exactly the units
  refunded (all of them once the order is refunded, else those of confirmed refunds);
- no clearing (nor reversal of pending earnings) takes more than is pending on its accrual;
- no creator was paid out more than ever came into their cleared earnings.

The ledger is read once: one statement (`_LEDGER`) sums every transaction's legs and pieces
(`tx`: streamed in transaction order from covering indexes, joined once to the transactions)
and derives every ledger check from those per-transaction sums, one tagged row per problem.
A leg repeats its transaction's creator and period (`ledger.post` writes both), so the checks
per creator and month group the transactions. Only the statements' chain is a query of its
own (it reads the statements alone).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.orm import Session

from cocreate.config import Config
from cocreate.royalties import ledger

# Row tags of `_LEDGER`, in the order the problems are reported.
_TRANSACTION, _MONTH, _LINE, _PENDING, _PAYOUT = 1, 2, 4, 5, 6

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
            CAST(sum(units) AS BIGINT) AS units,
            sum(CASE WHEN amount_amount <> 0 THEN 1 ELSE 0 END) AS nonzero
        FROM accrual_pieces GROUP BY transaction_id
    ), tx AS MATERIALIZED (
        SELECT t.id, t.kind, t.creator_id, t.period, t.related_id, t.order_line_id, t.units,
            legs.total, legs.n, legs.pending, legs.cleared, legs.cleared_in,
            pieces.transaction_id AS pieced, pieces.amount, pieces.units AS piece_units,
            pieces.nonzero
        FROM ledger_transactions t
        LEFT JOIN legs ON legs.transaction_id = t.id
        LEFT JOIN pieces ON pieces.transaction_id = t.id
    ), lines AS (
        SELECT order_line_id, sum(CASE WHEN kind = 'accrual' THEN 1 ELSE 0 END) AS accruals,
            sum(CASE WHEN kind = 'reversal' THEN units ELSE 0 END) AS reversed
        FROM tx WHERE kind IN ('accrual', 'reversal') GROUP BY order_line_id
    ), refunded AS (
        SELECT rl.order_line_id, sum(rl.quantity) AS units
        FROM refund_lines rl JOIN refunds rf ON rf.id = rl.refund_id
        WHERE rf.state = 'done' GROUP BY rl.order_line_id
    )
    SELECT 1 AS tag, id AS k, kind AS s, units AS v1, total AS v2, n AS v3,
        pending + cleared AS v4, amount AS v5, piece_units AS v6
    FROM tx
    WHERE total <> 0 OR n = 1 OR (n IS NULL AND (pieced IS NULL OR nonzero > 0))
        OR (kind IN ('accrual', 'reversal') AND (pieced IS NULL
            OR amount <> abs(coalesce(pending + cleared, 0)) OR piece_units <> units))
    UNION ALL
    SELECT 2, creator_id, period, CAST(sum(pending) AS BIGINT), CAST(sum(cleared) AS BIGINT),
        sum(stated), NULL, NULL, NULL
    FROM (
        SELECT creator_id, period, opening_pending - closing_pending AS pending,
            opening_cleared - closing_cleared AS cleared, 1 AS stated
        FROM royalty_statements WHERE :last_closed <> ''
        UNION ALL
        SELECT creator_id, period, pending, cleared, 0 FROM tx
        WHERE period <= :last_closed AND (pending <> 0 OR cleared <> 0)
    ) months
    GROUP BY creator_id, period
    HAVING sum(pending) <> 0 OR sum(cleared) <> 0
    UNION ALL
    SELECT 4, l.id, o.number, coalesce(a.accruals, 0), coalesce(a.reversed, 0),
        CASE WHEN o.state = 'refunded' THEN l.quantity ELSE coalesce(f.units, 0) END,
        NULL, NULL, NULL
    FROM order_lines l
    JOIN orders o ON o.id = l.order_id
    LEFT JOIN lines a ON a.order_line_id = l.id
    LEFT JOIN refunded f ON f.order_line_id = l.id
    WHERE o.paid_at IS NOT NULL
        AND o.state IN ('paid', 'fulfilled', 'partially_refunded', 'refunded')
        AND (coalesce(a.accruals, 0) <> 1 OR coalesce(a.reversed, 0) <>
            CASE WHEN o.state = 'refunded' THEN l.quantity ELSE coalesce(f.units, 0) END)
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

#: PostgreSQL settings for `_LEDGER`, for its statement only: the per-transaction sums stay in
#: memory (not spilled to disk at the default 4MB), and are streamed in transaction order and
#: merged with the transactions (a parallel plan would build them once per worker).
_PG_SETTINGS = {
    "work_mem": "256MB",
    "max_parallel_workers_per_gather": "0",
    "enable_hashjoin": "off",
    "jit": "off",
}


@contextmanager
def _planned(session: Session) -> Iterator[None]:
    """`_PG_SETTINGS` while the block runs (SET LOCAL), then what they were before."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    before = {name: session.execute(text(f"SHOW {name}")).scalar_one() for name in _PG_SETTINGS}
    for name, value in _PG_SETTINGS.items():
        session.execute(text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value})
    try:
        yield
    finally:
        for name, value in before.items():
            session.execute(
                text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value}
            )


def _transaction_problem(tid: int, kind: str, units: int | None, total: int | None,
                         n: int | None, creator: int | None, amount: int | None,
                         piece_units: int | None) -> str:  # fmt: skip
    if total is not None and total != 0:
        return f"transaction {tid} ({kind}): its legs sum to {total}, not 0"
    if n == 1:
        return f"transaction {tid} ({kind}) has a single leg"
    if n is None and kind not in ("accrual", "reversal"):
        return f"transaction {tid} ({kind}) has no legs"
    if n is None and amount:
        return f"transaction {tid} ({kind}) has no legs but pieces worth {amount}"
    if amount is None:
        return f"transaction {tid} ({kind}) has no pieces"
    if amount != abs(creator or 0):
        return (
            f"transaction {tid} ({kind}): its pieces sum to {amount}, "
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


def verify(session: Session, *, settings: Config) -> list[str]:
    """What is wrong with the royalty ledger, one line each; [] when all is well."""
    last_closed = ledger.last_closed_period(session)
    with _planned(session):
        rows = session.execute(_LEDGER, {"last_closed": last_closed or ""}).all()
    problems = []
    chained = False
    for tag, key, label, v1, v2, v3, v4, v5, v6 in rows:
        if tag > _MONTH and not chained:
            problems.extend(_chain_problems(session))
            chained = True
        if tag == _TRANSACTION:
            problems.append(_transaction_problem(key, label, v1, v2, v3, v4, v5, v6))
        elif tag == _MONTH and not v3:
            problems.append(
                f"creator {key}: legs in closed month {label} (pending {v1}, "
                f"cleared {v2}) but no statement"
            )
        elif tag == _MONTH:
            problems.append(
                f"creator {key}, {label}: the ledger differs from the statement by "
                f"pending {v1}, cleared {v2}"
            )
        elif tag == _LINE:
            if v1 != 1:
                problems.append(f"order {label}, line {key}: {v1} accruals, not 1")
            if v2 != v3:
                problems.append(f"order {label}, line {key}: {v2} units reversed, {v3} refunded")
        elif tag == _PENDING:
            problems.append(f"accrual {key}: cleared or reversed {-v1} more than it had pending")
        else:
            problems.append(f"creator {key}: paid out {v1}, more than the {v2} cleared")
    if not chained:
        problems.extend(_chain_problems(session))
    return problems

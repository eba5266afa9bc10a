"""Reconciliation: the checks that tie the ledger, the statements and the shop together.

`verify()` returns what is wrong, one readable line each, or [] when all is well; `flask
royalties verify` prints them and exits 1. Every check is one set-based SQL query (GROUP BY
over the tables, never a loop over ledger rows in Python), so it runs over millions of legs:

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
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from cocreate.config import Config
from cocreate.royalties import ledger

_TRANSACTIONS = text(
    """
    WITH legs AS (
        SELECT transaction_id, sum(amount_amount) AS total, count(*) AS n,
            sum(CASE WHEN account IN ('creator_pending', 'creator_cleared')
                THEN amount_amount ELSE 0 END) AS creator
        FROM ledger_entries GROUP BY transaction_id
    ), pieces AS (
        SELECT transaction_id, sum(amount_amount) AS amount, sum(units) AS units,
            sum(CASE WHEN amount_amount <> 0 THEN 1 ELSE 0 END) AS nonzero
        FROM accrual_pieces GROUP BY transaction_id
    )
    SELECT t.id, t.kind, t.units, legs.total, legs.n, legs.creator, pieces.amount,
        pieces.units, pieces.nonzero
    FROM ledger_transactions t
    LEFT JOIN legs ON legs.transaction_id = t.id
    LEFT JOIN pieces ON pieces.transaction_id = t.id
    WHERE legs.total <> 0 OR legs.n = 1
        OR (legs.n IS NULL AND (pieces.transaction_id IS NULL OR pieces.nonzero > 0))
        OR (t.kind IN ('accrual', 'reversal') AND (
            pieces.transaction_id IS NULL
            OR pieces.amount <> abs(coalesce(legs.creator, 0))
            OR pieces.units <> t.units))
    ORDER BY t.id
    """
)

# Per creator and closed month: the legs on their accounts against the statement's movement.
_STATEMENT_MONTHS = text(
    """
    SELECT creator_id, period, sum(pending), sum(cleared), sum(stated) FROM (
        SELECT creator_id, period, opening_pending - closing_pending AS pending,
            opening_cleared - closing_cleared AS cleared, 1 AS stated
        FROM royalty_statements
        UNION ALL
        SELECT creator_id, period,
            CASE WHEN account = 'creator_pending' THEN amount_amount ELSE 0 END,
            CASE WHEN account = 'creator_cleared' THEN amount_amount ELSE 0 END, 0
        FROM ledger_entries
        WHERE period <= :last_closed AND account IN ('creator_pending', 'creator_cleared')
    ) months
    GROUP BY creator_id, period
    HAVING sum(pending) <> 0 OR sum(cleared) <> 0
    ORDER BY creator_id, period
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

_PAID_LINES = text(
    """
    SELECT l.id, o.number, coalesce(a.n, 0), coalesce(r.units, 0),
        CASE WHEN o.state = 'refunded' THEN l.quantity ELSE coalesce(f.units, 0) END
    FROM order_lines l
    JOIN orders o ON o.id = l.order_id
    LEFT JOIN (
        SELECT order_line_id, count(*) AS n FROM ledger_transactions
        WHERE kind = 'accrual' GROUP BY order_line_id
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

# What is pending of each accrual: its leg, less its reversals of pending and its clearing.
_PENDING = text(
    """
    SELECT CASE WHEN t.kind = 'accrual' THEN t.id ELSE t.related_id END AS accrual_id,
        sum(e.amount_amount)
    FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
    WHERE e.account = 'creator_pending' AND t.kind IN ('accrual', 'reversal', 'clearing')
    GROUP BY CASE WHEN t.kind = 'accrual' THEN t.id ELSE t.related_id END
    HAVING sum(e.amount_amount) < 0
    ORDER BY 1
    """
)

_PAYOUTS = text(
    """
    SELECT e.creator_id,
        sum(CASE WHEN t.kind = 'payout' THEN -e.amount_amount ELSE 0 END) AS paid,
        sum(CASE WHEN t.kind <> 'payout' AND e.amount_amount > 0
            THEN e.amount_amount ELSE 0 END) AS earned
    FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
    WHERE e.account = 'creator_cleared'
    GROUP BY e.creator_id
    HAVING sum(CASE WHEN t.kind = 'payout' THEN -e.amount_amount ELSE 0 END)
        > sum(CASE WHEN t.kind <> 'payout' AND e.amount_amount > 0
            THEN e.amount_amount ELSE 0 END)
    ORDER BY e.creator_id
    """
)


def _transaction_problems(session: Session) -> list[str]:
    problems = []
    for tid, kind, units, total, n, creator, amount, piece_units, _nonzero in session.execute(
        _TRANSACTIONS
    ):
        if total is not None and total != 0:
            problems.append(f"transaction {tid} ({kind}): its legs sum to {total}, not 0")
        elif n == 1:
            problems.append(f"transaction {tid} ({kind}) has a single leg")
        elif n is None and kind not in ("accrual", "reversal"):
            problems.append(f"transaction {tid} ({kind}) has no legs")
        elif n is None and amount:
            problems.append(f"transaction {tid} ({kind}) has no legs but pieces worth {amount}")
        elif amount is None:
            problems.append(f"transaction {tid} ({kind}) has no pieces")
        elif amount != abs(creator or 0):
            problems.append(
                f"transaction {tid} ({kind}): its pieces sum to {amount}, "
                f"its leg to {abs(creator or 0)}"
            )
        else:
            problems.append(
                f"transaction {tid} ({kind}): its pieces count {piece_units} units, not {units}"
            )
    return problems


def _statement_problems(session: Session) -> list[str]:
    problems = []
    last_closed = ledger.last_closed_period(session)
    if last_closed is not None:
        rows = session.execute(_STATEMENT_MONTHS, {"last_closed": last_closed})
        for creator, period, pending, cleared, stated in rows:
            if not stated:
                problems.append(
                    f"creator {creator}: legs in closed month {period} (pending {pending}, "
                    f"cleared {cleared}) but no statement"
                )
            else:
                problems.append(
                    f"creator {creator}, {period}: the ledger differs from the statement by "
                    f"pending {pending}, cleared {cleared}"
                )
    for creator, period, opening_p, opening_c, before_p, before_c in session.execute(
        _STATEMENT_CHAIN
    ):
        problems.append(
            f"creator {creator}, {period}: opens at pending {opening_p}, cleared {opening_c}; "
            f"the month before closed at pending {before_p}, cleared {before_c}"
        )
    return problems


def _shop_problems(session: Session) -> list[str]:
    problems = []
    for line, number, accruals, reversed_units, refunded in session.execute(_PAID_LINES):
        if accruals != 1:
            problems.append(f"order {number}, line {line}: {accruals} accruals, not 1")
        if reversed_units != refunded:
            problems.append(
                f"order {number}, line {line}: {reversed_units} units reversed, {refunded} refunded"
            )
    for accrual, left in session.execute(_PENDING):
        problems.append(f"accrual {accrual}: cleared or reversed {-left} more than it had pending")
    for creator, paid, earned in session.execute(_PAYOUTS):
        problems.append(f"creator {creator}: paid out {paid}, more than the {earned} cleared")
    return problems


def verify(session: Session, *, settings: Config) -> list[str]:
    """What is wrong with the royalty ledger, one line each; [] when all is well."""
    return [
        *_transaction_problems(session),
        *_statement_problems(session),
        *_shop_problems(session),
    ]

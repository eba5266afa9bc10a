# ruff: noqa: S608 - the SQL is assembled from this module's constants and dialect spellings only
"""Set-based seeding of the royalties benchmark (bench/royalties.py): paid orders and the ledger
the app would have written for them, without a row passing through Python.

Two staging tables are computed from a number series (`generate_series` on PostgreSQL, a
recursive CTE on SQLite), one row per order and one per order line, every value a pure
function of the row number; each real table is then one INSERT … SELECT from them:

* users: `creators` designers, buyers, one staff member (who asked the refunds, made the
  payouts); designs: 10 per creator, or more so that no design sells more units than the
  default schedule's first tier holds (every accrual is one piece at its rate, 10 %);
* orders of 1 to 4 lines (4 orders per 10 lines), paid evenly over 2025-12 … 2026-11, each
  fulfilled 2 to 4 days later (unless that is after the end); lines of 1 or 2 units at
  19.90 … 32.50 tax included (VAT 20 %: net = gross / 1.2 rounded half-even);
* per line: one accrual (creator_pending +X, royalty_expense −X, X = 10 % of net half-even)
  with its piece (tier 1, the design's running unit count as first unit);
* about 3 % of the lines refunded (a refund with its refund_lines, the order's state):
  whole orders 5 days after payment, or 40 days after fulfilment (after the earnings cleared:
  the reversal takes from creator_cleared), or one unit of an order's first line; each a
  reversal of exactly the refunded units (amount round_half_even(X × units / quantity), the
  piece's last units) with its piece pointing at the accrual's;
* a clearing per accrual whose fulfilment + the return window is before the end, for the
  accrual net of the reversals posted before it;
* three payout rounds (2026-04-15, 07-15, 10-15) for every fourth creator whose cleared
  balance reached the site minimum: the whole cleared balance, creator_cleared → in transit,
  and in transit → cash two days later (payouts paid, method manual, with their transitions);
* orders' transitions (paid, fulfilled, refunded), each design's unit counter.

Ids are computed (the accrual of line i is transaction i, its reversal L + i, its clearing
2L + i; pieces i and L + i), then sequences are moved past them. On PostgreSQL the big
tables' secondary indexes and foreign keys are dropped for the load and made again after it
(bench/voting_seed.py `_bulk_load`), which checks every foreign key in one pass.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, event, insert, text

from bench.voting_seed import _bulk_load
from cocreate.accounts.models import Role, User
from cocreate.config import Config
from cocreate.core.db import Base, UTCDateTime
from cocreate.designs.models import Design, DesignState

#: The twelve months seeded, 2025-12 … 2026-11, and the instant after them ("now").
START = datetime(2025, 12, 1, tzinfo=UTC)
END = datetime(2026, 12, 1, tzinfo=UTC)
DAY = 86400
#: Payout rounds: the creators concerned are paid their whole cleared balance then.
PAYOUT_ROUNDS = (
    datetime(2026, 4, 15, tzinfo=UTC),
    datetime(2026, 7, 15, tzinfo=UTC),
    datetime(2026, 10, 15, tzinfo=UTC),
)
PAYOUT_DAYS = 2
CURRENCY = "EUR"
#: Orders per 10 lines: 4, of 1, 2, 3 and 4 lines.
ORDERS_PER_BLOCK = 4
SHIPPING = 499
#: The tables loaded in bulk (secondary indexes and foreign keys made again after the load).
BULK_TABLES = (
    "orders",
    "order_lines",
    "order_transitions",
    "refunds",
    "refund_lines",
    "ledger_transactions",
    "ledger_entries",
    "accrual_pieces",
)


@dataclass(frozen=True)
class Seeded:
    lines: int
    orders: int
    creators: int
    designs: int
    #: Rows per ledger table and kind, for the report.
    counts: dict[str, int]
    seconds: float
    #: Whether PostgreSQL's triggers were off while loading (session_replication_role).
    triggers_off: bool
    #: Seconds per kind of statement ("INSERT INTO ledger_entries", "CREATE INDEX", …).
    steps: dict[str, float]


def hdiv(a: str, b: str) -> str:
    """SQL for round_half_even(a / b), a ≥ 0 and b > 0 integers (both dialects divide
    integers exactly)."""
    q, r = f"(({a}) / ({b}))", f"(({a}) % ({b}))"
    return f"({q} + CASE WHEN 2 * {r} > ({b}) THEN 1 WHEN 2 * {r} = ({b}) THEN {q} % 2 ELSE 0 END)"


class Dialect:
    """The few SQL spellings that differ between PostgreSQL and SQLite."""

    def __init__(self, name: str) -> None:
        self.pg = name == "postgresql"

    def series(self, bound: str) -> str:
        """A CTE `s(i)` of 1 … bound (BIGINT: products of epoch seconds exceed 32 bits)."""
        if self.pg:
            return f"WITH s(i) AS (SELECT generate_series(1, CAST({bound} AS BIGINT)))"
        return f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {bound})"

    def ts(self, epoch: str) -> str:
        """A UTCDateTime column's value from epoch seconds (SQLite: SQLAlchemy's text form)."""
        if self.pg:
            return f"to_timestamp({epoch})"
        return f"strftime('%Y-%m-%d %H:%M:%S.000000', {epoch}, 'unixepoch')"

    def period(self, epoch: str) -> str:
        if self.pg:
            return f"to_char(to_timestamp({epoch}) AT TIME ZONE 'UTC', 'YYYY-MM')"
        return f"strftime('%Y-%m', {epoch}, 'unixepoch')"

    def temp(self) -> str:
        return "CREATE TEMPORARY TABLE"


def first_tier(settings: Config) -> tuple[Fraction, int]:
    """The default schedule's first rate and the last unit it covers."""
    starts = sorted(int(unit) for unit in settings.ROYALTY_TIERS)
    rate = Fraction(settings.ROYALTY_TIERS["1"])
    return rate, (starts[1] - 1 if len(starts) > 1 else 10**9)


def plan(lines: int, creators: int, settings: Config) -> dict[str, int]:
    rate, tier_units = first_tier(settings)
    # Lines go to designs round-robin: a design gets ceil(lines / designs) lines of ≤ 2 units.
    designs = max(10 * creators, -(-2 * lines // tier_units))
    blocks, rest = divmod(lines, 10)
    orders = blocks * ORDERS_PER_BLOCK + sum(1 for start in (0, 1, 3, 6) if start < rest)
    return {
        "lines": lines,
        "orders": orders,
        "creators": creators,
        "designs": designs,
        "buyers": max(1000, orders // 20),
        "rate_num": rate.numerator,
        "rate_den": rate.denominator,
        "start": int(START.timestamp()),
        "now": int(END.timestamp()),
        "span": int((END - START).total_seconds()) - 120,
        "window": settings.ROYALTY_RETURN_DAYS * DAY,
        "minimum": settings.ROYALTY_PAYOUT_MINIMUM,
    }


def orders_sql(d: Dialect) -> str:
    """One row per order: when it was paid and fulfilled, and its refund (kind, instant)."""
    return f"""
{d.temp()} bench_orders AS
SELECT k, paid, ful,
       CASE WHEN refund_at < :now THEN kind END AS kind,
       CASE WHEN refund_at < :now THEN refund_at END AS refund_at
FROM (
  SELECT k, paid, ful, kind,
         CASE WHEN kind = 'part' THEN paid + 6 * {DAY}
              WHEN kind = 'late' THEN ful + :window + 10 * {DAY}
              WHEN kind = 'full' THEN paid + 5 * {DAY} END AS refund_at
  FROM (
    SELECT k, paid,
           CASE WHEN paid + (2 + k % 3) * {DAY} < :now THEN paid + (2 + k % 3) * {DAY} END AS ful,
           CASE WHEN k % 100 = 7 THEN 'full'
                WHEN k % 100 = 61 AND paid + (2 + k % 3) * {DAY} < :now THEN 'late'
                WHEN k % 100 IN (38, 50, 84) THEN 'part' END AS kind
    FROM (
      {d.series(":orders")}
      SELECT i AS k, :start + 60 + ((i - 1) * :span) / :orders AS paid FROM s
    ) AS o1
  ) AS o2
) AS o3
"""


def lines_sql(d: Dialect) -> str:
    """One row per order line: its money, royalty, refund, reversal and clearing."""
    within = "(i - 1) % 10"
    # Each block of 10 lines is 4 orders of 1, 2, 3 and 4 lines: the line's order within the
    # block, and where that order's lines start.
    offset = f"CASE WHEN {within} < 1 THEN 0 WHEN {within} < 3 THEN 1 WHEN {within} < 6 THEN 2 ELSE 3 END"  # noqa: E501
    start = f"CASE WHEN {within} < 1 THEN 0 WHEN {within} < 3 THEN 1 WHEN {within} < 6 THEN 3 ELSE 6 END"  # noqa: E501
    reversed_in = "(ref_units > 0 AND NOT from_cleared)"
    return f"""
{d.temp()} bench_lines AS
SELECT l3.*,
       x - CASE WHEN {reversed_in} THEN rev ELSE 0 END AS clear_amt
FROM (
  SELECT l2.*,
         {hdiv("x * ref_units", "qty")} AS rev,
         {hdiv("net * ref_units", "qty")} AS rev_net,
         (ref_units > 0 AND clear_at IS NOT NULL AND refund_at >= clear_at) AS from_cleared,
         sum(qty) OVER (PARTITION BY design ORDER BY i) - qty + 1 AS first_unit
  FROM (
    SELECT l1.*, gross - net AS tax, {hdiv("net * :rate_num", ":rate_den")} AS x
    FROM (
      SELECT l0.i, l0.k, l0.design, l0.creator, l0.qty, l0.unit_price, l0.pos,
             l0.unit_price * l0.qty AS gross,
             {hdiv("l0.unit_price * l0.qty * 5", "6")} AS net,
             o.paid, o.ful, o.kind, o.refund_at,
             CASE WHEN o.kind IN ('full', 'late') THEN l0.qty
                  WHEN o.kind = 'part' AND l0.pos = 0 THEN 1 ELSE 0 END AS ref_units,
             CASE WHEN o.ful + :window <= :now THEN o.ful + :window END AS clear_at
      FROM (
        {d.series(":lines")}
        SELECT i,
               ((i - 1) / 10) * {ORDERS_PER_BLOCK} + {offset} + 1 AS k,
               {within} - {start} AS pos,
               1 + (i - 1) % :designs AS design,
               1 + ((i - 1) % :designs) % :creators AS creator,
               CASE WHEN i % 5 = 0 THEN 2 ELSE 1 END AS qty,
               1990 + (i % 13) * 105 AS unit_price
        FROM s
      ) AS l0 JOIN bench_orders AS o ON o.k = l0.k
    ) AS l1
  ) AS l2
) AS l3
"""


def ledger_sql(d: Dialect) -> list[str]:
    """Shop rows and the ledger, from the staging tables."""
    ts, per = d.ts, d.period
    eur = f"'{CURRENCY}'"
    state = (
        "CASE WHEN o.kind IN ('full', 'late') THEN 'refunded' "
        "WHEN o.kind = 'part' THEN 'partially_refunded' "
        "WHEN o.ful IS NOT NULL THEN 'fulfilled' ELSE 'paid' END"
    )
    ship_tax = SHIPPING - (SHIPPING * 5 + 3) // 6  # 20 % VAT inside the shipping, half-even
    return [
        # Orders, with their totals from their lines.
        f"""
INSERT INTO orders (id, number, email, user_id, locale, ship_name, ship_line1, ship_line2,
  ship_city, ship_postcode, ship_country, subtotal_amount, subtotal_currency, shipping_amount,
  shipping_currency, tax_amount, tax_currency, total_amount, total_currency, state,
  checkout_reference, payment_reference, expires_at, stock_released, tracking_number,
  created_at, paid_at, fulfilled_at)
SELECT o.k, 'CC-B' || o.k, 'buyer' || (o.k % :buyers) || '@bench.test',
  :creators + 1 + o.k % :buyers, 'en', 'Bench Buyer', '1 rue du Banc', '', 'Lyon', '69001',
  'FR', t.gross, {eur}, {SHIPPING}, {eur}, t.tax + {ship_tax}, {eur}, t.gross + {SHIPPING},
  {eur}, {state}, 'cs_bench_' || o.k, 'pi_bench_' || o.k, {ts("o.paid + 1200")}, FALSE,
  CASE WHEN o.ful IS NULL THEN '' ELSE 'TRK' || o.k END, {ts("o.paid - 600")}, {ts("o.paid")},
  {ts("o.ful")}
FROM bench_orders AS o JOIN (
  SELECT k, sum(gross) AS gross, sum(tax) AS tax FROM bench_lines GROUP BY k
) AS t ON t.k = o.k
""",
        f"""
INSERT INTO order_lines (id, order_id, variant_id, sku, design_id, designer_id, title, product,
  colour, size, quantity, unit_price_amount, unit_price_currency, vat_rate, net_amount,
  net_currency, tax_amount, tax_currency)
SELECT i, k, design, 'TEE-' || design || '-BLK-M', design, creator, 'Design ' || design, 'tee',
  'black', 'M', qty, unit_price, {eur}, 0.2, net, {eur}, tax, {eur}
FROM bench_lines
""",
        f"""
INSERT INTO order_transitions (order_id, actor_id, from_state, to_state, reason, created_at)
SELECT k, CAST(NULL AS INTEGER), 'pending_payment', 'paid', '', {ts("paid")} FROM bench_orders
UNION ALL
SELECT k, CAST(NULL AS INTEGER), 'paid', 'fulfilled', '', {ts("ful")}
FROM bench_orders WHERE ful IS NOT NULL
UNION ALL
SELECT k, CAST(:staff AS INTEGER),
  CASE WHEN ful IS NOT NULL AND ful < refund_at THEN 'fulfilled' ELSE 'paid' END,
  CASE WHEN kind = 'part' THEN 'partially_refunded' ELSE 'refunded' END, 'bench refund',
  {ts("refund_at")}
FROM bench_orders WHERE kind IS NOT NULL
""",
        f"""
INSERT INTO refunds (id, order_id, state, cause, amount_amount, amount_currency,
  includes_shipping, payment_reference, gateway_reference, reason, requested_by_id, created_at,
  done_at, restock)
SELECT o.k, o.k, 'done', 'staff',
  t.amount + CASE WHEN o.kind = 'part' THEN 0 ELSE {SHIPPING} END, {eur},
  o.kind <> 'part', 'pi_bench_' || o.k, 're_bench_' || o.k, 'bench refund', :staff,
  {ts("o.refund_at")}, {ts("o.refund_at")}, FALSE
FROM bench_orders AS o JOIN (
  SELECT k, sum(unit_price * ref_units) AS amount FROM bench_lines WHERE ref_units > 0
  GROUP BY k
) AS t ON t.k = o.k
""",
        f"""
INSERT INTO refund_lines (refund_id, order_line_id, quantity, amount_amount, amount_currency,
  net_amount, net_currency, tax_amount, tax_currency)
SELECT k, i, ref_units, unit_price * ref_units, {eur}, rev_net, {eur},
  unit_price * ref_units - rev_net, {eur}
FROM bench_lines WHERE ref_units > 0
""",
        # Accruals, reversals, clearings: transactions, legs, pieces.
        f"""
INSERT INTO ledger_transactions (id, kind, creator_id, period, occurred_at, currency,
  order_line_id, design_id, units, memo)
SELECT i, 'accrual', creator, {per("paid")}, {ts("paid")}, {eur}, i, design, qty, ''
FROM bench_lines
""",
        f"""
INSERT INTO ledger_transactions (id, kind, creator_id, period, occurred_at, currency,
  order_line_id, refund_id, design_id, related_id, units, memo)
SELECT :lines + i, 'reversal', creator, {per("refund_at")}, {ts("refund_at")}, {eur}, i, k,
  design, i, ref_units, ''
FROM bench_lines WHERE ref_units > 0
""",
        f"""
INSERT INTO ledger_transactions (id, kind, creator_id, period, occurred_at, currency,
  related_id, memo)
SELECT 2 * :lines + i, 'clearing', creator, {per("clear_at")}, {ts("clear_at")}, {eur}, i, ''
FROM bench_lines WHERE clear_at IS NOT NULL AND clear_amt > 0
""",
        f"""
INSERT INTO ledger_entries (transaction_id, account, creator_id, period, amount_amount,
  amount_currency)
SELECT i, 'creator_pending', creator, {per("paid")}, x, {eur} FROM bench_lines
UNION ALL
SELECT i, 'royalty_expense', creator, {per("paid")}, -x, {eur} FROM bench_lines
UNION ALL
SELECT :lines + i, CASE WHEN from_cleared THEN 'creator_cleared' ELSE 'creator_pending' END,
  creator, {per("refund_at")}, -rev, {eur}
FROM bench_lines WHERE ref_units > 0
UNION ALL
SELECT :lines + i, 'royalty_expense', creator, {per("refund_at")}, rev, {eur}
FROM bench_lines WHERE ref_units > 0
UNION ALL
SELECT 2 * :lines + i, 'creator_pending', creator, {per("clear_at")}, -clear_amt, {eur}
FROM bench_lines WHERE clear_at IS NOT NULL AND clear_amt > 0
UNION ALL
SELECT 2 * :lines + i, 'creator_cleared', creator, {per("clear_at")}, clear_amt, {eur}
FROM bench_lines WHERE clear_at IS NOT NULL AND clear_amt > 0
""",
        f"""
INSERT INTO accrual_pieces (id, transaction_id, tier, first_unit, units, rate, per_unit_amount,
  net_base_amount, net_base_currency, amount_amount, amount_currency, reverses_id)
SELECT i, i, 1, first_unit, qty, :rate, CAST(NULL AS BIGINT), net, {eur}, x, {eur},
  CAST(NULL AS INTEGER)
FROM bench_lines
UNION ALL
SELECT :lines + i, :lines + i, 1, first_unit + qty - ref_units, ref_units, :rate,
  CAST(NULL AS BIGINT),
  rev_net, {eur}, rev, {eur}, i
FROM bench_lines WHERE ref_units > 0
""",
        """
INSERT INTO royalty_design_units (design_id, units)
SELECT design, sum(qty - ref_units) FROM bench_lines GROUP BY design
""",
    ]


def payout_sql(d: Dialect) -> list[str]:
    """One payout round at :at (arriving at :arrived): every fourth creator whose cleared
    balance before :at reached the minimum is paid all of it."""
    ts_at, eur = ":at", f"'{CURRENCY}'"
    return [
        f"""
INSERT INTO payouts (creator_id, batch, amount_amount, amount_currency, method, state,
  reference, failure, created_by_id, created_at, settled_at)
SELECT e.creator_id, CAST(:batch AS VARCHAR), sum(e.amount_amount), {eur}, 'manual', 'paid',
  'BANK-' || CAST(:batch AS VARCHAR) || '-' || e.creator_id, '', :staff, {ts_at}, :arrived
FROM ledger_entries AS e JOIN ledger_transactions AS t ON t.id = e.transaction_id
WHERE e.account = 'creator_cleared' AND e.creator_id % 4 = 0 AND t.occurred_at < :at
GROUP BY e.creator_id HAVING sum(e.amount_amount) >= :minimum
""",
        """
INSERT INTO payout_transitions (payout_id, actor_id, from_state, to_state, reason, created_at)
SELECT id, :staff, 'sent', 'paid', reference, :arrived FROM payouts WHERE batch = :batch
""",
        f"""
INSERT INTO ledger_transactions (id, kind, creator_id, period, occurred_at, currency,
  payout_id, memo)
SELECT 3 * :lines + 2 * id - 1, 'payout', creator_id, :at_period, :at, {eur}, id, reference
FROM payouts WHERE batch = :batch
UNION ALL
SELECT 3 * :lines + 2 * id, 'payout', creator_id, :arrived_period, :arrived, {eur}, id, reference
FROM payouts WHERE batch = :batch
""",
        f"""
INSERT INTO ledger_entries (transaction_id, account, creator_id, period, amount_amount,
  amount_currency)
SELECT 3 * :lines + 2 * id - 1, 'creator_cleared', creator_id, :at_period, -amount_amount, {eur}
FROM payouts WHERE batch = :batch
UNION ALL
SELECT 3 * :lines + 2 * id - 1, 'payouts_in_transit', creator_id, :at_period, amount_amount,
  {eur}
FROM payouts WHERE batch = :batch
UNION ALL
SELECT 3 * :lines + 2 * id, 'payouts_in_transit', creator_id, :arrived_period, -amount_amount,
  {eur}
FROM payouts WHERE batch = :batch
UNION ALL
SELECT 3 * :lines + 2 * id, 'cash', creator_id, :arrived_period, amount_amount, {eur}
FROM payouts WHERE batch = :batch
""",
    ]


def _people(conn: Connection, p: dict[str, int]) -> int:
    """Creators, buyers, a staff member and the designs (a few ten thousand rows: a plain
    executemany). Returns the staff member's id."""
    long_ago = START - timedelta(days=400)
    creators, buyers = p["creators"], p["buyers"]
    users: list[dict[str, Any]] = [
        {
            "id": n,
            "email": f"creator{n}@bench.test" if n <= creators else f"buyer{n}@bench.test",
            "display_name": f"Creator {n}" if n <= creators else f"Buyer {n}",
            "password_hash": "x",
            "email_verified_at": long_ago,
            "created_at": long_ago,
        }
        for n in range(1, creators + buyers + 1)
    ]
    staff = creators + buyers + 1
    users.append(
        {
            "id": staff,
            "email": "staff@bench.test",
            "display_name": "Bench Staff",
            "password_hash": "x",
            "role": Role.STAFF,
            "email_verified_at": long_ago,
            "created_at": long_ago,
        }
    )
    conn.execute(insert(User), users)
    conn.execute(
        insert(Design),
        [
            {
                "id": n,
                "designer_id": 1 + (n - 1) % creators,
                "title": f"Design {n}",
                "state": DesignState.ON_SALE,
                "created_at": long_ago,
                "updated_at": long_ago,
                "submitted_at": long_ago,
                "published_at": long_ago,
                "voting_ends_at": long_ago + timedelta(days=7),
                "original_key": f"{n:064x}.png",
                "thumb_webp_key": f"{n:064x}.webp",
                "thumb_jpeg_key": f"{n:064x}.jpg",
                "gallery_webp_key": f"{n:064x}g.webp",
                "gallery_jpeg_key": f"{n:064x}g.jpg",
                "width": 3000,
                "height": 3000,
            }
            for n in range(1, p["designs"] + 1)
        ],
    )
    return staff


def _period(at: datetime) -> str:
    return at.strftime("%Y-%m")


def _load(conn: Connection, d: Dialect, p: dict[str, int], settings: Config) -> None:
    staff = _people(conn, p)
    params = {**p, "staff": staff, "rate": float(Fraction(settings.ROYALTY_TIERS["1"]))}
    for statement in (orders_sql(d), lines_sql(d)):
        conn.execute(text(statement), params)
    if d.pg:
        conn.execute(text("ANALYZE bench_orders"))
        conn.execute(text("ANALYZE bench_lines"))
    for statement in ledger_sql(d):
        conn.execute(text(statement), params)
    stamp = UTCDateTime()
    for at in PAYOUT_ROUNDS:
        arrived = at + timedelta(days=PAYOUT_DAYS)
        round_params = {
            "lines": p["lines"],
            "staff": staff,
            "minimum": p["minimum"],
            "batch": f"bench-{_period(at)}",
            "at": at,
            "arrived": arrived,
            "at_period": _period(at),
            "arrived_period": _period(arrived),
        }
        for statement in payout_sql(d):
            typed = [name for name in ("at", "arrived") if re.search(rf":{name}\b", statement)]
            bound = text(statement).bindparams(*(bindparam(n, type_=stamp) for n in typed))
            conn.execute(bound, round_params)
    conn.execute(text("DROP TABLE bench_lines"))
    conn.execute(text("DROP TABLE bench_orders"))


def _move_sequences(conn: Connection) -> None:
    for table in ("users", "designs", "orders", "order_lines", "refunds",
                  "ledger_transactions", "accrual_pieces"):  # fmt: skip
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        )


def counts(conn: Connection) -> dict[str, int]:
    rows = conn.execute(
        text("SELECT kind, count(*) FROM ledger_transactions GROUP BY kind ORDER BY kind")
    ).all()
    result = {f"transactions_{kind}": int(n) for kind, n in rows}
    for table in ("order_lines", "orders", "refunds", "ledger_entries", "accrual_pieces",
                  "payouts"):  # fmt: skip
        result[table] = int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    return result


def seed(engine: Engine, *, lines: int, creators: int, triggers_off: bool) -> Seeded:
    """Load everything into an empty, migrated database; ANALYZE (VACUUM ANALYZE on
    PostgreSQL, so index-only scans work as on a live database)."""
    started = time.perf_counter()
    settings = Config()
    d = Dialect(engine.dialect.name)
    p = plan(lines, creators, settings)
    # With its triggers on, PostgreSQL refuses to make an index on a table with pending
    # (deferred) trigger events: the legs are then loaded into their indexes, and each INSERT
    # runs the balance check at its end (SET CONSTRAINTS ALL IMMEDIATE), one index probe a leg.
    keep = {"ledger_entries"} if d.pg and not triggers_off else set()
    tables = [Base.metadata.tables[name] for name in BULK_TABLES if name not in keep]
    steps: dict[str, float] = {}
    with engine.begin() as conn, _timing(conn, steps):
        if d.pg and triggers_off:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        elif d.pg:
            conn.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))
        with ExitStack() as bulk:
            for table in tables:
                bulk.enter_context(_bulk_load(conn, table))
            _load(conn, d, p, settings)
        if d.pg:
            _move_sequences(conn)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if d.pg else "ANALYZE"))
        if d.pg:
            # Write the load's dirty pages now: else the checkpointer writes them while the
            # measurements run, weighing on whichever runs then.
            conn.execute(text("CHECKPOINT"))
        found = counts(conn)
    return Seeded(
        lines=lines,
        orders=p["orders"],
        creators=creators,
        designs=p["designs"],
        counts=found,
        seconds=time.perf_counter() - started,
        triggers_off=d.pg and triggers_off,
        steps={k: round(v, 1) for k, v in sorted(steps.items(), key=lambda kv: -kv[1])},
    )


@contextmanager
def _timing(conn: Connection, steps: dict[str, float]) -> Iterator[None]:
    """Adds each statement's time to `steps` under its first words: the table an INSERT fills,
    CREATE INDEX, ALTER TABLE (a foreign key made again), …"""

    def before(*_args: Any) -> None:
        conn.info["bench_step"] = time.perf_counter()

    def after(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        words = sql.split()
        key = " ".join(words[:3] if words[0] == "INSERT" else words[:2])
        steps[key] = steps.get(key, 0.0) + time.perf_counter() - conn.info["bench_step"]

    event.listen(conn, "before_cursor_execute", before)
    event.listen(conn, "after_cursor_execute", after)
    try:
        yield
    finally:
        event.remove(conn, "before_cursor_execute", before)
        event.remove(conn, "after_cursor_execute", after)

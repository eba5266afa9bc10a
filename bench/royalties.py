"""Benchmark of closing a royalty month and of `verify`, beside bare aggregates of the same run.

    python bench/royalties.py [--json] [--lines N] [--creators N] [--growth] [--repeat N]
                              [--database-url URL | --sqlite] [--keep] [--profile]
                              [--triggers-off]

Creates a fresh database (on the PostgreSQL server of `--database-url`, by default
postgresql+psycopg://postgres@127.0.0.1:5432, or a temporary SQLite file with `--sqlite`),
migrates it to head and seeds it set-based (bench/royalties_seed.py): 1,000,000 paid order
lines of 2,000 creators over 2025-12 … 2026-11 with what the app writes for them (orders,
refunds, accruals with their pieces, reversals, clearings, payouts). Then, in a fresh process
(forked from a server started before any seeding, so that its peak RSS is the closing's and
verifying's, not the seeding's; see `start_forkserver`):

* the months before 2026-10 are closed (timed, not compared);
* close: `close_period(session, "2026-10")` in a transaction rolled back (a month closes
  once: there is no fresh copy to close again), against `SELECT creator_id, account,
  sum(amount_amount) FROM ledger_entries WHERE period = '2026-10' GROUP BY creator_id,
  account`, after a warm-up run of the baseline;
* 2026-10 and 2026-11 are then closed for good, so every month has its statements, and
* verify: `verify(session, settings=…)` over the twelve months (its quick check: fingerprints,
  see cocreate/royalties/fingerprints.py), after a warm-up run of both, against the same bare
  GROUP BY over every entry; `verify(…, full=True)` (every exact check) is timed once beside it,
  for the record;
* each subject and its baseline are tried `--repeat` times (3), alternating which goes first
  so that other work on the machine weighs on both alike; the best of each is compared;
* peak RSS of that process (resource.getrusage), and its peak before the first close.

Targets: close ≤ 3× its baseline, verify ≤ 3× its baseline, peak RSS flat as lines grow
(`--growth` runs at a quarter of `--lines` first, then at `--lines`, each on a fresh database).
`--profile` lists the slowest SQL statements of one close and one verify. `--keep` keeps the
database (its URL is printed). `--triggers-off` loads with PostgreSQL's triggers off
(session_replication_role = replica): the deferred trigger checking each ledger transaction's
balance then does not fire once per leg at commit (verify checks the same thing after).

With `--json` the last line is one JSON object: backend, close_month_ratio, verify_ratio,
peak_rss_mb, and per scale (`runs`): lines, rows per table, seed_seconds, close_seconds (each
try), close_best_seconds, close_baseline_seconds, verify_seconds, verify_baseline_seconds,
verify_problems, verify_full_seconds, verify_full_problems, statements, rss_before_mb,
peak_rss_mb.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import forkserver, get_context
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from alembic import command  # noqa: E402 - after the path fix on purpose
from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.royalties_seed import END, Seeded, seed  # noqa: E402
from cocreate.core import db  # noqa: E402
from cocreate.core.cli import alembic_config  # noqa: E402

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MONTH = "2026-10"
BEFORE = "2026-09"
LAST = "2026-11"
TARGET = 3.0
MONTH_BASELINE = (
    "SELECT creator_id, account, sum(amount_amount) FROM ledger_entries "
    "WHERE period = :period GROUP BY creator_id, account"
)
ALL_BASELINE = (
    "SELECT creator_id, account, sum(amount_amount) FROM ledger_entries "
    "GROUP BY creator_id, account"
)


def rss_mb() -> float:
    """This process's peak resident set so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(run: Callable[[], Any]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def alternate(
    repeat: int, subject: Callable[[], Any], baseline: Callable[[], Any]
) -> tuple[list[float], list[float]]:
    """`repeat` tries of each, alternating which goes first, so that other work on the
    machine weighs on both alike."""
    mine: list[float] = []
    base: list[float] = []
    for attempt in range(repeat):
        pairs = [(subject, mine), (baseline, base)]
        for run, times in pairs if attempt % 2 else pairs[::-1]:
            times.append(timed(run))
    return mine, base


class Statements:
    """With --profile: the time of every SQL statement run on an engine, slowest first."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.seen: list[tuple[float, str]] = []
        self.on = False
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, _cursor: Any, _sql: str, *_args: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if self.on:
            self.seen.append((time.perf_counter() - conn.info["bench_started"], sql))

    @contextmanager
    def record(self, label: str, into: dict[str, Any]) -> Iterator[None]:
        self.seen, self.on = [], True
        yield
        self.on = False
        slowest = sorted(self.seen, key=lambda item: -item[0])[:6]
        into[label] = [
            {"seconds": round(s, 3), "sql": " ".join(sql.split())[:600]} for s, sql in slowest
        ]
        into[label + "_statement_count"] = len(self.seen)


def measure(url: str, repeat: int, profile: bool) -> dict[str, Any]:
    """Run in the measuring process: close and verify against their baselines; peak RSS."""
    from cocreate import create_app
    from cocreate.config import Config
    from cocreate.royalties.periods import close_period
    from cocreate.royalties.verify import verify

    app = create_app({"DATABASE_URL": url})
    settings: Config = app.extensions["cocreate.config"]
    out: dict[str, Any] = {}
    with app.app_context():
        engine = db.engine(app)
        statements = Statements(engine) if profile else None
        with engine.connect() as conn:
            out["month_entries"] = conn.execute(
                text("SELECT count(*) FROM ledger_entries WHERE period = :p"), {"p": MONTH}
            ).scalar_one()
        out["rss_before_mb"] = round(rss_mb(), 1)
        base_conn = engine.connect()

        def month_baseline() -> None:
            base_conn.execute(text(MONTH_BASELINE), {"period": MONTH}).all()

        def all_baseline() -> None:
            base_conn.execute(text(ALL_BASELINE)).all()

        started = time.perf_counter()
        with Session(engine) as session:
            close_period(session, BEFORE, actor_id=None, now=END)
            session.commit()
        out["close_earlier_seconds"] = round(time.perf_counter() - started, 2)
        written: list[int] = []

        def close_rolled_back() -> None:
            with engine.connect() as conn, conn.begin() as outer:
                session = Session(bind=conn)
                recording = (
                    statements.record("close_profile", out)
                    if statements and not written
                    else _nothing()
                )
                with recording:
                    written.append(close_period(session, MONTH, actor_id=None, now=END).statements)
                    session.flush()
                session.close()
                outer.rollback()

        month_baseline()  # warm-up: the month's pages in the cache
        out["close_tries"], out["close_baseline_tries"] = alternate(
            repeat, close_rolled_back, month_baseline
        )
        out["statements"] = written[0]
        with Session(engine) as session:
            close_period(session, LAST, actor_id=None, now=END)
            session.commit()
        with Session(engine) as session:
            all_baseline()
            out["verify_problems"] = verify(session, settings=settings)  # warm-up
            if statements:
                with statements.record("verify_profile", out):
                    verify(session, settings=settings)
            out["verify_tries"], out["verify_baseline_tries"] = alternate(
                repeat, lambda: verify(session, settings=settings), all_baseline
            )

            # Every exact check, once, for the record (no target: run weekly, or when the
            # quick check finds something).
            def full() -> list[str]:
                return verify(session, settings=settings, full=True)

            out["verify_full_problems"] = len(full())
            out["verify_full_seconds"] = timed(full)
            session.rollback()
        base_conn.close()
    out["peak_rss_mb"] = round(rss_mb(), 1)
    return out


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def start_forkserver() -> None:
    """Measuring processes are forked from a fork server started before any seeding: Linux
    counts in a child's ru_maxrss the size of the process it was forked from (even across an
    exec, as multiprocessing's "spawn" does), and a parent that has just seeded a million
    lines is larger than a fresh process. The server is small and the same at every scale."""
    forkserver.ensure_running()


def in_child(url: str, repeat: int, profile: bool) -> dict[str, Any]:
    """`measure` in a fresh process of its own (one per scale)."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("forkserver")) as pool:
        return pool.submit(measure, url, repeat, profile).result()


@contextmanager
def database(args: argparse.Namespace, scratch: Path) -> Iterator[str]:
    """A fresh database for one run, dropped after it unless --keep."""
    if args.sqlite:
        folder = Path(tempfile.mkdtemp(prefix="cocreate_rbench_")) if args.keep else scratch
        yield f"sqlite:///{folder / f'royalties_{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    url = make_url(args.database_url)
    name = f"cocreate_rbench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def one_scale(args: argparse.Namespace, lines: int, scratch: Path) -> dict[str, Any]:
    with database(args, scratch) as url:
        command.upgrade(alembic_config(url), "head")
        engine = db.make_engine(url)
        seeded: Seeded = seed(
            engine, lines=lines, creators=args.creators, triggers_off=args.triggers_off
        )
        backend = engine.dialect.name
        engine.dispose()
        print(f"{backend}: seeded {lines:,} lines, {seeded.counts['ledger_entries']:,} ledger "
              f"entries in {seeded.seconds:.1f} s", file=sys.stderr)  # fmt: skip
        found = in_child(url, args.repeat, args.profile)
        if args.keep:
            print(f"kept: {url}", file=sys.stderr)
    run: dict[str, Any] = {
        "backend": backend,
        "lines": lines,
        "creators": args.creators,
        "designs": seeded.designs,
        "orders": seeded.orders,
        "rows": seeded.counts,
        "seed_seconds": round(seeded.seconds, 1),
        "triggers_off": seeded.triggers_off,
        "seed_steps": seeded.steps,
        **{k: v for k, v in found.items() if not k.endswith("_tries")},
    }
    for name in ("close", "close_baseline", "verify", "verify_baseline"):
        tries = found.get(f"{name}_tries")
        run[f"{name}_seconds"] = [round(t, 4) for t in tries] if tries else None
        run[f"{name}_best_seconds"] = round(min(tries), 4) if tries else None
    run["close_month_ratio"] = _ratio(run["close_best_seconds"], run["close_baseline_best_seconds"])
    run["verify_ratio"] = _ratio(run["verify_best_seconds"], run["verify_baseline_best_seconds"])
    problems = found.get("verify_problems")
    run["verify_problem_count"] = None if problems is None else len(problems)
    run["verify_problems"] = None if problems is None else problems[:10]
    return run


def _ratio(subject: float | None, baseline: float | None) -> float | None:
    if subject is None or not baseline:
        return None
    return round(subject / baseline, 2)


def report(run: dict[str, Any]) -> None:
    rows = run["rows"]
    print(f"{run['backend']}: {run['lines']:,} paid order lines, {run['creators']:,} creators, "
          f"{run['orders']:,} orders, {rows['ledger_entries']:,} ledger entries "
          f"({run['month_entries']:,} in {MONTH}); seeded in {run['seed_seconds']} s"
          f"{' (triggers off)' if run['triggers_off'] else ''}")  # fmt: skip
    kinds = ", ".join(f"{k.removeprefix('transactions_')} {v:,}" for k, v in rows.items()
                      if k.startswith("transactions_"))  # fmt: skip
    print(f"  transactions: {kinds}; refunds {rows['refunds']:,}, payouts {rows['payouts']:,}")
    print(f"  earlier months closed in {run['close_earlier_seconds']} s")
    fmt = "  {:<34}{:>10}{:>14}{:>8}   target <= {}x"
    print("  {:<34}{:>10}{:>14}{:>8}".format("", "best s", "baseline s", "ratio"))
    for label, name, ratio in (
        (f"close {MONTH} ({run.get('statements')} statements)", "close", "close_month_ratio"),
        ("verify (12 months)", "verify", "verify_ratio"),
    ):
        mine, base = run[f"{name}_best_seconds"], run[f"{name}_baseline_best_seconds"]
        print(fmt.format(label, _s(mine), _s(base), _s(run[ratio]), TARGET))
    if run.get("verify_full_seconds") is not None:
        full, found = run["verify_full_seconds"], run["verify_full_problems"]
        print(f"  verify --full (every exact check, no target): {full:.2f} s, {found} problem(s)")
    print(f"  verify problems: {run['verify_problem_count']}"
          + "".join(f"\n    {p}" for p in run["verify_problems"] or []))  # fmt: skip
    print(f"  measuring process RSS: {run['rss_before_mb']} MB before closing, peak "
          f"{run['peak_rss_mb']} MB")  # fmt: skip
    if run.get("close_profile"):
        steps = ", ".join(f"{k} {v} s" for k, v in list(run["seed_steps"].items())[:8])
        print(f"  seeding: {steps}")
    for label in ("close_profile", "verify_profile"):
        for item in run.get(label, []):
            print(f"  {label} {item['seconds']:>8.3f} s  {item['sql'][:300]}")


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}".rstrip("0")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="end with one JSON summary line")
    parser.add_argument("--lines", type=int, default=1_000_000, help="paid order lines")
    parser.add_argument("--creators", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed tries per measure")
    parser.add_argument(
        "--growth", action="store_true", help="run at --lines / 4 first, then at --lines"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database(s)")
    parser.add_argument("--profile", action="store_true", help="list the slowest statements")
    parser.add_argument(
        "--triggers-off",
        action="store_true",
        help="PostgreSQL: load with session_replication_role = replica (no trigger fires)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url", default=PG_SERVER, help="a PostgreSQL server")
    where.add_argument("--sqlite", action="store_true", help="a temporary SQLite file")
    args = parser.parse_args(argv)
    scales = [max(1, args.lines // 4), args.lines] if args.growth else [args.lines]
    runs = []
    start_forkserver()
    with tempfile.TemporaryDirectory() as tmp:
        for lines in scales:
            run = one_scale(args, lines, Path(tmp))
            report(run)
            runs.append(run)
    last = runs[-1]
    summary = {
        "backend": last["backend"],
        "lines": last["lines"],
        "close_month_ratio": last["close_month_ratio"],
        "verify_ratio": last["verify_ratio"],
        "peak_rss_mb": max(run["peak_rss_mb"] for run in runs),
        "peak_rss_by_lines_mb": {str(run["lines"]): run["peak_rss_mb"] for run in runs},
        "verify_problem_count": last["verify_problem_count"],
        "runs": runs,
    }
    if len(runs) > 1:
        scales_rss = ", ".join(f"{r['lines']:,} lines {r['peak_rss_mb']} MB" for r in runs)
        print(f"peak RSS of the measuring process: {scales_rss}")
    if args.json:
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark of voting and the gallery under concurrent load, beside baselines of the same run.

    python bench/voting.py [--json] [--designs N] [--votes N] [--seconds S] [--rounds N]
                           [--threads N] [--members N] [--limits redis|memory|none]
                           [--skip-gallery] [--pg | --database-url URL]

Seeds 10,000 designs (three quarters public, a third in voting, 15 % on sale, 3 tags each) and
1,000,000 votes (long-tailed per design, about 13 % "I'd buy it") into a temporary SQLite file,
or into a fresh database on a PostgreSQL server (`--pg`: postgresql+psycopg://postgres@127.0.0.1
:5432; `--database-url`: any server; the database is created for the run and dropped after it).
Counters are set from the rows and the ranking refreshed, as the vote service and the periodic
job leave them (bench/voting_seed.py). Then gunicorn serves bench/voting_app.py on 127.0.0.1
(2 workers on a free port; its settings and bench-only routes are described there: CSRF off,
vote rate limits raised), its rate limits counted in a Redis server started for the run, as
production counts them (`--limits memory`: in each worker's memory, as a single-process dev
server does; `--limits none`: the limiter off). The vote's baseline goes through the same
limits (see bench/voting_app.py). `--threads` client threads measure, for `--rounds` rounds
of `--seconds` each, subject and baseline alternating so background load skews both alike:

* gallery: each view (voting, ending, newest, top, on sale, the most used tag's page, a search
  for a common word) against the same template rendered from pages held in memory;
* vote: POST /designs/<id>/vote (JSON answer) by distinct logged-in members (each thread its
  own members; one vote in five changes a vote the member cast earlier in the run) against
  POST /_bench/insert, one bare INSERT and commit on the same database, posted by the same
  logged-in members with the same cookies and addresses: the baseline pays what a vote pays
  that is not voting work (the same rate limits, the member's session load, the write
  transaction and its commit), and nothing of voting (see bench/voting_app.py).

Targets (on SQLite): every gallery view >= 50 % of its baseline's requests/s, votes >= 40 %, p99
of both under 250 ms, and no vote lost: after the run every design's counters equal its rows.
Until the vote route exists (a 404) the vote half is skipped with a message.

Beside requests/s, each row shows the server's CPU time per request: user + system time of its
gunicorn workers, the run's Redis, and on PostgreSQL the database's backends, over the rounds
(from /proc). On a machine busy with other work, throughput and latency follow that work while
CPU per request barely does, so its ratio (baseline CPU / subject CPU) is what an idle
machine's throughput ratio would be. Run it on an idle machine for p99.

With `--json` the last line is one JSON object: backend, designs, votes, seed_seconds, threads,
limits_storage (redis, memory or none), gallery_ratio (worst view) and gallery_worst,
gallery_p99_ms (worst view), gallery_cpu_ratio (worst view), vote_ratio, vote_p99_ms,
vote_cpu_ratio, vote_errors, lost_votes (sum over designs of |vote_count - counted rows|, null
when the vote half was skipped), counter_mismatches, views (per view: rps, p50_ms, p99_ms,
base_rps, base_p99_ms, ratio, cpu_ms, base_cpu_ms, cpu_ratio, errors, statuses), vote (the
same for votes) and vote_skipped (why, or null). `--skip-gallery` measures the votes only
(the gallery's figures are then null).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from alembic import command  # noqa: E402 - after the path fix on purpose
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402

from bench.voting_app import bench_metadata  # noqa: E402
from bench.voting_limits import Limits, free_port, limits_storage  # noqa: E402
from bench.voting_load import Call, Client, Measure, children, run  # noqa: E402
from bench.voting_seed import Seeded, seed  # noqa: E402
from cocreate.core import db  # noqa: E402
from cocreate.core.cli import alembic_config  # noqa: E402

GALLERY_TARGET = 0.50
VOTE_TARGET = 0.40
P99_TARGET_MS = 250.0
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
OK = frozenset({200})


def gallery_views(seeded: Seeded) -> dict[str, dict[str, str]]:
    """Each view's query arguments; the real page's path is derived from them."""
    return {
        "voting": {"view": "voting"},
        "ending": {"view": "ending"},
        "newest": {"view": "newest"},
        "top": {"view": "top"},
        "on_sale": {"view": "on_sale"},
        "tag": {"tag": seeded.tag},
        "search": {"q": seeded.search},
    }


def real_path(args: dict[str, str]) -> str:
    if "tag" in args:
        return f"/tags/{args['tag']}"
    return "/gallery?" + urlencode(args)


@dataclass(frozen=True)
class Server:
    port: int
    #: The workers' process ids, for their CPU time.
    workers: list[int]
    #: The database, whose own server processes (PostgreSQL's) count as the app's CPU too.
    engine: Engine
    #: The bench's own Redis, if the rate limits are counted there: its CPU counts too.
    limits: Limits

    def pids(self) -> list[int]:
        """The workers, the bench's Redis if any and, on PostgreSQL, the backends serving this
        database (this machine's server: the bench runs against 127.0.0.1), other than this
        process's own."""
        local = [*self.workers, *self.limits.pids]
        if self.engine.dialect.name != "postgresql":
            return local
        with self.engine.connect() as conn:
            backends = conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalars()
            return [*local, *backends]


@contextmanager
def gunicorn(
    url: str, engine: Engine, scratch: Path, workers: int, limits: Limits
) -> Iterator[Server]:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "BENCH_DATABASE_URL": url,
        "BENCH_LIMITS_STORAGE": limits.uri,
        "BENCH_SECRET_KEY": secrets.token_hex(32),
        "BENCH_UPLOAD_DIR": str(scratch / "uploads"),
    }
    log = (scratch / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers),
         "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT), "--log-level", "warning",
         "bench.voting_app:create_bench_app()"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_ready(port, server, scratch / "gunicorn.log")
        yield Server(port, children(server.pid), engine, limits)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def wait_ready(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped:\n{log.read_text()}")
        try:
            status, _, _ = Client(port, timeout=5).send(Call("GET", "/gallery"))
        except OSError:
            time.sleep(0.2)
            continue
        if status == 200:
            return
        raise SystemExit(f"/gallery answered {status}:\n{log.read_text()}")
    raise SystemExit(f"gunicorn did not answer within 60 s:\n{log.read_text()}")


def compare(
    server: Server,
    subject: Callable[[int, int], Call],
    baseline: Callable[[int, int], Call],
    args: argparse.Namespace,
) -> tuple[Measure, Measure]:
    """Rounds alternate which side goes first; a short warm-up loads both first."""
    for calls in (subject, baseline):
        run(server.port, calls, threads=args.threads, seconds=0.5, ok=OK)
    pids = server.pids()  # after the warm-up, once the pools hold their connections
    mine, base = Measure(), Measure()
    for round_number in range(args.rounds):
        sides = [(subject, mine), (baseline, base)]
        for calls, total in sides if round_number % 2 == 0 else sides[::-1]:
            total.add(
                run(
                    server.port,
                    calls,
                    threads=args.threads,
                    seconds=args.seconds,
                    ok=OK,
                    server_pids=pids,
                )
            )
    return mine, base


def figures(mine: Measure, base: Measure) -> dict[str, Any]:
    return {
        "rps": round(mine.rps, 1),
        "p50_ms": round(mine.p50_ms, 1),
        "p99_ms": round(mine.p99_ms, 1),
        "base_rps": round(base.rps, 1),
        "base_p99_ms": round(base.p99_ms, 1),
        "ratio": round(mine.rps / base.rps, 3) if base.rps else 0.0,
        "cpu_ms": round(mine.cpu_ms, 2),
        "base_cpu_ms": round(base.cpu_ms, 2),
        "cpu_ratio": round(base.cpu_ms / mine.cpu_ms, 3) if mine.cpu_ms else 0.0,
        "errors": mine.errors + base.errors,
        "statuses": {str(k): v for k, v in sorted(mine.statuses.items())},
    }


def bench_gallery(server: Server, seeded: Seeded, args: argparse.Namespace) -> dict[str, Any]:
    views = {}
    for name, query in gallery_views(seeded).items():
        page = Call("GET", real_path(query))
        memory = Call("GET", "/_bench/gallery?" + urlencode(query))
        mine, base = compare(server, lambda _t, _n, c=page: c, lambda _t, _n, c=memory: c, args)
        views[name] = figures(mine, base)
    return views


def log_in(port: int, members: list[int]) -> dict[int, str]:
    client, cookies = Client(port), {}
    for member in members:
        status, _, headers = client.send(Call("POST", f"/_bench/login/{member}"))
        if status != 204:
            raise SystemExit(f"bench login of member {member} answered {status}")
        cookies[member] = headers["Set-Cookie"].split(";", 1)[0]
    client.close()
    return cookies


def vote_call(member: int, cookie: str, path: str, rnd: random.Random) -> Call:
    form = {"score": str(rnd.randint(1, 5)), "member": str(member)}
    if rnd.random() < 0.3:
        form |= {"buy": "y", "size": f"tee:{rnd.choice(('S', 'M', 'L', 'XL'))}"}
    headers = {"Accept": "application/json", "X-Forwarded-For": f"10.{member // 65536 % 256}."
               f"{member // 256 % 256}.{member % 256}"}  # fmt: skip
    if cookie:
        headers["Cookie"] = cookie
    return Call("POST", path, urlencode(form).encode(), headers)


def bench_votes(server: Server, seeded: Seeded, args: argparse.Namespace) -> dict[str, Any] | str:
    """The vote half's figures, or why it was skipped."""
    port = server.port
    members = seeded.voters[: args.members]
    cookies = log_in(port, members[:1])
    design = seeded.open_designs[0]
    probe = vote_call(members[0], cookies[members[0]], f"/designs/{design}/vote", random.Random())
    status, body, _ = Client(port).send(probe)
    if status == 404:
        return "POST /designs/<id>/vote answered 404: the design is not open to votes"
    if status != 200:
        return f"the first vote answered {status}: {body[:300]!r}"
    cookies |= log_in(port, members[1:])
    threads = args.threads
    rnds = [random.Random(t) for t in range(threads)]
    #: Per thread: member -> design it voted on in this run (a later vote may change it).
    voted: list[dict[int, int]] = [{} for _ in range(threads)]
    mine_members = [members[t::threads] for t in range(threads)]

    def vote(t: int, n: int) -> Call:
        own, rnd = mine_members[t], rnds[t]
        member = own[n % len(own)]
        earlier = voted[t].get(member)
        if earlier is not None and rnd.random() < 0.2:
            target = earlier
        else:
            target = rnd.choice(seeded.open_designs)
            voted[t][member] = target
        return vote_call(member, cookies[member], f"/designs/{target}/vote", rnd)

    def insert(t: int, n: int) -> Call:
        own = mine_members[t]
        member = own[n % len(own)]
        return vote_call(member, cookies[member], "/_bench/insert", rnds[t])

    mine, base = compare(server, vote, insert, args)
    return figures(mine, base)


def counter_check(engine: Engine) -> tuple[int, int]:
    """(Σ |vote_count − counted rows| over designs, designs whose counters differ from rows)."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT coalesce(sum(abs(d.vote_count - coalesce(v.n, 0))), 0), "
                "coalesce(sum(CASE WHEN d.vote_count = coalesce(v.n, 0) "
                "AND d.score_sum = coalesce(v.total, 0) "
                "AND d.buy_intent_count = coalesce(v.buys, 0) THEN 0 ELSE 1 END), 0) "
                "FROM designs AS d LEFT JOIN (SELECT design_id, count(*) AS n, "
                "sum(score) AS total, sum(CASE WHEN buy THEN 1 ELSE 0 END) AS buys "
                "FROM votes WHERE counted GROUP BY design_id) AS v ON v.design_id = d.id"
            )
        ).one()
    return int(row[0]), int(row[1])


def measure(url: str, args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    command.upgrade(alembic_config(url), "head")
    engine = db.make_engine(url)
    seeded = seed(
        engine,
        designs=args.designs,
        votes=args.votes,
        now=datetime.now(UTC),
        rnd=random.Random(2026),
    )
    bench_metadata.create_all(engine)
    print(f"seeded {seeded.designs:,} designs and {seeded.votes:,} votes in "
          f"{seeded.seconds:.1f} s", file=sys.stderr)  # fmt: skip
    with (
        limits_storage(args.limits) as limits,
        gunicorn(url, engine, scratch, workers=2, limits=limits) as server,
    ):
        views = {} if args.skip_gallery else bench_gallery(server, seeded, args)
        votes = bench_votes(server, seeded, args)
    lost, mismatches = counter_check(engine)
    engine.dispose()
    worst = min(views, key=lambda name: views[name]["ratio"]) if views else None
    summary: dict[str, Any] = {
        "backend": engine.dialect.name,
        "designs": seeded.designs,
        "votes": seeded.votes,
        "seed_seconds": round(seeded.seconds, 1),
        "threads": args.threads,
        "limits_storage": limits.kind,
        "gallery_ratio": views[worst]["ratio"] if worst else None,
        "gallery_worst": worst,
        "gallery_p99_ms": max(v["p99_ms"] for v in views.values()) if views else None,
        "gallery_cpu_ratio": min(v["cpu_ratio"] for v in views.values()) if views else None,
        "views": views,
        "vote_skipped": votes if isinstance(votes, str) else None,
        "vote": votes if isinstance(votes, dict) else None,
        "vote_ratio": votes["ratio"] if isinstance(votes, dict) else None,
        "vote_p99_ms": votes["p99_ms"] if isinstance(votes, dict) else None,
        "vote_cpu_ratio": votes["cpu_ratio"] if isinstance(votes, dict) else None,
        "vote_errors": votes["errors"] if isinstance(votes, dict) else None,
        "lost_votes": lost if isinstance(votes, dict) else None,
        "counter_mismatches": mismatches,
    }
    return summary


def report(s: dict[str, Any]) -> None:
    print(
        f"{s['backend']}: {s['designs']:,} designs, {s['votes']:,} votes "
        f"(seeded in {s['seed_seconds']} s), gunicorn 2 workers, {s['threads']} client threads, "
        f"rate limits in {s['limits_storage']}"
    )
    print(f"  {'':<16}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}   {'base req/s':>11}"
          f"{'base p99':>10}{'ratio':>8}   {'cpu ms':>7}{'base cpu':>9}{'ratio':>7}"
          f"{'errors':>8}")  # fmt: skip
    rows = [(f"gallery {name}", fig) for name, fig in s["views"].items()]
    if s["vote"]:
        rows.append(("vote POST", s["vote"]))
    for label, fig in rows:
        print(f"  {label:<16}{fig['rps']:>9.1f}{fig['p50_ms']:>9.1f}{fig['p99_ms']:>9.1f}   "
              f"{fig['base_rps']:>11.1f}{fig['base_p99_ms']:>10.1f}{fig['ratio']:>8.2f}   "
              f"{fig['cpu_ms']:>7.2f}{fig['base_cpu_ms']:>9.2f}{fig['cpu_ratio']:>7.2f}"
              f"{fig['errors']:>8}")  # fmt: skip
    if not s["views"]:
        print("  gallery: skipped (--skip-gallery)")
    else:
        print(f"  gallery: worst ratio {s['gallery_ratio']:.2f} ({s['gallery_worst']}; target >= "
              f"{GALLERY_TARGET}), worst CPU ratio {s['gallery_cpu_ratio']:.2f}, worst p99 "
              f"{s['gallery_p99_ms']:.0f} ms (target < {P99_TARGET_MS:.0f})")  # fmt: skip
    if s["vote_skipped"]:
        print(f"  vote: skipped: {s['vote_skipped']}")
    else:
        print(f"  vote: ratio {s['vote_ratio']:.2f} (target >= {VOTE_TARGET}), p99 "
              f"{s['vote_p99_ms']:.0f} ms, statuses {s['vote']['statuses']}, lost votes "
              f"{s['lost_votes']}, designs with counters unlike their rows "
              f"{s['counter_mismatches']}")  # fmt: skip


@contextmanager
def database(args: argparse.Namespace, scratch: Path) -> Iterator[str]:
    server = PG_SERVER if args.pg else args.database_url
    if not server:
        yield f"sqlite:///{scratch / 'bench.sqlite3'}"
        return
    url = make_url(server)
    name = f"cocreate_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="end with one JSON summary line")
    parser.add_argument("--designs", type=int, default=10_000)
    parser.add_argument("--votes", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=2.0, help="length of one round")
    parser.add_argument("--rounds", type=int, default=4, help="rounds per side")
    parser.add_argument("--threads", type=int, default=8, help="concurrent client threads")
    parser.add_argument("--members", type=int, default=400, help="members who vote")
    parser.add_argument(
        "--limits",
        choices=("redis", "memory", "none"),
        default="redis",
        help="where rate limits are counted, for votes and their baseline alike: a Redis of "
        "the run's own (as production), each worker's memory, or nowhere (the limiter off)",
    )
    parser.add_argument(
        "--skip-gallery", action="store_true", help="measure the votes only (gallery figures null)"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--pg", action="store_true", help=f"a fresh database on {PG_SERVER}")
    where.add_argument("--database-url", default="", help="a PostgreSQL server to use likewise")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, database(args, Path(tmp)) as url:
        summary = measure(url, args, Path(tmp))
    report(summary)
    if args.json:
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

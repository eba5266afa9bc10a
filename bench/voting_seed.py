"""Seeding for bench/voting.py: designs, members and a million votes, fast, on SQLite or PostgreSQL.

Designs, members and tags go in with executemany (tens of thousands of rows). The votes are made
by the database itself: one INSERT … SELECT joins a small plan table (votes wanted per design, the
design's "quality") with a recursive counter, so a million rows never cross into Python. Scores,
buy intents and voters come from integer hashes of (design, rank of the vote), the same on both
databases, and the voter of a design's j-th vote is `(design * 7919 + j) mod voters`: distinct
for j below the number of voters, so the unique (design, voter) constraint holds. The counters
are then set from the rows in one UPDATE … FROM, the intents by size in one INSERT … SELECT, and
`counters.refresh_ranking` stores the mean and every rank, as the periodic job would.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, ForeignKeyConstraint, Table, bindparam, insert, text
from sqlalchemy.orm import Session
from sqlalchemy.schema import AddConstraint, DropConstraint

from cocreate.accounts.models import User
from cocreate.core.db import UTCDateTime
from cocreate.designs.models import (
    PUBLIC_STATES,
    Design,
    DesignProduct,
    DesignState,
    Tag,
    design_tags,
    search_document,
    tag_slug,
)
from cocreate.voting import counters
from cocreate.voting.models import Vote

FIRST = ["Inès", "Kofi", "Zoë", "Mateo", "Aiko", "Léa", "Omar", "Chloé", "Ravi", "Björn"]
LAST = ["Laurent", "Mensah", "Müller", "García", "Tanaka", "Dupré", "Haddad", "Okafor"]
WORDS = [
    "tide", "sommet", "évaluation", "forêt", "midnight", "café", "lune", "storm", "pixel",
    "océan", "desert", "ember", "brume", "neon", "garden", "étoile", "river", "canyon",
]  # fmt: skip
#: Weights of the states: three quarters public, as on a live site; a third of all designs in
#: voting, so "Voting now" and "Ending soon" have thousands of rows to choose from.
STATES = {
    DesignState.VOTING: 35,
    DesignState.CLOSED: 15,
    DesignState.ON_SALE: 15,
    DesignState.APPROVED: 5,
    DesignState.RETIRED: 5,
    DesignState.DRAFT: 10,
    DesignState.SUBMITTED: 5,
    DesignState.REJECTED: 5,
    DesignState.REMOVED: 5,
}
DESIGNERS = 500
TAGS = 300
SIZES = ("XS", "S", "M", "L", "XL", "XXL")
PRIOR_WEIGHT = 20


@dataclass(frozen=True)
class Seeded:
    designs: int
    votes: int
    #: Verified members who are no designer: they vote in the bench.
    voters: list[int]
    #: Designs open to votes now (state voting, window not ended).
    open_designs: list[int]
    #: The most used tag's slug, and a search word found in many designs.
    tag: str
    search: str
    seconds: float


def seed(engine: Engine, *, designs: int, votes: int, now: datetime, rnd: random.Random) -> Seeded:
    start = time.perf_counter()
    voters = max(1000, votes // 50)
    users = _users(voters, now, rnd)
    tags = [f"{rnd.choice(WORDS)}-{i}" for i in range(TAGS)]
    rows, links, products = _designs(designs, users, tags, now, rnd)
    plan = _plan(rows, votes, voters, rnd)
    with engine.begin() as conn:
        conn.execute(insert(User), users)
        conn.execute(
            insert(Tag),
            [{"id": i + 1, "name": name, "slug": tag_slug(name)} for i, name in enumerate(tags)],
        )
        conn.execute(insert(Design), rows)
        conn.execute(insert(design_tags), links)
        conn.execute(insert(DesignProduct), products)
        with _bulk_load(conn, Vote.__table__):
            _insert_votes(conn, plan, voters, now)
        _set_counters(conn)
    with Session(engine) as session:
        counters.refresh_ranking(session, prior_weight=PRIOR_WEIGHT, now=now)
        session.commit()
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))  # planner statistics, as a live database has
        total = conn.execute(text("SELECT count(*) FROM votes")).scalar_one()
    open_ids = [
        r["id"]
        for r in rows
        if r["state"] is DesignState.VOTING and r["voting_ends_at"] > now + timedelta(hours=1)
    ]
    counts: dict[int, int] = {}
    for link in links:
        counts[link["tag_id"]] = counts.get(link["tag_id"], 0) + 1
    popular = max(counts, key=lambda t: counts[t])
    return Seeded(
        designs=designs,
        votes=int(total),
        voters=[u["id"] for u in users[DESIGNERS:]],
        open_designs=open_ids,
        tag=tag_slug(tags[popular - 1]),
        search="lune",
        seconds=time.perf_counter() - start,
    )


def _users(voters: int, now: datetime, rnd: random.Random) -> list[dict[str, Any]]:
    users = []
    for i in range(DESIGNERS + voters):
        users.append(
            {
                "id": i + 1,
                "email": f"m{i}@bench.test",
                "display_name": f"{rnd.choice(FIRST)} {rnd.choice(LAST)}",
                "password_hash": "x",  # nobody logs in with a password: see voting_app.py
                # Verified long ago: new accounts voting in a burst would look like fraud.
                "email_verified_at": now - timedelta(days=400),
                "created_at": now - timedelta(days=400),
            }
        )
    return users


def _designs(
    count: int, users: list[dict[str, Any]], tags: list[str], now: datetime, rnd: random.Random
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    rows, links, products = [], [], []
    states, weights = list(STATES), list(STATES.values())
    for i in range(1, count + 1):
        designer = users[rnd.randrange(DESIGNERS)]
        title = " ".join(rnd.choice(WORDS).capitalize() for _ in range(2))
        chosen = rnd.sample(range(len(tags)), 3)
        state = rnd.choices(states, weights)[0]
        if state is DesignState.VOTING:
            # Opened in the last 7 days; one in twenty already past its window, waiting for
            # the close job (the gallery must leave those out).
            published = now - timedelta(seconds=rnd.uniform(0, 7 * 86400))
            if rnd.random() < 0.05:
                published -= timedelta(days=7)
        else:
            published = now - timedelta(days=rnd.uniform(7, 365))
        ends = published + timedelta(days=7)
        public = state in PUBLIC_STATES or state is DesignState.REMOVED
        rows.append(
            {
                "id": i,
                "designer_id": designer["id"],
                "title": title,
                "description": "",
                "state": state,
                "state_reason": "",
                "created_at": published - timedelta(days=1),
                "updated_at": published,
                "submitted_at": published - timedelta(hours=2) if public else None,
                "published_at": published if public else None,
                "voting_ends_at": ends if public else None,
                "original_key": f"{i:064x}.png",
                "thumb_webp_key": f"{i:064x}.webp",
                "thumb_jpeg_key": f"{i:064x}.jpg",
                "gallery_webp_key": f"{i:064x}g.webp",
                "gallery_jpeg_key": f"{i:064x}g.jpg",
                "width": 3000,
                "height": 3000,
                "vote_count": 0,
                "score_sum": 0,
                "search_text": search_document(
                    designer["display_name"], title, sorted(tags[t] for t in chosen)
                ),
            }
        )
        links += [{"design_id": i, "tag_id": t + 1} for t in chosen]
        products.append({"design_id": i, "product": "tee"})
        if rnd.random() < 0.3:
            products.append({"design_id": i, "product": "poster"})
    return rows, links, products


def _plan(
    rows: list[dict[str, Any]], votes: int, voters: int, rnd: random.Random
) -> list[dict[str, Any]]:
    """Votes per public design, long-tailed (a few designs draw thousands), capped at the
    number of voters (one vote each); the total is `votes` as nearly as the cap allows."""
    public = [r["id"] for r in rows if r["state"] in PUBLIC_STATES]
    if not public or votes <= 0:
        return []
    weights = [min(rnd.paretovariate(1.3), 200.0) for _ in public]
    scale = votes / sum(weights)
    plan = []
    for design_id, weight in zip(public, weights, strict=True):
        plan.append(
            {
                "design_id": design_id,
                "n": min(voters, int(weight * scale)),
                # Quality: where this design's scores centre (1 → around 2, 3 → around 4).
                "bias": rnd.choice((1, 2, 2, 3, 3, 3)),
                # Share of its voters who tick "I'd buy it", in percent.
                "buy": rnd.randrange(2, 25),
            }
        )
    short = votes - sum(p["n"] for p in plan)
    for p in sorted(plan, key=lambda p: p["n"]):
        if short <= 0:
            break
        extra = min(short, voters - p["n"])
        p["n"] += extra
        short -= extra
    return plan


#: The plan's rows joined with 0..n-1; `h` and `g` are cheap integer hashes of (design, j).
VOTES_SQL = """
WITH RECURSIVE seq(j) AS (
  SELECT CAST(0 AS BIGINT) UNION ALL SELECT j + 1 FROM seq WHERE j < :maxn
)
INSERT INTO votes (design_id, voter_id, score, buy, product, size,
                   created_at, updated_at, ip_hash, counted)
SELECT design_id, voter, score, bought, CASE WHEN bought THEN 'tee' ELSE '' END,
       CASE WHEN bought THEN (CASE g % 6 WHEN 0 THEN 'XS' WHEN 1 THEN 'S' WHEN 2 THEN 'M'
                                          WHEN 3 THEN 'L' WHEN 4 THEN 'XL' ELSE 'XXL' END)
            ELSE '' END,
       :created, :created, '', TRUE
FROM (
  SELECT design_id,
         :first_voter + (design_id * 7919 + j) % :voters AS voter,
         CASE WHEN bias + (h % 5) - 1 < 1 THEN 1
              WHEN bias + (h % 5) - 1 > 5 THEN 5
              ELSE bias + (h % 5) - 1 END AS score,
         (g % 100) < buy AS bought,
         g
  FROM (SELECT p.design_id, p.bias, p.buy, seq.j AS j,
               (p.design_id * 92821 + seq.j * 68917) % 1009 AS h,
               (p.design_id * 48271 + seq.j * 16807) % 997 AS g
        FROM bench_plan AS p JOIN seq ON seq.j < p.n) AS hashed
) AS v
"""


def _insert_votes(conn: Any, plan: list[dict[str, Any]], voters: int, now: datetime) -> None:
    if not plan:
        return
    conn.execute(
        text(
            "CREATE TEMPORARY TABLE bench_plan (design_id BIGINT PRIMARY KEY, n BIGINT, "
            "bias BIGINT, buy BIGINT)"
        )
    )
    conn.execute(text("INSERT INTO bench_plan VALUES (:design_id, :n, :bias, :buy)"), plan)
    statement = text(VOTES_SQL).bindparams(bindparam("created", type_=UTCDateTime()))
    conn.execute(
        statement,
        {
            "maxn": max(p["n"] for p in plan),
            "first_voter": DESIGNERS + 1,
            "voters": voters,
            "created": now - timedelta(days=1),
        },
    )
    conn.execute(text("DROP TABLE bench_plan"))


@contextmanager
def _bulk_load(conn: Connection, table: Table) -> Iterator[None]:
    """The table's secondary indexes, and on PostgreSQL its foreign keys, are dropped for the
    insert and made again after it, each in one pass over the rows: kept, they are updated and
    checked row by row (30 s instead of 10 on PostgreSQL). The rows are valid by construction,
    and everything is made again from the same metadata the migrations match (no drift)."""
    indexes = [index for index in table.indexes if not index.unique]
    keys = [
        constraint
        for constraint in table.constraints
        if isinstance(constraint, ForeignKeyConstraint) and conn.dialect.name == "postgresql"
    ]
    for key in keys:
        conn.execute(DropConstraint(key))
    for index in indexes:
        index.drop(conn)
    yield
    for index in indexes:
        index.create(conn)
    for key in keys:
        conn.execute(AddConstraint(key))


def _set_counters(conn: Any) -> None:
    """Counters from the rows, as the vote service would have left them."""
    conn.execute(
        text(
            "UPDATE designs SET vote_count = s.n, score_sum = s.total, buy_intent_count = s.buys "
            "FROM (SELECT design_id, count(*) AS n, sum(score) AS total, "
            "sum(CASE WHEN buy THEN 1 ELSE 0 END) AS buys FROM votes WHERE counted "
            "GROUP BY design_id) AS s WHERE designs.id = s.design_id"
        )
    )
    conn.execute(
        text(
            "INSERT INTO design_intents (design_id, product, size, count) "
            "SELECT design_id, product, size, count(*) FROM votes WHERE buy AND counted "
            "GROUP BY design_id, product, size"
        )
    )

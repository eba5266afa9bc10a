"""Benchmark of the gallery search at scale, against baselines measured in the same run.

    python bench/search.py [--json] [--designs N] [--runs N]

Seeds N designs (default 20,000; 500 designers, 300 tags, three quarters of the designs public)
into a temporary SQLite database, and into a fresh PostgreSQL database too when
TEST_DATABASE_URL is set (as for the test suite; the database is dropped afterwards). Then it
times, best of `--runs`:

* pk: one design by primary key, the cheapest query there is (a floor, for scale);
* newest: the gallery's "Newest" page query, the same query as a search without the filter;
* search_rare / search_common: the search query for a word few designs / many designs carry,
  blind to case and accents ("Ines", "evaluation");
* page_newest / page_search: the whole gallery page (/gallery?view=newest, /gallery?q=ines)
  through the Flask test client: queries, template, response.

Ratios are search over the unfiltered query (`search_ratio`, worst of rare and common) and the
search page over the plain page (`page_ratio`). With `--json` the last line is one JSON object:
{"sqlite": {...}, "postgresql": {...}} with every time in ms and the ratios. A LIKE '%word%'
reads every row on SQLite; PostgreSQL answers it from the pg_trgm index when the migration could
create it (`trigram_index` says whether it exists).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from alembic import command  # noqa: E402 - after the path fix on purpose
from sqlalchemy import Engine, create_engine, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from cocreate import create_app  # noqa: E402
from cocreate.accounts.models import User  # noqa: E402
from cocreate.config import Config  # noqa: E402
from cocreate.core import db  # noqa: E402
from cocreate.core.cli import alembic_config  # noqa: E402
from cocreate.designs import queries  # noqa: E402
from cocreate.designs.models import (  # noqa: E402
    Design,
    DesignProduct,
    DesignState,
    Tag,
    design_tags,
    search_document,
    tag_slug,
)

FIRST = ["Inès", "Kofi", "Zoë", "Mateo", "Aiko", "Léa", "Omar", "Chloé", "Ravi", "Björn"]
LAST = ["Laurent", "Mensah", "Müller", "García", "Tanaka", "Dupré", "Haddad", "Okafor"]
WORDS = [
    "tide", "sommet", "évaluation", "forêt", "midnight", "café", "lune", "storm", "pixel",
    "océan", "desert", "ember", "brume", "neon", "garden", "étoile", "river", "canyon",
]  # fmt: skip
#: Weights of the states: three quarters public, as on a live site.
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


def seed(engine: Engine, designs: int, rnd: random.Random) -> None:
    now = datetime.now(UTC)
    users: list[dict[str, Any]] = []
    for i in range(500):
        name = f"{rnd.choice(FIRST)} {rnd.choice(LAST)}"
        if name.startswith("Inès") and i % 10:
            name = f"{rnd.choice(FIRST[1:])} {rnd.choice(LAST)}"  # "Ines" stays rare
        users.append({"id": i + 1, "email": f"d{i}@bench.test", "display_name": name})
    tags = [f"{rnd.choice(WORDS)}-{i}" for i in range(300)]
    rows, links, products = [], [], []
    states, weights = list(STATES), list(STATES.values())
    for i in range(1, designs + 1):
        designer = rnd.choice(users)
        title = " ".join(rnd.choice(WORDS).capitalize() for _ in range(2))
        chosen = rnd.sample(range(len(tags)), 3)
        published = now - timedelta(minutes=i)
        rows.append(
            {
                "id": i,
                "designer_id": designer["id"],
                "title": title,
                "state": rnd.choices(states, weights)[0],
                "published_at": published,
                "voting_ends_at": published + timedelta(days=7),
                "original_key": f"{i:064x}.png",
                "thumb_webp_key": f"{i:064x}.webp",
                "thumb_jpeg_key": f"{i:064x}.jpg",
                "gallery_webp_key": f"{i:064x}g.webp",
                "gallery_jpeg_key": f"{i:064x}g.jpg",
                "width": 3000,
                "height": 3000,
                "search_text": search_document(
                    designer["display_name"], title, sorted(tags[t] for t in chosen)
                ),
            }
        )
        links += [{"design_id": i, "tag_id": t + 1} for t in chosen]
        products.append({"design_id": i, "product": "tee"})
    with engine.begin() as conn:
        conn.execute(insert(User), [{**u, "password_hash": "x"} for u in users])
        conn.execute(
            insert(Tag),
            [{"id": i + 1, "name": name, "slug": tag_slug(name)} for i, name in enumerate(tags)],
        )
        conn.execute(insert(Design), rows)
        conn.execute(insert(design_tags), links)
        conn.execute(insert(DesignProduct), products)
        conn.execute(text("ANALYZE"))  # planner statistics, as a live database has


def best(runs: int, work: Callable[[], object]) -> float:
    work()  # warm caches and the statement cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def measure(url: str, designs: int, runs: int, upload_dir: Path) -> dict[str, Any]:
    command.upgrade(alembic_config(url), "head")
    engine = db.make_engine(url)
    seed(engine, designs, random.Random(2026))
    now = datetime.now(UTC)
    with Session(engine) as session:
        some_id = designs // 2

        def search(word: str) -> Callable[[], object]:
            return lambda: queries.gallery(session, search=word, now=now)

        results = {
            "pk": best(runs, lambda: session.execute(
                select(Design.id, Design.title).where(Design.id == some_id)
            ).one()),
            "newest": best(runs, lambda: queries.gallery(
                session, queries.GalleryView.NEWEST, now=now
            )),
            "search_rare": best(runs, search("Ines")),
            "search_common": best(runs, search("evaluation")),
        }  # fmt: skip
        rare = len(queries.gallery(session, search="Ines", per_page=10_000, now=now).items)
        trigram = engine.dialect.name == "postgresql" and bool(
            session.scalar(
                text("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_designs_search_text'")
            )
        )
    app = create_app(
        Config(
            ENV="testing",
            SECRET_KEY=secrets.token_hex(32),
            DATABASE_URL=url,
            UPLOAD_DIR=str(upload_dir),
            PUBLIC_URL="http://localhost",
        )
    )
    client = app.test_client()

    def page(path: str) -> Callable[[], object]:
        def get() -> object:
            response = client.get(path)
            assert response.status_code == 200, response.status_code
            return response

        return get

    results["page_newest"] = best(runs, page("/gallery?view=newest"))
    results["page_search"] = best(runs, page("/gallery?q=ines"))
    engine.dispose()
    db_engine = app.extensions["cocreate.db"]["engine"]
    db_engine.dispose()
    summary: dict[str, Any] = {k: round(v, 3) for k, v in results.items()}
    summary["designs"] = designs
    summary["rare_matches"] = rare
    summary["trigram_index"] = trigram
    summary["search_ratio"] = round(
        max(results["search_rare"], results["search_common"]) / results["newest"], 2
    )
    summary["page_ratio"] = round(results["page_search"] / results["page_newest"], 2)
    return summary


def postgres_database(base: str) -> tuple[str, Callable[[], None]]:
    url = make_url(base)
    name = f"cocreate_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def report(backend: str, summary: dict[str, Any]) -> None:
    print(f"{backend}: {summary['designs']:,} designs, trigram index: {summary['trigram_index']}")
    for key in ("pk", "newest", "search_rare", "search_common", "page_newest", "page_search"):
        print(f"  {key:<14} {summary[key]:9.2f} ms")
    print(f"  search / newest query: {summary['search_ratio']:.2f}")
    print(f"  search page / newest page: {summary['page_ratio']:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="end with one JSON summary line")
    parser.add_argument("--designs", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    summaries: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        summaries["sqlite"] = measure(url, args.designs, args.runs, Path(tmp) / "uploads")
        report("sqlite", summaries["sqlite"])
        base = os.environ.get("TEST_DATABASE_URL")
        if base:
            pg_url, drop = postgres_database(base)
            try:
                summaries["postgresql"] = measure(
                    pg_url, args.designs, args.runs, Path(tmp) / "uploads"
                )
            finally:
                drop()
            report("postgresql", summaries["postgresql"])
    if args.json:
        print(json.dumps(summaries))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

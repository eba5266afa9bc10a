"""Each gallery view's listing query reads an index in the view's order and sorts nothing.

SQLite: EXPLAIN QUERY PLAN must name the view's index and show no "USE TEMP B-TREE" (a sort of
every matching design) and no plain "SCAN designs" (a read of the whole table). PostgreSQL:
with sorts and sequential scans priced out (enable_sort, enable_seqscan off, for this
transaction only), EXPLAIN must still find a plan on the view's index without a Sort node; on
the handful of rows a test holds the planner would otherwise rightly sort. Both checks fail
once the index is gone, which the last tests show by dropping one in the test's transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Select, text
from sqlalchemy.orm import Session

from cocreate.designs import queries

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
V = queries.GalleryView

#: The index each view's listing reads, in its order.
INDEXES = {
    V.VOTING: "ix_designs_state_published_at_id",
    V.ENDING: "ix_designs_state_voting_ends_at_id",
    V.NEWEST: "ix_designs_published_at_id_state",
    V.TOP: "ix_designs_rank",
    V.ON_SALE: "ix_designs_state_published_at_id",
}


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def plan(session: Session, query: Select[int], note: str = "") -> list[str]:
    """`note` makes the statement new to the driver's statement cache: SQLite keeps answering
    a cached EXPLAIN with the plan it made before the schema changed."""
    connection = session.connection()
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    sql += f" /* {note} */" if note else ""
    if connection.dialect.name == "sqlite":
        return [str(row[3]) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]
    connection.execute(text("SET LOCAL enable_sort = off"))
    connection.execute(text("SET LOCAL enable_seqscan = off"))
    return [str(row[0]) for row in connection.exec_driver_sql(f"EXPLAIN (COSTS OFF) {sql}")]


def reads_in_order(lines: list[str], index: str) -> bool:
    """The plan reads `index` and neither sorts nor reads the whole table."""
    text_ = "\n".join(lines)
    if any(line.startswith("SCAN designs") and "INDEX" not in line for line in lines):
        return False
    return f" {index}" in text_ and "TEMP B-TREE" not in text_ and "Sort" not in text_


@pytest.mark.parametrize("view", list(INDEXES))
def test_each_view_reads_its_index_without_sorting(db_session: Session, view: V) -> None:
    lines = plan(db_session, queries.page_ids(view, now=NOW, dialect=dialect(db_session)))
    assert reads_in_order(lines, INDEXES[view]), lines


@pytest.mark.parametrize("view", list(INDEXES))
def test_later_pages_read_the_same_index(db_session: Session, view: V) -> None:
    lines = plan(db_session, queries.page_ids(view, page=40, now=NOW, dialect=dialect(db_session)))
    assert reads_in_order(lines, INDEXES[view]), lines


def test_search_walks_newest_first_and_reads_matches_from_their_index(
    db_session: Session,
) -> None:
    lines = plan(
        db_session, queries.page_ids(search="lune tide", now=NOW, dialect=dialect(db_session))
    )
    assert reads_in_order(lines, "ix_designs_published_at_id_state"), lines
    if dialect(db_session) == "sqlite":
        # The words are matched on the narrow search index, not the table's wide rows.
        # (PostgreSQL picks per word: its trigram index for a rare one, else the rows met.)
        assert any("INDEX ix_designs_search_text" in line for line in lines), lines


def test_tag_page_reads_the_tags_designs_by_index(db_session: Session) -> None:
    # The tag's designs come from design_tags' tag index; their number is that tag's, so
    # sorting them (SQLite does) is bounded by the tag, never by the whole gallery.
    lines = plan(
        db_session, queries.page_ids(V.VOTING, tag="sea", now=NOW, dialect=dialect(db_session))
    )
    text_ = "\n".join(lines)
    assert "ix_design_tags_tag_id" in text_ or "pk_design_tags" in text_, lines
    assert not any(line.strip() in {"SCAN designs", "SCAN design_tags"} for line in lines)


@pytest.mark.parametrize(
    ("view", "index"),
    [
        (V.NEWEST, "ix_designs_published_at_id_state"),
        (V.ENDING, "ix_designs_state_voting_ends_at_id"),
        (V.TOP, "ix_designs_rank"),
    ],
)
def test_the_check_fails_once_the_index_is_dropped(
    db_session: Session, view: V, index: str
) -> None:
    # DDL inside the test's transaction: rolled back with it.
    db_session.execute(text(f"DROP INDEX {index}"))
    lines = plan(
        db_session,
        queries.page_ids(view, now=NOW, dialect=dialect(db_session)),
        note=f"without {index}",
    )
    assert not reads_in_order(lines, index), lines


@pytest.mark.parametrize("search", ["", "lune"])
def test_postgresql_skips_the_never_published_at_once(db_session: Session, search: str) -> None:
    # PostgreSQL puts NULLs first in descending order: without the condition on the index, a
    # page of "Newest" would first read past every draft ever made.
    if dialect(db_session) != "postgresql":
        pytest.skip("SQLite puts NULLs last in descending order")
    query = queries.page_ids(V.NEWEST, search=search, now=NOW, dialect="postgresql")
    lines = plan(db_session, query)
    conditions = [line for line in lines if "Index Cond" in line]
    assert any("published_at IS NOT NULL" in line for line in conditions), lines

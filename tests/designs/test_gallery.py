"""Gallery views, search, tags, and a constant number of queries per listing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from cocreate.core.db import now_utc
from cocreate.designs import queries
from cocreate.designs.models import DesignState
from cocreate.voting.counters import refresh_ranking
from tests.accounts.factories import UserFactory
from tests.designs.factories import DesignFactory, TagFactory, VotingDesignFactory


@contextmanager
def count_queries(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_views_filter_and_order(db_session: Session) -> None:
    now = now_utc()
    soon = VotingDesignFactory(
        title="Soon", voting_ends_at=now + timedelta(hours=3), published_at=now - timedelta(days=6)
    )
    fresh = VotingDesignFactory(title="Fresh", published_at=now - timedelta(hours=1))
    VotingDesignFactory(title="Expired", voting_ends_at=now - timedelta(minutes=1))
    DesignFactory(title="Draft")
    sale = DesignFactory(
        title="Sale", state=DesignState.ON_SALE, published_at=now - timedelta(days=30)
    )
    titles = lambda view: [d.title for d in queries.gallery(db_session, view, now=now).items]  # noqa: E731
    assert titles(queries.GalleryView.VOTING) == ["Fresh", "Soon"]
    assert titles(queries.GalleryView.ENDING) == ["Soon", "Fresh"]
    assert titles(queries.GalleryView.ON_SALE) == ["Sale"]
    assert "Draft" not in titles(queries.GalleryView.NEWEST)
    assert sale.title in titles(queries.GalleryView.NEWEST)
    assert fresh.title in titles(queries.GalleryView.NEWEST) and soon.title in titles(
        queries.GalleryView.NEWEST
    )


def test_top_ranked_uses_bayesian_average(db_session: Session) -> None:
    # 3 votes of 5 must not beat 400 votes averaging 4.6 (DESIGN.md).
    VotingDesignFactory(title="Three fives", vote_count=3, score_sum=15)
    VotingDesignFactory(title="Crowd favourite", vote_count=400, score_sum=1840)
    VotingDesignFactory(title="Disliked", vote_count=50, score_sum=75)
    # The ranks are stored by the voting module; its periodic refresh computes them here.
    refresh_ranking(db_session, prior_weight=20, now=now_utc())
    page = queries.gallery(db_session, queries.GalleryView.TOP, now=now_utc(), open_scores=True)
    top = [d.title for d in page.items]
    assert top == ["Crowd favourite", "Three fives", "Disliked"]


def test_top_ranked_leaves_out_designs_in_voting_while_scores_are_hidden(
    db_session: Session,
) -> None:
    # Herding: the order of open designs would tell a voter how the others scored them.
    VotingDesignFactory(title="Open favourite", vote_count=400, score_sum=1840)
    DesignFactory(title="Closed", state=DesignState.CLOSED, vote_count=40, score_sum=160)
    DesignFactory(title="Selling", state=DesignState.ON_SALE, vote_count=10, score_sum=30)
    DesignFactory(title="Draft", vote_count=0, score_sum=0)
    refresh_ranking(db_session, prior_weight=20, now=now_utc())
    page = queries.gallery(db_session, queries.GalleryView.TOP, now=now_utc())
    assert [d.title for d in page.items] == ["Closed", "Selling"]


def test_cards_hide_vote_counts_of_open_designs_while_scores_are_hidden(
    client: FlaskClient, db_session: Session
) -> None:
    VotingDesignFactory(title="Open", vote_count=37, score_sum=150)
    db_session.flush()
    text = client.get("/gallery").get_data(as_text=True)
    assert "Open" in text
    assert "37 votes" not in text
    top = client.get("/gallery?view=top").get_data(as_text=True)
    assert "Designs still open to votes join the ranking when their voting ends." in top
    assert "Open</h2>" not in top


@pytest.mark.parametrize("app_overrides", [{"VOTING_HIDE_SCORE_UNTIL_VOTED": False}])
def test_cards_show_vote_counts_when_scores_are_open(
    client: FlaskClient, db_session: Session, app_overrides: object
) -> None:
    VotingDesignFactory(title="Open", vote_count=37, score_sum=150)
    db_session.flush()
    assert "37 votes" in client.get("/gallery").get_data(as_text=True)
    top = client.get("/gallery?view=top").get_data(as_text=True)
    assert "Open</h2>" in top
    assert "join the ranking" not in top


def test_search_by_title_tag_and_designer(db_session: Session) -> None:
    ocean = TagFactory(name="ocean")
    VotingDesignFactory(title="Midnight Tide", tags=[ocean])
    VotingDesignFactory(title="Peaks", designer=UserFactory(display_name="Kofi Mensah"))
    VotingDesignFactory(title="Other")
    search = lambda q: {d.title for d in queries.gallery(db_session, search=q, now=now_utc()).items}  # noqa: E731
    assert search("tide") == {"Midnight Tide"}
    assert search("OCEAN") == {"Midnight Tide"}
    assert search("kofi") == {"Peaks"}
    assert search("zzz") == set()


def test_pagination(db_session: Session) -> None:
    for _ in range(5):
        VotingDesignFactory()
    first = queries.gallery(db_session, per_page=2, now=now_utc())
    third = queries.gallery(db_session, per_page=2, page=3, now=now_utc())
    assert len(first.items) == 2 and first.has_next and not first.has_previous
    assert len(third.items) == 1 and not third.has_next and third.has_previous


def test_gallery_page_constant_queries(client: FlaskClient, db_session: Session) -> None:
    tags = [TagFactory(name=f"t{i}") for i in range(3)]
    for _ in range(3):
        VotingDesignFactory(tags=tags)
    db_session.commit()
    engine = db_session.get_bind().engine  # type: ignore[union-attr]
    with count_queries(engine) as few:
        assert client.get("/gallery").status_code == 200
    for _ in range(20):
        VotingDesignFactory(tags=tags, designer=UserFactory())
    db_session.commit()
    with count_queries(engine) as many:
        page = client.get("/gallery")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count('class="design-card"') == 23
    assert len(many) == len(few), many


def test_tag_page_and_search_page(client: FlaskClient, db_session: Session) -> None:
    VotingDesignFactory(title="Wave Rider", tags=[TagFactory(name="ocean")])
    VotingDesignFactory(title="Desert Sun")
    page = client.get("/tags/ocean").get_data(as_text=True)
    assert "Wave Rider" in page and "Desert Sun" not in page
    page = client.get("/gallery?q=desert").get_data(as_text=True)
    assert "Desert Sun" in page and "Wave Rider" not in page
    assert client.get("/gallery?view=bogus&page=-3").status_code == 200


def test_profile_lists_public_designs_only(client: FlaskClient, db_session: Session) -> None:
    designer = UserFactory(bio="I draw.")
    VotingDesignFactory(designer=designer, title="Public One")
    DesignFactory(designer=designer, title="Secret Draft")
    page = client.get(f"/designers/{designer.id}").get_data(as_text=True)
    assert "Public One" in page and "Secret Draft" not in page


def test_voting_days_left_rounds_up_and_ends(db_session: Session) -> None:
    now = now_utc()
    design = VotingDesignFactory(voting_ends_at=now + timedelta(days=2, hours=1))
    assert queries.voting_days_left(design, now) == 3
    design.voting_ends_at = now
    assert queries.voting_days_left(design, now) is None
    design.state = DesignState.CLOSED
    design.voting_ends_at = now + timedelta(days=1)
    assert queries.voting_days_left(design, now) is None

"""The gallery after its speed work: the same designs in the same order, ties included, the
popular tags counted once per delay yet fresh after a change, and no query per card."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import insert
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import Session

from cocreate.config import Config, ConfigError
from cocreate.core.clock import TestClock
from cocreate.designs import queries, tag_cloud
from cocreate.designs.models import Design, DesignState, design_tags
from tests.accounts.factories import UserFactory
from tests.designs.factories import DesignFactory, TagFactory
from tests.designs.test_gallery import count_queries

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
V = queries.GalleryView


def design(title: str, state: DesignState = DesignState.VOTING, **fields: Any) -> Design:
    """A design published `age` ago, its window ending `ends_in` from NOW."""
    published = NOW - fields.pop("age", timedelta(days=1))
    ends = NOW + fields.pop("ends_in", timedelta(days=6))
    return DesignFactory(
        title=title, state=state, published_at=published, voting_ends_at=ends, **fields
    )


def titles(session: Session, view: queries.GalleryView, **kwargs: Any) -> list[str]:
    return [d.title for d in queries.gallery(session, view, now=NOW, **kwargs).items]


@pytest.fixture
def mixed(db_session: Session) -> None:
    """Designs of every kind, created in this order (ids ascending): ties on the publication
    instant, the window end and the rank are broken by id."""
    hour = timedelta(hours=1)
    design("Voting old", age=timedelta(days=5), ends_in=timedelta(days=2))
    design("Voting tie A", age=2 * hour, ends_in=timedelta(days=4))
    design("Voting tie B", age=2 * hour, ends_in=timedelta(days=4))
    design("Voting fresh", age=hour, ends_in=timedelta(days=6))
    design("Voting expired", age=timedelta(days=8), ends_in=-timedelta(minutes=1))
    design("Voting ends now", age=timedelta(days=7), ends_in=timedelta(0))
    design("Closed", DesignState.CLOSED, age=timedelta(days=10))
    design("Sale old", DesignState.ON_SALE, age=timedelta(days=40))
    design("Sale tie A", DesignState.ON_SALE, age=timedelta(days=30))
    design("Sale tie B", DesignState.ON_SALE, age=timedelta(days=30))
    design("Retired", DesignState.RETIRED, age=timedelta(days=60))
    design("Approved", DesignState.APPROVED, age=timedelta(days=20))
    for state in (DesignState.DRAFT, DesignState.SUBMITTED, DesignState.REMOVED):
        design(f"Private {state.value}", state, age=timedelta(minutes=1))


@pytest.mark.usefixtures("mixed")
def test_voting_is_open_designs_newest_first_ties_by_id(db_session: Session) -> None:
    # The window is over at its end instant ("ends now"), as for votes.
    assert titles(db_session, V.VOTING) == [
        "Voting fresh", "Voting tie B", "Voting tie A", "Voting old",
    ]  # fmt: skip


@pytest.mark.usefixtures("mixed")
def test_ending_is_soonest_end_first_ties_by_id(db_session: Session) -> None:
    assert titles(db_session, V.ENDING) == [
        "Voting old", "Voting tie A", "Voting tie B", "Voting fresh",
    ]  # fmt: skip


@pytest.mark.usefixtures("mixed")
def test_newest_is_every_public_design_ties_by_id(db_session: Session) -> None:
    assert titles(db_session, V.NEWEST) == [
        "Voting fresh", "Voting tie B", "Voting tie A", "Voting old", "Voting ends now",
        "Voting expired", "Closed", "Approved", "Sale tie B", "Sale tie A", "Sale old",
        "Retired",
    ]  # fmt: skip


@pytest.mark.usefixtures("mixed")
def test_on_sale_newest_first_ties_by_id(db_session: Session) -> None:
    assert titles(db_session, V.ON_SALE) == ["Sale tie B", "Sale tie A", "Sale old"]


@pytest.mark.usefixtures("mixed")
def test_pages_cut_across_ties_without_repeats(db_session: Session) -> None:
    pages = [
        [d.title for d in queries.gallery(db_session, V.NEWEST, page=n, per_page=5, now=NOW).items]
        for n in (1, 2, 3)
    ]
    assert pages == [
        ["Voting fresh", "Voting tie B", "Voting tie A", "Voting old", "Voting ends now"],
        ["Voting expired", "Closed", "Approved", "Sale tie B", "Sale tie A"],
        ["Sale old", "Retired"],
    ]


def test_top_ties_by_votes_then_id(db_session: Session) -> None:
    design("Low", rank_score=2.5, vote_count=40, score_sum=100)
    design("Tie few votes", rank_score=4.0, vote_count=10, score_sum=40)
    design("Tie many votes A", DesignState.CLOSED, rank_score=4.0, vote_count=30, score_sum=120)
    design("Tie many votes B", DesignState.ON_SALE, rank_score=4.0, vote_count=30, score_sum=120)
    design("Best", DesignState.RETIRED, rank_score=4.5, vote_count=5, score_sum=25)
    design("Hidden best", DesignState.REMOVED, rank_score=5.0, vote_count=90, score_sum=450)
    design("Draft", DesignState.DRAFT, rank_score=4.9)
    assert titles(db_session, V.TOP, open_scores=True) == [
        "Best", "Tie many votes B", "Tie many votes A", "Tie few votes", "Low",
    ]  # fmt: skip


def test_tag_keeps_each_views_order(db_session: Session) -> None:
    sea, other = TagFactory(name="sea"), TagFactory(name="hills")
    design("Sea old", age=timedelta(days=3), ends_in=timedelta(days=1), tags=[sea])
    design("Sea tie A", age=timedelta(days=1), tags=[sea, other])
    design("Sea tie B", age=timedelta(days=1), tags=[sea])
    design("Hills", age=timedelta(hours=1), tags=[other])
    design("Sea sold", DesignState.ON_SALE, age=timedelta(days=9), tags=[sea])
    design("Sea draft", DesignState.DRAFT, tags=[sea])
    assert titles(db_session, V.VOTING, tag="sea") == ["Sea tie B", "Sea tie A", "Sea old"]
    assert titles(db_session, V.ENDING, tag="sea") == ["Sea old", "Sea tie A", "Sea tie B"]
    assert titles(db_session, V.NEWEST, tag="sea") == [
        "Sea tie B", "Sea tie A", "Sea old", "Sea sold",
    ]  # fmt: skip
    assert titles(db_session, V.ON_SALE, tag="sea") == ["Sea sold"]
    assert titles(db_session, V.VOTING, tag="nowhere") == []


def test_search_is_public_matches_newest_first_ties_by_id(db_session: Session) -> None:
    design("Lune old", DesignState.ON_SALE, age=timedelta(days=30))
    design("Lune tie A", age=timedelta(days=2))
    design("Lune tie B", DesignState.CLOSED, age=timedelta(days=2))
    design("Pleine lune", age=timedelta(days=1), ends_in=-timedelta(days=1))
    design("Soleil", age=timedelta(hours=1))
    design("Lune draft", DesignState.DRAFT)
    design("Lune removed", DesignState.REMOVED)
    # A search ignores the tab it was made from.
    for view in (V.VOTING, V.TOP):
        assert titles(db_session, view, search="LUNE") == [
            "Pleine lune", "Lune tie B", "Lune tie A", "Lune old",
        ]  # fmt: skip
    assert titles(db_session, V.NEWEST, search="lune pleine") == ["Pleine lune"]
    assert titles(db_session, V.NEWEST, search="lune tie", per_page=1, page=2) == ["Lune tie A"]


def test_cards_load_no_relation_a_card_does_not_show(db_session: Session) -> None:
    design("Card", tags=[TagFactory(name="sea")], designer=UserFactory(bio="Long story."))
    db_session.expunge_all()  # read from the database, not from what the factory left
    (card,) = queries.gallery(db_session, V.VOTING, now=NOW).items
    assert card.title == "Card" and card.designer.display_name.startswith("Member ")
    # Reading these would cost a query per card: they raise instead, so tests catch it.
    for read in (lambda: card.tags, lambda: card.products, lambda: card.designer.bio):
        with pytest.raises(InvalidRequestError):
            read()


@pytest.mark.parametrize(
    "path", ["/gallery?view=newest", "/gallery?view=top", "/tags/sea", "/gallery?q=member"]
)
def test_every_listing_has_constant_queries(
    client: FlaskClient, db_session: Session, clock: TestClock, path: str
) -> None:
    sea = TagFactory(name="sea")
    # "Top ranked" lists designs whose voting is over (scores are hidden until then).
    state = DesignState.CLOSED if path.endswith("top") else DesignState.VOTING
    design("First", state, tags=[sea])
    db_session.commit()
    engine = db_session.get_bind().engine  # type: ignore[union-attr]
    with count_queries(engine) as few:
        assert client.get(path).status_code == 200
    for n in range(12):
        design(f"More {n}", state, tags=[sea, TagFactory()], designer=UserFactory())
    db_session.commit()
    with count_queries(engine) as many:
        page = client.get(path)
    assert page.status_code == 200
    assert page.get_data(as_text=True).count('class="design-card"') == 13
    assert len(many) == len(few), many


# --- Popular tags ------------------------------------------------------------------------------


def cloud(client: FlaskClient) -> list[str]:
    """The popular tags as shown: "#name count" in order."""
    html = client.get("/gallery").get_data(as_text=True)
    section = html.split('class="tag-cloud"', 1)[1] if 'class="tag-cloud"' in html else ""
    items = section.split("<li>")[1:]
    return [
        item.split(">#", 1)[1].split("</a>")[0]
        + " "
        + item.split('class="muted">', 1)[1].split("<")[0]
        for item in items
    ]


def test_popular_tags_count_public_designs_most_used_first(db_session: Session) -> None:
    sea, hills, zen, alone = (TagFactory(name=n) for n in ("sea", "hills", "zen", "alone"))
    design("A", tags=[sea, hills, zen])
    design("B", DesignState.ON_SALE, tags=[sea, zen])
    design("C", DesignState.CLOSED, tags=[sea])
    design("D", DesignState.DRAFT, tags=[hills, alone])
    design("E", DesignState.REMOVED, tags=[hills, alone])
    assert tag_cloud.popular_tags(db_session) == [
        ("sea", "sea", 3), ("zen", "zen", 2), ("hills", "hills", 1),
    ]  # fmt: skip
    assert tag_cloud.popular_tags(db_session, limit=2) == [("sea", "sea", 3), ("zen", "zen", 2)]


def test_a_change_made_here_shows_at_once(
    client: FlaskClient, db_session: Session, clock: TestClock
) -> None:
    sea = TagFactory(name="sea")
    first = design("A", tags=[sea])
    db_session.commit()
    assert cloud(client) == ["sea 1"]
    # Same process, same instant: the flush of a new design drops the cached counts.
    design("B", tags=[sea, TagFactory(name="hills")])
    db_session.commit()
    assert cloud(client) == ["sea 2", "hills 1"]
    # A design leaving the gallery counts too.
    first.state = DesignState.REMOVED
    db_session.commit()
    assert cloud(client) == ["hills 1", "sea 1"]


def test_a_change_from_another_process_shows_after_the_delay(
    client: FlaskClient, db_session: Session, clock: TestClock
) -> None:
    sea = TagFactory(name="sea")
    hills = TagFactory(name="hills")
    design("A", tags=[sea])
    other = design("B")
    db_session.commit()
    assert cloud(client) == ["sea 1"]
    # Another process's change: straight SQL, no flush of designs or tags in this one.
    db_session.execute(insert(design_tags).values(design_id=other.id, tag_id=hills.id))
    db_session.commit()
    clock.advance(timedelta(seconds=59, microseconds=999_999))
    assert cloud(client) == ["sea 1"]
    clock.advance(timedelta(microseconds=1))  # exactly GALLERY_TAGS_CACHE_SECONDS (60) later
    assert cloud(client) == ["hills 1", "sea 1"]


@pytest.mark.parametrize("app_overrides", [{"GALLERY_TAGS_CACHE_SECONDS": 0}])
def test_no_cache_when_the_delay_is_zero(
    client: FlaskClient, db_session: Session, clock: TestClock
) -> None:
    sea = TagFactory(name="sea")
    other = design("B")
    design("A", tags=[sea])
    db_session.commit()
    assert cloud(client) == ["sea 1"]
    db_session.execute(insert(design_tags).values(design_id=other.id, tag_id=sea.id))
    db_session.commit()
    assert cloud(client) == ["sea 2"]


def test_cache_counts_again_after_the_delay_or_when_time_goes_back(db_session: Session) -> None:
    cache = tag_cloud.PopularTagsCache()
    sea, hills = TagFactory(name="sea"), TagFactory(name="hills")
    design("A", tags=[sea])
    other = design("B")
    assert cache.get(db_session, now=NOW, ttl=60) == [("sea", "sea", 1)]
    db_session.execute(insert(design_tags).values(design_id=other.id, tag_id=hills.id))
    assert cache.get(db_session, now=NOW + timedelta(seconds=59), ttl=60) == [("sea", "sea", 1)]
    # A clock set back (a test, a corrected server clock) counts again rather than trusting
    # an entry from its future.
    fresh = [("hills", "hills", 1), ("sea", "sea", 1)]
    assert cache.get(db_session, now=NOW - timedelta(seconds=1), ttl=60) == fresh
    # Each cache is its own (one per app): a new one counts.
    assert tag_cloud.PopularTagsCache().get(db_session, now=NOW, ttl=60) == fresh


def test_delay_setting_is_checked() -> None:
    with pytest.raises(ConfigError, match="GALLERY_TAGS_CACHE_SECONDS"):
        Config(GALLERY_TAGS_CACHE_SECONDS=-1).validate()
    assert Config.from_env({"GALLERY_TAGS_CACHE_SECONDS": "5"}).GALLERY_TAGS_CACHE_SECONDS == 5

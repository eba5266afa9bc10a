"""The review queue: closed designs ranked, with their numbers, filters, sorts, the highlight of
designs waiting too long (at the exact boundary), pagination and a constant number of queries."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from cocreate.core.clock import TestClock
from cocreate.designs.models import Design, DesignProduct, DesignState, DesignTransition
from cocreate.production import review
from cocreate.voting.flag_models import FlagState, VoteFlag
from cocreate.voting.models import DesignIntent, VoteSignal
from tests.accounts.factories import StaffFactory, UserFactory
from tests.conftest import TEST_START
from tests.designs.factories import DesignFactory, TagFactory
from tests.designs.test_gallery import count_queries
from tests.voting.factories import VoteFactory

D = DesignState
NOW = TEST_START


@pytest.fixture
def staff(db_session: Session, auth: Any, clock: TestClock) -> Any:
    user = StaffFactory(email="staff@example.test", display_name="Stan Staff")
    auth.login("staff@example.test")
    return user


def _text(response: Any) -> str:
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def closed(
    db_session: Session,
    title: str,
    *,
    closed_at: datetime,
    rank: float = 3.0,
    votes: int = 0,
    buyers: int = 0,
    products: tuple[str, ...] = ("tee",),
    **fields: Any,
) -> Design:
    """A closed design whose voting closed at `closed_at` (its audit row says so)."""
    design = DesignFactory(
        state=D.CLOSED,
        title=title,
        rank_score=rank,
        vote_count=votes,
        buy_intent_count=buyers,
        voting_ends_at=closed_at - timedelta(minutes=5),
        products=[DesignProduct(product=p) for p in products],
        **fields,
    )
    db_session.add(
        DesignTransition(
            design_id=design.id, from_state=D.VOTING, to_state=D.CLOSED, created_at=closed_at
        )
    )
    db_session.flush()
    return design


def _titles(page: review.QueuePage) -> list[str]:
    return [item.design.title for item in page.items]


def _queue(db_session: Session, **filters: Any) -> review.QueuePage:
    return review.review_queue(
        db_session, review.QueueFilters(**filters), now=NOW, wait_days=7, per_page=20
    )


def test_members_and_anonymous_visitors_cannot_see_the_queue(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    for path in ("/staff/production/review", "/staff/production/review/reprints"):
        assert client.get(path).status_code == 302
    UserFactory(email="member@example.test")
    auth.login("member@example.test")
    for path in ("/staff/production/review", "/staff/production/review/reprints"):
        assert client.get(path).status_code == 403


def test_closed_designs_are_ranked_by_the_bayesian_score_with_their_numbers(
    client: FlaskClient, db_session: Session, staff: Any
) -> None:
    designer = UserFactory(display_name="Inès Moreau")
    top = closed(
        db_session,
        "Harbour Lights",
        closed_at=NOW - timedelta(days=2, hours=3),
        rank=4.2,
        votes=4,
        buyers=2,
        designer=designer,
        comment_count=4,
    )
    closed(db_session, "Quiet Fox", closed_at=NOW - timedelta(days=1), rank=3.1)
    low_tide = closed(db_session, "Low Tide", closed_at=NOW - timedelta(hours=5), rank=3.6)
    DesignFactory(state=D.VOTING, title="Still Voting", rank_score=4.9)
    DesignFactory(state=D.APPROVED, title="Already Approved", rank_score=4.8)
    harsh, kind = UserFactory(), UserFactory()
    # harsh: 5 here, 3 on Low Tide (mean 4 → +1 here); kind: 4 here only (mean 4 → 0);
    # a third voter's 2 here was discounted: not counted anywhere.
    VoteFactory(design=top, voter=harsh, score=5)
    VoteFactory(design=top, voter=kind, score=4)
    VoteFactory(
        design=top, voter=UserFactory(), score=2, counted=False, discount_category=VoteSignal.OTHER
    )
    VoteFactory(design=low_tide, voter=harsh, score=3)
    flagged = VoteFactory(design=top, voter=UserFactory(), score=5)
    db_session.add_all(
        [
            DesignIntent(design_id=top.id, product="tee", size="L", count=1),
            DesignIntent(design_id=top.id, product="tee", size="M", count=2),
            # Two open flags on one vote: one flagged vote; a dismissed flag does not count.
            VoteFlag(vote_id=flagged.id, signal=VoteSignal.SHARED_ADDRESS, count=5),
            VoteFlag(vote_id=flagged.id, signal=VoteSignal.FIVE_STAR_BURST, count=8),
            VoteFlag(
                vote_id=VoteFactory(design=top, voter=UserFactory(), score=4).id,
                signal=VoteSignal.SHARED_ADDRESS,
                count=5,
                state=FlagState.DISMISSED,
            ),
        ]
    )
    db_session.flush()

    page = _queue(db_session)
    assert _titles(page) == ["Harbour Lights", "Low Tide", "Quiet Fox"]
    item = page.items[0]
    assert item.distribution == {1: 0, 2: 0, 3: 0, 4: 2, 5: 2}
    assert item.flagged == 1
    assert [(i.product, i.size, i.count) for i in item.intents] == [
        ("tee", "M", 2),
        ("tee", "L", 1),
    ]
    assert item.waited == timedelta(days=2, hours=3)

    response = client.get("/staff/production/review")
    assert response.status_code == 200
    text = _text(response)
    assert text.index("Harbour Lights") < text.index("Low Tide") < text.index("Quiet Fox")
    assert "Still Voting" not in text and "Already Approved" not in text
    assert "by Inès Moreau · voting closed 2 days ago" in text
    assert "Rank score 4.20 Counted votes 4 " in text
    # harsh +1 (5 − mean of 5 and 3), kind 0, flagged 0, the dismissed-flag voter 0: +0.25.
    assert "Voter-normalised score +0.25" in text
    assert "Comments 4 Flagged votes 1 " in text
    assert "5 stars 2 4 stars 2 3 stars 0 2 stars 0 1 star 0" in text
    assert "T-shirt M 2 T-shirt L 1" in text
    assert "voting closed 5 hours ago" in text
    html = response.get_data(as_text=True)
    assert f'href="/staff/production/designs/{top.id}/plan"' in html
    assert f'href="/staff/production/designs/{top.id}/decline"' in html


def test_filters_by_product_period_and_tag(db_session: Session, staff: Any) -> None:
    summer = TagFactory(name="summer")
    closed(db_session, "Tee Recent", closed_at=NOW - timedelta(days=3), rank=4.0, tags=[summer])
    closed(
        db_session, "Poster Old", closed_at=NOW - timedelta(days=8), rank=3.5, products=("poster",)
    )
    closed(db_session, "Both Older", closed_at=NOW - timedelta(days=40), products=("tee", "poster"))

    assert _titles(_queue(db_session, product="poster")) == ["Poster Old", "Both Older"]
    assert _titles(_queue(db_session, product="tee")) == ["Tee Recent", "Both Older"]
    assert _titles(_queue(db_session, period=7)) == ["Tee Recent"]
    assert _titles(_queue(db_session, period=30)) == ["Tee Recent", "Poster Old"]
    assert _titles(_queue(db_session, period=90, product="poster")) == ["Poster Old", "Both Older"]
    assert _titles(_queue(db_session, tag="summer")) == ["Tee Recent"]
    assert _queue(db_session).tags == [("summer", "summer")]


def test_the_period_starts_at_the_exact_instant(db_session: Session, staff: Any) -> None:
    closed(db_session, "On The Edge", closed_at=NOW - timedelta(days=7))
    closed(db_session, "Just Before", closed_at=NOW - timedelta(days=7, seconds=1))
    assert _titles(_queue(db_session, period=7)) == ["On The Edge"]


def test_sorts_by_votes_buy_intent_and_waiting_longest(db_session: Session, staff: Any) -> None:
    closed(db_session, "A", closed_at=NOW - timedelta(days=1), rank=4.5, votes=10, buyers=1)
    closed(db_session, "B", closed_at=NOW - timedelta(days=9), rank=3.0, votes=30, buyers=0)
    closed(db_session, "C", closed_at=NOW - timedelta(days=4), rank=3.5, votes=20, buyers=9)

    assert _titles(_queue(db_session)) == ["A", "C", "B"]
    assert _titles(_queue(db_session, sort=review.QueueSort.VOTES)) == ["B", "C", "A"]
    assert _titles(_queue(db_session, sort=review.QueueSort.INTENT)) == ["C", "A", "B"]
    assert _titles(_queue(db_session, sort=review.QueueSort.WAITING)) == ["B", "C", "A"]


def test_the_query_string_chooses_filters_and_ignores_unknown_values(
    client: FlaskClient, db_session: Session, staff: Any
) -> None:
    closed(db_session, "Ranked First", closed_at=NOW - timedelta(days=1), rank=4.5, votes=1)
    closed(db_session, "Most Votes", closed_at=NOW - timedelta(days=2), rank=3.0, votes=9)
    text = _text(client.get("/staff/production/review?sort=votes"))
    assert text.index("Most Votes") < text.index("Ranked First")
    response = client.get("/staff/production/review?sort=loudest&product=mug&period=12&page=x")
    assert response.status_code == 200
    text = _text(response)
    assert text.index("Ranked First") < text.index("Most Votes")


def test_a_design_waiting_exactly_the_setting_is_not_highlighted_a_second_more_is(
    client: FlaskClient, db_session: Session, staff: Any
) -> None:
    exactly = closed(db_session, "Exactly Seven", closed_at=NOW - timedelta(days=7), rank=4.0)
    later = closed(db_session, "Seven And A Second", closed_at=NOW - timedelta(days=7, seconds=1))
    closed(db_session, "Fresh", closed_at=NOW - timedelta(days=1))

    page = _queue(db_session)
    assert {item.design.title: item.overdue for item in page.items} == {
        "Exactly Seven": False,
        "Seven And A Second": True,
        "Fresh": False,
    }
    assert page.overdue == 1

    response = client.get("/staff/production/review")
    html = response.get_data(as_text=True)
    assert "1 design has waited more than 7 days." in _text(response)
    assert f'class="card review-item overdue" id="design-{later.id}"' in html
    assert f'class="card review-item" id="design-{exactly.id}"' in html
    desk = _text(client.get("/staff/"))
    assert "3 designs to review" in desk
    assert "1 design has waited more than 7 days" in desk


def test_the_overdue_count_ignores_the_filters(
    client: FlaskClient, db_session: Session, staff: Any
) -> None:
    closed(db_session, "Old Poster", closed_at=NOW - timedelta(days=10), products=("poster",))
    closed(db_session, "Old Tee", closed_at=NOW - timedelta(days=12))
    closed(db_session, "Fiveish", closed_at=NOW - timedelta(days=5))
    text = _text(client.get("/staff/production/review?product=tee"))
    assert "2 designs have waited more than 7 days." in text
    assert "Old Poster" not in text

    assert _queue(db_session).overdue == 2


@pytest.mark.parametrize("app_overrides", [{"REVIEW_WAIT_DAYS": 4}])
def test_the_wait_follows_the_setting(client: FlaskClient, db_session: Session, staff: Any) -> None:
    closed(db_session, "Five Days", closed_at=NOW - timedelta(days=5))
    closed(db_session, "Three Days", closed_at=NOW - timedelta(days=3))
    assert "1 design has waited more than 4 days." in _text(client.get("/staff/production/review"))
    assert "1 design has waited more than 4 days" in _text(client.get("/staff/"))


def test_no_highlight_message_when_nothing_waits_too_long(
    client: FlaskClient, db_session: Session, staff: Any
) -> None:
    closed(db_session, "Fresh", closed_at=NOW - timedelta(days=1))
    text = _text(client.get("/staff/production/review"))
    assert "waited more than" not in text
    assert "waited more than" not in _text(client.get("/staff/"))


def test_pages_of_the_queue(db_session: Session, staff: Any) -> None:
    for n in range(5):
        closed(db_session, f"Design {n}", closed_at=NOW - timedelta(days=1), rank=4.0 - n / 10)
    filters = review.QueueFilters
    first = review.review_queue(db_session, filters(), now=NOW, wait_days=7, per_page=2)
    last = review.review_queue(db_session, filters(page=3), now=NOW, wait_days=7, per_page=2)
    assert _titles(first) == ["Design 0", "Design 1"] and first.has_next
    assert _titles(last) == ["Design 4"] and not last.has_next
    full = review.review_queue(db_session, filters(page=2), now=NOW, wait_days=7, per_page=2)
    assert _titles(full) == ["Design 2", "Design 3"] and full.has_next
    # Six designs: the last page is full, and there is no next one.
    closed(db_session, "Extra", closed_at=NOW - timedelta(days=1), rank=1.0)
    last_full = review.review_queue(db_session, filters(page=3), now=NOW, wait_days=7, per_page=2)
    assert _titles(last_full) == ["Design 4", "Extra"] and not last_full.has_next


def test_the_page_runs_a_constant_number_of_queries(
    client: FlaskClient, db_session: Session, staff: Any, engine: Engine
) -> None:
    def add(n: int) -> None:
        for i in range(n):
            design = closed(
                db_session,
                f"Counted {i}",
                closed_at=NOW - timedelta(days=i),
                tags=[TagFactory()],
            )
            vote = VoteFactory(design=design, voter=UserFactory(), score=4)
            db_session.add_all(
                [
                    DesignIntent(design_id=design.id, product="tee", size="M", count=1),
                    VoteFlag(vote_id=vote.id, signal=VoteSignal.SHARED_ADDRESS, count=3),
                ]
            )
        db_session.flush()

    add(2)
    with count_queries(engine) as few:
        assert client.get("/staff/production/review").status_code == 200
    add(6)
    with count_queries(engine) as many:
        assert client.get("/staff/production/review").status_code == 200
    assert "Counted 5" in _text(client.get("/staff/production/review"))
    assert len(many) == len(few)

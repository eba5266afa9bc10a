"""Results: once a design's window is over its page shows anyone how the number was made."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from cocreate.designs.models import Design, DesignState
from cocreate.voting import ranking
from cocreate.voting.models import DesignIntent, VoteSignal
from tests import factories_session
from tests.conftest import TEST_START
from tests.designs.factories import DesignFactory
from tests.designs.test_gallery import count_queries
from tests.voting.factories import VoteFactory
from tests.voting.helpers import open_design

pytestmark = pytest.mark.usefixtures("clock")


def _voted(state: DesignState = DesignState.CLOSED, **fields: Any) -> Design:
    """Counted scores 5, 5, 4, 2, 1 (sum 17); discounted: two shared-address votes, one other."""
    design = open_design(state=state, **fields)
    for score in (5, 5, 4, 2, 1):
        VoteFactory(design=design, score=score)
    for score, category in [
        (5, VoteSignal.SHARED_ADDRESS),
        (5, VoteSignal.SHARED_ADDRESS),
        (1, VoteSignal.OTHER),
    ]:
        VoteFactory(design=design, score=score, counted=False, discount_category=category)
    design.vote_count, design.score_sum = 5, 17
    factories_session.get().flush()
    return design


def test_results_count_scores_and_discounts_by_category(db_session: Session) -> None:
    design = _voted()
    results = ranking.results(db_session, design.id)
    assert results.distribution == {1: 1, 2: 1, 3: 0, 4: 1, 5: 2}
    assert (results.counted, results.score_sum, results.average) == (5, 17, 3.4)
    assert results.discounted == {VoteSignal.SHARED_ADDRESS: 2, VoteSignal.OTHER: 1}
    assert list(results.discounted) == [VoteSignal.SHARED_ADDRESS, VoteSignal.OTHER]
    assert results.discounted_total == 3
    assert (results.share(5), results.share(3)) == (0.4, 0.0)


def test_results_group_by_counted_category_and_score(db_session: Session) -> None:
    """A restored vote counts and may keep the category it was discounted under; discounted
    votes of one category come with different scores: each is tallied where it belongs."""
    design = open_design(state=DesignState.CLOSED)
    VoteFactory(design=design, score=5)
    VoteFactory(design=design, score=5, discount_category=VoteSignal.SHARED_ADDRESS)  # restored
    for score, category in [
        (5, VoteSignal.SHARED_ADDRESS),
        (2, VoteSignal.SHARED_ADDRESS),
        (5, VoteSignal.OTHER),
        (5, VoteSignal.FIVE_STAR_BURST),
    ]:
        VoteFactory(design=design, score=score, counted=False, discount_category=category)
    results = ranking.results(db_session, design.id)
    assert results.distribution == {1: 0, 2: 0, 3: 0, 4: 0, 5: 2}
    assert results.discounted == {
        VoteSignal.SHARED_ADDRESS: 2,
        VoteSignal.FIVE_STAR_BURST: 1,
        VoteSignal.OTHER: 1,
    }


def test_buy_intent_by_size_in_catalogue_order(db_session: Session) -> None:
    design = open_design(products=("tee", "poster"))
    other = open_design()
    for product, size, count in [
        ("poster", "50x70", 2),
        ("tee", "XL", 1),
        ("tee", "S", 4),
        ("tee", "L", 2),
        ("tee", "M", 1),  # before L, as the catalogue lists them
        ("tee", "XS", 0),  # everyone changed their mind: left out
        ("mug", "M", 1),  # a product the catalogue dropped: last
        ("tee", "XXXL", 3),  # a size the catalogue dropped: after the tee's sizes
        ("poster", "30x40", 1),
    ]:
        db_session.add(DesignIntent(design_id=design.id, product=product, size=size, count=count))
    db_session.add(DesignIntent(design_id=other.id, product="tee", size="L", count=7))
    db_session.flush()
    assert ranking.intents(db_session, design.id) == [
        ranking.Intent("tee", "S", 4),
        ranking.Intent("tee", "M", 1),
        ranking.Intent("tee", "L", 2),
        ranking.Intent("tee", "XL", 1),
        ranking.Intent("tee", "XXXL", 3),
        ranking.Intent("poster", "30x40", 1),
        ranking.Intent("poster", "50x70", 2),
        ranking.Intent("mug", "M", 1),
    ]
    assert ranking.intents(db_session, open_design().id) == []


def test_results_of_a_design_without_votes(db_session: Session) -> None:
    design = open_design(state=DesignState.CLOSED)
    results = ranking.results(db_session, design.id)
    assert results.distribution == {1: 0, 2: 0, 3: 0, 4: 0, 5: 0}
    assert (results.counted, results.average, results.discounted_total) == (0, None, 0)
    assert results.discounted == {}
    assert results.share(5) == 0.0


def test_results_are_one_query(db_session: Session, engine: Engine) -> None:
    design = _voted()
    db_session.flush()
    with count_queries(engine) as statements:
        ranking.results(db_session, design.id)
    assert len(statements) == 1


def test_a_discounted_vote_without_category_counts_as_other(db_session: Session) -> None:
    design = open_design(state=DesignState.CLOSED)
    vote = VoteFactory(design=design, score=3)
    # Restored and discounted again by hand, the category lost: still shown, as "other".
    db_session.flush()
    results = ranking.results(db_session, design.id)
    assert results.counted == 1
    vote.counted, vote.discount_category = False, VoteSignal.OTHER
    db_session.flush()
    assert ranking.results(db_session, design.id).discounted == {VoteSignal.OTHER: 1}


@pytest.mark.parametrize(
    "state",
    [
        DesignState.CLOSED,
        DesignState.APPROVED,
        DesignState.ON_SALE,
        DesignState.RETIRED,
    ],
)
def test_anyone_sees_the_results_once_closed(
    client: FlaskClient, db_session: Session, state: DesignState
) -> None:
    design = _voted(state)
    page = client.get(f"/designs/{design.id}").get_data(as_text=True)
    assert "Voting results" in page and "How the score was made" in page
    assert "5 counted votes, average 3.40" in page
    assert "Average 3.40 out of 5" in page
    for stars, count in [("5 stars", 2), ("4 stars", 1), ("3 stars", 0), ("2 stars", 1)]:
        assert f'<th scope="row">{stars}</th>' in page
        assert f"</meter> {count}</td>" in page
    assert '<th scope="row">1 star</th>' in page
    assert '<meter min="0" max="1" value="0.4"></meter> 2</td>' in page
    assert "3 votes were discounted by staff:" in page
    assert "<li>many accounts voting from one address: 2</li>" in page
    assert "<li>other reasons, judged by staff: 1</li>" in page
    assert "data-vote-form" not in page and "Log in to vote" not in page


def test_the_results_show_once_the_window_ended_before_the_close_job(
    client: FlaskClient, db_session: Session
) -> None:
    design = _voted(DesignState.VOTING, voting_ends_at=TEST_START)
    page = client.get(f"/designs/{design.id}").get_data(as_text=True)
    assert "How the score was made" in page and "5 counted votes" in page


def test_no_results_while_voting_is_open(client: FlaskClient, db_session: Session) -> None:
    design = _voted(DesignState.VOTING)
    page = client.get(f"/designs/{design.id}").get_data(as_text=True)
    assert "How the score was made" not in page and "counted votes" not in page


def test_results_without_discounts_say_so(client: FlaskClient, db_session: Session) -> None:
    design = open_design(state=DesignState.CLOSED)
    VoteFactory(design=design, score=4)
    design.vote_count, design.score_sum = 1, 4
    db_session.flush()
    page = client.get(f"/designs/{design.id}").get_data(as_text=True)
    assert "1 counted vote, average 4.00" in page
    assert "Average 4.00 out of 5" in page and "1 vote" in page
    assert "No vote was discounted." in page


def test_a_declined_design_shows_its_results_to_its_designer(
    client: FlaskClient, db_session: Session, auth: Any
) -> None:
    from tests.accounts.factories import UserFactory

    designer = UserFactory(email="des@example.test")
    design = _voted(DesignState.DECLINED, designer=designer)
    auth.login("des@example.test")
    page = client.get(f"/designs/{design.id}").get_data(as_text=True)
    assert "5 counted votes, average 3.40" in page


def test_the_panel_is_absent_from_designs_that_never_opened(
    client: FlaskClient, db_session: Session, auth: Any
) -> None:
    from tests.accounts.factories import StaffFactory

    StaffFactory(email="staff@example.test")
    auth.login("staff@example.test")
    for state in (DesignState.SUBMITTED, DesignState.REJECTED, DesignState.WITHDRAWN):
        design = DesignFactory(state=state)
        page = client.get(f"/designs/{design.id}").get_data(as_text=True)
        assert 'id="vote-panel"' not in page, state

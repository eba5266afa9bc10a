"""The ranking: the Bayesian average stored by the counters (hand-computed values), the mean m
refreshed by `flask voting refresh-ranking`, the voter-normalised score, "How ranking works"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.core.clock import TestClock
from cocreate.designs.models import Design, DesignState
from cocreate.voting import comments, counters, ranking
from cocreate.voting.models import DesignIntent, RankingStats
from tests.accounts.factories import UserFactory
from tests.conftest import TEST_START
from tests.designs.factories import DesignFactory, VotingDesignFactory
from tests.voting.factories import VoteFactory
from tests.voting.helpers import cast, fresh, open_design
from tests.voting.helpers import counters as stored

# --- The formula, by hand --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prior", "mean", "score_sum", "votes", "expected"),
    [
        (20, 3.0, 15, 3, 3.2609),  # 3 votes of 5: (60 + 15) / 23
        (20, 3.0, 1840, 400, 4.5238),  # 400 votes averaging 4.6: (60 + 1840) / 420
        (20, 3.0, 0, 0, 3.0),  # no vote: the prior mean itself
        (20, 3.5, 4, 1, 3.5238),  # (70 + 4) / 21
        (10, 4.0, 2, 2, 3.5),  # (40 + 2) / 12
        (1, 2.0, 10, 2, 4.0),  # (2 + 10) / 3
    ],
)
def test_rank_value(prior: int, mean: float, score_sum: int, votes: int, expected: float) -> None:
    assert round(counters.rank_value(prior, mean, score_sum, votes), 4) == expected


def test_three_fives_do_not_beat_four_hundred_votes_averaging_4_6() -> None:
    # DESIGN.md's example, with C = 20 and m = 3.0.
    assert counters.rank_value(20, 3.0, 15, 3) < counters.rank_value(20, 3.0, 1840, 400)


# --- Counters and the stored rank ---------------------------------------------------------------


@pytest.mark.usefixtures("request_ctx", "clock")
def test_three_votes_of_five_store_the_hand_computed_rank(db_session: Session) -> None:
    design = open_design()
    for _ in range(3):
        cast(db_session, design, UserFactory(), 5)
    assert stored(db_session, design.id) == (3, 15, 0)
    assert round(fresh(db_session, design).rank_score, 4) == 3.2609


@pytest.mark.usefixtures("request_ctx", "clock")
def test_the_stored_rank_uses_the_stored_mean(db_session: Session) -> None:
    db_session.add(RankingStats(id=1, mean=4.0, refreshed_at=TEST_START))
    db_session.flush()
    design = open_design()
    cast(db_session, design, UserFactory(), 1)
    # (20 × 4.0 + 1) / 21
    assert round(fresh(db_session, design).rank_score, 4) == 3.8571


@pytest.mark.parametrize("app_overrides", [{"VOTING_PRIOR_WEIGHT": 5}])
@pytest.mark.usefixtures("request_ctx", "clock")
def test_the_prior_weight_is_the_setting(db_session: Session, app_overrides: object) -> None:
    design = open_design()
    cast(db_session, design, UserFactory(), 5)
    cast(db_session, design, UserFactory(), 4)
    # (5 × 3.0 + 9) / 7
    assert round(fresh(db_session, design).rank_score, 4) == 3.4286


def test_effect_of_a_vote(db_session: Session) -> None:
    vote = VoteFactory.build(score=4, buy=True, product="tee", size="M", counted=True)
    assert counters.effect_of(vote) == counters.Effect(1, 4, 1, ("tee", "M"))
    plain = VoteFactory.build(score=2, counted=True)
    assert counters.effect_of(plain) == counters.Effect(1, 2, 0, None)
    discounted = VoteFactory.build(score=5, buy=True, product="tee", size="M", counted=False)
    assert counters.effect_of(discounted) == counters.NONE == counters.Effect(0, 0, 0, None)
    assert -counters.Effect(1, 4, 1, ("tee", "M")) == counters.Effect(-1, -4, -1, ("tee", "M"))


def _intent(session: Session, design_id: int) -> dict[tuple[str, str], int]:
    rows = session.execute(
        select(DesignIntent.product, DesignIntent.size, DesignIntent.count).where(
            DesignIntent.design_id == design_id
        )
    ).all()
    return {(p, s): n for p, s, n in rows}


def test_apply_moves_every_counter_by_the_difference(db_session: Session) -> None:
    design = VotingDesignFactory()
    new = counters.Effect(1, 4, 1, ("tee", "M"))
    counters.apply(db_session, design.id, counters.NONE, new, prior_weight=20)
    assert stored(db_session, design.id) == (1, 4, 1)
    assert _intent(db_session, design.id) == {("tee", "M"): 1}
    # (60 + 4) / 21
    assert round(fresh(db_session, design).rank_score, 4) == 3.0476

    changed = counters.Effect(1, 2, 1, ("poster", "30x40"))
    counters.apply(db_session, design.id, new, changed, prior_weight=20)
    assert stored(db_session, design.id) == (1, 2, 1)
    assert _intent(db_session, design.id) == {("tee", "M"): 0, ("poster", "30x40"): 1}
    assert round(fresh(db_session, design).rank_score, 4) == round(62 / 21, 4)

    no_buy = counters.Effect(1, 2, 0, None)
    counters.apply(db_session, design.id, changed, no_buy, prior_weight=20)
    assert stored(db_session, design.id) == (1, 2, 0)
    assert _intent(db_session, design.id) == {("tee", "M"): 0, ("poster", "30x40"): 0}

    counters.apply(db_session, design.id, no_buy, counters.NONE, prior_weight=20)
    assert stored(db_session, design.id) == (0, 0, 0)
    assert fresh(db_session, design).rank_score == 3.0


def test_apply_returns_the_counters_its_update_left(db_session: Session) -> None:
    design = VotingDesignFactory(vote_count=2, score_sum=7)
    totals = counters.apply(
        db_session,
        design.id,
        counters.NONE,
        counters.Effect(1, 4, 1, ("tee", "M")),
        prior_weight=20,
    )
    assert totals is not None
    assert (totals.vote_count, totals.score_sum, totals.buy_intent_count) == (3, 11, 1)
    # (20 × 3.0 + 11) / 23
    assert round(totals.rank_score, 4) == round(71 / 23, 4)


def test_apply_returns_nothing_when_nothing_moves_or_the_design_is_gone(
    db_session: Session,
) -> None:
    design = VotingDesignFactory()
    same = counters.Effect(1, 3, 0)
    assert counters.apply(db_session, design.id, same, same, prior_weight=20) is None
    gone = design.id + 1000
    assert counters.apply(db_session, gone, counters.NONE, same, prior_weight=20) is None
    assert stored(db_session, design.id) == (0, 0, 0)


def test_apply_with_the_same_intent_adds_a_second_buyer(db_session: Session) -> None:
    design = VotingDesignFactory()
    one = counters.Effect(1, 5, 1, ("tee", "M"))
    counters.apply(db_session, design.id, counters.NONE, one, prior_weight=20)
    counters.apply(db_session, design.id, counters.NONE, one, prior_weight=20)
    assert _intent(db_session, design.id) == {("tee", "M"): 2}
    # The same buyer changing only the score leaves the size's count alone.
    counters.apply(
        db_session, design.id, one, counters.Effect(1, 3, 1, ("tee", "M")), prior_weight=20
    )
    assert _intent(db_session, design.id) == {("tee", "M"): 2}
    assert stored(db_session, design.id) == (2, 8, 2)


def test_a_negative_first_move_of_a_size_stops_at_zero(db_session: Session) -> None:
    """Counters already off (a buy intent never recorded): discounting it must not fail."""
    design = VotingDesignFactory(vote_count=1, score_sum=5, buy_intent_count=1)
    counters.apply(
        db_session,
        design.id,
        counters.Effect(1, 5, 1, ("tee", "M")),
        counters.NONE,
        prior_weight=20,
    )
    assert stored(db_session, design.id) == (0, 0, 0)
    assert _intent(db_session, design.id) == {("tee", "M"): 0}


def test_intent_moves_in_a_fixed_order() -> None:
    tee_m = counters.Effect(1, 5, 1, ("tee", "M"))
    poster = counters.Effect(1, 4, 1, ("poster", "30x40"))
    # Sorted by product then size, whichever was before: two transactions take rows in one order.
    assert counters.intent_moves(tee_m, poster) == [("poster", "30x40", 1), ("tee", "M", -1)]
    assert counters.intent_moves(poster, tee_m) == [("poster", "30x40", -1), ("tee", "M", 1)]
    assert counters.intent_moves(tee_m, counters.Effect(1, 2, 1, ("tee", "M"))) == []
    assert counters.intent_moves(tee_m, counters.NONE) == [("tee", "M", -1)]
    assert counters.intent_moves(counters.NONE, tee_m) == [("tee", "M", 1)]
    assert counters.intent_moves(counters.NONE, counters.Effect(1, 3, 0, None)) == []


def test_apply_without_any_change_writes_nothing(db_session: Session) -> None:
    design = VotingDesignFactory(rank_score=2.5)
    same = counters.Effect(1, 3, 0, None)
    counters.apply(db_session, design.id, same, same, prior_weight=20)
    # The rank is not recomputed either: 2.5 was not what (60 + 0) / 20 gives.
    assert fresh(db_session, design).rank_score == 2.5
    assert _intent(db_session, design.id) == {}


def test_apply_leaves_other_designs_and_products_alone(db_session: Session) -> None:
    design, other = VotingDesignFactory(), VotingDesignFactory()
    tee_s = counters.Effect(1, 5, 1, ("tee", "S"))
    counters.apply(db_session, other.id, counters.NONE, tee_s, prior_weight=20)
    # Another product with a size of the same name ("S"), on the same design.
    hoodie_s = counters.Effect(1, 4, 1, ("hoodie", "S"))
    counters.apply(db_session, design.id, counters.NONE, hoodie_s, prior_weight=20)
    counters.apply(db_session, design.id, counters.NONE, tee_s, prior_weight=20)
    counters.apply(db_session, design.id, counters.NONE, tee_s, prior_weight=20)
    assert _intent(db_session, design.id) == {("hoodie", "S"): 1, ("tee", "S"): 2}
    assert stored(db_session, design.id) == (3, 14, 3)
    assert stored(db_session, other.id) == (1, 5, 1)
    assert _intent(db_session, other.id) == {("tee", "S"): 1}
    assert round(fresh(db_session, other).rank_score, 4) == round(65 / 21, 4)


# --- The mean m, refreshed periodically --------------------------------------------------------


def _ranked(session: Session) -> dict[str, float]:
    return {
        title: round(rank, 4)
        for title, rank in session.execute(select(Design.title, Design.rank_score)).all()
    }


def test_refresh_ranking_stores_the_mean_of_public_designs_and_reranks(
    db_session: Session,
) -> None:
    VotingDesignFactory(title="A", vote_count=3, score_sum=15)
    DesignFactory(title="B", state=DesignState.CLOSED, vote_count=1, score_sum=1)
    # Not public: its votes are not part of m (they stopped counting).
    DesignFactory(title="R", state=DesignState.REMOVED, vote_count=10, score_sum=50)
    when = TEST_START + timedelta(hours=1)
    mean = counters.refresh_ranking(db_session, prior_weight=20, now=when)
    assert mean == 4.0  # (15 + 1) / (3 + 1)
    assert counters.stored_mean(db_session) == 4.0
    assert ranking.refreshed_at(db_session) == when
    assert _ranked(db_session) == {
        "A": round((80 + 15) / 23, 4),  # 4.1304
        "B": round((80 + 1) / 21, 4),  # 3.8571
        "R": round((80 + 50) / 30, 4),  # 4.3333: ranked too, though never listed
    }
    # Refreshed again later: the one row is updated, not duplicated.
    later = when + timedelta(hours=1)
    VotingDesignFactory(title="C", vote_count=4, score_sum=4)
    assert counters.refresh_ranking(db_session, prior_weight=20, now=later) == 2.5  # 20 / 8
    assert db_session.scalars(select(RankingStats.id)).all() == [1]
    assert ranking.refreshed_at(db_session) == later
    assert _ranked(db_session)["C"] == round((50 + 4) / 24, 4)


def test_without_votes_the_mean_is_the_middle_of_the_scale(db_session: Session) -> None:
    VotingDesignFactory(title="A")
    assert counters.stored_mean(db_session) == 3.0
    assert ranking.refreshed_at(db_session) is None
    assert counters.refresh_ranking(db_session, prior_weight=20, now=TEST_START) == 3.0
    assert _ranked(db_session) == {"A": 3.0}


def test_without_any_public_design_the_mean_is_the_middle_of_the_scale(
    db_session: Session,
) -> None:
    DesignFactory(title="Draft", vote_count=2, score_sum=10)  # not public: not in m
    assert counters.refresh_ranking(db_session, prior_weight=20, now=TEST_START) == 3.0
    assert counters.stored_mean(db_session) == 3.0
    assert _ranked(db_session) == {"Draft": round(70 / 22, 4)}


def test_the_refresh_ranking_command(app: Flask, db_session: Session, clock: TestClock) -> None:
    VotingDesignFactory(title="A", vote_count=2, score_sum=7)
    VotingDesignFactory(title="B", vote_count=2, score_sum=3)
    db_session.commit()
    result = app.test_cli_runner().invoke(args=["voting", "refresh-ranking"])
    assert result.exit_code == 0, result.output
    assert result.output == "Mean score m = 2.5000; ranks refreshed.\n"
    db_session.expire_all()
    assert counters.stored_mean(db_session) == 2.5
    assert ranking.refreshed_at(db_session) == TEST_START
    assert _ranked(db_session) == {"A": round(57 / 22, 4), "B": round(53 / 22, 4)}


# --- Voter-normalised ---------------------------------------------------------------------------


def test_harsh_and_generous_voters_weigh_alike(db_session: Session) -> None:
    harsh, generous = UserFactory(), UserFactory()
    liked, plain = VotingDesignFactory(), VotingDesignFactory()
    # The harsh voter gives 2 to what they like and 1 otherwise (mean 1.5); the generous one
    # 5 and 4 (mean 4.5). Centred, both say +0.5 for one design and -0.5 for the other.
    VoteFactory(design=liked, voter=harsh, score=2)
    VoteFactory(design=plain, voter=harsh, score=1)
    VoteFactory(design=liked, voter=generous, score=5)
    VoteFactory(design=plain, voter=generous, score=4)
    assert ranking.normalised_scores(db_session, [liked.id, plain.id]) == {
        liked.id: 0.5,
        plain.id: -0.5,
    }


def test_normalised_scores_by_hand(db_session: Session) -> None:
    a, b, c = UserFactory(), UserFactory(), UserFactory()
    one, two, three = VotingDesignFactory(), VotingDesignFactory(), VotingDesignFactory()
    empty = VotingDesignFactory()
    # a: 5, 3, 1 (mean 3): +2, 0, -2.  b: 4, 4 (mean 4): 0, 0.  c: 2 on one (mean 2): 0.
    VoteFactory(design=one, voter=a, score=5)
    VoteFactory(design=two, voter=a, score=3)
    VoteFactory(design=three, voter=a, score=1)
    VoteFactory(design=one, voter=b, score=4)
    VoteFactory(design=two, voter=b, score=4)
    VoteFactory(design=one, voter=c, score=2)
    # A discounted vote counts neither for its design nor in its voter's mean.
    VoteFactory(design=three, voter=b, score=1, counted=False, discount_category="other")
    scores = ranking.normalised_scores(db_session, [one.id, two.id, three.id, empty.id])
    assert scores == {one.id: pytest.approx(2 / 3), two.id: 0.0, three.id: -2.0, empty.id: None}
    # Asked for one design, its voters' means still come from all their counted votes.
    assert ranking.normalised_scores(db_session, [three.id]) == {three.id: -2.0}
    assert ranking.normalised_scores(db_session, []) == {}


# --- "How ranking works" -------------------------------------------------------------------------


def test_how_ranking_works_publishes_the_formula_and_current_values(
    client: FlaskClient, db_session: Session, clock: TestClock
) -> None:
    page = client.get("/ranking")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "rank = (C × m + sum of scores) ÷ (C + number of votes)" in text
    assert "<dt>C</dt><dd>20</dd>" in text
    assert "<dt>m</dt><dd>3.0000</dd>" in text
    assert "3 votes of 5 rank 3.2609, and 400 votes averaging 4.6 rank 4.5238." in text
    assert "only after voting, or once voting has closed" in text
    assert "minus that member’s own average" in text


def test_how_ranking_works_shows_a_refreshed_mean(
    client: FlaskClient, db_session: Session, clock: TestClock
) -> None:
    db_session.add(RankingStats(id=1, mean=3.75, refreshed_at=TEST_START))
    db_session.flush()
    text = client.get("/ranking").get_data(as_text=True)
    assert "<dt>m</dt><dd>3.7500 <span" in text
    assert "(recomputed " in text
    # (20 × 3.75 + 15) / 23 and (75 + 1840) / 420
    assert "3 votes of 5 rank 3.9130, and 400 votes averaging 4.6 rank 4.5595." in text


@pytest.mark.parametrize(
    "app_overrides", [{"VOTING_HIDE_SCORE_UNTIL_VOTED": False, "VOTING_PRIOR_WEIGHT": 10}]
)
def test_how_ranking_works_follows_the_settings(
    client: FlaskClient, db_session: Session, app_overrides: object
) -> None:
    text = client.get("/ranking").get_data(as_text=True)
    assert "<dt>C</dt><dd>10</dd>" in text
    assert "shown to everyone at all times" in text
    # (30 + 15) / 13 and (30 + 1840) / 410
    assert "3 votes of 5 rank 3.4615, and 400 votes averaging 4.6 rank 4.5610." in text


def test_the_gallery_s_top_view_links_to_how_ranking_works(
    client: FlaskClient, db_session: Session
) -> None:
    assert 'href="/ranking"' in client.get("/gallery?view=top").get_data(as_text=True)
    assert 'href="/ranking"' not in client.get("/gallery?view=newest").get_data(as_text=True)


@pytest.mark.usefixtures("request_ctx", "clock")
def test_votes_ranking_and_comments_do_not_count_as_edits_of_the_design(
    db_session: Session,
) -> None:
    # `updated_at` orders "My designs": only the designer's own changes may move it.
    edited = TEST_START - timedelta(days=5)
    design = open_design(updated_at=edited)
    cast(db_session, design, UserFactory(), 5, ("tee", "M"))
    counters.refresh_ranking(db_session, prior_weight=20, now=TEST_START)
    comments.post(db_session, design, UserFactory(), "Nice lines.", now=TEST_START)
    stored_at = db_session.scalar(select(Design.updated_at).where(Design.id == design.id))
    assert stored_at == edited

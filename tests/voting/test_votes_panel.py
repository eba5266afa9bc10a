"""The vote panel on a design's page: the widget per role, herding (who sees the average and
the count), buy intent by size for the designer and staff, and the viewer's own vote."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from cocreate.designs.models import Design
from tests.accounts.factories import StaffFactory, UserFactory
from tests.conftest import TEST_START
from tests.voting.factories import VoteFactory
from tests.voting.helpers import open_design, seed_votes

pytestmark = pytest.mark.usefixtures("clock")

AVERAGE = "Average 3.50 out of 5"
COUNT = "2 votes"
HERDING = "The average and the number of votes appear once you have voted"


def _design(db_session: Session, **fields: Any) -> Design:
    design = open_design(products=("tee", "poster"), **fields)
    seed_votes(db_session, design, [5, 2], [("tee", "M"), ("poster", "50x70")])
    return design


def _page(client: FlaskClient, design: Design) -> str:
    response = client.get(f"/designs/{design.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_anonymous_sees_a_log_in_link_and_no_score(
    client: FlaskClient, db_session: Session
) -> None:
    design = _design(db_session)
    page = _page(client, design)
    assert "Log in to vote" in page
    assert f"/login?next=/designs/{design.id}" in page
    assert HERDING in page
    assert AVERAGE not in page and COUNT not in page
    assert "data-vote-form" not in page and "js/vote.js" not in page
    assert "How ranking works" in page


def test_a_member_sees_the_score_only_after_voting(
    client: FlaskClient, db_session: Session, auth: Any
) -> None:
    design = _design(db_session)
    member = UserFactory(email="m@example.test")
    auth.login("m@example.test")
    page = _page(client, design)
    assert "data-vote-form" in page and "js/vote.js" in page
    assert '<button type="submit" class="button">Vote</button>' in page
    assert HERDING in page and AVERAGE not in page
    VoteFactory(design=design, voter=member, score=4, buy=True, product="poster", size="30x40")
    design.vote_count, design.score_sum = 3, 11
    db_session.flush()
    page = _page(client, design)
    assert "Average 3.67 out of 5" in page and "3 votes" in page
    assert HERDING not in page
    # The member's current vote is shown and chosen in the form.
    assert 'value="4" required checked' in page
    assert 'id="vote-buy" checked' in page
    assert 'value="poster:30x40" selected' in page
    assert "Your vote: 4 out of 5. You’d buy it in 30 × 40 cm (Poster)." in page
    assert "Change my vote" in page
    # Buy intent by size is for the designer and staff.
    assert "by size" not in page


def test_the_size_select_offers_the_design_s_products_grouped(
    client: FlaskClient, db_session: Session, auth: Any
) -> None:
    design = _design(db_session)
    UserFactory(email="m@example.test")
    auth.login("m@example.test")
    page = _page(client, design)
    assert '<optgroup label="T-shirt">' in page and '<optgroup label="Poster">' in page
    assert '<optgroup label="Tote bag">' not in page
    for value in ["tee:XS", "tee:XXL", "poster:30x40", "poster:50x70"]:
        assert f'<option value="{value}">' in page
    assert '<option value="poster:50x70">50 × 70 cm</option>' in page


def test_the_designer_sees_score_and_buy_intent_but_no_widget(
    client: FlaskClient, db_session: Session, auth: Any
) -> None:
    designer = UserFactory(email="des@example.test")
    design = _design(db_session, designer=designer)
    auth.login("des@example.test")
    page = _page(client, design)
    assert AVERAGE in page and COUNT in page
    assert "data-vote-form" not in page and "Log in to vote" not in page
    assert "“I’d buy it” by size" in page
    assert "<tr><td>T-shirt</td><td>M</td><td>1</td></tr>" in page
    assert "<tr><td>Poster</td><td>50 × 70 cm</td><td>1</td></tr>" in page
    # Staff figures are not the designer's.
    assert "Voter-normalised score" not in page


def test_staff_see_score_intent_rank_and_the_normalised_score(
    client: FlaskClient, db_session: Session, auth: Any
) -> None:
    design = _design(db_session)
    StaffFactory(email="staff@example.test")
    auth.login("staff@example.test")
    page = _page(client, design)
    assert AVERAGE in page and COUNT in page and HERDING not in page
    assert "<tr><td>T-shirt</td><td>M</td><td>1</td></tr>" in page
    # Each seeded voter cast only this vote: centred on their own mean, each scores 0.
    assert "<dt>Voter-normalised score</dt><dd>+0.00</dd>" in page
    assert "<dt>Ranking score</dt><dd>3.0000</dd>" in page  # the stored rank, as seeded
    # Staff are members too: they may vote.
    assert "data-vote-form" in page


def test_an_unverified_member_is_asked_to_confirm_their_email(
    client: FlaskClient, db_session: Session, auth: Any
) -> None:
    design = _design(db_session)
    UserFactory(email="new@example.test", email_verified_at=None)
    auth.login("new@example.test")
    page = _page(client, design)
    assert "Confirm your email address to vote" in page
    assert "data-vote-form" not in page and AVERAGE not in page


@pytest.mark.parametrize("app_overrides", [{"VOTING_HIDE_SCORE_UNTIL_VOTED": False}])
def test_without_the_herding_rule_everyone_sees_the_score(
    client: FlaskClient, db_session: Session, auth: Any, app_overrides: dict[str, Any]
) -> None:
    design = _design(db_session)
    page = _page(client, design)
    assert AVERAGE in page and COUNT in page and HERDING not in page
    UserFactory(email="m@example.test")
    auth.login("m@example.test")
    page = _page(client, design)
    assert AVERAGE in page and "data-vote-form" in page
    assert "“I’d buy it” by size" not in page


def test_once_the_window_ends_everyone_sees_the_score(
    client: FlaskClient, db_session: Session, auth: Any
) -> None:
    design = _design(db_session, voting_ends_at=TEST_START)  # ended now, not yet closed
    page = _page(client, design)
    assert AVERAGE in page and HERDING not in page
    assert "Log in to vote" not in page
    UserFactory(email="m@example.test")
    auth.login("m@example.test")
    page = _page(client, design)
    assert AVERAGE in page and "data-vote-form" not in page


def test_a_design_without_votes_says_so_to_who_may_see(
    client: FlaskClient, db_session: Session, auth: Any
) -> None:
    designer = UserFactory(email="des@example.test")
    design = open_design(designer=designer)
    auth.login("des@example.test")
    page = _page(client, design)
    assert "No votes yet." in page
    assert "Nobody has said they would buy it yet." in page


def test_drafts_have_no_panel(client: FlaskClient, db_session: Session, auth: Any) -> None:
    from tests.designs.factories import DesignFactory

    designer = UserFactory(email="des@example.test")
    draft = DesignFactory(designer=designer)
    auth.login("des@example.test")
    page = _page(client, draft)
    assert 'id="vote-panel"' not in page and "css/voting.css" not in page


def test_the_page_s_old_vote_line_is_gone(client: FlaskClient, db_session: Session) -> None:
    design = _design(db_session)
    assert '<p class="votes">' not in _page(client, design)

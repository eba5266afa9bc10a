"""POST /designs/<id>/vote: a plain form (303 back to the design) or fetch (JSON), refusals as
422/403/409, CSRF, and the rate limits per account and per client address."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocreate.designs.models import DesignState
from cocreate.voting import addresses
from cocreate.voting.models import Vote
from tests.accounts.factories import UserFactory
from tests.conftest import TEST_SECRET, TEST_START
from tests.designs.factories import DesignFactory
from tests.voting.helpers import counters, open_design

JSON = {"Accept": "application/json"}

pytestmark = pytest.mark.usefixtures("clock")


def _votes(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Vote)) or 0


@pytest.fixture
def member(db_session: Session, auth: Any) -> Any:
    user = UserFactory(email="voter@example.test")
    auth.login("voter@example.test")
    return user


def test_plain_form_redirects_back_with_a_message(
    client: FlaskClient, db_session: Session, member: Any
) -> None:
    design = open_design(products=("tee", "poster"))
    response = client.post(
        f"/designs/{design.id}/vote", data={"score": "4", "buy": "y", "size": "poster:30x40"}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/designs/{design.id}#vote-panel"
    vote = db_session.scalars(select(Vote)).one()
    assert (vote.voter_id, vote.score, vote.buy, vote.product, vote.size) == (
        member.id,
        4,
        True,
        "poster",
        "30x40",
    )
    assert counters(db_session, design.id) == (1, 4, 1)
    page = client.get(f"/designs/{design.id}").get_data(as_text=True)
    assert "Your vote is saved." in page
    assert "Average 4.00 out of 5" in page and "1 vote" in page


def test_the_client_address_is_stored_only_as_its_keyed_hash(
    client: FlaskClient, db_session: Session, member: Any
) -> None:
    design = open_design()
    client.post(
        f"/designs/{design.id}/vote",
        data={"score": "3"},
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    )
    vote = db_session.scalars(select(Vote)).one()
    assert vote.ip_hash == addresses.address_hash(
        "203.0.113.7", secret_key=TEST_SECRET, now=TEST_START, period_days=30
    )
    assert re.fullmatch("[0-9a-f]{64}", vote.ip_hash)
    assert "203.0.113.7" not in vote.ip_hash


def test_fetch_gets_the_new_state_as_json(
    client: FlaskClient, db_session: Session, member: Any
) -> None:
    design = open_design(products=("tee",))
    cast_before = UserFactory()
    from tests.voting.factories import VoteFactory

    VoteFactory(design=design, voter=cast_before, score=2)
    design.vote_count, design.score_sum = 1, 2
    db_session.flush()
    response = client.post(
        f"/designs/{design.id}/vote",
        data={"score": "5", "buy": "y", "size": "tee:M"},
        headers=JSON,
    )
    assert response.status_code == 200
    data = response.get_json()
    assert data["vote"] == {"score": 5, "buy": True, "product": "tee", "size": "M"}
    assert (data["vote_count"], data["average"]) == (2, 3.5)
    assert data["message"] == "Your vote is saved."
    # What vote.js writes into the panel, worded as the panel words it; a member's answer
    # carries no re-rendered panel.
    assert data["texts"] == {
        "average": "Average 3.50 out of 5",
        "count": "2 votes",
        "your_vote": "Your vote: 5 out of 5. You’d buy it in M (T-shirt).",
        "button": "Change my vote",
    }
    assert "html" not in data


def test_changing_a_vote_through_the_route(
    client: FlaskClient, db_session: Session, member: Any
) -> None:
    design = open_design()
    client.post(f"/designs/{design.id}/vote", data={"score": "4"})
    response = client.post(f"/designs/{design.id}/vote", data={"score": "1"}, headers=JSON)
    assert response.status_code == 200
    assert response.get_json()["vote"]["score"] == 1
    assert db_session.scalars(select(Vote.score)).all() == [1]
    assert counters(db_session, design.id) == (1, 1, 0)
    # A size without "I'd buy it" ticked is no buy intent.
    client.post(f"/designs/{design.id}/vote", data={"score": "1", "size": "tee:M"})
    assert counters(db_session, design.id) == (1, 1, 0)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"score": "9"}, "Choose a score from 1 to 5."),
        ({"score": "0"}, "Choose a score from 1 to 5."),
        ({"score": "four"}, "Choose a score from 1 to 5."),
        ({}, "Choose a score from 1 to 5."),
        ({"score": "4", "buy": "y"}, "Choose the size you would buy."),
        ({"score": "4", "buy": "y", "size": "tee:XXXL"}, "Choose a size of a product"),
        ({"score": "4", "buy": "y", "size": "poster:30x40"}, "Choose a size of a product"),
        ({"score": "4", "buy": "y", "size": "tee"}, "Choose a size of a product"),
    ],
)
def test_invalid_input_is_422_on_both_paths(
    client: FlaskClient, db_session: Session, member: Any, data: dict[str, str], message: str
) -> None:
    design = open_design(products=("tee",))
    page = client.post(f"/designs/{design.id}/vote", data=data)
    assert page.status_code == 422
    assert message in page.get_data(as_text=True)
    assert "Your vote was not saved" in page.get_data(as_text=True)
    fetched = client.post(f"/designs/{design.id}/vote", data=data, headers=JSON)
    assert fetched.status_code == 422
    assert fetched.get_json()["message"].startswith(message)
    assert fetched.get_json()["error"] == "Your vote was not saved."
    assert _votes(db_session) == 0
    assert counters(db_session, design.id) == (0, 0, 0)


def test_own_design_is_403(client: FlaskClient, db_session: Session, auth: Any) -> None:
    designer = UserFactory(email="des@example.test")
    design = open_design(designer=designer)
    auth.login("des@example.test")
    page = client.post(f"/designs/{design.id}/vote", data={"score": "5"})
    assert page.status_code == 403
    assert "You cannot vote on your own design." in page.get_data(as_text=True)
    fetched = client.post(f"/designs/{design.id}/vote", data={"score": "5"}, headers=JSON)
    assert fetched.status_code == 403
    assert fetched.get_json()["message"] == "You cannot vote on your own design."
    assert _votes(db_session) == 0


def test_unverified_member_is_403(client: FlaskClient, db_session: Session, auth: Any) -> None:
    UserFactory(email="new@example.test", email_verified_at=None)
    auth.login("new@example.test")
    design = open_design()
    fetched = client.post(f"/designs/{design.id}/vote", data={"score": "5"}, headers=JSON)
    assert fetched.status_code == 403
    assert fetched.get_json()["message"] == "Please confirm your email address before voting."
    assert _votes(db_session) == 0


def test_window_ended_is_409_even_before_the_close_job(
    client: FlaskClient, db_session: Session, member: Any
) -> None:
    ended = open_design(voting_ends_at=TEST_START)  # ends at the clock's very instant
    page = client.post(f"/designs/{ended.id}/vote", data={"score": "5"})
    assert page.status_code == 409
    assert "Voting on this design has ended." in page.get_data(as_text=True)
    fetched = client.post(f"/designs/{ended.id}/vote", data={"score": "5"}, headers=JSON)
    assert fetched.status_code == 409
    assert fetched.get_json()["message"] == "Voting on this design has ended."
    assert _votes(db_session) == 0
    last_moment = open_design(voting_ends_at=TEST_START + timedelta(microseconds=1))
    assert client.post(f"/designs/{last_moment.id}/vote", data={"score": "5"}).status_code == 303


def test_design_not_in_voting_is_409(client: FlaskClient, db_session: Session, member: Any) -> None:
    design = open_design(state=DesignState.CLOSED)
    fetched = client.post(f"/designs/{design.id}/vote", data={"score": "5"}, headers=JSON)
    assert fetched.status_code == 409
    assert fetched.get_json()["message"] == "This design is not open to votes (voting closed)."


def test_private_or_missing_design_is_404(
    client: FlaskClient, db_session: Session, member: Any
) -> None:
    draft = DesignFactory(state=DesignState.DRAFT)
    assert client.post(f"/designs/{draft.id}/vote", data={"score": "5"}).status_code == 404
    assert client.post("/designs/999999/vote", data={"score": "5"}).status_code == 404
    assert _votes(db_session) == 0


def test_anonymous_is_sent_to_log_in(client: FlaskClient, db_session: Session) -> None:
    design = open_design()
    response = client.post(f"/designs/{design.id}/vote", data={"score": "5"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert _votes(db_session) == 0


@pytest.mark.parametrize("app_overrides", [{"extra": {"WTF_CSRF_ENABLED": True}}])
def test_the_vote_is_csrf_protected(
    client: FlaskClient, db_session: Session, app_overrides: dict[str, Any]
) -> None:
    UserFactory(email="voter@example.test")
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page)
    assert token is not None
    client.post(
        "/login",
        data={
            "email": "voter@example.test",
            "password": "correct horse battery staple",
            "csrf_token": token.group(1),
        },
    )
    design = open_design()
    refused = client.post(f"/designs/{design.id}/vote", data={"score": "5"})
    assert refused.status_code == 400
    assert _votes(db_session) == 0
    page = client.get(f"/designs/{design.id}").get_data(as_text=True)
    panel_token = re.search(
        r'data-vote-form>\s*<input type="hidden" name="csrf_token" value="([^"]+)"', page
    )
    assert panel_token is not None
    accepted = client.post(
        f"/designs/{design.id}/vote", data={"score": "5", "csrf_token": panel_token.group(1)}
    )
    assert accepted.status_code == 303
    assert _votes(db_session) == 1


@pytest.mark.parametrize("app_overrides", [{"RATELIMIT_VOTE": "2 per minute"}])
def test_votes_per_account_are_limited(
    client: FlaskClient, db_session: Session, auth: Any, app_overrides: dict[str, Any]
) -> None:
    UserFactory(email="busy@example.test")
    auth.login("busy@example.test")
    design = open_design()
    assert client.post(f"/designs/{design.id}/vote", data={"score": "5"}).status_code == 303
    assert client.post(f"/designs/{design.id}/vote", data={"score": "4"}).status_code == 303
    third = client.post(f"/designs/{design.id}/vote", data={"score": "3"}, headers=JSON)
    assert third.status_code == 429
    assert third.get_json()["error"] == "Too many attempts"
    assert "Too many attempts" in client.post(
        f"/designs/{design.id}/vote", data={"score": "3"}
    ).get_data(as_text=True)
    assert db_session.scalars(select(Vote.score)).all() == [4]
    # Another member behind the same address still votes.
    auth.logout()
    UserFactory(email="other@example.test")
    auth.login("other@example.test")
    assert client.post(f"/designs/{design.id}/vote", data={"score": "2"}).status_code == 303


@pytest.mark.parametrize("app_overrides", [{"RATELIMIT_VOTE_ADDRESS": "2 per minute"}])
def test_votes_per_client_address_are_limited(
    client: FlaskClient, db_session: Session, auth: Any, app_overrides: dict[str, Any]
) -> None:
    design = open_design()
    for email, address, expected in [
        ("a@example.test", "198.51.100.1", 303),
        ("b@example.test", "198.51.100.1", 303),
        ("c@example.test", "198.51.100.1", 429),  # a third account, the same address
        ("d@example.test", "198.51.100.2", 303),  # another address
    ]:
        UserFactory(email=email)
        auth.login(email)
        response = client.post(
            f"/designs/{design.id}/vote",
            data={"score": "5"},
            environ_base={"REMOTE_ADDR": address},
        )
        assert response.status_code == expected, email
        auth.logout()
    assert _votes(db_session) == 3


def test_the_route_keeps_the_bench_contract(app: Flask) -> None:
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    assert rules["voting.vote"].rule == "/designs/<id:design_id>/vote"
    assert rules["voting.vote"].methods == {"POST", "OPTIONS"}

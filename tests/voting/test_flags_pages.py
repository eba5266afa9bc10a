"""The staff page of flagged votes: what it lists, its filters and pages, and the discount and
restore actions through HTTP (CSRF, a bad category, a missing vote)."""

from __future__ import annotations

import re
from typing import Any
from xml.etree.ElementTree import Element

import html5lib
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.voting.flag_models import FlagState, ModerationAction, VoteFlag, VoteModeration
from cocreate.voting.models import Vote, VoteSignal
from tests.accounts.factories import StaffFactory, UserFactory
from tests.voting.helpers_integrity import ADDRESS, T0, cast, design, member, totals

URL = "/staff/votes/flags"


@pytest.fixture
def staff(db_session: Session, auth: Any, clock: Any) -> Any:
    user = StaffFactory(email="staff@example.test", locale="en")
    auth.login("staff@example.test")
    return user


def _text(element: Element) -> str:
    return re.sub(r"[ \t\r\n]+", " ", "".join(element.itertext())).strip()


def _page(client: FlaskClient, url: str = URL, status: int = 200) -> Element:
    response = client.get(url)
    assert response.status_code == status
    return html5lib.parse(response.get_data(as_text=True), namespaceHTMLElements=False)


def _rows(tree: Element) -> list[list[str]]:
    body = tree.find(".//tbody")
    assert body is not None
    return [[_text(cell) for cell in row.findall("td")] for row in body.findall("tr")]


def _address_group(session: Session, accounts: int = 5, score: int = 3) -> list[Vote]:
    """Accounts from one address, each voting on its own design: from the fifth on, each
    vote is flagged."""
    return [
        cast(
            session,
            design(title=f"Lighthouse {n}"),
            member(display_name=f"Voter {n}"),
            score,
            ip_hash=ADDRESS,
        )
        for n in range(1, accounts + 1)
    ]


def test_open_flags_show_design_voter_score_when_and_why(
    client: FlaskClient, db_session: Session, staff: Any
) -> None:
    _address_group(db_session, 7)
    rows = _rows(_page(client))
    assert rows[0][:5] == [
        "Lighthouse 7",
        "Voter 7",
        "3",
        "3/2/26, 10:00\u202fAM",
        "Many accounts from one address: 7 accounts voted from this address within 24 hours"
        " (Open, 3/2/26, 10:00\u202fAM)",
    ]
    assert [row[0] for row in rows] == ["Lighthouse 7", "Lighthouse 6", "Lighthouse 5"]
    assert rows[0][5] == (
        "Discount category Many accounts from one address Burst of new accounts"
        " Votes for one designer only Burst of 5-star votes Other (staff judgement) Discount"
        " Keep counted"
    )


def test_the_discount_proposes_the_flags_signal(
    client: FlaskClient, db_session: Session, staff: Any
) -> None:
    votes = _address_group(db_session)
    tree = _page(client)
    select_box = tree.find(f".//select[@id='category-{votes[4].id}']")
    assert select_box is not None
    chosen = [option.get("value") for option in select_box if option.get("selected") is not None]
    assert chosen == ["shared_address"]


def test_each_reason_is_listed_once_per_vote(
    client: FlaskClient, db_session: Session, staff: Any
) -> None:
    from datetime import timedelta

    target = design(title="Comet")
    for minute in range(6):
        cast(db_session, target, member(created_at=T0), 5, at=T0 + timedelta(minutes=minute))
    rows = _rows(_page(client))
    assert len(rows) == 2
    assert rows[1][4] == (
        "Burst of new accounts: 5 votes on this design within 1 hour from accounts under"
        " 48 hours old (Open, 3/2/26, 10:04\u202fAM)"
    )
    assert rows[0][4] == (
        "Burst of new accounts: 6 votes on this design within 1 hour from accounts under"
        " 48 hours old (Open, 3/2/26, 10:05\u202fAM)"
        " Burst of 5-star votes: 6 votes of 5 on this design within 10 minutes"
        " (Open, 3/2/26, 10:05\u202fAM)"
    )


def test_filter_by_signal(client: FlaskClient, db_session: Session, staff: Any) -> None:
    designer, voter = member(), member(display_name="Fan")
    for n in range(5):
        cast(db_session, design(designer, title=f"Fan art {n}"), voter, 4)
    _address_group(db_session, 7)
    assert len(_rows(_page(client))) == 4
    rows = _rows(_page(client, f"{URL}?signal=single_designer"))
    assert [row[:2] for row in rows] == [["Fan art 4", "Fan"]]
    assert rows[0][4] == (
        "Votes for one designer only: 5 counted votes, all for one designer's designs"
        " (Open, 3/2/26, 10:00\u202fAM)"
    )


def test_unknown_filters_fall_back_to_every_open_flag(
    client: FlaskClient, db_session: Session, staff: Any
) -> None:
    _address_group(db_session, 7)
    tree = _page(client, f"{URL}?state=bogus&signal=bogus&page=-3")
    assert len(_rows(tree)) == 3
    current = tree.find(".//a[@aria-current='page']")
    assert current is not None and _text(current) == "Open"


def test_pages_of_thirty(client: FlaskClient, db_session: Session, staff: Any) -> None:
    target = design()
    # From the fifth account on, each vote is flagged: 31 flagged votes.
    for _ in range(35):
        cast(db_session, target, member(), 3, ip_hash=ADDRESS)
    first = _page(client)
    assert len(_rows(first)) == 30
    links = {_text(a): a.get("href") for a in first.findall(".//nav[@class='pagination']/a")}
    assert links == {"Next": f"{URL}?state=open&page=2"}
    second = _page(client, f"{URL}?state=open&page=2")
    assert len(_rows(second)) == 1
    links = {_text(a): a.get("href") for a in second.findall(".//nav[@class='pagination']/a")}
    assert links == {"Previous": f"{URL}?state=open&page=1"}


def test_discount_through_the_page(client: FlaskClient, db_session: Session, staff: Any) -> None:
    target = design(title="Harbour")
    cast(db_session, target, member(), 4)
    for _ in range(4):
        cast(db_session, design(), member(), 3, ip_hash=ADDRESS)
    suspect = cast(db_session, target, member(), 5, ip_hash=ADDRESS, size="M")
    assert totals(db_session, target) == (2, 9, 1, 3.136364)
    response = client.post(
        f"/staff/votes/{suspect.id}/discount?state=open&page=1",
        data={"category": "five_star_burst"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"{URL}?state=open&page=1"
    db_session.expire_all()
    assert totals(db_session, target) == (1, 4, 0, 3.047619)
    stored = db_session.get_one(Vote, suspect.id)
    assert (stored.counted, stored.discount_category) == (False, VoteSignal.FIVE_STAR_BURST)
    assert (stored.discounted_at, stored.discounted_by_id) == (T0, staff.id)
    page = client.get(URL).get_data(as_text=True)
    assert "The vote no longer counts; the design&#39;s score and rank follow." in page
    assert _rows(_page(client)) == [["No flagged vote here."]]
    discounted = _rows(_page(client, f"{URL}?state=discounted"))
    assert [row[0] for row in discounted] == ["Harbour"]
    assert discounted[0][5] == "Discounted: Burst of 5-star votes Restore"
    states = db_session.execute(select(VoteFlag.vote_id, VoteFlag.state)).all()
    assert states == [(suspect.id, FlagState.DISCOUNTED)]


def test_discounting_twice_through_the_page_changes_nothing(
    client: FlaskClient, db_session: Session, staff: Any
) -> None:
    votes = _address_group(db_session)
    url = f"/staff/votes/{votes[4].id}/discount"
    assert client.post(url, data={"category": "shared_address"}).status_code == 302
    assert client.post(url, data={"category": "other"}).status_code == 302
    assert "This vote was already discounted." in client.get(URL).get_data(as_text=True)
    actions = db_session.execute(select(VoteModeration.action, VoteModeration.category)).all()
    assert actions == [(ModerationAction.DISCOUNT, VoteSignal.SHARED_ADDRESS)]


@pytest.mark.parametrize("data", [{"category": "bogus"}, {}])
def test_a_category_not_in_the_list_is_refused(
    client: FlaskClient, db_session: Session, staff: Any, data: dict[str, str]
) -> None:
    votes = _address_group(db_session)
    response = client.post(f"/staff/votes/{votes[4].id}/discount", data=data)
    assert response.status_code == 422
    assert "Please choose a category from the list." in response.get_data(as_text=True)
    assert (
        len(_rows(html5lib.parse(response.get_data(as_text=True), namespaceHTMLElements=False)))
        == 1
    )
    db_session.expire_all()
    assert db_session.get_one(Vote, votes[4].id).counted is True
    assert db_session.scalars(select(VoteModeration)).all() == []


def test_a_missing_vote_is_not_found(client: FlaskClient, db_session: Session, staff: Any) -> None:
    data = {"category": "other"}
    assert client.post("/staff/votes/999999/discount", data=data).status_code == 404
    assert client.post("/staff/votes/999999/restore").status_code == 404


def test_keep_and_restore_through_the_page(
    client: FlaskClient, db_session: Session, staff: Any
) -> None:
    votes = _address_group(db_session, 7)
    kept, discounted = votes[4], votes[5]
    response = client.post(f"/staff/votes/{kept.id}/restore?state=open&page=1")
    assert response.status_code == 302
    assert "The vote keeps counting; its flags are dismissed." in client.get(URL).get_data(
        as_text=True
    )
    client.post(f"/staff/votes/{discounted.id}/discount", data={"category": "shared_address"})
    client.post(f"/staff/votes/{discounted.id}/restore?state=discounted&page=1")
    assert "The vote counts again; the design&#39;s score and rank follow." in client.get(
        URL
    ).get_data(as_text=True)
    client.post(f"/staff/votes/{kept.id}/restore")
    assert "This vote already counts and has no open flag." in client.get(URL).get_data(
        as_text=True
    )
    dismissed = _rows(_page(client, f"{URL}?state=dismissed"))
    assert sorted(row[0] for row in dismissed) == ["Lighthouse 5", "Lighthouse 6"]
    assert [row[0] for row in _rows(_page(client))] == ["Lighthouse 7"]
    db_session.expire_all()
    assert db_session.get_one(Vote, discounted.id).counted is True


def test_actions_need_the_csrf_token(app: Flask, client: FlaskClient, db_session: Session) -> None:
    votes = _address_group(db_session)
    StaffFactory(email="staff@example.test")
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    client.post(
        "/login",
        data={
            "email": "staff@example.test",
            "password": "correct horse battery staple",
            "csrf_token": token.group(1),
        },
    )
    url = f"/staff/votes/{votes[4].id}/discount"
    assert client.post(url, data={"category": "other"}).status_code == 400
    assert client.post(f"/staff/votes/{votes[4].id}/restore").status_code == 400
    db_session.expire_all()
    assert db_session.get_one(Vote, votes[4].id).counted is True
    page = client.get(URL).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    data = {"category": "other", "csrf_token": token.group(1)}
    assert client.post(url, data=data).status_code == 302
    db_session.expire_all()
    assert db_session.get_one(Vote, votes[4].id).counted is False


def test_members_are_refused(client: FlaskClient, db_session: Session, auth: Any) -> None:
    votes = _address_group(db_session)
    UserFactory(email="member@example.test")
    auth.login("member@example.test")
    assert client.get(URL).status_code == 403
    data = {"category": "other"}
    assert client.post(f"/staff/votes/{votes[0].id}/discount", data=data).status_code == 403
    db_session.expire_all()
    assert db_session.get_one(Vote, votes[0].id).counted is True


def test_the_page_in_french(client: FlaskClient, db_session: Session, auth: Any) -> None:
    _address_group(db_session)
    StaffFactory(email="equipe@example.test", locale="fr")
    auth.login("equipe@example.test")
    rows = _rows(_page(client))
    assert rows[0][4] == (
        "Plusieurs comptes depuis une même adresse\u00a0: 5 comptes ont voté depuis cette adresse"
        " en 24 heures (À traiter, 02/03/2026 10:00)"
    )


def test_the_staff_desk_links_to_the_page(client: FlaskClient, staff: Any) -> None:
    page = client.get("/staff/").get_data(as_text=True)
    assert f'<a href="{URL}">Flagged votes</a>' in page


def test_results_pages_can_name_discount_categories(app: Flask) -> None:
    label = app.jinja_env.globals["vote_signal_label"]
    with app.test_request_context():
        assert label(VoteSignal.OTHER) == "Other (staff judgement)"

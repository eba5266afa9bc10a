"""Exact boundaries of the design lifecycle and the gallery, and the staff checks the services
make themselves (not only the views' decorators)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from cocreate.core.db import now_utc
from cocreate.designs.lifecycle import (
    InvalidTransition,
    NotAllowed,
    accept_screening,
    close_voting,
    remove,
    voting_ended,
)
from cocreate.designs.models import DesignState
from cocreate.designs.queries import GalleryView, gallery
from tests.accounts.factories import StaffFactory, UserFactory
from tests.conftest import Auth
from tests.designs.factories import DesignFactory, VotingDesignFactory

ENDS = datetime(2026, 12, 9, 12, 0, 0, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)


def test_accept_screening_refuses_a_member(db_session: Session, request_ctx: None) -> None:
    design = DesignFactory(state=DesignState.SUBMITTED)
    with pytest.raises(NotAllowed):
        accept_screening(db_session, design, UserFactory())
    db_session.refresh(design)
    assert design.state is DesignState.SUBMITTED
    assert design.voting_ends_at is None


def test_remove_refuses_a_member_even_the_designer(db_session: Session, request_ctx: None) -> None:
    design = VotingDesignFactory()
    with pytest.raises(NotAllowed):
        remove(db_session, design, UserFactory(), "Not mine.")
    with pytest.raises(NotAllowed):
        remove(db_session, design, design.designer, "Changed my mind.")
    db_session.refresh(design)
    assert design.state is DesignState.VOTING


def test_close_voting_at_exactly_the_end(db_session: Session, request_ctx: None) -> None:
    design = VotingDesignFactory(voting_ends_at=ENDS)
    db_session.refresh(design)  # the end as the database stores it
    with pytest.raises(InvalidTransition):
        close_voting(db_session, design, at=datetime(2026, 12, 9, 11, 59, 59, 999999, tzinfo=UTC))
    db_session.refresh(design)
    assert design.state is DesignState.VOTING
    close_voting(db_session, design, at=datetime(2026, 12, 9, 12, 0, 0, tzinfo=UTC))
    db_session.refresh(design)
    assert design.state is DesignState.CLOSED


def test_voting_ended_at_exactly_the_end(db_session: Session) -> None:
    design = VotingDesignFactory(voting_ends_at=ENDS)
    db_session.refresh(design)
    assert voting_ended(design, datetime(2026, 12, 9, 11, 59, 59, 999999, tzinfo=UTC)) is False
    assert voting_ended(design, datetime(2026, 12, 9, 12, 0, 0, tzinfo=UTC)) is True


def test_reason_of_2000_characters_accepted(db_session: Session, request_ctx: None) -> None:
    design = VotingDesignFactory()
    remove(db_session, design, StaffFactory(), "r" * 2000)
    db_session.refresh(design)
    assert design.state is DesignState.REMOVED
    assert len(design.state_reason) == 2000


def test_reason_of_2001_characters_refused(db_session: Session, request_ctx: None) -> None:
    design = VotingDesignFactory()
    with pytest.raises(InvalidTransition) as refused:
        remove(db_session, design, StaffFactory(), "r" * 2001)
    assert str(refused.value) == "Please keep the reason to 2000 characters at most."
    db_session.refresh(design)
    assert design.state is DesignState.VOTING


def _designs_published_in_order(count: int) -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for number in range(1, count + 1):
        VotingDesignFactory(
            title=f"Boundary {number:02d}",
            published_at=start + timedelta(hours=number),
            voting_ends_at=datetime(2100, 1, 1, tzinfo=UTC),
        )


def test_last_page_holding_exactly_a_page(db_session: Session) -> None:
    _designs_published_in_order(6)
    first = gallery(db_session, GalleryView.NEWEST, page=1, per_page=3, now=now_utc())
    last = gallery(db_session, GalleryView.NEWEST, page=2, per_page=3, now=now_utc())
    assert [d.title for d in first.items] == ["Boundary 06", "Boundary 05", "Boundary 04"]
    assert first.has_next is True
    assert [d.title for d in last.items] == ["Boundary 03", "Boundary 02", "Boundary 01"]
    assert last.has_next is False


def test_gallery_page_with_exactly_48_designs_has_no_third_page(
    client: FlaskClient, db_session: Session
) -> None:
    _designs_published_in_order(48)  # two pages of 24
    first = client.get("/gallery?view=newest&page=1").get_data(as_text=True)
    assert "page=2" in first
    last = client.get("/gallery?view=newest&page=2").get_data(as_text=True)
    for number in range(1, 25):
        assert f"Boundary {number:02d}" in last
    for number in range(25, 49):
        assert f"Boundary {number:02d}" not in last
    assert "page=3" not in last
    assert ">Next<" not in last


@pytest.mark.parametrize("design_id", [0, 2**31 - 1, 2**31])
def test_out_of_range_design_ids_are_404(
    client: FlaskClient, auth: Auth, db_session: Session, design_id: int
) -> None:
    StaffFactory(email="staff@example.test")
    assert client.get(f"/designs/{design_id}").status_code == 404
    assert client.get(f"/designers/{design_id}").status_code == 404
    auth.login("staff@example.test")
    assert client.get(f"/designs/{design_id}").status_code == 404
    assert client.get(f"/designs/{design_id}/edit").status_code == 404
    assert client.post(f"/designs/{design_id}/submit").status_code == 404
    assert client.post(f"/designs/{design_id}/withdraw").status_code == 404
    assert client.post(f"/staff/designs/{design_id}/accept").status_code == 404
    reason = {"reason": "Test."}
    assert client.post(f"/staff/designs/{design_id}/remove", data=reason).status_code == 404
    assert client.get(f"/designers/{design_id}").status_code == 404

"""A rejected design revised into a new draft, edited and submitted again (issue 14, item 9)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.core import db
from cocreate.designs import lifecycle
from cocreate.designs.models import Design, DesignProduct, DesignState, DesignTransition, Mockup
from tests.accounts.factories import StaffFactory, UserFactory
from tests.concurrency import TIMEOUT, Concurrent
from tests.designs.factories import DesignFactory, TagFactory

S = DesignState


def _submitted(**fields: Any) -> Design:
    design = DesignFactory(
        state=S.SUBMITTED,
        title="Harbour Lights",
        description="Boats at night.",
        tags=[TagFactory(name="sea"), TagFactory(name="night")],
        products=[DesignProduct(product="poster"), DesignProduct(product="tee")],
        width=4800,
        height=3600,
        **fields,
    )
    design.mockups = [
        Mockup(product="tee", colour="white", key="a" * 64 + ".jpg", position=0),
        Mockup(product="poster", colour="", key="b" * 64 + ".jpg", position=1),
    ]
    return design


def _rows(session: Session, design: Design) -> list[tuple[str, str, str]]:
    rows = session.scalars(
        select(DesignTransition)
        .where(DesignTransition.design_id == design.id)
        .order_by(DesignTransition.id)
    )
    return [(r.from_state.value, r.to_state.value, r.reason) for r in rows]


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Design)) or 0


def test_reject_revise_edit_submit_then_staff_sees_resubmission(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    StaffFactory(email="staff@example.test")
    designer = UserFactory(email="des@example.test", display_name="Dee Signer")
    rejected = _submitted(designer=designer)

    auth.login("staff@example.test")
    response = client.post(
        f"/staff/designs/{rejected.id}/reject",
        data={"reason": "The boats are blurry at print size."},
    )
    assert response.status_code == 302
    auth.logout()

    auth.login("des@example.test")
    page = client.get(f"/designs/{rejected.id}").get_data(as_text=True)
    assert "The boats are blurry at print size." in page
    assert "Revise and resubmit" in page
    assert f'action="/designs/{rejected.id}/revise"' in page

    response = client.post(f"/designs/{rejected.id}/revise")
    assert response.status_code == 302
    revision = db_session.scalar(select(Design).where(Design.revision_of_id == rejected.id))
    assert revision is not None
    assert response.headers["Location"] == f"/designs/{revision.id}/edit"
    draft_page = client.get(f"/designs/{revision.id}").get_data(as_text=True)
    assert "This design revises one rejected at screening." in draft_page
    assert f'href="/designs/{rejected.id}"' in draft_page
    edit_page = client.get(f"/designs/{revision.id}/edit")
    assert edit_page.status_code == 200
    assert 'value="Harbour Lights"' in edit_page.get_data(as_text=True)

    response = client.post(
        f"/designs/{revision.id}/edit",
        data={
            "title": "Harbour Lights, sharper",
            "description": "Boats at night, redrawn.",
            "tags": "sea, night",
            "products": ["poster", "tee"],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert client.post(f"/designs/{revision.id}/submit").status_code == 302
    auth.logout()

    auth.login("staff@example.test")
    queue = client.get("/staff/screening").get_data(as_text=True)
    assert "Harbour Lights, sharper" in queue
    assert "Resubmission" in queue
    assert "Earlier reason: The boats are blurry at print size." in queue
    assert f'href="/designs/{rejected.id}"' in queue
    # Staff may open the earlier, rejected design from the queue.
    assert client.get(f"/designs/{rejected.id}").status_code == 200

    db_session.refresh(rejected)
    db_session.refresh(revision)
    assert rejected.state is S.REJECTED
    assert revision.state is S.SUBMITTED


@pytest.mark.usefixtures("request_ctx")
def test_revision_copies_the_design_and_keeps_both_audit_trails(db_session: Session) -> None:
    staff = StaffFactory()
    designer = UserFactory()
    rejected = _submitted(designer=designer)
    lifecycle.reject_screening(db_session, rejected, staff, "Not your artwork.")
    assert _count(db_session) == 1

    revision, created = lifecycle.revise(db_session, rejected, designer)

    assert created is True
    assert _count(db_session) == 2
    assert revision.id != rejected.id
    assert revision.revision_of_id == rejected.id
    assert revision.state is S.DRAFT
    assert revision.designer_id == designer.id
    assert revision.title == "Harbour Lights"
    assert revision.description == "Boats at night."
    assert sorted(t.name for t in revision.tags) == ["night", "sea"]
    assert revision.product_set == {"poster", "tee"}
    assert (revision.width, revision.height) == (4800, 3600)
    assert revision.original_key == rejected.original_key
    assert revision.thumb_webp_key == rejected.thumb_webp_key
    assert revision.gallery_jpeg_key == rejected.gallery_jpeg_key
    assert [(m.product, m.colour, m.key) for m in revision.mockups] == [
        ("tee", "white", "a" * 64 + ".jpg"),
        ("poster", "", "b" * 64 + ".jpg"),
    ]
    assert revision.submitted_at is None and revision.state_reason == ""

    db_session.refresh(rejected)
    assert rejected.state is S.REJECTED
    assert rejected.state_reason == "Not your artwork."
    assert _rows(db_session, rejected) == [("submitted", "rejected", "Not your artwork.")]
    assert _rows(db_session, revision) == []

    lifecycle.submit(db_session, revision, designer)
    assert _rows(db_session, revision) == [("draft", "submitted", "")]
    assert _rows(db_session, rejected) == [("submitted", "rejected", "Not your artwork.")]


def test_second_revise_goes_to_the_existing_revision(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    rejected = DesignFactory(state=S.REJECTED, state_reason="Too dark.")
    auth.login(rejected.designer.email)
    client.post(f"/designs/{rejected.id}/revise")
    revision = db_session.scalar(select(Design).where(Design.revision_of_id == rejected.id))
    assert revision is not None

    response = client.post(f"/designs/{rejected.id}/revise", follow_redirects=True)
    assert response.status_code == 200
    assert response.request.path == f"/designs/{revision.id}"
    assert "You have already revised this design: here is your revision." in response.get_data(
        as_text=True
    )
    assert _count(db_session) == 2

    page = client.get(f"/designs/{rejected.id}").get_data(as_text=True)
    assert "See your revision" in page
    assert f'href="/designs/{revision.id}"' in page
    assert "Revise and resubmit" not in page


def test_other_members_cannot_revise(client: FlaskClient, auth: Any, db_session: Session) -> None:
    rejected = DesignFactory(state=S.REJECTED, state_reason="Too dark.")
    UserFactory(email="other@example.test")
    StaffFactory(email="staff@example.test")

    auth.login("other@example.test")
    # A rejected design is private: to others it does not exist, as for the other owner actions.
    assert client.post(f"/designs/{rejected.id}/revise").status_code == 404
    auth.logout()
    auth.login("staff@example.test")
    # Staff can see it, but it is not theirs to revise.
    assert client.post(f"/designs/{rejected.id}/revise").status_code == 403
    auth.logout()
    assert client.post(f"/designs/{rejected.id}/revise").status_code == 302  # to the login page
    assert _count(db_session) == 1


@pytest.mark.usefixtures("request_ctx")
def test_service_refuses_someone_else(db_session: Session) -> None:
    rejected = DesignFactory(state=S.REJECTED)
    with pytest.raises(lifecycle.NotAllowed):
        lifecycle.revise(db_session, rejected, UserFactory())
    with pytest.raises(lifecycle.NotAllowed):
        lifecycle.revise(db_session, rejected, StaffFactory())


@pytest.mark.parametrize("state", [s for s in S if s is not S.REJECTED])
def test_only_rejected_designs_can_be_revised(
    client: FlaskClient, auth: Any, db_session: Session, state: DesignState
) -> None:
    design = DesignFactory(state=state, state_reason="Some reason.")
    auth.login(design.designer.email)
    response = client.post(f"/designs/{design.id}/revise")
    assert response.status_code == 409
    assert (
        "Only a design rejected at screening can be revised and submitted again."
        in response.get_data(as_text=True)
    )
    assert _count(db_session) == 1


def test_declined_page_offers_no_revision(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    design = DesignFactory(state=S.DECLINED, state_reason="Not enough votes.")
    auth.login(design.designer.email)
    page = client.get(f"/designs/{design.id}").get_data(as_text=True)
    assert "Not enough votes." in page
    assert "Revise and resubmit" not in page


def test_revise_is_a_post_form_with_csrf(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    rejected = DesignFactory(state=S.REJECTED, state_reason="Too dark.")
    auth.login(rejected.designer.email)
    assert client.get(f"/designs/{rejected.id}/revise").status_code == 405
    page = client.get(f"/designs/{rejected.id}").get_data(as_text=True)
    form = page[page.index(f'action="/designs/{rejected.id}/revise"') :]
    assert 'name="csrf_token"' in form[: form.index("</form>")]
    assert _count(db_session) == 1


def test_french_owner_box(client: FlaskClient, auth: Any, db_session: Session) -> None:
    designer = UserFactory(email="fr@example.test", locale="fr")
    rejected = DesignFactory(designer=designer, state=S.REJECTED, state_reason="Trop sombre.")
    auth.login("fr@example.test")
    page = client.get(f"/designs/{rejected.id}").get_data(as_text=True)
    assert "Réviser et soumettre à nouveau" in page
    assert "Trop sombre." in page


@pytest.mark.postgres_only
def test_two_revise_clicks_at_once_make_one_draft(concurrent: Concurrent) -> None:
    """The first revise holds the rejected design's row lock; the second waits for it, then
    finds the first one's draft and returns it instead of making another."""
    with concurrent.setup():
        rejected = DesignFactory(state=S.REJECTED, state_reason="Too dark.")
        design_id, designer_id = rejected.id, rejected.designer_id
    first_revised = threading.Event()
    first_may_commit = threading.Event()

    def click(number: int) -> tuple[int, bool]:
        session = concurrent.session()
        with concurrent.request(session):
            design = session.get_one(Design, design_id)
            designer = session.get_one(User, designer_id)
            if number == 1:
                assert first_revised.wait(TIMEOUT)
            revision, created = lifecycle.revise(session, design, designer)
            if number == 0:
                first_revised.set()
                assert first_may_commit.wait(TIMEOUT)
            db.commit()
            return revision.id, created

    first = concurrent.start(lambda: click(0))
    second = concurrent.start(lambda: click(1))
    assert first_revised.wait(TIMEOUT)
    concurrent.wait_until_blocked(1)  # the second click waits on the row lock
    first_may_commit.set()
    concurrent.join()

    assert first.error is None and second.error is None, (first.error, second.error)
    (first_id, first_created), (second_id, second_created) = first.result, second.result
    assert (first_created, second_created) == (True, False)
    assert first_id == second_id
    with concurrent.session() as check:
        assert check.scalar(select(func.count()).select_from(Design)) == 2
        assert check.get_one(Design, first_id).revision_of_id == design_id

"""Reprint requests: which sizes can be asked for, one open request per member and size, the
box on the design page, withdrawing, the staff counts, and the members told (and their requests
fulfilled) when a run with their size reaches stock."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.core.clock import TestClock
from cocreate.core.money import Money
from cocreate.core.outbox import OutboxMessage
from cocreate.designs.models import Design, DesignProduct, DesignState
from cocreate.production import lifecycle as run_lifecycle
from cocreate.production import reprints
from cocreate.production.models import RunLine, RunPrice, RunState, Variant
from cocreate.production.reprint_models import ReprintRequest
from cocreate.voting.notify_models import Notification, NotificationKind
from tests.accounts.factories import StaffFactory, UserFactory
from tests.designs.factories import DesignFactory
from tests.production.factories import RunFactory

D = DesignState
TEE_SIZES = [("tee", s) for s in ("XS", "S", "M", "L", "XL", "XXL")]


def _text(response: Any) -> str:
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def variant(design: Design, colour: str, size: str, stock: int, product: str = "tee") -> Variant:
    row = Variant(
        design_id=design.id,
        product=product,
        colour=colour,
        size=size,
        sku=f"D{design.id}-{product}-{colour}-{size}",
        stock_on_hand=stock,
        price=Money(2500, "EUR"),
    )
    return row


def on_sale(db_session: Session, **fields: Any) -> Design:
    """On sale as a tee: M in stock (white 5, black 0), L sold out in both colours."""
    design = DesignFactory(state=D.ON_SALE, **fields)
    db_session.add_all(
        [
            variant(design, "white", "M", 5),
            variant(design, "black", "M", 0),
            variant(design, "white", "L", 0),
            variant(design, "black", "L", 0),
        ]
    )
    db_session.flush()
    return design


def ask(db_session: Session, design: Design, member: Any, product: str, size: str) -> Any:
    row = ReprintRequest(design_id=design.id, requester_id=member.id, product=product, size=size)
    db_session.add(row)
    db_session.flush()
    return row


@pytest.fixture
def member(db_session: Session, auth: Any, clock: TestClock) -> Any:
    user = UserFactory(email="member@example.test", display_name="Mo Member")
    auth.login("member@example.test")
    return user


# --- Which sizes -------------------------------------------------------------------------------


def test_a_retired_design_can_be_asked_for_in_every_size(db_session: Session) -> None:
    design = DesignFactory(
        state=D.RETIRED, products=[DesignProduct(product="tee"), DesignProduct(product="poster")]
    )
    db_session.add(variant(design, "white", "M", 3))  # leftover stock does not matter
    db_session.flush()
    assert reprints.options(db_session, design) == [
        *TEE_SIZES,
        ("poster", "30x40"),
        ("poster", "50x70"),
    ]


def test_on_sale_only_the_sizes_out_of_stock_in_every_colour(db_session: Session) -> None:
    design = on_sale(db_session)
    assert reprints.options(db_session, design) == [
        ("tee", "XS"),
        ("tee", "S"),
        ("tee", "L"),
        ("tee", "XL"),
        ("tee", "XXL"),
    ]


@pytest.mark.parametrize("state", [D.VOTING, D.CLOSED, D.APPROVED, D.DECLINED, D.REMOVED])
def test_no_reprint_in_other_states(db_session: Session, state: DesignState) -> None:
    assert reprints.options(db_session, DesignFactory(state=state)) == []


# --- Asking ------------------------------------------------------------------------------------


def test_a_member_asks_for_a_sold_out_size(
    client: FlaskClient, db_session: Session, member: Any
) -> None:
    design = on_sale(db_session, title="Night Swim")
    page = client.get(f"/designs/{design.id}")
    assert "Ask for a reprint" in _text(page)
    html = page.get_data(as_text=True)
    assert '<option value="tee:L">T-shirt, L</option>' in html
    assert 'value="tee:M"' not in html

    response = client.post(f"/designs/{design.id}/reprint-requests", data={"option": "tee:L"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/designs/{design.id}#reprint"
    rows = db_session.scalars(select(ReprintRequest)).all()
    assert [(r.requester_id, r.design_id, r.product, r.size) for r in rows] == [
        (member.id, design.id, "tee", "L")
    ]
    text = _text(client.get(f"/designs/{design.id}"))
    assert "You asked for T-shirt, L. Withdraw" in text


def test_a_size_in_stock_is_refused(client: FlaskClient, db_session: Session, member: Any) -> None:
    design = on_sale(db_session)
    response = client.post(f"/designs/{design.id}/reprint-requests", data={"option": "tee:M"})
    assert response.status_code == 409
    assert "This size is in stock: you can buy it now." in _text(response)
    assert db_session.scalars(select(ReprintRequest)).all() == []


@pytest.mark.parametrize("option", ["tee:XXXL", "mug:M", "", "tee"])
def test_a_size_not_offered_is_refused(
    client: FlaskClient, db_session: Session, member: Any, option: str
) -> None:
    design = on_sale(db_session)
    response = client.post(f"/designs/{design.id}/reprint-requests", data={"option": option})
    assert response.status_code == 422
    assert "Please choose a product and size from the list." in _text(response)


@pytest.mark.parametrize("state", [D.VOTING, D.CLOSED, D.APPROVED])
def test_a_design_never_sold_is_refused(
    client: FlaskClient, db_session: Session, member: Any, state: DesignState
) -> None:
    design = DesignFactory(state=state)
    response = client.post(f"/designs/{design.id}/reprint-requests", data={"option": "tee:L"})
    assert response.status_code == 409
    assert db_session.scalars(select(ReprintRequest)).all() == []


def test_a_private_design_is_not_found(
    client: FlaskClient, db_session: Session, member: Any
) -> None:
    design = DesignFactory(state=D.REMOVED)
    response = client.post(f"/designs/{design.id}/reprint-requests", data={"option": "tee:L"})
    assert response.status_code == 404


def test_one_open_request_per_member_and_size(
    client: FlaskClient, db_session: Session, member: Any
) -> None:
    design = DesignFactory(state=D.RETIRED)
    path = f"/designs/{design.id}/reprint-requests"
    assert client.post(path, data={"option": "tee:L"}).status_code == 302
    again = client.post(path, data={"option": "tee:L"})
    assert again.status_code == 409
    assert "You have already asked for a reprint of this size." in _text(again)
    assert client.post(path, data={"option": "tee:XL"}).status_code == 302
    assert sorted(r.size for r in db_session.scalars(select(ReprintRequest))) == ["L", "XL"]
    # The box no longer offers what the member asked for.
    html = client.get(f"/designs/{design.id}").get_data(as_text=True)
    assert 'value="tee:L"' not in html and 'value="tee:M"' in html


def test_the_database_refuses_a_second_open_request(db_session: Session) -> None:
    design, someone = DesignFactory(state=D.RETIRED), UserFactory()
    ask(db_session, design, someone, "tee", "L")
    with pytest.raises(reprints.ReprintRefused):
        reprints.request(db_session, design, someone, ("tee", "L"), now=design.created_at)
    assert len(db_session.scalars(select(ReprintRequest)).all()) == 1


def test_anonymous_visitors_are_asked_to_log_in(client: FlaskClient, db_session: Session) -> None:
    design = DesignFactory(state=D.RETIRED)
    text = _text(client.get(f"/designs/{design.id}"))
    assert "Log in to ask for a reprint" in text
    response = client.post(f"/designs/{design.id}/reprint-requests", data={"option": "tee:L"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_no_box_when_every_size_is_in_stock(
    client: FlaskClient, db_session: Session, member: Any
) -> None:
    design = DesignFactory(state=D.ON_SALE)
    db_session.add_all([variant(design, "white", s, 2) for _p, s in TEE_SIZES])
    db_session.flush()
    assert "Ask for a reprint" not in _text(client.get(f"/designs/{design.id}"))


# --- Withdrawing -------------------------------------------------------------------------------


def test_a_member_withdraws_their_request(
    client: FlaskClient, db_session: Session, member: Any
) -> None:
    design = DesignFactory(state=D.RETIRED)
    row = ask(db_session, design, member, "tee", "L")
    response = client.post(f"/reprint-requests/{row.id}/withdraw")
    assert response.status_code == 302
    assert db_session.scalars(select(ReprintRequest)).all() == []
    assert client.post(f"/reprint-requests/{row.id}/withdraw").status_code == 404


def test_someone_elses_request_cannot_be_withdrawn(
    client: FlaskClient, db_session: Session, member: Any
) -> None:
    design = DesignFactory(state=D.RETIRED)
    other = ask(db_session, design, UserFactory(), "tee", "L")
    assert client.post(f"/reprint-requests/{other.id}/withdraw").status_code == 404
    assert [r.id for r in db_session.scalars(select(ReprintRequest))] == [other.id]


# --- Staff counts ------------------------------------------------------------------------------


def test_staff_see_the_counts_by_product_and_size(
    client: FlaskClient, db_session: Session, auth: Any
) -> None:
    popular = DesignFactory(state=D.RETIRED, title="Popular Wave")
    sold_out = on_sale(db_session, title="Sold Out Sun")
    removed = DesignFactory(state=D.REMOVED, title="Gone Away")
    members = [UserFactory() for _ in range(3)]
    for person in members:
        ask(db_session, popular, person, "tee", "L")
    ask(db_session, popular, members[0], "tee", "M")
    ask(db_session, sold_out, members[1], "tee", "XL")
    ask(db_session, removed, members[2], "tee", "S")
    fulfilled = ask(db_session, sold_out, members[2], "tee", "XL")
    fulfilled.fulfilled_at = popular.created_at
    db_session.flush()

    StaffFactory(email="staff@example.test")
    auth.login("staff@example.test")
    response = client.get("/staff/production/review/reprints")
    assert response.status_code == 200
    text = _text(response)
    assert (
        "Popular Wave Member " in text
        and "retired 4 T-shirt M: 1 T-shirt L: 3 Plan a reprint…" in text
    )
    assert "on sale 1 T-shirt XL: 1 Plan a reprint…" in text
    assert text.index("Popular Wave") < text.index("Sold Out Sun")
    assert "Gone Away" not in text
    html = response.get_data(as_text=True)
    assert f'href="/staff/production/designs/{popular.id}/plan"' in html
    queue = _text(client.get("/staff/production/review"))
    assert "Reprint requests (2)" in queue


# --- Fulfilled when the reprint arrives ----------------------------------------------------------


def test_members_are_told_when_a_reprint_with_their_size_reaches_stock(
    client: FlaskClient, db_session: Session, auth: Any, clock: TestClock
) -> None:
    design = DesignFactory(state=D.RETIRED, title="Comeback Kid")
    run = RunFactory(
        design=design,
        state=RunState.PRINTING,
        lines=[RunLine(product="tee", colour="white", size="M", quantity=10, position=2)],
        prices=[RunPrice(product="tee", price=Money(2500, "EUR"))],
    )
    ana = UserFactory(email="ana@example.test", display_name="Ana")
    bo = UserFactory(email="bo@example.test", display_name="Bo", locale="fr")
    cy = UserFactory(email="cy@example.test", display_name="Cy")
    ask(db_session, design, ana, "tee", "M")
    ask(db_session, design, bo, "tee", "M")
    bo_large = ask(db_session, design, bo, "tee", "L")  # not printed: stays open
    cy_xl = ask(db_session, design, cy, "tee", "XL")
    StaffFactory(email="staff@example.test")
    auth.login("staff@example.test")

    response = client.post(f"/staff/production/runs/{run.id}/in-stock")

    assert response.status_code == 302
    db_session.refresh(design)
    assert design.state is D.ON_SALE
    requests = db_session.scalars(select(ReprintRequest).order_by(ReprintRequest.id)).all()
    assert [(r.requester_id, r.size, r.fulfilled_at) for r in requests] == [
        (ana.id, "M", clock.now()),
        (bo.id, "M", clock.now()),
        (bo.id, "L", None),
        (cy.id, "XL", None),
    ]
    assert bo_large.id and cy_xl.id
    notes = db_session.scalars(select(Notification).order_by(Notification.id)).all()
    assert [(n.recipient_id, n.kind, n.design_id) for n in notes] == [
        (ana.id, NotificationKind.REPRINT_ON_SALE, design.id),
        (bo.id, NotificationKind.REPRINT_ON_SALE, design.id),
    ]
    mails = db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(m.payload["to"], m.payload["subject"]) for m in mails] == [
        ("ana@example.test", "“Comeback Kid” is on sale again"),
        ("bo@example.test", "« Comeback Kid » est de nouveau en vente"),  # subject: plain spaces
    ]
    assert f"http://localhost/designs/{design.id}" in mails[0].payload["body"]

    auth.logout()
    auth.login("ana@example.test")
    inbox = _text(client.get("/notifications"))
    assert "“Comeback Kid”, which you asked to be reprinted, is on sale again." in inbox
    # Ana may ask again once the reprint sells out: the fulfilled request does not block it.
    db_session.execute(Variant.__table__.update().values(stock_on_hand=0))
    again = client.post(f"/designs/{design.id}/reprint-requests", data={"option": "tee:M"})
    assert again.status_code == 302


@pytest.mark.usefixtures("request_ctx")
def test_a_restock_of_a_design_on_sale_fulfils_the_sold_out_size(
    db_session: Session, clock: TestClock
) -> None:
    design = on_sale(db_session, title="Restocked")
    run = RunFactory(
        design=design,
        state=RunState.PRINTING,
        lines=[RunLine(product="tee", colour="black", size="L", quantity=6, position=9)],
        prices=[RunPrice(product="tee", price=Money(2500, "EUR"))],
    )
    asker, other = UserFactory(), UserFactory()
    large = ask(db_session, design, asker, "tee", "L")
    small = ask(db_session, design, other, "tee", "S")

    run_lifecycle.mark_in_stock(db_session, run, StaffFactory())

    db_session.refresh(large)
    db_session.refresh(small)
    assert (large.fulfilled_at, small.fulfilled_at) == (clock.now(), None)
    notes = db_session.scalars(select(Notification)).all()
    assert [(n.recipient_id, n.kind) for n in notes] == [
        (asker.id, NotificationKind.REPRINT_ON_SALE)
    ]
    assert reprints.options(db_session, design) == [
        ("tee", "XS"),
        ("tee", "S"),
        ("tee", "XL"),
        ("tee", "XXL"),
    ]
    # A second arrival of the same run is refused before anything is fulfilled or told again.
    with pytest.raises(run_lifecycle.InvalidTransition):
        run_lifecycle.mark_in_stock(db_session, run, StaffFactory())
    assert len(db_session.scalars(select(Notification)).all()) == 1

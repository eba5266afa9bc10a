"""Staff pages of production: access, the approve grid and its errors, declining, the run page
and its moves, and the runs list."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.designs.models import Design, DesignState
from cocreate.production.models import ProductionRun, RunState, RunTransition, Variant
from cocreate.voting.models import DesignIntent
from tests.accounts.factories import StaffFactory, UserFactory
from tests.designs.factories import DesignFactory
from tests.production.factories import RunFactory

D = DesignState
R = RunState


@pytest.fixture
def staff(db_session: Session, auth: Any) -> Any:
    user = StaffFactory(email="staff@example.test", display_name="Stan Staff", locale="en")
    auth.login("staff@example.test")
    return user


def _text(response: Any) -> str:
    # Only ASCII white space: the no-break spaces of French typography are part of the text.
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_every_production_route_refuses_members(
    app: Flask, client: FlaskClient, auth: Any, db_session: Session
) -> None:
    run = RunFactory()
    closed = DesignFactory(state=D.CLOSED)
    UserFactory(email="member@example.test")
    auth.login("member@example.test")
    routes = [
        ("GET", "/staff/production/runs"),
        ("GET", f"/staff/production/runs/{run.id}"),
        ("POST", f"/staff/production/runs/{run.id}/printing"),
        ("POST", f"/staff/production/runs/{run.id}/in-stock"),
        ("POST", f"/staff/production/runs/{run.id}/close"),
        ("POST", f"/staff/production/runs/{run.id}/cancel"),
        ("GET", f"/staff/production/runs/{run.id}/print-pack.zip"),
        ("GET", f"/staff/production/designs/{closed.id}/plan"),
        ("POST", f"/staff/production/designs/{closed.id}/plan"),
        ("GET", f"/staff/production/designs/{closed.id}/decline"),
        ("POST", f"/staff/production/designs/{closed.id}/decline"),
        ("GET", "/staff/production/review"),
        ("GET", "/staff/production/review/reprints"),
    ]
    production_rules = sorted(
        (m, r.rule)
        for r in app.url_map.iter_rules()
        if r.endpoint.startswith("production.")
        for m in r.methods or ()
        if m in {"GET", "POST"}
    )
    assert len(production_rules) == len(routes)  # every route of the blueprint is listed here
    for method, path in routes:
        assert client.open(path, method=method).status_code == 403, path
    assert run.state is R.PLANNED
    assert closed.state is D.CLOSED


# --- Approving ---------------------------------------------------------------------------------


def _closed_tee_design(db_session: Session) -> Design:
    design = DesignFactory(state=D.CLOSED, title="Harbour Lights")
    db_session.add_all(
        [
            DesignIntent(design_id=design.id, product="tee", size="M", count=10),
            DesignIntent(design_id=design.id, product="tee", size="L", count=8),
        ]
    )
    db_session.flush()
    return design


def _form(**changes: str) -> dict[str, str]:
    """What the approve page posts with its suggestions (M 15, L 12 → 27 ≥ 24), changed."""
    data = {
        f"qty:tee:{c}:{s}": "0"
        for c in ("white", "black", "heather-grey", "navy", "red", "forest-green")
        for s in ("XS", "S", "M", "L", "XL", "XXL")
    }
    data.update(
        {
            "qty:tee:white:M": "15",
            "qty:tee:white:L": "12",
            "price:tee": "25.00",
            "note": "",
            "approve": "1",
        }
    )
    data.update(changes)
    return data


def test_the_approve_page_suggests_quantities_from_buy_intent(
    client: FlaskClient, db_session: Session, staff: Any
) -> None:
    design = _closed_tee_design(db_session)
    response = client.get(f"/staff/production/designs/{design.id}/plan")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="qty:tee:white:M" name="qty:tee:white:M" value="15"' in html  # 10 × 1.5
    assert 'id="qty:tee:white:L" name="qty:tee:white:L" value="12"' in html  # 8 × 1.5
    assert 'id="qty:tee:black:M" name="qty:tee:black:M" value="0"' in html
    assert 'name="price:tee" value="25.00"' in html
    text = _text(response)
    assert "Buy intent by size: M: 10 L: 8" in text
    assert "Total: 27 units" in text


def test_approving_with_the_suggestions_plans_the_run(
    client: FlaskClient, db_session: Session, staff: Any
) -> None:
    design = _closed_tee_design(db_session)
    response = client.post(
        f"/staff/production/designs/{design.id}/plan",
        data=_form(**{"qty:tee:black:XL": "3", "price:tee": "27,50", "note": "Soft-hand ink"}),
    )
    run = db_session.scalars(select(ProductionRun)).one()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/staff/production/runs/{run.id}"
    db_session.refresh(design)
    assert design.state is D.APPROVED
    assert [(line.colour, line.size, line.quantity) for line in run.lines] == [
        ("white", "M", 15),
        ("white", "L", 12),
        ("black", "XL", 3),
    ]
    assert run.price_of("tee").amount == 2750
    assert run.note == "Soft-hand ink"
    page = client.get(response.headers["Location"])
    assert "“Harbour Lights” is approved: run" in _text(page)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"qty:tee:white:M": "-2"}, "qty:tee:white:M", "Enter a whole number, 0 or more."),
        ({"qty:tee:white:M": "1.5"}, "qty:tee:white:M", "Enter a whole number, 0 or more."),
        ({"qty:tee:white:M": "ten"}, "qty:tee:white:M", "Enter a whole number, 0 or more."),
        ({"qty:tee:white:M": "10001"}, "qty:tee:white:M", "At most 10000."),
        (
            {"price:tee": "0"},
            "price:tee",
            "Enter a price above zero, at most €10,000.00, such as 25.00.",
        ),
        (
            {"price:tee": "25.005"},
            "price:tee",
            "Enter a price above zero, at most €10,000.00, such as 25.00.",
        ),
        (
            {"price:tee": "1e3"},
            "price:tee",
            "Enter a price above zero, at most €10,000.00, such as 25.00.",
        ),
        (
            {"price:tee": ""},
            "price:tee",
            "Enter a price above zero, at most €10,000.00, such as 25.00.",
        ),
    ],
)
def test_bad_fields_come_back_with_a_message_beside_them(
    client: FlaskClient,
    db_session: Session,
    staff: Any,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    design = _closed_tee_design(db_session)
    response = client.post(f"/staff/production/designs/{design.id}/plan", data=_form(**changes))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'<span class="field-error" id="{field}-error">{message}</span>' in html or (
        f'<p id="{field}-error">{message}</p>' in html
    )
    assert "Please correct the fields marked below." in html
    assert f'value="{changes[field]}"' in html  # what was typed comes back
    db_session.refresh(design)
    assert design.state is D.CLOSED
    assert db_session.scalars(select(ProductionRun)).all() == []


def test_all_zero_quantities_are_refused(
    client: FlaskClient, db_session: Session, staff: Any
) -> None:
    design = _closed_tee_design(db_session)
    data = _form(**{"qty:tee:white:M": "0", "qty:tee:white:L": ""})
    response = client.post(f"/staff/production/designs/{design.id}/plan", data=data)
    assert response.status_code == 422
    assert "Please enter a quantity for at least one variant." in _text(response)
    db_session.refresh(design)
    assert design.state is D.CLOSED


def test_the_largest_quantity_is_accepted(
    client: FlaskClient, db_session: Session, staff: Any
) -> None:
    design = _closed_tee_design(db_session)
    response = client.post(
        f"/staff/production/designs/{design.id}/plan", data=_form(**{"qty:tee:white:M": "10000"})
    )
    assert response.status_code == 302
    assert db_session.scalars(select(ProductionRun)).one().total_quantity == 10012


MESSAGE_VOTING = "Voting on this design is still open: it can be approved once voting closes."


def test_approving_a_design_still_in_voting_is_refused_with_a_message(
    client: FlaskClient, db_session: Session, staff: Any
) -> None:
    design = DesignFactory(state=D.VOTING, title="Still Open")
    url = f"/staff/production/designs/{design.id}/plan"
    response = client.post(url, data=_form())
    assert response.status_code == 409
    assert MESSAGE_VOTING in _text(response)
    # A link followed (a stale page): back to the design, with the message.
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/designs/{design.id}"
    assert MESSAGE_VOTING in _text(client.get(response.headers["Location"]))
    db_session.refresh(design)
    assert design.state is D.VOTING
    assert db_session.scalars(select(ProductionRun)).all() == []


def test_an_approve_page_left_open_after_someone_approved_is_refused(
    client: FlaskClient, db_session: Session, staff: Any
) -> None:
    design = DesignFactory(state=D.APPROVED, title="Taken")
    response = client.post(f"/staff/production/designs/{design.id}/plan", data=_form())
    assert response.status_code == 409
    assert "This design is approved for production, so this cannot be done any more." in _text(
        response
    )
    assert db_session.scalars(select(ProductionRun)).all() == []


def test_planning_a_reprint_of_a_design_on_sale(
    client: FlaskClient, db_session: Session, staff: Any
) -> None:
    design = DesignFactory(state=D.ON_SALE, title="Sold Well")
    page = client.get(f"/staff/production/designs/{design.id}/plan")
    assert page.status_code == 200
    assert "Plan a reprint of “Sold Well”" in _text(page)
    # No intent: 24 along the size curve, all white.
    html = page.get_data(as_text=True)
    assert 'id="qty:tee:white:M" name="qty:tee:white:M" value="7"' in html
    assert 'name="approve" value="0"' in html
    response = client.post(f"/staff/production/designs/{design.id}/plan", data=_form(approve="0"))
    assert response.status_code == 302
    db_session.refresh(design)
    assert design.state is D.ON_SALE


# --- Declining ---------------------------------------------------------------------------------


def test_declining_shows_the_reason_to_the_designer(
    client: FlaskClient, auth: Any, db_session: Session, staff: Any
) -> None:
    designer = UserFactory(email="ines@example.test")
    design = DesignFactory(state=D.CLOSED, designer=designer, title="Night Swim")
    url = f"/staff/production/designs/{design.id}/decline"
    assert client.get(url).status_code == 200
    empty = client.post(url, data={"reason": "  "})
    assert empty.status_code == 422
    assert "Please give a reason: the designer will read it." in _text(empty)
    response = client.post(url, data={"reason": "The buy intent was too low this season."})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/designs/{design.id}"
    auth.logout()
    auth.login("ines@example.test")
    page = _text(client.get(f"/designs/{design.id}"))
    assert "declined" in page
    assert "Why The buy intent was too low this season." in page


def test_declining_a_design_in_voting_is_refused(
    client: FlaskClient, db_session: Session, staff: Any
) -> None:
    design = DesignFactory(state=D.VOTING)
    response = client.post(f"/staff/production/designs/{design.id}/decline", data={"reason": "No."})
    assert response.status_code == 409
    assert (
        "Only a design whose voting has closed can be declined; this one is open to votes."
        in _text(response)
    )


# --- The design page ---------------------------------------------------------------------------


def test_staff_see_approve_and_decline_on_a_closed_design(
    client: FlaskClient, auth: Any, db_session: Session, staff: Any
) -> None:
    design = DesignFactory(state=D.CLOSED)
    html = client.get(f"/designs/{design.id}").get_data(as_text=True)
    assert f'href="/staff/production/designs/{design.id}/plan"' in html
    assert f'href="/staff/production/designs/{design.id}/decline"' in html
    auth.logout()
    UserFactory(email="member@example.test")
    auth.login("member@example.test")
    html = client.get(f"/designs/{design.id}").get_data(as_text=True)
    assert "/staff/production" not in html


def test_staff_see_a_designs_runs_and_a_reprint_link(
    client: FlaskClient, db_session: Session, staff: Any
) -> None:
    run = RunFactory(design=DesignFactory(state=D.ON_SALE), state=R.IN_STOCK)
    text = _text(client.get(f"/designs/{run.design_id}"))
    assert f"Production Run {run.id} : in stock, 14 units" in text
    assert "Plan a reprint…" in text


# --- A run's page and its moves ----------------------------------------------------------------


def test_run_page_shows_lines_totals_prices_and_moves(
    client: FlaskClient, db_session: Session, staff: Any
) -> None:
    run = RunFactory(design=DesignFactory(title="Dune"), note="Water-based inks")
    text = _text(client.get(f"/staff/production/runs/{run.id}"))
    d = run.design_id
    assert f"Run {run.id}: “Dune”" in text
    assert f"D{d:05d}-TEE-WHITE-M white M 10" in text
    assert f"D{d:05d}-TEE-BLACK-L black L 4" in text
    assert "T-shirt, €25.00" in text
    assert "Total T-shirt 14" in text
    assert "All products 14" in text
    assert "Water-based inks" in text
    assert "Mark as printing" in text
    assert "Cancel the run" in text
    assert "Mark as in stock" not in text


def test_a_run_moves_to_stock_through_its_buttons(
    client: FlaskClient, db_session: Session, staff: Any
) -> None:
    run = RunFactory()
    base = f"/staff/production/runs/{run.id}"
    assert client.post(f"{base}/printing").status_code == 302
    response = client.post(f"{base}/in-stock")
    assert response.status_code == 302
    page = _text(client.get(base))
    assert f"Run {run.id} is in stock." in page
    assert "planned → printing by Stan Staff" in page
    assert "printing → in stock by Stan Staff" in page
    stock = db_session.scalars(select(Variant.stock_on_hand).order_by(Variant.sku)).all()
    assert stock == [4, 10]
    design = db_session.get_one(Design, run.design_id)
    db_session.refresh(design)
    assert design.state is D.ON_SALE
    assert "on sale" in _text(client.get(f"/designs/{design.id}"))


def test_planned_straight_to_in_stock_is_refused_with_a_message(
    client: FlaskClient, db_session: Session, staff: Any
) -> None:
    run = RunFactory()
    response = client.post(f"/staff/production/runs/{run.id}/in-stock")
    assert response.status_code == 409
    assert "This run is planned, so it cannot be moved to “in stock”." in _text(response)
    assert db_session.scalars(select(Variant)).all() == []
    assert db_session.scalars(select(RunTransition)).all() == []


def test_a_second_click_on_in_stock_is_refused_and_stocks_once(
    client: FlaskClient, db_session: Session, staff: Any
) -> None:
    run = RunFactory(state=R.PRINTING)
    assert client.post(f"/staff/production/runs/{run.id}/in-stock").status_code == 302
    again = client.post(f"/staff/production/runs/{run.id}/in-stock")
    assert again.status_code == 409
    assert "This run is in stock, so it cannot be moved to “in stock”." in _text(again)
    stock = db_session.scalars(select(Variant.stock_on_hand).order_by(Variant.sku)).all()
    assert stock == [4, 10]


def test_cancelling_needs_a_reason(client: FlaskClient, db_session: Session, staff: Any) -> None:
    run = RunFactory(state=R.PRINTING)
    url = f"/staff/production/runs/{run.id}/cancel"
    response = client.post(url, data={"reason": ""})
    assert response.status_code == 422
    assert "Please say why this run is cancelled." in _text(response)
    assert client.post(url, data={"reason": "Misprinted colours"}).status_code == 302
    page = _text(client.get(f"/staff/production/runs/{run.id}"))
    assert "printing → cancelled by Stan Staff: Misprinted colours" in page
    assert "Next step" not in page


def test_unknown_run_is_404(client: FlaskClient, staff: Any) -> None:
    assert client.get("/staff/production/runs/999").status_code == 404
    assert client.post("/staff/production/runs/999/close").status_code == 404


# --- The runs list -----------------------------------------------------------------------------


def test_runs_list_filters_by_state(client: FlaskClient, db_session: Session, staff: Any) -> None:
    planned = RunFactory(design=DesignFactory(title="Alpha"))
    printing = RunFactory(design=DesignFactory(title="Beta"), state=R.PRINTING)
    everything = _text(client.get("/staff/production/runs"))
    assert f"Run {planned.id} Alpha" in everything
    assert f"Run {printing.id} Beta" in everything
    assert "planned (1)" in everything
    assert "printing (1)" in everything
    only = _text(client.get("/staff/production/runs?state=printing"))
    assert "Beta" in only
    assert "Alpha" not in only
    assert "Beta" in _text(client.get("/staff/production/runs?state=bogus"))  # ignored
    empty = _text(client.get("/staff/production/runs?state=closed"))
    assert "No production run here yet." in empty


def test_staff_desk_links_to_the_runs(client: FlaskClient, staff: Any) -> None:
    assert 'href="/staff/production/runs"' in client.get("/staff/").get_data(as_text=True)


def test_pages_speak_french_to_french_staff(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    StaffFactory(email="stan@example.test", locale="fr")
    auth.login("stan@example.test")
    run = RunFactory(design=DesignFactory(title="Dune"))
    text = _text(client.get(f"/staff/production/runs/{run.id}"))
    assert f"Tirage {run.id}\u00a0: «\u00a0Dune\u00a0»" in text
    assert "Marquer comme en impression" in text
    assert "25,00\u00a0€" in text
    refused = client.post(f"/staff/production/runs/{run.id}/in-stock")
    assert refused.status_code == 409
    assert (
        "Statut de ce tirage\u00a0: planifié. Il ne peut donc pas passer à «\u00a0en stock\u00a0»."
        in _text(refused)
    )

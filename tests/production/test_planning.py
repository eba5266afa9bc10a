"""Approving a closed design with a run, planning a reprint, declining: the service rules."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.config import override, settings
from cocreate.core.clock import TestClock
from cocreate.core.lifecycle import InvalidTransition, NotAllowed
from cocreate.core.money import Money
from cocreate.designs.models import DesignProduct, DesignState, DesignTransition
from cocreate.production import services
from cocreate.production.models import ProductionRun, RunTransition
from cocreate.voting.models import DesignIntent
from tests.accounts.factories import StaffFactory, UserFactory
from tests.designs.factories import DesignFactory

D = DesignState


def _all_products() -> list[DesignProduct]:
    return [DesignProduct(product=p) for p in ("tee", "poster", "tote")]


@pytest.mark.usefixtures("request_ctx")
def test_grid_lists_offered_products_in_catalogue_order(db_session: Session) -> None:
    design = DesignFactory(
        state=D.CLOSED, products=[DesignProduct(product="tote"), DesignProduct(product="tee")]
    )
    grid = services.grid_for(design)
    assert [(p.spec.key, p.colours, p.sizes) for p in grid] == [
        (
            "tee",
            ("white", "black", "heather-grey", "navy", "red", "forest-green"),
            ("XS", "S", "M", "L", "XL", "XXL"),
        ),
        ("tote", ("natural", "black"), ("one-size",)),
    ]


@pytest.mark.usefixtures("request_ctx")
def test_suggested_plan_from_buy_intent(app: Flask, db_session: Session) -> None:
    """Default settings: factor 1.5, minimums tee 24, poster 10, tote 20."""
    design = DesignFactory(state=D.CLOSED, products=_all_products())
    db_session.add_all(
        [
            DesignIntent(design_id=design.id, product="tee", size="S", count=2),
            DesignIntent(design_id=design.id, product="tee", size="M", count=5),
            DesignIntent(design_id=design.id, product="tee", size="L", count=3),
            DesignIntent(design_id=design.id, product="poster", size="50x70", count=9),
        ]
    )
    db_session.flush()
    plan = services.suggested_plan(db_session, design, settings(app))
    nonzero = {cell: q for cell, q in plan.quantities.items() if q}
    assert nonzero == {
        # 3, 8, 5 = 16, topped up by 8 split 2:5:3 → S 5, M 12, L 7 (see test_suggestions)
        ("tee", "white", "S"): 5,
        ("tee", "white", "M"): 12,
        ("tee", "white", "L"): 7,
        # 9 × 1.5 = 13.5 → 14 ≥ 10
        ("poster", "", "50x70"): 14,
        # no intent: the minimum, all in the only size, first colour
        ("tote", "natural", "one-size"): 20,
    }
    assert len(plan.quantities) == 36 + 2 + 2
    assert plan.prices == {
        "tee": Money(2500, "EUR"),
        "poster": Money(1900, "EUR"),
        "tote": Money(1800, "EUR"),
    }
    assert plan.intent == {"tee": {"S": 2, "M": 5, "L": 3}, "poster": {"50x70": 9}}


@pytest.mark.usefixtures("request_ctx")
def test_suggested_plan_follows_the_settings(app: Flask, db_session: Session) -> None:
    """Factor 2, tee minimum 6, no tote minimum, tee price 29.00."""
    override(
        app,
        PRODUCTION_CONVERSION_FACTOR=Decimal("2"),
        PRODUCTION_MIN_RUN={"tee": 6},
        PRODUCT_PRICES={"tee": 2900},
    )
    design = DesignFactory(
        state=D.CLOSED, products=[DesignProduct(product="tee"), DesignProduct(product="tote")]
    )
    db_session.add(DesignIntent(design_id=design.id, product="tee", size="XL", count=1))
    db_session.flush()
    plan = services.suggested_plan(db_session, design, settings(app))
    assert {cell: q for cell, q in plan.quantities.items() if q} == {
        ("tee", "white", "XL"): 6  # 1 × 2 = 2, topped up to 6, all on XL (the only intent)
    }
    assert plan.prices["tee"] == Money(2900, "EUR")


def _plan(**quantities: int) -> services.Plan:
    cells = {("tee", "white", "M"): 0, ("tee", "black", "L"): 0}
    cells.update({tuple(k.split("__")): v for k, v in quantities.items()})  # type: ignore[misc]
    return services.Plan(quantities=cells, prices={"tee": Money(2500, "EUR")}, note=" Rush ")


@pytest.mark.usefixtures("request_ctx")
def test_approving_a_closed_design_plans_a_run(
    app: Flask, db_session: Session, clock: TestClock
) -> None:
    design = DesignFactory(state=D.CLOSED)
    staff = StaffFactory()
    plan = _plan(**{"tee__white__M": 10, "tee__black__L": 4})
    run = services.approve(db_session, design, staff, plan, settings(app))
    assert design.state is D.APPROVED
    moves = db_session.scalars(select(DesignTransition)).all()
    assert [(m.from_state, m.to_state, m.actor_id) for m in moves] == [
        (D.CLOSED, D.APPROVED, staff.id)
    ]
    stored = db_session.scalars(select(ProductionRun)).one()
    assert stored is run
    assert (run.state.value, run.note, run.created_by_id, run.created_at) == (
        "planned",
        "Rush",
        staff.id,
        clock.now(),
    )
    # Catalogue order: white before black.
    assert [(line.product, line.colour, line.size, line.quantity) for line in run.lines] == [
        ("tee", "white", "M", 10),
        ("tee", "black", "L", 4),
    ]
    assert [(p.product, p.price) for p in run.prices] == [("tee", Money(2500, "EUR"))]
    assert run.total_quantity == 14
    assert db_session.scalars(select(RunTransition)).all() == []


@pytest.mark.usefixtures("request_ctx")
@pytest.mark.parametrize(
    ("state", "message"),
    [
        (
            D.VOTING,
            "This design is open to votes: only a design whose voting has closed can be "
            "approved, and only one already produced can be reprinted.",
        ),
        (
            D.DECLINED,
            "This design is declined: only a design whose voting has closed can be "
            "approved, and only one already produced can be reprinted.",
        ),
        (
            D.REMOVED,
            "This design is removed: only a design whose voting has closed can be "
            "approved, and only one already produced can be reprinted.",
        ),
    ],
)
def test_a_design_not_closed_nor_produced_cannot_have_a_run(
    app: Flask, db_session: Session, state: DesignState, message: str
) -> None:
    design = DesignFactory(state=state)
    with pytest.raises(InvalidTransition) as refused:
        services.approve(db_session, design, StaffFactory(), _plan(tee__white__M=5), settings(app))
    assert str(refused.value) == message
    assert design.state is state
    assert db_session.scalars(select(ProductionRun)).all() == []


@pytest.mark.usefixtures("request_ctx")
@pytest.mark.parametrize("state", [D.APPROVED, D.ON_SALE, D.RETIRED])
def test_a_reprint_run_leaves_the_design_state_alone(
    app: Flask, db_session: Session, state: DesignState
) -> None:
    design = DesignFactory(state=state)
    run = services.plan_reprint(
        db_session, design, StaffFactory(), _plan(tee__white__M=5), settings(app)
    )
    assert design.state is state
    assert run.total_quantity == 5
    assert db_session.scalars(select(DesignTransition)).all() == []


@pytest.mark.usefixtures("request_ctx")
def test_approving_a_design_approved_meanwhile_is_refused(app: Flask, db_session: Session) -> None:
    """Someone else approved it first: no second run planned as a reprint by surprise."""
    design = DesignFactory(state=D.APPROVED)
    with pytest.raises(InvalidTransition) as refused:
        services.approve(db_session, design, StaffFactory(), _plan(tee__white__M=5), settings(app))
    assert str(refused.value) == (
        "This design is approved for production, so this cannot be done any more."
    )
    with pytest.raises(InvalidTransition):
        services.plan_reprint(
            db_session,
            DesignFactory(state=D.CLOSED),
            StaffFactory(),
            _plan(tee__white__M=5),
            settings(app),
        )
    assert db_session.scalars(select(ProductionRun)).all() == []


@pytest.mark.usefixtures("request_ctx")
def test_members_cannot_plan_runs(app: Flask, db_session: Session) -> None:
    design = DesignFactory(state=D.CLOSED)
    with pytest.raises(NotAllowed):
        services.approve(db_session, design, UserFactory(), _plan(tee__white__M=5), settings(app))
    assert design.state is D.CLOSED


@pytest.mark.usefixtures("request_ctx")
@pytest.mark.parametrize(
    ("plan", "message"),
    [
        (_plan(), "Please enter a quantity for at least one variant."),
        (_plan(tee__white__M=-1, tee__black__L=3), "Each quantity must be between 0 and 10000."),
        (_plan(tee__white__M=10001), "Each quantity must be between 0 and 10000."),
        (
            _plan(tee__white__M=1, poster____30x40=1),
            "Some quantities are for variants this design is not offered in.",
        ),
    ],
)
def test_plans_the_rules_refuse(
    app: Flask, db_session: Session, plan: services.Plan, message: str
) -> None:
    design = DesignFactory(state=D.CLOSED)
    with pytest.raises(services.PlanError) as refused:
        services.approve(db_session, design, StaffFactory(), plan, settings(app))
    assert message in refused.value.messages
    assert design.state is D.CLOSED


@pytest.mark.usefixtures("request_ctx")
@pytest.mark.parametrize(
    ("price", "message"),
    [
        (Money(0, "EUR"), "Each price must be above zero and at most €10,000.00."),
        (Money(1_000_001, "EUR"), "Each price must be above zero and at most €10,000.00."),
        (Money(2500, "USD"), "Please give a price for every product printed."),
        (None, "Please give a price for every product printed."),
    ],
)
def test_prices_must_be_positive_in_the_shop_currency(
    app: Flask, db_session: Session, price: Money | None, message: str
) -> None:
    plan = _plan(tee__white__M=1)
    plan.prices = {"tee": price} if price is not None else {}
    with pytest.raises(services.PlanError) as refused:
        services.approve(
            db_session, DesignFactory(state=D.CLOSED), StaffFactory(), plan, settings(app)
        )
    assert refused.value.messages == [message]


@pytest.mark.usefixtures("request_ctx")
def test_the_largest_price_and_quantity_pass(app: Flask, db_session: Session) -> None:
    plan = _plan(tee__white__M=10000)
    plan.prices = {"tee": Money(1_000_000, "EUR")}
    run = services.approve(
        db_session, DesignFactory(state=D.CLOSED), StaffFactory(), plan, settings(app)
    )
    assert run.total_quantity == 10000


@pytest.mark.usefixtures("request_ctx")
def test_declining_needs_a_reason_and_records_it(db_session: Session) -> None:
    design = DesignFactory(state=D.CLOSED)
    staff = StaffFactory()
    with pytest.raises(InvalidTransition) as refused:
        services.decline(db_session, design, staff, "  ")
    assert str(refused.value) == "Please give a reason: the designer will read it."
    services.decline(db_session, design, staff, " Too close to an existing logo. ")
    assert design.state is D.DECLINED
    assert design.state_reason == "Too close to an existing logo."


@pytest.mark.usefixtures("request_ctx")
def test_declining_a_design_still_voting_is_refused(db_session: Session) -> None:
    design = DesignFactory(state=D.VOTING)
    with pytest.raises(InvalidTransition) as refused:
        services.decline(db_session, design, StaffFactory(), "No.")
    assert str(refused.value) == "Only a design whose voting has closed can be declined."
    with pytest.raises(NotAllowed):
        services.decline(db_session, DesignFactory(state=D.CLOSED), UserFactory(), "No.")

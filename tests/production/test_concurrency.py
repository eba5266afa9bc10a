"""Real races on PostgreSQL: one run marked in stock twice at once, two runs of one design
arriving at once, and two staff approving one design at once."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from cocreate.accounts.models import User
from cocreate.config import settings
from cocreate.core import db
from cocreate.core.money import Money
from cocreate.designs.models import Design, DesignState, DesignTransition
from cocreate.production import lifecycle, services
from cocreate.production.models import ProductionRun, RunState, RunTransition, Variant
from tests.accounts.factories import StaffFactory
from tests.concurrency import TIMEOUT, Concurrent
from tests.designs.factories import DesignFactory
from tests.production.factories import RunFactory

pytestmark = pytest.mark.postgres_only


def test_two_staff_mark_one_run_in_stock_at_once(concurrent: Concurrent) -> None:
    """Both loaded the printing run; the first one's move holds the run's row lock, the second
    waits for it, re-reads the state (in stock) and is refused: the stock is added once."""
    with concurrent.setup():
        run_id = RunFactory(
            design=DesignFactory(state=DesignState.APPROVED), state=RunState.PRINTING
        ).id
        staff_ids = [StaffFactory().id, StaffFactory().id]
    both_loaded = threading.Barrier(2, timeout=TIMEOUT)
    first_moved = threading.Event()
    first_may_commit = threading.Event()

    def staff_member(number: int) -> str:
        session = concurrent.session()
        with concurrent.request(session):
            run = session.get_one(ProductionRun, run_id)
            staff = session.get_one(User, staff_ids[number])
            both_loaded.wait()  # each sees the run as printing
            if number == 1:
                assert first_moved.wait(TIMEOUT)
            try:
                lifecycle.mark_in_stock(session, run, staff)
            except lifecycle.InvalidTransition as error:
                db.rollback()
                return str(error)
            if number == 0:
                first_moved.set()
                assert first_may_commit.wait(TIMEOUT)
            db.commit()
            return "moved"

    first = concurrent.start(lambda: staff_member(0))
    second = concurrent.start(lambda: staff_member(1))
    assert first_moved.wait(TIMEOUT)
    concurrent.wait_until_blocked(1)  # the second waits on the run's row lock
    first_may_commit.set()
    concurrent.join()

    assert first.error is None and second.error is None, (first.error, second.error)
    assert (first.result, second.result) == (
        "moved",
        "This run is in stock, so it cannot be moved to “in stock”.",
    )
    with concurrent.session() as check:
        stock = check.execute(
            select(Variant.colour, Variant.size, Variant.stock_on_hand).order_by(Variant.sku)
        ).all()
        assert stock == [("black", "L", 4), ("white", "M", 10)]  # once, not 8 and 20
        moves = check.scalars(select(RunTransition)).all()
        assert [(m.actor_id, m.from_state, m.to_state) for m in moves] == [
            (staff_ids[0], RunState.PRINTING, RunState.IN_STOCK)
        ]
        design = check.scalars(select(Design)).one()
        assert design.state is DesignState.ON_SALE
        assert len(check.scalars(select(DesignTransition)).all()) == 1


def test_two_runs_of_one_design_arrive_at_once(concurrent: Concurrent) -> None:
    """Two different runs (no shared run lock) of one approved design, same variants: both
    restock, the design goes on sale once and the second run finds it on sale already."""
    with concurrent.setup():
        design = DesignFactory(state=DesignState.APPROVED)
        run_ids = [RunFactory(design=design, state=RunState.PRINTING).id for _ in range(2)]
        staff_id = StaffFactory().id
    start_together = threading.Barrier(2, timeout=TIMEOUT)

    def arrive(run_id: int) -> str:
        session = concurrent.session()
        with concurrent.request(session):
            run = session.get_one(ProductionRun, run_id)
            staff = session.get_one(User, staff_id)
            start_together.wait()
            lifecycle.mark_in_stock(session, run, staff)
            db.commit()
            return "moved"

    outcomes = [concurrent.start(lambda r=r: arrive(r)) for r in run_ids]
    concurrent.join()

    assert [o.error for o in outcomes] == [None, None]
    with concurrent.session() as check:
        stock = check.scalars(select(Variant.stock_on_hand).order_by(Variant.sku)).all()
        assert stock == [8, 20]
        assert check.scalars(select(Design.state)).one() is DesignState.ON_SALE
        moves = check.scalars(select(DesignTransition)).all()
        assert [(m.from_state, m.to_state) for m in moves] == [
            (DesignState.APPROVED, DesignState.ON_SALE)
        ]


def test_two_staff_approve_one_design_at_once(concurrent: Concurrent) -> None:
    """Both opened the approve page of the closed design; the first approval holds the design's
    row lock, the second waits, re-reads (approved) and is refused: one run, one move."""
    with concurrent.setup():
        design_id = DesignFactory(state=DesignState.CLOSED).id
        staff_ids = [StaffFactory().id, StaffFactory().id]
    both_loaded = threading.Barrier(2, timeout=TIMEOUT)
    first_moved = threading.Event()
    first_may_commit = threading.Event()

    def staff_member(number: int) -> str:
        session = concurrent.session()
        with concurrent.request(session):
            design = session.get_one(Design, design_id)
            staff = session.get_one(User, staff_ids[number])
            plan = services.Plan(
                quantities={("tee", "white", "M"): 10 + number},
                prices={"tee": Money(2500, "EUR")},
            )
            both_loaded.wait()
            if number == 1:
                assert first_moved.wait(TIMEOUT)
            try:
                services.approve(session, design, staff, plan, settings(concurrent.app))
            except lifecycle.InvalidTransition as error:
                db.rollback()
                return str(error)
            if number == 0:
                first_moved.set()
                assert first_may_commit.wait(TIMEOUT)
            db.commit()
            return "approved"

    first = concurrent.start(lambda: staff_member(0))
    second = concurrent.start(lambda: staff_member(1))
    assert first_moved.wait(TIMEOUT)
    concurrent.wait_until_blocked(1)
    first_may_commit.set()
    concurrent.join()

    assert first.error is None and second.error is None, (first.error, second.error)
    assert (first.result, second.result) == (
        "approved",
        "This design is approved for production, so this cannot be done any more.",
    )
    with concurrent.session() as check:
        runs = check.scalars(select(ProductionRun)).all()
        assert [(r.created_by_id, r.lines[0].quantity) for r in runs] == [(staff_ids[0], 10)]
        moves = check.scalars(select(DesignTransition)).all()
        assert [(m.actor_id, m.to_state) for m in moves] == [(staff_ids[0], DesignState.APPROVED)]

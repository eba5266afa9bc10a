"""A run's life: the whole transition table, each move's rules, and stock on arrival."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.core.clock import TestClock
from cocreate.core.lifecycle import InvalidTransition, NotAllowed
from cocreate.core.money import Money
from cocreate.designs.models import DesignState, DesignTransition
from cocreate.production import lifecycle
from cocreate.production.models import RunLine, RunPrice, RunState, RunTransition, Variant
from tests.accounts.factories import StaffFactory, UserFactory
from tests.designs.factories import DesignFactory
from tests.production.factories import RunFactory

R = RunState
D = DesignState

# Every (from, to) pair: `x` allowed, `.` refused (DESIGN.md "Production runs").
MATRIX = """
            planned printing in_stock closed cancelled
planned        .       x        .       .       x
printing       .       .        x       .       x
in_stock       .       .        .       x       .
closed         .       .        .       .       .
cancelled      .       .        .       .       .
"""


def _cells() -> list[tuple[str, str, bool]]:
    header, *rows = MATRIX.strip().splitlines()
    targets = header.split()
    cells = []
    for row in rows:
        start, *marks = row.split()
        cells += [(start, end, mark == "x") for end, mark in zip(targets, marks, strict=True)]
    return cells


CELLS = _cells()
MOVES = {
    R.PRINTING: lambda s, run, who: lifecycle.start_printing(s, run, who),
    R.IN_STOCK: lambda s, run, who: lifecycle.mark_in_stock(s, run, who),
    R.CLOSED: lambda s, run, who: lifecycle.close(s, run, who),
    R.CANCELLED: lambda s, run, who: lifecycle.cancel(s, run, who, "Supplier out of blanks"),
}


def test_matrix_covers_all_25_pairs() -> None:
    assert len(CELLS) == 25
    assert {(a, b) for a, b, _ in CELLS} == {(a.value, b.value) for a in R for b in R}
    for start, end, allowed in CELLS:
        assert lifecycle.TRANSITIONS.allows(R(start), R(end)) is allowed


@pytest.mark.usefixtures("request_ctx")
@pytest.mark.parametrize(("start", "end", "allowed"), [c for c in CELLS if c[1] != "planned"])
def test_each_move_function_follows_the_table(
    db_session: Session, clock: TestClock, start: str, end: str, allowed: bool
) -> None:
    run = RunFactory(state=R(start))
    staff = StaffFactory()
    move = MOVES[R(end)]
    if allowed:
        move(db_session, run, staff)
        assert run.state is R(end)
        rows = db_session.scalars(select(RunTransition)).all()
        assert [(r.run_id, r.actor_id, r.from_state, r.to_state) for r in rows] == [
            (run.id, staff.id, R(start), R(end))
        ]
        assert rows[0].created_at == clock.now()
    else:
        with pytest.raises(InvalidTransition) as refused:
            move(db_session, run, staff)
        assert str(refused.value).startswith("This run is ")
        assert run.state is R(start)
        assert db_session.scalar(select(RunTransition)) is None


@pytest.mark.usefixtures("request_ctx")
def test_planned_straight_to_in_stock_is_refused_with_a_message(db_session: Session) -> None:
    run = RunFactory()
    design = run.design
    with pytest.raises(InvalidTransition) as refused:
        lifecycle.mark_in_stock(db_session, run, StaffFactory())
    assert str(refused.value) == "This run is planned, so it cannot be moved to “in stock”."
    assert db_session.scalars(select(Variant)).all() == []
    assert design.state is D.APPROVED


@pytest.mark.usefixtures("request_ctx")
@pytest.mark.parametrize("state", list(R))
def test_members_may_not_move_runs(db_session: Session, state: RunState) -> None:
    run = RunFactory(state=state)
    for to, move in MOVES.items():
        with pytest.raises(NotAllowed):
            move(db_session, run, UserFactory())
        assert run.state is state, to


@pytest.mark.usefixtures("request_ctx")
@pytest.mark.parametrize("reason", ["", "   "])
def test_cancelling_needs_a_reason(db_session: Session, reason: str) -> None:
    run = RunFactory()
    with pytest.raises(InvalidTransition) as refused:
        lifecycle.cancel(db_session, run, StaffFactory(), reason)
    assert str(refused.value) == "Please say why this run is cancelled."
    assert run.state is R.PLANNED


@pytest.mark.usefixtures("request_ctx")
def test_cancel_reason_length_boundary(db_session: Session) -> None:
    run = RunFactory()
    with pytest.raises(InvalidTransition):
        lifecycle.cancel(db_session, run, StaffFactory(), "x" * 2001)
    row = lifecycle.cancel(db_session, run, StaffFactory(), "x" * 2000)
    assert len(row.reason) == 2000
    assert run.state is R.CANCELLED


def _stock(db_session: Session) -> list[tuple[str, int, int, str]]:
    db_session.expire_all()
    return [
        (v.sku, v.stock_on_hand, v.price.amount, v.price.currency)
        for v in db_session.scalars(select(Variant).order_by(Variant.sku))
    ]


@pytest.mark.usefixtures("request_ctx")
def test_arrival_creates_the_variants_and_puts_the_design_on_sale(
    db_session: Session, clock: TestClock
) -> None:
    run = RunFactory(state=R.PRINTING)
    design, staff = run.design, StaffFactory()
    lifecycle.mark_in_stock(db_session, run, staff)
    d = run.design_id
    assert _stock(db_session) == [
        (f"D{d:05d}-TEE-BLACK-L", 4, 2500, "EUR"),
        (f"D{d:05d}-TEE-WHITE-M", 10, 2500, "EUR"),
    ]
    assert run.stocked_at == clock.now()
    assert design.state is D.ON_SALE
    moves = db_session.scalars(select(DesignTransition)).all()
    assert [(m.from_state, m.to_state, m.actor_id) for m in moves] == [
        (D.APPROVED, D.ON_SALE, staff.id)
    ]


@pytest.mark.usefixtures("request_ctx")
def test_arriving_twice_is_refused_and_stocks_once(db_session: Session) -> None:
    run = RunFactory(state=R.PRINTING)
    staff = StaffFactory()
    lifecycle.mark_in_stock(db_session, run, staff)
    with pytest.raises(InvalidTransition) as refused:
        lifecycle.mark_in_stock(db_session, run, staff)
    assert str(refused.value) == "This run is in stock, so it cannot be moved to “in stock”."
    assert [row[1] for row in _stock(db_session)] == [4, 10]
    assert len(db_session.scalars(select(RunTransition)).all()) == 1


@pytest.mark.usefixtures("request_ctx")
def test_a_reprint_of_a_design_on_sale_adds_to_its_stock(db_session: Session) -> None:
    design = DesignFactory(state=D.ON_SALE)
    first = RunFactory(design=design, state=R.PRINTING)
    staff = StaffFactory()
    lifecycle.mark_in_stock(db_session, first, staff)
    reprint = RunFactory(
        design=design,
        state=R.PRINTING,
        lines=[
            RunLine(product="tee", colour="white", size="M", quantity=6, position=2),
            RunLine(product="tee", colour="white", size="S", quantity=3, position=1),
        ],
        prices=[RunPrice(product="tee", price=Money(2700, "EUR"))],
    )
    lifecycle.mark_in_stock(db_session, reprint, staff)
    d = design.id
    assert _stock(db_session) == [
        (f"D{d:05d}-TEE-BLACK-L", 4, 2500, "EUR"),  # not in the reprint: as it was
        (f"D{d:05d}-TEE-WHITE-M", 16, 2700, "EUR"),  # 10 + 6, at the reprint's price
        (f"D{d:05d}-TEE-WHITE-S", 3, 2700, "EUR"),  # new with the reprint
    ]
    assert design.state is D.ON_SALE
    assert db_session.scalars(select(DesignTransition)).all() == []  # no design move


@pytest.mark.usefixtures("request_ctx")
def test_a_reprint_brings_a_retired_design_back_on_sale(db_session: Session) -> None:
    design = DesignFactory(state=D.RETIRED)
    run = RunFactory(design=design, state=R.PRINTING)
    staff = StaffFactory()
    lifecycle.mark_in_stock(db_session, run, staff)
    assert design.state is D.ON_SALE
    moves = db_session.scalars(select(DesignTransition)).all()
    assert [(m.from_state, m.to_state) for m in moves] == [(D.RETIRED, D.ON_SALE)]
    assert [row[1] for row in _stock(db_session)] == [4, 10]


@pytest.mark.usefixtures("request_ctx")
@pytest.mark.parametrize("state", [D.REMOVED, D.DECLINED, D.CLOSED])
def test_stock_of_a_design_that_cannot_be_sold_is_refused(
    db_session: Session, state: DesignState
) -> None:
    run = RunFactory(design=DesignFactory(state=state), state=R.PRINTING)
    with pytest.raises(InvalidTransition) as refused:
        lifecycle.mark_in_stock(db_session, run, StaffFactory())
    assert str(refused.value).endswith("so its run cannot go on sale: cancel the run instead.")
    assert run.state is R.PRINTING
    assert db_session.scalars(select(Variant)).all() == []


@pytest.mark.usefixtures("request_ctx")
def test_closing_keeps_the_stock(db_session: Session) -> None:
    run = RunFactory(state=R.PRINTING)
    staff = StaffFactory()
    lifecycle.mark_in_stock(db_session, run, staff)
    lifecycle.close(db_session, run, staff)
    assert run.state is R.CLOSED
    assert [row[1] for row in _stock(db_session)] == [4, 10]
    rows = db_session.scalars(select(RunTransition).order_by(RunTransition.id)).all()
    assert [(r.from_state, r.to_state) for r in rows] == [
        (R.PRINTING, R.IN_STOCK),
        (R.IN_STOCK, R.CLOSED),
    ]


def test_state_labels_cover_every_state() -> None:
    assert [lifecycle.state_label(s) for s in R] == [
        "planned",
        "printing",
        "in stock",
        "closed",
        "cancelled",
    ]

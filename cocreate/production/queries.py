"""The read side of production: runs for the staff pages, a design's runs and its variants."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, lazyload, selectinload

from cocreate.designs.models import Design
from cocreate.production.models import (
    ProductionRun,
    RunLine,
    RunState,
    RunTransition,
    Variant,
)

#: Runs per page of the runs list (newest first).
PER_PAGE = 50


def get_run(session: Session, run_id: int) -> ProductionRun | None:
    """A run with its design (and designer, mockups, products), lines and prices."""
    return session.scalars(
        select(ProductionRun)
        .where(ProductionRun.id == run_id)
        .options(
            joinedload(ProductionRun.design).options(
                joinedload(Design.designer),
                selectinload(Design.mockups),
                selectinload(Design.products),
            ),
            joinedload(ProductionRun.created_by),
        )
    ).first()


def history(session: Session, run_id: int) -> list[RunTransition]:
    """The run's moves, oldest first, with who made them."""
    return list(
        session.scalars(
            select(RunTransition)
            .where(RunTransition.run_id == run_id)
            .order_by(RunTransition.created_at, RunTransition.id)
        )
    )


def list_runs(
    session: Session, state: RunState | None = None, limit: int = PER_PAGE
) -> list[tuple[ProductionRun, int]]:
    """Runs, newest first, optionally in one state, each with its total quantity."""
    total = (
        select(func.coalesce(func.sum(RunLine.quantity), 0))
        .where(RunLine.run_id == ProductionRun.id)
        .scalar_subquery()
    )
    query = (
        select(ProductionRun, total)
        .options(
            joinedload(ProductionRun.design).joinedload(Design.designer),
            # The list shows totals, not lines: do not load every run's lines and prices.
            lazyload(ProductionRun.lines),
            lazyload(ProductionRun.prices),
        )
        .order_by(ProductionRun.created_at.desc(), ProductionRun.id.desc())
        .limit(limit)
    )
    if state is not None:
        query = query.where(ProductionRun.state == state)
    return [(run, int(quantity)) for run, quantity in session.execute(query).unique()]


def count_by_state(session: Session) -> dict[RunState, int]:
    rows = session.execute(
        select(ProductionRun.state, func.count()).group_by(ProductionRun.state)
    ).all()
    return {state: count for state, count in rows}


def runs_of_design(session: Session, design_id: int) -> list[ProductionRun]:
    """The design's runs, newest first."""
    return list(
        session.scalars(
            select(ProductionRun)
            .where(ProductionRun.design_id == design_id)
            .order_by(ProductionRun.created_at.desc(), ProductionRun.id.desc())
        )
    )


def variants_of_design(session: Session, design_id: int) -> list[Variant]:
    """The design's sellable variants (the shop reads these), by SKU."""
    return list(
        session.scalars(select(Variant).where(Variant.design_id == design_id).order_by(Variant.sku))
    )

"""Demo production: runs in every state for the approved, on-sale and retired demo designs, and
stock (partly sold) for the designs on sale.

Runs are planned with the real service (quantities suggested from buy intent, the catalogue's
prices), then aged like the demo designs: their history is written with past timestamps that
fit the design's own (approved → on sale → retired).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.config import settings
from cocreate.core.db import now_utc
from cocreate.designs.models import Design, DesignState, DesignTransition
from cocreate.production import services, stock
from cocreate.production.models import ProductionRun, RunState, RunTransition, Variant

S = DesignState
R = RunState
NOTES = [
    "Water-based inks, soft hand. Fold and bag each piece.",
    "Please send a photo of the first pull before the full run.",
    "",
]
CANCEL_REASON = "The blank supplier raised its prices; re-planned with another one."


def _moved_at(session: Session, design: Design) -> dict[DesignState, datetime]:
    rows = session.scalars(select(DesignTransition).where(DesignTransition.design_id == design.id))
    return {row.to_state: row.created_at for row in rows}


def _plan(
    session: Session, rng: random.Random, design: Design, staff: User, at: datetime
) -> ProductionRun:
    """A run of `design` as staff would plan it: the suggestion, with a part of each size
    moved to a second garment colour for variety. The demo designs are already in their
    final state (approved, on sale…), so the run is planned as a reprint would be."""
    plan = services.suggested_plan(session, design, settings())
    for product in services.grid_for(design):
        if len(product.colours) < 2:
            continue
        first, second = product.colours[0], rng.choice(product.colours[1:])
        for size in product.sizes:
            moved = plan.quantities[(product.spec.key, first, size)] // 3
            plan.quantities[(product.spec.key, first, size)] -= moved
            plan.quantities[(product.spec.key, second, size)] += moved
    plan.note = rng.choice(NOTES)
    run = services.plan_reprint(session, design, staff, plan, settings())
    run.created_at = at
    return run


def _history(
    session: Session,
    run: ProductionRun,
    staff: User,
    steps: list[tuple[RunState, datetime]],
    reason: str = "",
) -> None:
    previous = R.PLANNED
    for state, at in steps:
        session.add(
            RunTransition(
                run_id=run.id,
                actor_id=staff.id,
                from_state=previous,
                to_state=state,
                reason=reason if state is R.CANCELLED else "",
                created_at=at,
            )
        )
        if state is R.IN_STOCK:
            run.stocked_at = at
            stock.restock(session, run, at=at)
        previous = state
    run.state = previous


def _sell(session: Session, rng: random.Random, design: Design, share: float) -> None:
    """Pretend part of the stock sold: up to `share` of each variant."""
    for variant in session.scalars(select(Variant).where(Variant.design_id == design.id)):
        sold = int(variant.stock_on_hand * rng.uniform(0, share))
        session.execute(
            update(Variant)
            .where(Variant.id == variant.id)
            .values(stock_on_hand=Variant.stock_on_hand - sold)
        )


def seed_production(
    session: Session, rng: random.Random, designs: list[Design], staff: User
) -> list[ProductionRun]:
    runs: list[ProductionRun] = []
    now = now_utc()
    produced = [d for d in designs if d.state in (S.APPROVED, S.ON_SALE, S.RETIRED)]
    approved_seen = on_sale_seen = 0
    for design in produced:
        moved = _moved_at(session, design)
        approved = moved.get(S.APPROVED, now - timedelta(days=10))
        if design.state is S.APPROVED:
            if approved_seen % 2 == 0:
                # A first plan called off, then planned again: cancelled and planned runs.
                cancelled = _plan(session, rng, design, staff, approved)
                _history(
                    session,
                    cancelled,
                    staff,
                    [(R.CANCELLED, approved + timedelta(hours=3))],
                    CANCEL_REASON,
                )
                runs += [
                    cancelled,
                    _plan(session, rng, design, staff, approved + timedelta(hours=4)),
                ]
            else:
                run = _plan(session, rng, design, staff, approved)
                _history(session, run, staff, [(R.PRINTING, approved + timedelta(hours=20))])
                runs.append(run)
            approved_seen += 1
            continue
        on_sale = moved.get(S.ON_SALE, approved + timedelta(days=2))
        run = _plan(session, rng, design, staff, approved)
        steps = [(R.PRINTING, approved + timedelta(hours=1)), (R.IN_STOCK, on_sale)]
        if design.state is S.RETIRED:
            steps.append((R.CLOSED, moved.get(S.RETIRED, on_sale + timedelta(days=1))))
        elif on_sale_seen % 2 == 1:
            # Sold well: the first run is closed and a reprint arrived since.
            reprint_at = on_sale + (now - on_sale) / 2
            steps.append((R.CLOSED, reprint_at))
        _history(session, run, staff, steps)
        runs.append(run)
        if design.state is S.ON_SALE and on_sale_seen % 2 == 1:
            _sell(session, rng, design, 0.9)
            reprint = _plan(session, rng, design, staff, reprint_at - timedelta(days=1))
            _history(
                session,
                reprint,
                staff,
                [(R.PRINTING, reprint_at - timedelta(hours=20)), (R.IN_STOCK, reprint_at)],
            )
            runs.append(reprint)
        if design.state is S.ON_SALE:
            on_sale_seen += 1
            _sell(session, rng, design, 0.5)
        else:  # retired: sold out
            session.execute(
                update(Variant).where(Variant.design_id == design.id).values(stock_on_hand=0)
            )
    session.flush()
    return runs

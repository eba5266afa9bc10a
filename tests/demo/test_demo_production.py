"""The demo's production part: runs in every state, stock for the designs on sale."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocreate.core.db import now_utc
from cocreate.demo.production import seed_production
from cocreate.designs.models import DesignState, DesignTransition
from cocreate.production.models import RunState, RunTransition, Variant
from tests.accounts.factories import StaffFactory
from tests.designs.factories import DesignFactory

S = DesignState


@pytest.mark.usefixtures("request_ctx")
def test_demo_runs_cover_every_state_and_designs_on_sale_have_stock(db_session: Session) -> None:
    staff = StaffFactory()
    states = [S.APPROVED, S.APPROVED, S.ON_SALE, S.ON_SALE, S.RETIRED, S.VOTING]
    designs = [DesignFactory(state=state) for state in states]
    approved = now_utc() - timedelta(days=20)
    for design in designs[2:5]:
        db_session.add_all(
            [
                DesignTransition(
                    design_id=design.id,
                    from_state=S.CLOSED,
                    to_state=S.APPROVED,
                    created_at=approved,
                ),
                DesignTransition(
                    design_id=design.id,
                    from_state=S.APPROVED,
                    to_state=S.ON_SALE,
                    created_at=approved + timedelta(days=3),
                ),
            ]
        )
    db_session.flush()

    runs = seed_production(db_session, random.Random(1), designs, staff)

    assert {run.state for run in runs} == set(RunState)
    assert {run.design_id for run in runs} == {d.id for d in designs[:5]}
    for run in runs:  # each run's history leads from planned to its state, in time order
        rows = db_session.scalars(
            select(RunTransition).where(RunTransition.run_id == run.id).order_by(RunTransition.id)
        ).all()
        path = [RunState.PLANNED] + [row.to_state for row in rows]
        assert path[-1] is run.state
        assert [r.from_state for r in rows] == path[:-1]
        times = [run.created_at] + [r.created_at for r in rows]
        assert times == sorted(times)
        assert all(t <= now_utc() for t in times)
    stock = dict(
        db_session.execute(
            select(Variant.design_id, func.sum(Variant.stock_on_hand)).group_by(Variant.design_id)
        ).all()
    )
    assert stock[designs[2].id] > 0
    assert stock[designs[3].id] > 0
    assert stock[designs[4].id] == 0  # retired: sold out
    assert designs[0].id not in stock and designs[1].id not in stock  # not arrived yet

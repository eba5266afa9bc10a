"""Demo data for the review queue: a few votes flagged by the fraud signals and one discounted
by staff (through integrity's service, so its audit row exists), and reprint requests on the
retired design and on a size sold out on sale.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.core.db import now_utc
from cocreate.designs.models import Design, DesignState
from cocreate.production import reprints, services
from cocreate.production.models import Variant
from cocreate.production.reprint_models import ReprintRequest
from cocreate.voting import integrity
from cocreate.voting.flag_models import VoteFlag
from cocreate.voting.models import Vote, VoteSignal

S = DesignState


def seed_flags(session: Session, designs: list[Design], staff: User) -> None:
    """Two votes of the first closed design flagged by a fraud signal, one of them discounted.
    The votes themselves come from the demo community (cocreate/demo/voting.py)."""
    closed = [d for d in designs if d.state is S.CLOSED]
    if not closed:
        return
    first = list(
        session.scalars(
            select(Vote).where(Vote.design_id == closed[0].id).order_by(Vote.id).limit(2)
        )
    )
    for vote in first:
        session.add(
            VoteFlag(
                vote_id=vote.id,
                signal=VoteSignal.SHARED_ADDRESS,
                count=4,
                window_minutes=60,
                created_at=vote.created_at,
            )
        )
    session.flush()
    if first:
        at = first[0].created_at + timedelta(days=1)
        integrity.discount_vote(session, first[0], staff, VoteSignal.SHARED_ADDRESS, at)


def seed_reprint_requests(
    session: Session, rng: random.Random, designs: list[Design], members: list[User]
) -> list[ReprintRequest]:
    """Requests on the retired designs, and on one size sold out of the first design on sale."""
    on_sale = [d for d in designs if d.state is S.ON_SALE]
    if on_sale:
        design = on_sale[0]
        grid = services.grid_for(design)[0]
        sold_out = grid.sizes[len(grid.sizes) // 2]
        session.execute(
            update(Variant)
            .where(
                Variant.design_id == design.id,
                Variant.product == grid.spec.key,
                Variant.size == sold_out,
            )
            .values(stock_on_hand=0)
        )
    rows: list[ReprintRequest] = []
    for design in [d for d in designs if d.state is S.RETIRED] + on_sale[:1]:
        options = reprints.options(session, design)
        if not options:
            continue
        for member in rng.sample(members, k=min(len(members), rng.randint(3, 6))):
            product, size = rng.choice(options)
            row = ReprintRequest(
                design_id=design.id,
                requester_id=member.id,
                product=product,
                size=size,
                created_at=now_utc() - timedelta(days=rng.randint(1, 20)),
            )
            session.add(row)
            rows.append(row)
    session.flush()
    return rows

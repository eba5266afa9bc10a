"""Demo data for the review queue: votes (with buy intent) on the closed demo designs, a few of
them flagged by the fraud signals and one discounted by staff, and reprint requests on the
retired design and on a size sold out on sale.

Votes are written as the vote service would leave them (the design's counters moved by voting's
own `counters.apply`); the discount goes through integrity's service, so its audit row exists.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.config import settings
from cocreate.core.db import now_utc
from cocreate.designs.models import Design, DesignState
from cocreate.production import reprints, services
from cocreate.production.models import Variant
from cocreate.production.reprint_models import ReprintRequest
from cocreate.voting import counters, integrity
from cocreate.voting.flag_models import VoteFlag
from cocreate.voting.models import Vote, VoteSignal

S = DesignState
#: Scores drawn for demo votes: mostly liked, a few harsh ones.
SCORES = (2, 3, 4, 4, 5, 5)


def _vote(session: Session, rng: random.Random, design: Design, voter: User) -> Vote:
    ends = design.voting_ends_at or design.created_at
    at = ends - timedelta(hours=rng.randint(2, 150))
    buy = rng.random() < 0.5
    product = rng.choice(services.grid_for(design))
    vote = Vote(
        design_id=design.id,
        voter_id=voter.id,
        score=rng.choice(SCORES),
        buy=buy,
        product=product.spec.key if buy else "",
        size=rng.choice(product.sizes) if buy else "",
        created_at=at,
        updated_at=at,
        ip_hash=f"{rng.getrandbits(256):064x}",
    )
    session.add(vote)
    session.flush()
    weight = settings().VOTING_PRIOR_WEIGHT
    counters.apply(session, design.id, counters.NONE, counters.effect_of(vote), prior_weight=weight)
    return vote


def seed_votes(
    session: Session, rng: random.Random, designs: list[Design], voters: list[User], staff: User
) -> list[Vote]:
    """Votes on each closed design; two flagged on the first one, one of them discounted."""
    votes: list[Vote] = []
    closed = [d for d in designs if d.state is S.CLOSED]
    for design in closed:
        chosen = rng.sample(voters, k=rng.randint(min(4, len(voters)), len(voters)))
        votes += [_vote(session, rng, design, voter) for voter in chosen]
    if not closed:
        return votes
    first = [v for v in votes if v.design_id == closed[0].id][:2]
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
    return votes


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

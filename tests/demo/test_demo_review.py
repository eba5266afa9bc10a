"""The demo's review part: votes with counters on closed designs, flagged and discounted votes,
and reprint requests that the review pages list."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocreate.core.db import now_utc
from cocreate.core.money import Money
from cocreate.demo.review import seed_reprint_requests, seed_votes
from cocreate.designs.models import DesignState
from cocreate.production import reprints
from cocreate.production.models import Variant
from cocreate.voting.flag_models import FlagState, VoteFlag, VoteModeration
from cocreate.voting.models import Vote
from tests.accounts.factories import StaffFactory, UserFactory
from tests.designs.factories import DesignFactory

S = DesignState


@pytest.mark.usefixtures("request_ctx")
def test_demo_votes_keep_the_counters_and_one_is_discounted(db_session: Session) -> None:
    staff = StaffFactory()
    voters = [UserFactory() for _ in range(6)]
    ends = now_utc() - timedelta(days=2)
    designs = [DesignFactory(state=S.CLOSED, voting_ends_at=ends) for _ in range(2)]
    designs.append(DesignFactory(state=S.VOTING))

    votes = seed_votes(db_session, random.Random(3), designs, voters, staff)

    assert {v.design_id for v in votes} == {designs[0].id, designs[1].id}
    for design in designs[:2]:
        db_session.refresh(design)
        counted = [v for v in votes if v.design_id == design.id and v.counted]
        assert design.vote_count == len(counted) >= 3
        assert design.score_sum == sum(v.score for v in counted)
        assert design.buy_intent_count == sum(1 for v in counted if v.buy)
    flags = db_session.scalars(select(VoteFlag).order_by(VoteFlag.id)).all()
    assert [f.state for f in flags] == [FlagState.DISCOUNTED, FlagState.OPEN]
    assert db_session.scalar(select(func.count()).select_from(VoteModeration)) == 1
    assert db_session.scalar(select(func.count()).where(Vote.counted.is_(False))) == 1


@pytest.mark.usefixtures("request_ctx")
def test_demo_reprint_requests_on_retired_and_sold_out_designs(db_session: Session) -> None:
    members = [UserFactory() for _ in range(6)]
    retired = DesignFactory(state=S.RETIRED)
    on_sale = DesignFactory(state=S.ON_SALE)
    db_session.add_all(
        [
            Variant(
                design_id=on_sale.id,
                product="tee",
                colour="white",
                size=size,
                sku=f"D{on_sale.id}-{size}",
                stock_on_hand=5,
                price=Money(2500, "EUR"),
            )
            for size in ("XS", "S", "M", "L", "XL", "XXL")
        ]
    )
    db_session.flush()

    rows = seed_reprint_requests(db_session, random.Random(5), [retired, on_sale], members)

    # The middle size (L) of the design on sale is sold out, and only it can be asked for.
    assert reprints.options(db_session, on_sale) == [("tee", "L")]
    assert {(r.product, r.size) for r in rows if r.design_id == on_sale.id} == {("tee", "L")}
    assert {r.design_id for r in rows} == {retired.id, on_sale.id}
    assert reprints.open_count(db_session) == 2

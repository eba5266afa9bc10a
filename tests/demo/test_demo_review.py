"""The demo's review part: flagged and discounted votes, and reprint requests that the review
pages list."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocreate.core.db import now_utc
from cocreate.core.money import Money
from cocreate.demo.review import seed_flags, seed_reprint_requests
from cocreate.designs.models import DesignState
from cocreate.production import reprints
from cocreate.production.models import Variant
from cocreate.voting.flag_models import FlagState, VoteFlag, VoteModeration
from cocreate.voting.models import Vote
from tests.accounts.factories import StaffFactory, UserFactory
from tests.designs.factories import DesignFactory
from tests.voting.helpers import seed_votes

S = DesignState


@pytest.mark.usefixtures("request_ctx")
def test_demo_flags_two_votes_of_the_first_closed_design_and_discounts_one(
    db_session: Session,
) -> None:
    staff = StaffFactory()
    ends = now_utc() - timedelta(days=2)
    designs = [DesignFactory(state=S.CLOSED, voting_ends_at=ends) for _ in range(2)]
    designs.append(DesignFactory(state=S.VOTING))
    first = seed_votes(db_session, designs[0], [5, 4, 3])
    seed_votes(db_session, designs[1], [2, 2])

    seed_flags(db_session, designs, staff)

    flags = db_session.scalars(select(VoteFlag).order_by(VoteFlag.id)).all()
    assert [(f.vote_id, f.state) for f in flags] == [
        (first[0].id, FlagState.DISCOUNTED),
        (first[1].id, FlagState.OPEN),
    ]
    assert db_session.scalar(select(func.count()).select_from(VoteModeration)) == 1
    db_session.refresh(designs[0])
    # The discounted 5 no longer counts: 2 votes, 4 + 3.
    assert (designs[0].vote_count, designs[0].score_sum) == (2, 7)
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

"""Staff adjustments: staff only, with a reason, never zero, audited in the ledger."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from cocreate.core.lifecycle import NotAllowed
from cocreate.royalties import adjustments, ledger
from cocreate.royalties.adjustments import AdjustmentError
from cocreate.royalties.models import Account, Kind
from tests.accounts.factories import UserFactory
from tests.royalties.conftest import Shop, eur

pytestmark = pytest.mark.usefixtures("request_ctx")


def test_staff_adjust_cleared_earnings_with_a_reason(shop: Shop, db_session: Session) -> None:
    creator = UserFactory()
    design = shop.design(designer=creator)
    row = adjustments.adjust(
        db_session,
        creator_id=creator.id,
        amount=eur(-350),
        reason="  duplicate award  ",
        actor=shop.staff,
        at=shop.clock.now(),
        design_id=design.id,
    )
    assert (row.kind, row.actor_id, row.memo, row.design_id, row.period) == (
        Kind.ADJUSTMENT,
        shop.staff.id,
        "duplicate award",
        design.id,
        "2026-03",
    )
    assert [(e.account, e.amount.amount) for e in row.entries] == [
        (Account.CREATOR_CLEARED, -350),
        (Account.ROYALTY_EXPENSE, 350),
    ]
    assert ledger.balance(db_session, creator.id, "EUR").cleared == eur(-350)


def test_members_cannot_adjust(shop: Shop, db_session: Session) -> None:
    member = UserFactory()
    with pytest.raises(NotAllowed):
        adjustments.adjust(
            db_session,
            creator_id=member.id,
            amount=eur(100),
            reason="gift",
            actor=member,
            at=shop.clock.now(),
        )


@pytest.mark.parametrize(
    ("amount", "reason", "message"),
    [
        (100, "   ", "Please say why you adjust these earnings."),
        (0, "typo", "An adjustment cannot be zero."),
        (100, "x" * 2001, "Please keep the reason to 2000 characters at most."),
    ],
)
def test_an_adjustment_needs_a_reason_and_an_amount(
    shop: Shop, db_session: Session, amount: int, reason: str, message: str
) -> None:
    creator = UserFactory()
    with pytest.raises(AdjustmentError) as refused:
        adjustments.adjust(
            db_session,
            creator_id=creator.id,
            amount=eur(amount),
            reason=reason,
            actor=shop.staff,
            at=shop.clock.now(),
        )
    assert str(refused.value) == message


def test_an_unknown_creator_is_refused(shop: Shop, db_session: Session) -> None:
    with pytest.raises(AdjustmentError) as refused:
        adjustments.adjust(
            db_session,
            creator_id=987654,
            amount=eur(100),
            reason="x" * 2000,
            actor=shop.staff,
            at=shop.clock.now(),
        )
    assert str(refused.value) == "There is no member with that email or id."

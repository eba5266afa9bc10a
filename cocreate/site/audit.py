"""The staff audit log: every staff action, who, when, what and why, newest first.

It has no table of its own. Each domain already keeps its audit rows (a design's and a run's
transitions, a run's creation, a comment's moderation, a report's resolution, a vote's moderation);
each *source* below is one SELECT over such rows with the same labelled columns, and the log is
their UNION ALL (audit_page.py): one query per page, whatever the number of sources, on
SQLite and PostgreSQL.

The columns every source selects, in this order (`columns()` builds them with the right types):

    at         when it happened (aware UTC)
    actor_id   the staff member (never NULL: system moves are left out)
    kind       a key of KINDS (its translated label, and how its reason reads)
    subject    what it was done to, as people name it (a design's title)
    target     a key of TARGETS: which page the subject links to ("design", "run")
    target_id  that page's id
    anchor     a fragment on that page ("comment-12"), or NULL
    reason     the staff member's words (or a code KINDS turns into words), "" for none
    row_id     the source row's id, to order actions of the same instant

Adding a source, such as the shop's refunds or the royalties' payouts:
  1. a function returning `select(*columns(at=…, actor_id=…, kind=…, …)).where(…)`;
  2. its kinds in KINDS, each with a translated label;
  3. a new kind of page in TARGETS (e.g. "order": ("shop.order", "order_id"));
  4. the function appended to SOURCES.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import LazyString, gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    type_coerce,
)

from cocreate.accounts.models import User
from cocreate.core.db import UTCDateTime
from cocreate.core.i18n import format_money
from cocreate.designs.models import Design, DesignState, DesignTransition
from cocreate.production.models import ProductionRun, RunState, RunTransition
from cocreate.royalties.models import (
    CREATOR_ACCOUNTS,
    ENTRY,
    LedgerEntry,
    LedgerTransaction,
    Payout,
    PayoutState,
    PayoutTransition,
)
from cocreate.royalties.models import Kind as LedgerKind
from cocreate.shop.models import Order, OrderState, OrderTransition, Refund
from cocreate.voting.comment_models import (
    Comment,
    CommentAction,
    CommentModeration,
    CommentReport,
)
from cocreate.voting.flag_models import ModerationAction, VoteModeration
from cocreate.voting.flag_text import signal_label
from cocreate.voting.models import Vote, VoteSignal


def columns(
    *,
    at: Any,
    actor_id: Any,
    kind: Any,
    subject: Any,
    target: str,
    target_id: Any,
    reason: Any,
    row_id: Any,
    anchor: Any = None,
) -> list[ColumnElement[Any]]:
    """The log's columns, labelled and typed alike in every source: UNION ALL takes the first
    source's types for all rows (an enum there would refuse another source's free text)."""
    return [
        type_coerce(at, UTCDateTime()).label("at"),
        type_coerce(actor_id, Integer()).label("actor_id"),
        _text(kind).label("kind"),
        _text(subject).label("subject"),
        literal(target, String()).label("target"),
        type_coerce(target_id, Integer()).label("target_id"),
        (cast(null(), String()) if anchor is None else _text(anchor)).label("anchor"),
        _text(reason).label("reason"),
        type_coerce(row_id, Integer()).label("row_id"),
    ]


def _text(value: Any) -> ColumnElement[str]:
    if isinstance(value, str):
        return literal(value, String())
    return type_coerce(value, String())


# --- Sources ---------------------------------------------------------------------------------

S = DesignState
T = DesignTransition


def design_decisions() -> Select[Any]:
    """Screening (open to votes, reject), removals, approvals and declines: the design moves
    only staff make. A designer's own moves (submit, withdraw) and the system's (voting
    closed) are not staff actions; putting a design on sale is the run's arrival, logged there."""
    moves = [
        (and_(T.from_state == S.SUBMITTED, T.to_state == S.VOTING), "design_accepted"),
        (T.to_state == S.REJECTED, "design_rejected"),
        (T.to_state == S.REMOVED, "design_removed"),
        (T.to_state == S.APPROVED, "design_approved"),
        (T.to_state == S.DECLINED, "design_declined"),
        (and_(T.from_state == S.ON_SALE, T.to_state == S.RETIRED), "design_retired"),
    ]
    return (
        select(
            *columns(
                at=T.created_at,
                actor_id=T.actor_id,
                kind=case(*moves),
                subject=Design.title,
                target="design",
                target_id=Design.id,
                reason=T.reason,
                row_id=T.id,
            )
        )
        .join(Design, Design.id == T.design_id)
        .where(T.actor_id.is_not(None), or_(*(condition for condition, _kind in moves)))
    )


def _comment_anchor() -> ColumnElement[str]:
    return literal("comment-", String()) + cast(Comment.id, String())


def comment_moderations() -> Select[Any]:
    """Comments hidden (with the reason) and shown again, from their moderation history: the
    comment's own columns keep only how it stands now."""
    M = CommentModeration
    kind = case((M.action == CommentAction.HIDE, "comment_hidden"), else_="comment_restored")
    return (
        select(
            *columns(
                at=M.at,
                actor_id=M.actor_id,
                kind=kind,
                subject=Design.title,
                target="design",
                target_id=Design.id,
                anchor=_comment_anchor(),
                reason=M.reason,
                row_id=M.id,
            )
        )
        .join(Comment, Comment.id == M.comment_id)
        .join(Design, Design.id == Comment.design_id)
    )


def report_dismissals() -> Select[Any]:
    """Reports staff dismissed, one entry per comment and decision (its `reason` is how many
    reports). Hiding a comment resolves its reports at the same instant: those are the hide,
    listed above, not a dismissal, even once the comment is shown again."""
    R, M = CommentReport, CommentModeration
    resolved_by_hiding = (
        select(M.id)
        .where(
            M.comment_id == R.comment_id,
            M.action == CommentAction.HIDE,
            M.at == R.resolved_at,
        )
        .exists()
    )
    return (
        select(
            *columns(
                at=R.resolved_at,
                actor_id=R.resolved_by_id,
                kind="reports_dismissed",
                subject=Design.title,
                target="design",
                target_id=Design.id,
                anchor=_comment_anchor(),
                reason=cast(func.count(), String()),
                row_id=func.max(R.id),
            )
        )
        .join(Comment, Comment.id == R.comment_id)
        .join(Design, Design.id == Comment.design_id)
        .where(
            R.resolved_by_id.is_not(None),
            ~resolved_by_hiding,
        )
        .group_by(R.resolved_at, R.resolved_by_id, Comment.id, Design.id, Design.title)
    )


def vote_moderations() -> Select[Any]:
    """Votes discounted (its `reason` is the category), restored, or kept with flags dismissed."""
    M = VoteModeration
    kinds = {
        ModerationAction.DISCOUNT: "vote_discounted",
        ModerationAction.RESTORE: "vote_restored",
        ModerationAction.DISMISS: "vote_flags_dismissed",
    }
    return (
        select(
            *columns(
                at=M.created_at,
                actor_id=M.actor_id,
                kind=case(*((M.action == action, kind) for action, kind in kinds.items())),
                subject=Design.title,
                target="design",
                target_id=Design.id,
                reason=func.coalesce(type_coerce(M.category, String()), ""),
                row_id=M.id,
            )
        )
        .join(Vote, Vote.id == M.vote_id)
        .join(Design, Design.id == Vote.design_id)
    )


def runs_planned() -> Select[Any]:
    """Production runs planned (approving a design plans its first); the note as the reason."""
    return select(
        *columns(
            at=ProductionRun.created_at,
            actor_id=ProductionRun.created_by_id,
            kind="run_planned",
            subject=Design.title,
            target="run",
            target_id=ProductionRun.id,
            reason=ProductionRun.note,
            row_id=ProductionRun.id,
        )
    ).join(Design, Design.id == ProductionRun.design_id)


def run_moves() -> Select[Any]:
    """A run sent to print, in stock, closed or cancelled (with the reason)."""
    R = RunState
    kinds = {
        R.PRINTING: "run_printing",
        R.IN_STOCK: "run_in_stock",
        R.CLOSED: "run_closed",
        R.CANCELLED: "run_cancelled",
    }
    return (
        select(
            *columns(
                at=RunTransition.created_at,
                actor_id=RunTransition.actor_id,
                kind=case(*((RunTransition.to_state == state, k) for state, k in kinds.items())),
                subject=Design.title,
                target="run",
                target_id=ProductionRun.id,
                reason=RunTransition.reason,
                row_id=RunTransition.id,
            )
        )
        .join(ProductionRun, ProductionRun.id == RunTransition.run_id)
        .join(Design, Design.id == ProductionRun.design_id)
        .where(RunTransition.actor_id.is_not(None))
    )


#: Every source of the log. The shop's refunds and the royalties' payouts are added here.
def refunds_asked() -> Select[Any]:
    """Refunds staff asked for (automatic ones, for late or duplicate payments, have no
    actor), at the moment they asked; the order's number names it. The reason is "1:" or "0:"
    (whether the units go back to stock) and the staff member's words."""
    return (
        select(
            *columns(
                at=Refund.created_at,
                actor_id=Refund.requested_by_id,
                kind="order_refunded",
                subject=Order.number,
                target="order",
                target_id=Order.id,
                reason=case(
                    (Refund.restock, literal("1:", String())), else_=literal("0:", String())
                )
                + Refund.reason,
                row_id=Refund.id,
            )
        )
        .join(Order, Order.id == Refund.order_id)
        .where(Refund.requested_by_id.is_not(None))
    )


def orders_fulfilled() -> Select[Any]:
    """Orders staff marked shipped (the tracking number is on the order's page)."""
    return (
        select(
            *columns(
                at=OrderTransition.created_at,
                actor_id=OrderTransition.actor_id,
                kind="order_fulfilled",
                subject=Order.number,
                target="order",
                target_id=Order.id,
                reason=OrderTransition.reason,
                row_id=OrderTransition.id,
            )
        )
        .join(Order, Order.id == OrderTransition.order_id)
        .where(
            OrderTransition.to_state == OrderState.FULFILLED,
            OrderTransition.actor_id.is_not(None),
        )
    )


def payouts_run() -> Select[Any]:
    """Payout batches, one entry per batch: its number, and (as the reason) how many payouts
    for how much, "count:total" in minor units."""
    amount = Payout.__table__.c.amount_amount
    return (
        select(
            *columns(
                at=func.min(Payout.created_at),
                actor_id=Payout.created_by_id,
                kind="payouts_run",
                subject=Payout.batch,
                target="payout",
                target_id=func.min(Payout.id),
                reason=cast(func.count(), String()) + ":" + cast(func.sum(amount), String()),
                row_id=func.min(Payout.id),
            )
        )
        .where(Payout.created_by_id.is_not(None))
        .group_by(Payout.batch, Payout.created_by_id)
    )


def _payout_moves(to: PayoutState, kind: str, actor_id: Any) -> Select[Any]:
    """A payout's moves to `to`, named by its creator, the move's reason as the reason."""
    P = PayoutTransition
    return (
        select(
            *columns(
                at=P.created_at,
                actor_id=actor_id,
                kind=kind,
                subject=User.display_name,
                target="payout",
                target_id=Payout.id,
                reason=P.reason,
                row_id=P.id,
            )
        )
        .join(Payout, Payout.id == P.payout_id)
        .join(User, User.id == Payout.creator_id)
        .where(P.to_state == to, actor_id.is_not(None))
    )


def payouts_recorded() -> Select[Any]:
    """Manual payouts staff recorded paid; the bank transfer's reference as the reason."""
    return _payout_moves(PayoutState.PAID, "payout_recorded", PayoutTransition.actor_id)


def transfers_failed() -> Select[Any]:
    """Stripe transfers that failed, with Stripe's message. The system records the failure;
    it is listed under the staff member who ran the batch, whose payout it was."""
    return _payout_moves(PayoutState.FAILED, "payout_failed", Payout.created_by_id)


def royalty_adjustments() -> Select[Any]:
    """Staff adjustments of a creator's royalties; the reason is "amount:their words", the
    amount (minor units) being what the creator's balance moved."""
    T = LedgerTransaction
    moved = (
        select(func.sum(ENTRY.amount_amount))
        .where(LedgerEntry.transaction_id == T.id, LedgerEntry.account.in_(CREATOR_ACCOUNTS))
        .scalar_subquery()
    )
    return (
        select(
            *columns(
                at=T.occurred_at,
                actor_id=T.actor_id,
                kind="royalty_adjusted",
                subject=User.display_name,
                target="creator",
                target_id=User.id,
                reason=cast(moved, String()) + ":" + T.memo,
                row_id=T.id,
            )
        )
        .join(User, User.id == T.creator_id)
        .where(T.kind == LedgerKind.ADJUSTMENT, T.actor_id.is_not(None))
    )


SOURCES: list[Callable[[], Select[Any]]] = [
    design_decisions,
    comment_moderations,
    report_dismissals,
    vote_moderations,
    runs_planned,
    run_moves,
    refunds_asked,
    orders_fulfilled,
    payouts_run,
    payouts_recorded,
    transfers_failed,
    royalty_adjustments,
]


# --- Kinds and targets -------------------------------------------------------------------------


def _as_is(reason: str) -> str:
    return reason


def _category(reason: str) -> str:
    return signal_label(VoteSignal(reason)) if reason in VoteSignal._value2member_map_ else reason


def _reports(reason: str) -> str:
    count = int(reason) if reason.isdigit() else 0
    return ngettext("%(num)d report", "%(num)d reports", count)


def _split(reason: str) -> tuple[int, str]:
    """ "1234:rest" → (1234, "rest"); a malformed value reads as (0, itself)."""
    number, _sep, rest = reason.partition(":")
    if number.lstrip("-").isdigit():
        return int(number), rest
    return 0, reason


def _batch(reason: str) -> str:
    count, total = _split(reason)
    minor = int(total) if total.lstrip("-").isdigit() else 0
    return ngettext(
        "%(num)d payout, %(total)s", "%(num)d payouts, %(total)s", count, total=format_money(minor)
    )


def _refund(reason: str) -> str:
    restock, words = _split(reason)
    if restock:
        return gettext("%(reason)s (units returned to stock)", reason=words)
    return words


def _adjustment(reason: str) -> str:
    amount, words = _split(reason)
    return gettext("%(amount)s: %(reason)s", amount=format_money(amount), reason=words)


@dataclass(frozen=True)
class Kind:
    label: LazyString
    #: The reason column as the page shows it (a category code becomes its name).
    reason: Callable[[str], str] = _as_is


#: Every kind the sources produce, in the order the filter lists them.
KINDS: dict[str, Kind] = {
    "design_accepted": Kind(_l("Opened to votes at screening")),
    "design_rejected": Kind(_l("Rejected at screening")),
    "design_removed": Kind(_l("Design removed")),
    "comment_hidden": Kind(_l("Comment hidden")),
    "comment_restored": Kind(_l("Comment shown again")),
    "reports_dismissed": Kind(_l("Comment reports dismissed"), _reports),
    "vote_discounted": Kind(_l("Vote discounted"), _category),
    "vote_restored": Kind(_l("Vote restored")),
    "vote_flags_dismissed": Kind(_l("Vote kept, flags dismissed")),
    "design_approved": Kind(_l("Design approved")),
    "design_declined": Kind(_l("Design declined")),
    "design_retired": Kind(_l("Design retired")),
    "run_planned": Kind(_l("Run planned")),
    "run_printing": Kind(_l("Run sent to print")),
    "run_in_stock": Kind(_l("Run in stock")),
    "run_closed": Kind(_l("Run closed")),
    "run_cancelled": Kind(_l("Run cancelled")),
    "order_refunded": Kind(_l("Order refunded"), _refund),
    "order_fulfilled": Kind(_l("Order shipped")),
    "payouts_run": Kind(_l("Payouts run"), _batch),
    "payout_recorded": Kind(_l("Payout recorded paid")),
    "payout_failed": Kind(_l("Payout transfer failed")),
    "royalty_adjusted": Kind(_l("Royalties adjusted"), _adjustment),
}

#: target → (endpoint, its id parameter).
TARGETS: dict[str, tuple[str, str]] = {
    "design": ("designs.detail", "design_id"),
    "run": ("production.run", "run_id"),
    "order": ("order_desk.by_id", "order_id"),
    "payout": ("payouts.staff_payout", "payout_id"),
    "creator": ("site.profile", "user_id"),
}

"""A design's life: the allowed transitions and one function per transition.

Every change goes through core's `transition()` (row lock, state re-read, table check, audit
row); the owner/staff checks stay here, in each service. Nobody is told from here: core's
`transitioned` signal reaches the voting domain's notifications, in the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.config import settings
from cocreate.core.clock import clock
from cocreate.core.lifecycle import InvalidTransition, NotAllowed, TransitionTable, transition
from cocreate.designs.models import Design, DesignState, DesignTransition

__all__ = [
    "EDITABLE",
    "MAX_REASON",
    "REVISABLE",
    "TRANSITIONS",
    "DesignState",
    "InvalidTransition",
    "NotAllowed",
    "accept_screening",
    "approve",
    "close_voting",
    "decline",
    "find_revision",
    "put_on_sale",
    "refused_message",
    "reject_screening",
    "remove",
    "revise",
    "state_label",
    "submit",
    "voting_ended",
    "withdraw",
]

S = DesignState

#: from-state -> states it may move to (DESIGN.md, "A design's life").
TRANSITIONS: TransitionTable[DesignState] = TransitionTable(
    DesignState,
    {
        S.DRAFT: {S.SUBMITTED, S.VOTING, S.WITHDRAWN, S.REMOVED},
        S.SUBMITTED: {S.VOTING, S.REJECTED, S.WITHDRAWN, S.REMOVED},
        S.VOTING: {S.CLOSED, S.WITHDRAWN, S.REMOVED},
        S.CLOSED: {S.APPROVED, S.DECLINED, S.REMOVED},
        S.APPROVED: {S.ON_SALE, S.REMOVED},
        S.ON_SALE: {S.RETIRED, S.REMOVED},
        # A reprint brings a retired design back on sale.
        S.RETIRED: {S.ON_SALE, S.REMOVED},
        S.REJECTED: {S.REMOVED},
        S.DECLINED: {S.REMOVED},
        S.WITHDRAWN: {S.REMOVED},
        S.REMOVED: set(),
    },
)

#: States the designer may still edit the design in.
EDITABLE = frozenset({S.DRAFT})
MAX_REASON = 2000
#: States a designer may revise into a new draft. Only a screening rejection: its reason asks
#: for changes. A design declined after voting was judged by the community and staff on what it
#: is, so a copy would only start the same vote again.
REVISABLE = frozenset({S.REJECTED})


def refused_message(state: DesignState) -> str:
    """What a person is told when the design moved on before their change."""
    return _(
        "This design is %(state)s, so this cannot be done any more.",
        state=state_label(state),
    )


def _move(
    session: Session,
    design: Design,
    to: DesignState,
    actor: User | None,
    reason: str = "",
    *,
    at: datetime | None = None,
) -> DesignTransition:
    row = transition(
        session,
        design,
        to,
        table=TRANSITIONS,
        audit_model=DesignTransition,
        actor_id=actor.id if actor else None,
        at=at or clock().now(),
        message=refused_message,
        reason=reason,
    )
    if row.reason:
        design.state_reason = row.reason
        session.flush()
    return row


def _owner(design: Design, actor: User) -> None:
    if design.designer_id != actor.id:
        raise NotAllowed


def _staff(actor: User) -> None:
    if not actor.is_staff:
        raise NotAllowed


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidTransition(_("Please give a reason: the designer will read it."))
    if len(reason) > MAX_REASON:
        raise InvalidTransition(
            _("Please keep the reason to %(max)d characters at most.", max=MAX_REASON)
        )
    return reason


def _open_voting(session: Session, design: Design, actor: User | None) -> None:
    now = clock().now()
    # The window is set before the move, so what reacts to it (the designer's email naming the
    # end of the vote) sees it; a refused move puts the old values back.
    before = design.published_at, design.voting_ends_at
    design.published_at = now
    design.voting_ends_at = now + timedelta(days=settings().VOTING_DAYS)
    try:
        _move(session, design, S.VOTING, actor, at=now)
    except InvalidTransition:
        design.published_at, design.voting_ends_at = before
        raise


def submit(session: Session, design: Design, actor: User) -> None:
    """Draft → submitted (screening on) or straight to voting (screening off)."""
    _owner(design, actor)
    if not actor.is_verified:
        raise InvalidTransition(_("Please confirm your email address before submitting a design."))
    # Under the row lock: a new upload in another tab clears the images it re-reads here.
    session.execute(select(Design.id).where(Design.id == design.id).with_for_update())
    session.refresh(design, attribute_names=["thumb_webp_key", "images_failed_at"])
    if design.images_failed:
        raise InvalidTransition(
            _(
                "We could not draw the mockups of this artwork: upload it again, then submit "
                "the design."
            )
        )
    if not design.images_ready:
        raise InvalidTransition(
            _("Your mockups are still being drawn: submit the design once they show on its page.")
        )
    if settings().SCREENING:
        _move(session, design, S.SUBMITTED, actor)
    else:
        _open_voting(session, design, actor)
    design.submitted_at = clock().now()


def withdraw(session: Session, design: Design, actor: User) -> None:
    _owner(design, actor)
    if design.state is S.VOTING and voting_ended(design):
        raise InvalidTransition(
            _("Voting on this design has ended: it can no longer be withdrawn.")
        )
    _move(session, design, S.WITHDRAWN, actor)


def accept_screening(session: Session, design: Design, actor: User) -> None:
    """Submitted → voting, by staff."""
    _staff(actor)
    if design.state is not S.SUBMITTED:
        raise InvalidTransition(_("Only submitted designs can be opened to voting."))
    _open_voting(session, design, actor)


def reject_screening(session: Session, design: Design, actor: User, reason: str) -> None:
    _staff(actor)
    if design.state is not S.SUBMITTED:
        raise InvalidTransition(_("Only submitted designs can be rejected at screening."))
    _move(session, design, S.REJECTED, actor, _reason(reason))


def approve(session: Session, design: Design, actor: User) -> None:
    """Closed → approved for production, by staff (production creates the run in the same
    transaction). The designer is told by whoever listens to `transitioned`."""
    _staff(actor)
    if design.state is not S.CLOSED:
        raise InvalidTransition(_("Only a design whose voting has closed can be approved."))
    _move(session, design, S.APPROVED, actor)


def decline(session: Session, design: Design, actor: User, reason: str) -> None:
    """Closed → declined, by staff, with a reason the designer reads on the design's page."""
    _staff(actor)
    if design.state is not S.CLOSED:
        raise InvalidTransition(_("Only a design whose voting has closed can be declined."))
    _move(session, design, S.DECLINED, actor, _reason(reason))


#: States a design goes on sale from when a production run of it reaches stock.
SALEABLE_FROM = frozenset({S.APPROVED, S.RETIRED})


def put_on_sale(session: Session, design: Design, actor: User) -> bool:
    """Approved (a first run) or retired (a reprint) → on sale, by staff, when a run's stock
    arrives. A design already on sale stays as it is; returns whether it moved."""
    _staff(actor)
    # Lock and re-read first: two runs of one design arriving at once both find it on sale
    # after the first one's move, and the second restocks without a (refused) second move.
    session.execute(select(Design.id).where(Design.id == design.id).with_for_update())
    session.refresh(design, attribute_names=["state"])
    if design.state is S.ON_SALE:
        return False
    if design.state not in SALEABLE_FROM:
        raise InvalidTransition(refused_message(design.state))
    _move(session, design, S.ON_SALE, actor)
    return True


def remove(session: Session, design: Design, actor: User, reason: str) -> None:
    """Any state → removed, by staff, with a reason; its votes stop counting."""
    _staff(actor)
    _move(session, design, S.REMOVED, actor, _reason(reason))


def close_voting(session: Session, design: Design, *, at: datetime | None = None) -> None:
    """Voting → closed when the window has ended (system, no actor)."""
    at = at or clock().now()
    if design.voting_ends_at is None or design.voting_ends_at > at:
        raise InvalidTransition(_("The voting window of this design has not ended yet."))
    _move(session, design, S.CLOSED, None, at=at)


def find_revision(session: Session, design: Design) -> Design | None:
    """The draft (or later) that revises `design`, if the designer has made one."""
    return session.scalars(select(Design).where(Design.revision_of_id == design.id)).first()


def revise(session: Session, design: Design, actor: User) -> tuple[Design, bool]:
    """A rejected design → a new draft linked to it, which goes through the normal path
    (edit, submit, screening). The rejected design stays as it is, with its audit trail: no
    transition happens. Once per rejected design: asking again returns the existing revision.
    Returns (the revision, whether it was made now)."""
    from cocreate.designs.services import copy_as_draft  # services imports this module

    _owner(design, actor)
    # Lock the rejected design, so two "revise" clicks at once make one draft (on SQLite, which
    # has no row locks, the unique revision_of_id refuses the second).
    session.execute(select(Design.id).where(Design.id == design.id).with_for_update())
    session.refresh(design, attribute_names=["state"])
    if design.state not in REVISABLE:
        raise InvalidTransition(
            _("Only a design rejected at screening can be revised and submitted again.")
        )
    existing = find_revision(session, design)
    if existing is not None:
        return existing, False
    revision = copy_as_draft(design)
    session.add(revision)
    session.flush()
    return revision, True


def voting_ended(design: Design, now: datetime | None = None) -> bool:
    """True once the window is over, even before the close job has run."""
    ends = design.voting_ends_at
    return ends is not None and ends <= (now or clock().now())


def state_label(state: DesignState) -> str:
    labels = {
        S.DRAFT: _("draft"),
        S.SUBMITTED: _("waiting for screening"),
        S.VOTING: _("open to votes"),
        S.CLOSED: _("voting closed"),
        S.APPROVED: _("approved for production"),
        S.DECLINED: _("declined"),
        S.ON_SALE: _("on sale"),
        S.RETIRED: _("retired"),
        S.REJECTED: _("rejected at screening"),
        S.WITHDRAWN: _("withdrawn"),
        S.REMOVED: _("removed"),
    }
    return labels[state]

"""Reprint requests: on a retired design, or a design on sale whose product and size is sold out,
a member asks for a reprint in one product and size; staff see the counts; when a run printing
that product and size reaches stock, the requests are fulfilled and the members told.

Services take the session and flush, never commit. Refusals are `ReprintRefused` with a message
for the member and the HTTP status the page answers with.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from cocreate.accounts.models import User
from cocreate.core.responses import CONFLICT, FAILED
from cocreate.designs.models import Design, DesignState
from cocreate.production import services
from cocreate.production.models import ProductionRun, Variant
from cocreate.production.reprint_models import ReprintRequest
from cocreate.voting import notifications, ranking

#: States a reprint can be asked for in: retired (every size), on sale (sizes out of stock).
REQUESTABLE_STATES = frozenset({DesignState.ON_SALE, DesignState.RETIRED})

#: (product, size) catalogue keys.
Option = tuple[str, str]


class ReprintRefused(Exception):
    """`str()` is the member's message; `status` the page's answer (409 or 422)."""

    def __init__(self, message: str, status: int = CONFLICT) -> None:
        super().__init__(message)
        self.status = status


def options(session: Session, design: Design) -> list[Option]:
    """What a reprint can be asked for now, in catalogue order: every product and size of a
    retired design; of a design on sale, each product and size with nothing in stock in any
    colour (sold out, or never printed). None for a design in another state."""
    if design.state not in REQUESTABLE_STATES:
        return []
    offered = [(g.spec.key, size) for g in services.grid_for(design) for size in g.sizes]
    if design.state is DesignState.RETIRED:
        return offered
    in_stock = {
        (product, size)
        for product, size in session.execute(
            select(Variant.product, Variant.size)
            .where(Variant.design_id == design.id)
            .group_by(Variant.product, Variant.size)
            .having(func.sum(Variant.stock_on_hand) > 0)
        )
    }
    return [option for option in offered if option not in in_stock]


def open_requests(session: Session, design_id: int, requester_id: int) -> list[ReprintRequest]:
    """The member's open requests for the design, oldest first."""
    return list(
        session.scalars(
            select(ReprintRequest)
            .where(
                ReprintRequest.design_id == design_id,
                ReprintRequest.requester_id == requester_id,
                ReprintRequest.fulfilled_at.is_(None),
            )
            .order_by(ReprintRequest.id)
        )
    )


def request(
    session: Session, design: Design, member: User, option: Option, *, now: datetime
) -> ReprintRequest:
    """Ask for a reprint of `design` in one product and size. Refused when the design cannot be
    reprinted now, when that product and size is in stock (or not offered), and when the member
    already has an open request for it."""
    if design.state not in REQUESTABLE_STATES:
        raise ReprintRefused(
            _("A reprint can be asked for only once a design has been on sale and sold out.")
        )
    product, size = option
    if option not in options(session, design):
        offered = {(g.spec.key, s) for g in services.grid_for(design) for s in g.sizes}
        if option in offered:
            raise ReprintRefused(_("This size is in stock: you can buy it now."))
        raise ReprintRefused(_("Please choose a product and size from the list."), FAILED)
    already = _("You have already asked for a reprint of this size.")
    row = ReprintRequest(
        design_id=design.id, requester_id=member.id, product=product, size=size, created_at=now
    )
    # Two clicks at once both pass any check made here; the unique index on open requests
    # refuses the second, inside a savepoint so the rest of the request survives.
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise ReprintRefused(already) from None
    return row


def withdraw(session: Session, request_id: int, member: User) -> bool:
    """Withdraw one of the member's own open requests. False if there is none with that id (not
    theirs, already fulfilled, or withdrawn a moment ago): nothing changes then."""
    result = session.execute(
        delete(ReprintRequest)
        .where(
            ReprintRequest.id == request_id,
            ReprintRequest.requester_id == member.id,
            ReprintRequest.fulfilled_at.is_(None),
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def fulfil(session: Session, run: ProductionRun, *, at: datetime) -> list[int]:
    """The run reached stock: its design's open requests for a product and size the run printed
    are fulfilled, and their members told (voting's notifications). Returns who was told.
    Requests for sizes the run did not print stay open. Called by `lifecycle.mark_in_stock`
    under the run's lock, so a run fulfils once."""
    printed = {(line.product, line.size) for line in run.lines}
    return _fulfil(session, run.design_id, printed, at=at)


def back_on_sale(session: Session, variant_ids: Collection[int], *, at: datetime) -> list[int]:
    """Units of these variants went back on sale without a run (a refund returned them to
    stock, shop/refunds.py): as when a run arrives, the open requests for each one's product and
    size are fulfilled and their members told, if its design is on sale (a retired design's
    units are not sold, so its requests wait for a reprint). Returns who was told."""
    if not variant_ids:
        return []
    rows = session.execute(
        select(Variant.design_id, Variant.product, Variant.size)
        .join(Design, Design.id == Variant.design_id)
        .where(Variant.id.in_(sorted(set(variant_ids))), Design.state == DesignState.ON_SALE)
    ).all()
    options: dict[int, set[Option]] = {}
    for design_id, product, size in rows:
        options.setdefault(design_id, set()).add((product, size))
    told: set[int] = set()
    for design_id in sorted(options):
        told.update(_fulfil(session, design_id, options[design_id], at=at))
    return sorted(told)


def _fulfil(session: Session, design_id: int, options: set[Option], *, at: datetime) -> list[int]:
    """Fulfil the design's open requests for `options` and tell their members; who was told."""
    rows = session.execute(
        select(ReprintRequest.id, ReprintRequest.product, ReprintRequest.size).where(
            ReprintRequest.design_id == design_id, ReprintRequest.fulfilled_at.is_(None)
        )
    ).all()
    done = [row.id for row in rows if (row.product, row.size) in options]
    if not done:
        return []
    # Still open when updated: two stock arrivals at once (two refunds returning the same
    # size) fulfil a request once, and only the one that did tells its member.
    fulfilled = session.scalars(
        update(ReprintRequest)
        .where(ReprintRequest.id.in_(done), ReprintRequest.fulfilled_at.is_(None))
        .values(fulfilled_at=at)
        .returning(ReprintRequest.requester_id)
        .execution_options(synchronize_session=False)
    ).all()
    told = sorted(set(fulfilled))
    notifications.reprint_available(session, design_id=design_id, recipient_ids=told)
    return told


# --- The staff tab's read side --------------------------------------------------------------


@dataclass(frozen=True)
class Demand:
    """A design with open reprint requests: how many, by product and size."""

    design: Design
    total: int
    #: (product, size) → open requests, in catalogue order.
    by_option: dict[Option, int]


@dataclass(frozen=True)
class DemandPage:
    items: list[Demand]
    page: int
    has_next: bool


#: Designs per page of the staff tab.
PER_PAGE = 20


def _open_on_reprintable() -> list[ColumnElement[bool]]:
    """Open requests of designs staff can still reprint (not those removed since)."""
    return [ReprintRequest.fulfilled_at.is_(None), Design.state.in_(services.REPRINTABLE)]


def open_count(session: Session) -> int:
    """Designs with at least one open request (the tab's count)."""
    count = session.scalar(
        select(func.count(func.distinct(ReprintRequest.design_id)))
        .join(Design, Design.id == ReprintRequest.design_id)
        .where(*_open_on_reprintable())
    )
    return count or 0


def demand(session: Session, page: int = 1, per_page: int = PER_PAGE) -> DemandPage:
    """Designs with open requests, most asked for first: three queries whatever the page size
    (the page's designs by total, their counts by product and size, the designs themselves)."""
    total = func.count().label("total")
    ranked = session.execute(
        select(ReprintRequest.design_id, total)
        .join(Design, Design.id == ReprintRequest.design_id)
        .where(*_open_on_reprintable())
        .group_by(ReprintRequest.design_id)
        .order_by(total.desc(), ReprintRequest.design_id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
    ).all()
    listed = ranked[:per_page]
    ids = [row.design_id for row in listed]
    counts = by_option(session, ids)
    designs = _designs(session, ids)
    items = [Demand(designs[row.design_id], row.total, counts[row.design_id]) for row in listed]
    return DemandPage(items, page, has_next=len(ranked) > per_page)


def by_option(session: Session, design_ids: Collection[int]) -> dict[int, dict[Option, int]]:
    """Open requests of each design by (product, size), in catalogue order."""
    result: dict[int, dict[Option, int]] = {design_id: {} for design_id in design_ids}
    if not design_ids:
        return result
    rows = session.execute(
        select(ReprintRequest.design_id, ReprintRequest.product, ReprintRequest.size, func.count())
        .where(ReprintRequest.design_id.in_(design_ids), ReprintRequest.fulfilled_at.is_(None))
        .group_by(ReprintRequest.design_id, ReprintRequest.product, ReprintRequest.size)
    ).all()
    for design_id, product, size, count in sorted(
        rows, key=lambda r: ranking.catalogue_order(r[1], r[2])
    ):
        result[design_id][(product, size)] = count
    return result


def _designs(session: Session, ids: list[int]) -> dict[int, Design]:
    if not ids:
        return {}
    rows = session.scalars(
        select(Design).where(Design.id.in_(ids)).options(joinedload(Design.designer))
    )
    return {design.id: design for design in rows}

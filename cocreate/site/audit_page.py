"""The audit log page's read side: one page of the log (the UNION ALL of audit.SOURCES), newest
first, filtered by staff member and kind, with the names of the people in it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, union_all
from sqlalchemy.orm import Session

from cocreate.accounts.models import Role, User
from cocreate.site.audit import KINDS, SOURCES

PER_PAGE = 50
MAX_PAGE = 1000


@dataclass(frozen=True)
class AuditFilters:
    actor_id: int | None = None
    kind: str | None = None
    page: int = 1

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> AuditFilters:
        """From the query string; an unknown value is ignored."""
        actor = args.get("actor", "")
        kind = args.get("kind", "")
        page = args.get("page", "1")
        return cls(
            actor_id=int(actor) if actor.isdigit() and len(actor) < 12 else None,
            kind=kind if kind in KINDS else None,
            page=min(max(int(page), 1), MAX_PAGE) if page.isdigit() and len(page) < 6 else 1,
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        values = {"actor": self.actor_id, "kind": self.kind, "page": self.page}
        values.update(changes)
        if values["page"] == 1:
            values["page"] = None
        return {key: value for key, value in values.items() if value is not None}


@dataclass(frozen=True)
class Entry:
    at: datetime
    actor_id: int
    actor_name: str
    kind: str
    subject: str
    target: str
    target_id: int
    anchor: str | None
    reason: str

    @property
    def label(self) -> str:
        return str(KINDS[self.kind].label) if self.kind in KINDS else self.kind

    @property
    def reason_text(self) -> str:
        return KINDS[self.kind].reason(self.reason) if self.kind in KINDS else self.reason


@dataclass(frozen=True)
class AuditPage:
    entries: list[Entry]
    page: int
    has_next: bool
    #: (id, name) of everyone who can be chosen in the filter: staff and admins, by name.
    staff: list[tuple[int, str]]


def audit_log(session: Session, filters: AuditFilters, per_page: int = PER_PAGE) -> AuditPage:
    """One page of the log: the UNION ALL of every source, then one query for the names of
    its actors and of the staff the filter offers."""
    log = union_all(*(source() for source in SOURCES)).subquery("audit_log")
    query = select(log)
    if filters.actor_id is not None:
        query = query.where(log.c.actor_id == filters.actor_id)
    if filters.kind is not None:
        query = query.where(log.c.kind == filters.kind)
    rows = session.execute(
        query.order_by(log.c.at.desc(), log.c.kind, log.c.row_id.desc())
        .offset((filters.page - 1) * per_page)
        .limit(per_page + 1)
    ).all()
    listed = rows[:per_page]
    # Actors demoted since are named too; the filter offers today's staff (and them).
    actor_ids = {row.actor_id for row in listed}
    if filters.actor_id is not None:
        actor_ids.add(filters.actor_id)
    people = session.execute(
        select(User.id, User.display_name, User.role)
        .where(or_(User.role.in_((Role.STAFF, Role.ADMIN)), User.id.in_(actor_ids)))
        .order_by(User.display_name, User.id)
    ).all()
    names = {person.id: person.display_name for person in people}
    entries = [
        Entry(
            at=row.at,
            actor_id=row.actor_id,
            actor_name=names.get(row.actor_id, ""),
            kind=row.kind,
            subject=row.subject,
            target=row.target,
            target_id=row.target_id,
            anchor=row.anchor,
            reason=row.reason or "",
        )
        for row in listed
    ]
    staff = [(person.id, person.display_name) for person in people]
    return AuditPage(entries, filters.page, has_next=len(rows) > per_page, staff=staff)

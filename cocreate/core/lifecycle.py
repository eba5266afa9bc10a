"""One way to move a stateful row (design, production run, order, statement, payout) from one
state to another: a transition table, and `transition()`, which locks the row, re-reads its
state under the lock, checks the table, writes an audit row and sets the new state.

Who may make a move (owner, staff) is the domain service's business, checked before it calls
`transition()`; this module only knows which moves exist. Core imports no domain: the audit
row's actor is a plain foreign key to "users.id".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from blinker import Namespace
from sqlalchemy import ForeignKey, Text, and_, inspect, select
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from cocreate.core.db import UTCDateTime, now_utc
from cocreate.core.enums import enum_column

S = TypeVar("S", bound=StrEnum)

#: Sent by `transition()` after each move, with the subject's class as sender and keywords
#: `session`, `subject` and `record` (the audit row). Lets a domain react to another's moves
#: (notifications on a design's approval) while dependencies still point inward.
transitioned = Namespace().signal("cocreate.transitioned")


class InvalidTransition(Exception):
    """The object is not in a state that allows this change; `str()` is a user message."""


class NotAllowed(Exception):
    """The person lacks the right to make this change."""


class TransitionTable(Mapping[S, frozenset[S]], Generic[S]):
    """From-state → the states it may move to. Every state must be listed, final states with
    an empty set, so a state added to the enum and forgotten here fails at import."""

    def __init__(self, states: type[S], moves: Mapping[S, set[S] | frozenset[S]]) -> None:
        missing = [state for state in states if state not in moves]
        if missing:
            raise ValueError(f"transition table lists no moves for {missing}")
        self.states = states
        self._moves = {state: frozenset(moves[state]) for state in states}

    def allows(self, from_state: S, to_state: S) -> bool:
        return to_state in self._moves[from_state]

    def __getitem__(self, state: S) -> frozenset[S]:
        return self._moves[state]

    def __iter__(self) -> Iterator[S]:
        return iter(self._moves)

    def __len__(self) -> int:
        return len(self._moves)


class TransitionRecord:
    """Columns of an audit row: who moved the object, when, from which state to which, why.

    A domain subclasses it with its own declarative Base, names its enum in `state_enum` and
    the foreign key to the moved object in `subject_key`, and declares that column:

        class DesignTransition(TransitionRecord, Base):
            __tablename__ = "design_transitions"
            state_enum = DesignState
            subject_key = "design_id"
            id: Mapped[int] = mapped_column(primary_key=True)
            design_id: Mapped[int] = mapped_column(ForeignKey("designs.id"), index=True)
    """

    state_enum: ClassVar[type[StrEnum]]
    #: Attribute holding the moved object's primary key.
    subject_key: ClassVar[str]

    #: None when the system made the change (e.g. the voting window closed).
    @declared_attr
    def actor_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("users.id"), nullable=True)

    @declared_attr
    def from_state(cls) -> Mapped[Any]:
        return mapped_column(enum_column(cls.state_enum, "from_state"))

    @declared_attr
    def to_state(cls) -> Mapped[Any]:
        return mapped_column(enum_column(cls.state_enum, "to_state"))

    @declared_attr
    def reason(cls) -> Mapped[str]:
        return mapped_column(Text, default="")

    @declared_attr
    def created_at(cls) -> Mapped[datetime]:
        return mapped_column(UTCDateTime(), default=now_utc)


class Stateful(Protocol[S]):
    state: S


R = TypeVar("R", bound=TransitionRecord)


def transition(
    session: Session,
    obj: Stateful[S],
    to: S,
    *,
    table: TransitionTable[S],
    audit_model: type[R],
    actor_id: int | None,
    at: datetime,
    message: Callable[[S], str],
    reason: str = "",
) -> R:
    """Move `obj` to `to`, or raise InvalidTransition with `message(current_state)`.

    The row is locked (SELECT … FOR UPDATE) and its state re-read under the lock, so of two
    people moving one object at once, the second sees the first one's result and is refused
    with a message rather than overwriting it. Flushes; the caller's transaction commits.
    """
    # Lock by primary key, whatever the model: the second of two concurrent movers waits here.
    mapper = inspect(type(obj))
    key = mapper.primary_key_from_instance(obj)
    match = [column == value for column, value in zip(mapper.primary_key, key, strict=True)]
    session.execute(select(*mapper.primary_key).where(and_(*match)).with_for_update())
    session.refresh(obj, attribute_names=["state"])
    current = obj.state
    if not table.allows(current, to):
        raise InvalidTransition(message(current))
    (subject_id,) = key  # audit rows point at single-column keys
    row = audit_model()
    setattr(row, audit_model.subject_key, subject_id)
    row.actor_id = actor_id
    row.from_state = current
    row.to_state = to
    row.reason = reason.strip()
    row.created_at = at
    obj.state = to
    session.add(row)
    session.flush()
    # After the flush, so receivers see the new state and the audit row's id; they run in the
    # caller's transaction, so what they write (notifications, mail rows) commits or rolls
    # back with the move itself.
    transitioned.send(type(obj), session=session, subject=obj, record=row)
    return row

"""core.lifecycle on a toy domain (a lamp that is off, on or broken), with its own tables made in
the test's rolled-back transaction, apart from the app's models."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    event,
    func,
    select,
    update,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from cocreate.core.enums import enum_column
from cocreate.core.lifecycle import InvalidTransition, TransitionRecord, TransitionTable, transition
from tests.accounts.factories import UserFactory


class Lamp(StrEnum):
    OFF = "off"
    ON = "on"
    BROKEN = "broken"


TABLE = TransitionTable(
    Lamp,
    {
        Lamp.OFF: {Lamp.ON, Lamp.BROKEN},
        Lamp.ON: {Lamp.OFF, Lamp.BROKEN},
        Lamp.BROKEN: set(),
    },
)


class ToyBase(DeclarativeBase):
    metadata = MetaData()


# The app's users table, declared (not created) so the audit row's foreign key resolves.
Table("users", ToyBase.metadata, Column("id", Integer, primary_key=True))


class Thing(ToyBase):
    __tablename__ = "toy_lamps"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    state: Mapped[Lamp] = mapped_column(enum_column(Lamp, "lamp_state"), default=Lamp.OFF)


class ThingTransition(TransitionRecord, ToyBase):
    __tablename__ = "toy_lamp_transitions"
    state_enum = Lamp
    subject_key = "lamp_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    lamp_id: Mapped[int] = mapped_column(ForeignKey("toy_lamps.id"))


AT = datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)


def _message(state: Lamp) -> str:
    return f"The lamp is {state}: not now."


@pytest.fixture
def toy_tables(connection: Any) -> Iterator[None]:
    # Made inside the test's outer transaction: rolled back with it, on SQLite and PostgreSQL.
    tables = [ToyBase.metadata.tables["toy_lamps"], ToyBase.metadata.tables["toy_lamp_transitions"]]
    ToyBase.metadata.create_all(connection, tables=tables)
    yield


def _move(session: Session, lamp: Thing, to: Lamp, actor_id: int | None) -> ThingTransition:
    return transition(
        session,
        lamp,
        to,
        table=TABLE,
        audit_model=ThingTransition,
        actor_id=actor_id,
        at=AT,
        message=_message,
        reason="  fuse blew \n",
    )


@pytest.mark.usefixtures("toy_tables")
def test_allowed_move_writes_one_audit_row(db_session: Session) -> None:
    user = UserFactory()
    lamp = Thing(name="desk")
    db_session.add(lamp)
    db_session.flush()

    row = _move(db_session, lamp, Lamp.BROKEN, user.id)

    assert lamp.state is Lamp.BROKEN
    db_session.expire_all()
    assert db_session.scalar(select(Thing.state).where(Thing.id == lamp.id)) is Lamp.BROKEN
    rows = db_session.scalars(select(ThingTransition)).all()
    assert rows == [row]
    assert (row.lamp_id, row.actor_id, row.from_state, row.to_state, row.reason) == (
        lamp.id,
        user.id,
        Lamp.OFF,
        Lamp.BROKEN,
        "fuse blew",
    )
    assert row.created_at == datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)


@pytest.mark.usefixtures("toy_tables")
def test_system_move_has_no_actor(db_session: Session) -> None:
    lamp = Thing(name="hall")
    db_session.add(lamp)
    db_session.flush()
    row = _move(db_session, lamp, Lamp.ON, None)
    assert row.actor_id is None and lamp.state is Lamp.ON


@pytest.mark.usefixtures("toy_tables")
def test_refused_move_raises_the_message_and_writes_nothing(db_session: Session) -> None:
    lamp = Thing(name="porch", state=Lamp.BROKEN)
    db_session.add(lamp)
    db_session.flush()

    with pytest.raises(InvalidTransition) as refused:
        _move(db_session, lamp, Lamp.ON, None)

    assert str(refused.value) == "The lamp is broken: not now."
    assert lamp.state is Lamp.BROKEN
    db_session.expire_all()
    assert db_session.scalar(select(Thing.state).where(Thing.id == lamp.id)) is Lamp.BROKEN
    assert db_session.scalar(select(func.count()).select_from(ThingTransition)) == 0


@pytest.mark.usefixtures("toy_tables")
def test_state_is_read_again_from_the_database(db_session: Session) -> None:
    """Someone else broke the lamp meanwhile: the stale object in memory does not count."""
    lamp = Thing(name="garden")
    db_session.add(lamp)
    db_session.flush()
    db_session.execute(
        update(Thing)
        .where(Thing.id == lamp.id)
        .values(state=Lamp.BROKEN)
        .execution_options(synchronize_session=False)
    )
    assert lamp.state is Lamp.OFF  # stale

    with pytest.raises(InvalidTransition, match="The lamp is broken: not now"):
        _move(db_session, lamp, Lamp.ON, None)
    assert db_session.scalar(select(func.count()).select_from(ThingTransition)) == 0


def test_table_answers_allows() -> None:
    assert TABLE.allows(Lamp.OFF, Lamp.ON) is True
    assert TABLE.allows(Lamp.ON, Lamp.OFF) is True
    assert TABLE.allows(Lamp.OFF, Lamp.OFF) is False
    assert TABLE.allows(Lamp.BROKEN, Lamp.OFF) is False
    assert TABLE[Lamp.BROKEN] == frozenset()
    assert list(TABLE) == [Lamp.OFF, Lamp.ON, Lamp.BROKEN]
    assert len(TABLE) == 3


def test_table_must_list_every_state() -> None:
    with pytest.raises(ValueError, match="broken"):
        TransitionTable(Lamp, {Lamp.OFF: {Lamp.ON}, Lamp.ON: {Lamp.OFF}})


def test_table_built_anywhere_keeps_its_enum_and_moves() -> None:
    table = TransitionTable(Lamp, {Lamp.OFF: {Lamp.ON}, Lamp.ON: set(), Lamp.BROKEN: [Lamp.OFF]})
    assert table.states is Lamp
    assert table[Lamp.OFF] == frozenset({Lamp.ON})
    assert table[Lamp.BROKEN] == frozenset({Lamp.OFF})
    assert table.allows(Lamp.BROKEN, Lamp.OFF) is True
    assert table.allows(Lamp.ON, Lamp.OFF) is False
    assert dict(table) == {
        Lamp.OFF: frozenset({Lamp.ON}),
        Lamp.ON: frozenset(),
        Lamp.BROKEN: frozenset({Lamp.OFF}),
    }


@pytest.mark.usefixtures("toy_tables")
def test_reason_defaults_to_empty(db_session: Session) -> None:
    lamp = Thing(name="attic")
    db_session.add(lamp)
    db_session.flush()
    row = transition(
        db_session,
        lamp,
        Lamp.ON,
        table=TABLE,
        audit_model=ThingTransition,
        actor_id=None,
        at=AT,
        message=_message,
    )
    assert row.reason == ""


@pytest.mark.usefixtures("toy_tables")
def test_the_lock_names_the_moved_row_only(db_session: Session) -> None:
    """The locking read selects this lamp by its key, not the whole table (which would make
    every mover of any lamp wait on PostgreSQL)."""
    lamps = [Thing(name="one"), Thing(name="two"), Thing(name="three")]
    db_session.add_all(lamps)
    db_session.flush()
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().startswith("SELECT toy_lamps.id"):
            seen.append((" ".join(statement.split()), parameters))

    connection = db_session.connection()
    event.listen(connection, "before_cursor_execute", record)
    try:
        _move(db_session, lamps[1], Lamp.ON, None)
    finally:
        event.remove(connection, "before_cursor_execute", record)

    assert len(seen) == 1
    statement, parameters = seen[0]
    assert "WHERE toy_lamps.id = " in statement
    assert list(parameters.values() if isinstance(parameters, dict) else parameters) == [
        lamps[1].id
    ]


@pytest.mark.usefixtures("toy_tables")
def test_only_the_state_is_read_again(db_session: Session) -> None:
    """Changes the caller made to other attributes before the move are kept."""
    lamp = Thing(name="kitchen")
    db_session.add(lamp)
    db_session.flush()
    db_session.execute(
        update(Thing)
        .where(Thing.id == lamp.id)
        .values(name="renamed elsewhere")
        .execution_options(synchronize_session=False)
    )
    _move(db_session, lamp, Lamp.ON, None)
    assert lamp.name == "kitchen"

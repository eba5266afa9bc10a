"""The clock that business rules read: voting windows, link expiry, checkout holds, periods.

Views and CLI commands take `clock().now()` and pass it into services, so a service's rule is
decided by its caller's "now" and tests can move time instead of sleeping. Column defaults
(`core.db.now_utc`) stay on the system clock: they record when a row was written, not a rule.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol, cast, runtime_checkable

from cocreate.config import settings

if TYPE_CHECKING:
    from flask import Flask

EXTENSION = "cocreate.clock"


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


def _aware_utc(when: datetime) -> datetime:
    # A naive datetime has no instant: guessing its zone is how expiry bugs of hours appear.
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"a clock needs an aware datetime, got naive {when!r}")
    return when.astimezone(UTC)


class TestClock:
    """A clock that stands still until told to move."""

    __test__ = False  # not a pytest test class despite its name

    def __init__(self, start: datetime) -> None:
        self._now = _aware_utc(start)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = _aware_utc(when)

    def advance(self, delta: timedelta) -> datetime:
        """Move forward (or back, with a negative delta); returns the new now."""
        self._now += delta
        return self._now

    def __repr__(self) -> str:
        return f"TestClock({self._now.isoformat()})"


class OffsetClock:
    """The system clock moved by a fixed offset: a server process started "later" (smoke tests,
    with CLOCK_OFFSET_SECONDS; production refuses it)."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def __repr__(self) -> str:
        return f"OffsetClock({self.offset})"


def init_app(app: Flask, clock: Clock | None = None) -> None:
    if clock is None:
        offset = settings(app).CLOCK_OFFSET_SECONDS
        clock = OffsetClock(timedelta(seconds=offset)) if offset else SystemClock()
    app.extensions[EXTENSION] = clock


def clock(app: Flask | None = None) -> Clock:
    """The app's clock (default: the current app's)."""
    if app is None:
        from flask import current_app

        app = current_app
    return cast(Clock, app.extensions[EXTENSION])


def install(app: Flask, replacement: Clock) -> Clock:
    """Swap the app's clock (tests); returns the previous one."""
    previous = clock(app)
    app.extensions[EXTENSION] = replacement
    return previous

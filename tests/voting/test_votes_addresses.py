"""The client address of a vote is kept only as a keyed hash, its key rotated by period."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from cocreate.voting import addresses

SECRET = "a-secret-key-of-the-site-0123456789abcdef"
START_OF_PERIOD_1 = datetime(1970, 1, 31, tzinfo=UTC)  # 30 days after the epoch


def _hash(address: str, when: datetime, *, days: int = 30, secret: str = SECRET) -> str:
    return addresses.address_hash(address, secret_key=secret, now=when, period_days=days)


def test_period_numbers_count_whole_periods_since_the_epoch() -> None:
    assert addresses.period_number(START_OF_PERIOD_1, 30) == 1
    assert addresses.period_number(START_OF_PERIOD_1 - timedelta(microseconds=1), 30) == 0
    assert addresses.period_number(datetime(1970, 1, 1, tzinfo=UTC), 30) == 0
    # 2026-03-02 is day 20,514 after the epoch: period 683 of 30 days, 20,514 of one day.
    when = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert addresses.period_number(when, 30) == 683
    assert addresses.period_number(when, 1) == 20514


def test_same_address_same_period_same_hash() -> None:
    early = START_OF_PERIOD_1
    late = START_OF_PERIOD_1 + timedelta(days=29, hours=23)
    assert _hash("203.0.113.7", early) == _hash("203.0.113.7", late)


def test_the_next_period_gives_another_hash() -> None:
    last_moment = START_OF_PERIOD_1 - timedelta(microseconds=1)
    assert _hash("203.0.113.7", last_moment) != _hash("203.0.113.7", START_OF_PERIOD_1)


def test_the_hash_depends_on_the_address_and_the_secret() -> None:
    when = START_OF_PERIOD_1
    assert _hash("203.0.113.7", when) != _hash("203.0.113.8", when)
    assert _hash("203.0.113.7", when) != _hash("203.0.113.7", when, secret=SECRET + "x")


def test_the_hash_is_hex_and_holds_no_trace_of_the_address() -> None:
    digest = _hash("2001:db8::1", START_OF_PERIOD_1)
    assert re.fullmatch("[0-9a-f]{64}", digest)
    assert "2001" not in digest and "db8" not in digest


def test_the_hash_is_an_hmac_under_the_period_key() -> None:
    import hashlib
    import hmac

    key = hmac.new(SECRET.encode(), b"cocreate.vote-address:1", hashlib.sha256).digest()
    expected = hmac.new(key, b"203.0.113.7", hashlib.sha256).hexdigest()
    assert _hash("203.0.113.7", START_OF_PERIOD_1) == expected

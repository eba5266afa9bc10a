"""The webhook's gate: Stripe's signature on the raw body, its timestamp, and the envelope."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from cocreate.payments import webhooks
from cocreate.payments.webhooks import Rejected

SECRET = "whsec_abc"
BODY = b'{"id": "evt_1"}'
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
T = int(NOW.timestamp())


def sign(body: bytes = BODY, *, t: int = T, secret: str = SECRET) -> str:
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def test_signature_is_stripes_hmac_of_timestamp_dot_body() -> None:
    # Stripe's documented scheme, computed independently of the code under test.
    expected = hmac.new(b"whsec_abc", b'1772442000.{"id": "evt_1"}', hashlib.sha256).hexdigest()
    assert webhooks.signature(SECRET, 1772442000, BODY) == expected
    assert webhooks.signature(SECRET, "1772442000", BODY) == expected


def test_a_correct_signature_passes() -> None:
    webhooks.verify(BODY, sign(), secret=SECRET, now=NOW)


def test_stripes_full_header_with_v0_and_spaces_passes() -> None:
    header = sign().replace(",", ", ") + ",v0=6ffbb59b2300aae63f272406069a9788598b792a"
    webhooks.verify(BODY, header, secret=SECRET, now=NOW)


def test_one_matching_v1_among_several_passes() -> None:
    good = sign().split("v1=")[1]
    webhooks.verify(BODY, f"t={T},v1={'0' * 64},v1={good}", secret=SECRET, now=NOW)
    webhooks.verify(BODY, f"v1={good},t={T}", secret=SECRET, now=NOW)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "missing signature"),
        ("", "missing signature"),
        ("garbage", "malformed signature header"),
        (f"v1={'0' * 64}", "malformed signature header"),
        (f"t=,v1={'0' * 64}", "malformed signature header"),
        (f"t=12a,v1={'0' * 64}", "malformed signature header"),
        (f"t=-{T},v1={'0' * 64}", "malformed signature header"),
        (f"t=١٢٣,v1={'0' * 64}", "malformed signature header"),  # non-ASCII digits
        (f"t={'9' * 13},v1={'0' * 64}", "malformed signature header"),
        (f"t={'9' * 5000},v1={'0' * 64}", "malformed signature header"),
        (f"t={T}", "no v1 signature"),
        (f"t={T},v0={'0' * 64}", "no v1 signature"),
        (f"t={T},v1=", "bad signature"),
        (f"t={T},v1={'0' * 64}", "bad signature"),
    ],
)
def test_malformed_or_missing_headers_are_rejected(header: str | None, message: str) -> None:
    with pytest.raises(Rejected) as refused:
        webhooks.verify(BODY, header, secret=SECRET, now=NOW)
    assert str(refused.value) == message


def test_a_value_holding_an_equals_sign_is_split_at_the_first_one() -> None:
    good = sign().split("v1=")[1]
    with pytest.raises(Rejected) as refused:
        webhooks.verify(BODY, f"t={T},v1={good}=", secret=SECRET, now=NOW)
    assert str(refused.value) == "bad signature"


def test_a_twelve_digit_timestamp_is_read_and_judged_stale() -> None:
    with pytest.raises(Rejected, match=r"^signature timestamp outside the tolerance$"):
        webhooks.verify(BODY, sign(t=10**11), secret=SECRET, now=NOW)


def test_another_secret_or_body_is_rejected() -> None:
    with pytest.raises(Rejected, match=r"^bad signature$"):
        webhooks.verify(BODY, sign(secret="whsec_other"), secret=SECRET, now=NOW)
    with pytest.raises(Rejected, match=r"^bad signature$"):
        webhooks.verify(BODY + b" ", sign(), secret=SECRET, now=NOW)
    with pytest.raises(Rejected, match=r"^bad signature$"):
        # The timestamp is part of what is signed: moving it breaks the signature.
        webhooks.verify(BODY, sign().replace(f"t={T}", f"t={T + 1}"), secret=SECRET, now=NOW)


def test_no_secret_configured_refuses_everything() -> None:
    with pytest.raises(Rejected, match=r"^missing signature$"):
        webhooks.verify(BODY, sign(secret=""), secret="", now=NOW)


@pytest.mark.parametrize("offset", [-300, 0, 300])
def test_timestamps_within_five_minutes_pass(offset: int) -> None:
    webhooks.verify(BODY, sign(t=T + offset), secret=SECRET, now=NOW)


@pytest.mark.parametrize("offset", [-301, 301, -86_400])
def test_stale_or_future_timestamps_are_rejected(offset: int) -> None:
    # A captured delivery replayed later carries its old signed timestamp.
    with pytest.raises(Rejected, match=r"^signature timestamp outside the tolerance$"):
        webhooks.verify(BODY, sign(t=T + offset), secret=SECRET, now=NOW)


def test_tolerance_follows_the_clock_to_the_second() -> None:
    header = sign(t=T)
    webhooks.verify(BODY, header, secret=SECRET, now=NOW + timedelta(seconds=300, microseconds=999))
    with pytest.raises(Rejected):
        webhooks.verify(BODY, header, secret=SECRET, now=NOW + timedelta(seconds=301))


# --- The envelope ---------------------------------------------------------------------------------


def envelope(**changes: object) -> dict[str, object]:
    payload: dict[str, object] = {
        "id": "evt_1",
        "type": "checkout.session.completed",
        "created": T,
        "data": {"object": {"id": "cs_1"}},
    }
    payload.update(changes)
    return payload


def test_a_well_formed_event_is_read() -> None:
    event = webhooks.parse(json.dumps(envelope()).encode())
    assert event.id == "evt_1"
    assert event.type == "checkout.session.completed"
    assert event.created == NOW
    assert event.object == {"id": "cs_1"}
    assert event.payload == envelope()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "not JSON"),
        (b"not json", "not JSON"),
        (b"\xff\xfe\x00", "not JSON"),
        (b"{", "not JSON"),
        (b"[" * 100_000, "not JSON"),
        (b"[1, 2]", "not an event"),
        (b'"evt_1"', "not an event"),
        (b"null", "not an event"),
    ],
)
def test_bodies_that_are_not_events_are_rejected(body: bytes, message: str) -> None:
    with pytest.raises(Rejected) as refused:
        webhooks.parse(body)
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"id": None}, "no event id"),
        ({"id": ""}, "no event id"),
        ({"id": 12}, "no event id"),
        ({"id": "e" * 256}, "no event id"),
        ({"type": None}, "no event type"),
        ({"type": ""}, "no event type"),
        ({"type": "t" * 101}, "no event type"),
        ({"created": None}, "no creation time or object"),
        ({"created": "1772442000"}, "no creation time or object"),
        ({"created": 1772442000.5}, "no creation time or object"),
        ({"created": True}, "no creation time or object"),
        ({"data": None}, "no creation time or object"),
        ({"data": {}}, "no creation time or object"),
        ({"data": {"object": "cs_1"}}, "no creation time or object"),
        ({"created": 10**20}, "creation time out of range"),
    ],
)
def test_envelopes_missing_a_part_are_rejected(changes: dict[str, object], message: str) -> None:
    with pytest.raises(Rejected) as refused:
        webhooks.envelope(envelope(**changes))
    assert str(refused.value) == message


def test_the_longest_ids_and_types_are_accepted() -> None:
    event = webhooks.envelope(envelope(id="e" * 255, type="t" * 100))
    assert (len(event.id), len(event.type)) == (255, 100)
    assert webhooks.envelope(envelope(id="e", type="t")).id == "e"


def test_verified_event_checks_then_reads() -> None:
    body = json.dumps(envelope()).encode()
    assert webhooks.verified_event(body, sign(body), secret=SECRET, now=NOW).id == "evt_1"
    with pytest.raises(Rejected, match=r"^bad signature$"):
        webhooks.verified_event(body, sign(), secret=SECRET, now=NOW)
    with pytest.raises(Rejected, match=r"^not JSON$"):
        webhooks.verified_event(b"nope", sign(b"nope"), secret=SECRET, now=NOW)

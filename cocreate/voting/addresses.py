"""The client address of a vote, kept only as a keyed hash whose key changes every period.

Integrity checks need to see that many accounts voted from one address, never which address
it was. An HMAC-SHA256 under a key derived from SECRET_KEY and the period number links the
votes of one address within a period; once the period ends its key is never derived again for
new votes, so a stored hash cannot be confirmed by hashing guessed addresses under the current
key, and nobody without SECRET_KEY can reverse or test one at all. The raw address is not
written anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SECONDS_PER_DAY = 86_400


def period_number(now: datetime, period_days: int) -> int:
    """floor(days since the Unix epoch / period_days): the same for every instant of a period."""
    epoch_days = (now - EPOCH).total_seconds() / SECONDS_PER_DAY
    return int(epoch_days // period_days)


def period_key(secret_key: str, period: int) -> bytes:
    """The period's own key, derived from SECRET_KEY (a purpose label keeps it apart from
    every other use of that secret)."""
    label = f"cocreate.vote-address:{period}".encode()
    return hmac.new(secret_key.encode(), label, hashlib.sha256).digest()


def address_hash(address: str, *, secret_key: str, now: datetime, period_days: int) -> str:
    """64 hex characters; the same address in the same period always gives the same hash."""
    key = period_key(secret_key, period_number(now, period_days))
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()

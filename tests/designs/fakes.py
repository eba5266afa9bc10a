"""Test doubles shared by the design tests."""

from __future__ import annotations

from cocreate.core.storage import MemoryStorage


class FailingStorage(MemoryStorage):
    """A MemoryStorage whose n-th put (1-based) fails as a full disk would."""

    def __init__(self, fail_on_put: int) -> None:
        super().__init__()
        self.fail_on_put = fail_on_put
        self.puts = 0

    def put(self, data: bytes, *, suffix: str) -> str:
        self.puts += 1
        if self.puts == self.fail_on_put:
            raise OSError("disk full")
        return super().put(data, suffix=suffix)

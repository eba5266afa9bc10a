"""Where bench/voting.py's server counts its rate limits: a Redis server of the run's own (as
production counts them, config.py: production needs REDIS_URL), each worker's memory, or
nowhere (the limiter off). The run's own Redis, unlike a shared one, serves nothing else, so
its CPU time counts as the server's."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Limits:
    """Where the rate limits are counted: the storage URI the app is given, and the process
    ids of the bench's own Redis (none for memory)."""

    uri: str
    pids: list[int]

    @property
    def kind(self) -> str:
        return self.uri.split(":", 1)[0]


def redis_ready(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
            probe.sendall(b"PING\r\n")
            return probe.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def limits_storage(kind: str) -> Iterator[Limits]:
    """`kind` "redis": a Redis server on a free port, without persistence, if installed (else
    each worker's memory, with a message); "memory"; or "none"."""
    if kind == "none":
        yield Limits("none", [])
        return
    binary = shutil.which("redis-server") if kind == "redis" else None
    if kind == "redis" and binary is None:
        print("redis-server not found: rate limits counted in each worker's memory",
              file=sys.stderr)  # fmt: skip
    if binary is None:
        yield Limits("memory://", [])
        return
    port = free_port()
    redis = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while not redis_ready(port):
            if redis.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("redis-server did not start")
            time.sleep(0.05)
        yield Limits(f"redis://127.0.0.1:{port}/0", [redis.pid])
    finally:
        redis.terminate()
        redis.wait(timeout=30)

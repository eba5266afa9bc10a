"""HTTP load for bench/voting.py: client threads, each on its own connection, for a fixed time.

Standard library only (http.client). A connection is kept alive when the server allows it and
reopened when it does not: gunicorn's default sync workers close after every response, so with
them each request pays a local TCP connect (tens of microseconds), subject and baseline alike.
Latency is measured per request, from sending it to reading the last byte of the answer.
"""

from __future__ import annotations

import http.client
import math
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


#: (thread index, request number within the thread) → the request to send.
Calls = Callable[[int, int], Call]


@dataclass
class Measure:
    requests: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    #: Answers outside the expected statuses, and requests that got no answer.
    errors: int = 0
    #: CPU time the server's processes spent meanwhile (user + system).
    cpu_seconds: float = 0.0

    def add(self, other: Measure) -> None:
        self.requests += other.requests
        self.seconds += other.seconds
        self.cpu_seconds += other.cpu_seconds
        self.latencies += other.latencies
        self.statuses.update(other.statuses)
        self.errors += other.errors

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile_ms(self, fraction: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)] * 1000

    @property
    def cpu_ms(self) -> float:
        """Server CPU per request: unlike requests/s, barely moved by other load on the
        machine, so it shows what an idle machine's throughput ratio would be."""
        return self.cpu_seconds / self.requests * 1000 if self.requests else 0.0

    @property
    def p50_ms(self) -> float:
        return self.percentile_ms(0.50)

    @property
    def p99_ms(self) -> float:
        return self.percentile_ms(0.99)


class Client:
    def __init__(self, port: int, timeout: float = 60.0) -> None:
        self.port = port
        self.timeout = timeout
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def send(self, call: Call) -> tuple[int, bytes, http.client.HTTPMessage]:
        headers = {"Host": "127.0.0.1", **call.headers}
        if call.body:
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        for attempt in (1, 2):
            try:
                self.connection.request(call.method, call.path, body=call.body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                # http.client closes by itself on "Connection: close"; the next request then
                # opens a new connection.
                return response.status, data, response.msg
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A kept-alive connection the server had already closed: once more, fresh.
                self.connection.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.connection.close()


def process_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) the processes have used so far (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """The direct children of `pid` (gunicorn's workers), read from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except OSError:
                continue
    return found


def run(
    port: int,
    calls: Calls,
    *,
    threads: int,
    seconds: float,
    ok: frozenset[int],
    server_pids: list[int] | None = None,
) -> Measure:
    """`threads` clients send `calls` back to back for `seconds`; each thread's first request
    starts at the same instant. Cookies, if any, travel in each call's headers."""
    pool = [Client(port) for _ in range(threads)]
    results = [Measure() for _ in range(threads)]
    barrier = threading.Barrier(threads + 1)

    def work(index: int) -> None:
        client, result = pool[index], results[index]
        barrier.wait()
        deadline = time.perf_counter() + seconds
        number = 0
        while time.perf_counter() < deadline:
            call = calls(index, number)
            number += 1
            start = time.perf_counter()
            try:
                status, _, _ = client.send(call)
            except OSError:
                result.errors += 1
                result.statuses[0] += 1
                continue
            result.latencies.append(time.perf_counter() - start)
            result.statuses[status] += 1
            if status not in ok:
                result.errors += 1

    workers = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(threads)]
    for worker in workers:
        worker.start()
    cpu_before = process_cpu(server_pids or [])
    barrier.wait()
    start = time.perf_counter()
    for worker in workers:
        worker.join()
    total = Measure(seconds=time.perf_counter() - start)
    total.cpu_seconds = process_cpu(server_pids or []) - cpu_before
    for result in results:
        total.add(result)
    total.requests = len(total.latencies)
    for client in pool:
        client.close()
    return total

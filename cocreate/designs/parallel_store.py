"""Storing an upload's files side by side, all or nothing.

Each LocalStorage put fsyncs the file and its new directories, and each S3 put is a round trip:
one after another, an upload's fourteen files wait for some forty disk flushes or fourteen
requests in a row, seconds on a busy disk, for well under a second of work. Side by side, the
waits overlap.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

from cocreate.core.storage import Storage, key_for

log = logging.getLogger(__name__)

#: Writes in flight at once: they wait on the disk or the network, not on the CPU.
THREADS = 8


def put_all(storage: Storage, files: Mapping[str, tuple[bytes, str]]) -> dict[str, str]:
    """`core.storage.put_many` with the writes running side by side: `{name: (data, suffix)}`
    -> `{name: key}`. If any put fails, the files this call created are deleted before the first
    error propagates; files that already existed (the same bytes stored earlier, for someone
    else) are left alone."""

    def put(name: str) -> tuple[str, bool]:
        data, suffix = files[name]
        existed = storage.exists(key_for(data, suffix))
        return storage.put(data, suffix=suffix), not existed

    if not files:
        return {}
    with ThreadPoolExecutor(max_workers=min(THREADS, len(files))) as pool:
        futures = {name: pool.submit(put, name) for name in files}
    errors = [error for future in futures.values() if (error := future.exception()) is not None]
    if errors:
        for future in futures.values():
            if future.exception() is None and future.result()[1]:
                try:
                    storage.delete(future.result()[0])
                except Exception:  # the original error matters more; log and keep cleaning up
                    log.exception("could not remove %s while rolling back", future.result()[0])
        raise errors[0]
    return {name: future.result()[0] for name, future in futures.items()}

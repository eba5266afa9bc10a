"""localstripe (a stateful fake of Stripe's API) in a child process, on 127.0.0.1 only, with
its state file in a temporary folder.

Its own command listens on every interface and writes /tmp/localstripe.pickle; this launcher
builds the same aiohttp app (localstripe.server.app), points the store at `state_file`, binds
127.0.0.1 on a free port and prints the port for the parent to read.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LAUNCHER = """
import pickle, socket, sys
from aiohttp import web
from localstripe import resources, server

state_file = sys.argv[1]

def dump_to_disk(self):
    with open(state_file, "wb") as f:
        pickle.dump(dict(self), f, protocol=pickle.HIGHEST_PROTOCOL)

resources.Store.dump_to_disk = dump_to_disk
resources.Store.try_load_from_disk = lambda self: None

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.bind(("127.0.0.1", 0))
print(sock.getsockname()[1], flush=True)
web.run_app(server.app, sock=sock, print=None, access_log=None, handle_signals=True)
"""


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """localstripe's base URL for the duration of the block."""
    state_file = folder / "localstripe.pickle"
    process = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, str(state_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip()
        if not port.isdigit():
            raise RuntimeError("localstripe did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        assert process.stdout is not None
        process.stdout.close()


def stored_objects(folder: Path) -> dict[str, object]:
    with (folder / "localstripe.pickle").open("rb") as f:
        stored: dict[str, object] = pickle.load(f)  # noqa: S301 (a file our child wrote)
    return stored

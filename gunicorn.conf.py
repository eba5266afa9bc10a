"""gunicorn settings: `gunicorn -c gunicorn.conf.py wsgi:app` (README "Production deployment").

Command-line options override these (the smoke test passes `--bind` and `--workers`). The
environment sets the rest: GUNICORN_BIND, WEB_CONCURRENCY (workers), LOG_FORMAT and
PROMETHEUS_MULTIPROC_DIR (where each worker writes its metrics; emptied when gunicorn starts).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# Imported here, in the master at start-up, not inside `child_exit`: gunicorn calls that hook
# from its SIGCHLD handler, and a second worker exiting while the first call was still importing
# re-entered the half-initialised package (ImportError, a traceback in the log).
from prometheus_client import multiprocess

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
#: Sync workers: each handles one request at a time; the database and Redis carry the state.
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1) + 1)))
#: An upload decodes the artwork and draws every mockup inside the request: give it time.
timeout = 120
graceful_timeout = 30
#: Behind nginx, which keeps its own connections to clients.
keepalive = 5
#: Recycle workers now and then (at different times) to bound any slow memory growth.
max_requests = 2000
max_requests_jitter = 200
#: The heartbeat files on a RAM disk: a slow disk must not make workers look dead.
_SHM = "/dev/shm"  # noqa: S108 - gunicorn's own heartbeat files, the documented place
worker_tmp_dir = _SHM if Path(_SHM).is_dir() else None
#: The app writes one access line per request itself (with its request id, route and duration).
accesslog = None
errorlog = "-"

_ENV = os.environ.get("ENV", "development")
_JSON = (os.environ.get("LOG_FORMAT") or ("json" if _ENV == "production" else "text")) == "json"
if _JSON:
    # gunicorn's own lines (worker boots, timeouts) in the same JSON shape as the app's.
    # gunicorn merges this into its defaults key by key: the root logger is the app's (its
    # handler is installed by the app, cocreate/core/logs.py).
    logconfig_dict: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": "INFO", "handlers": []},
        "formatters": {"json": {"()": "cocreate.core.logs.JsonFormatter"}},
        "handlers": {
            "error_console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            },
        },
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
        },
    }


def on_starting(server: Any) -> None:
    """Empty the metrics directory: samples of a previous run's workers would be added in."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    """A worker ended (recycled, timed out, killed): drop its live gauges from the metrics."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)

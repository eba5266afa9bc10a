"""Logs: one line per record, JSON in production, each carrying the request id.

Every request gets an id: the incoming `X-Request-ID` when a proxy sent a safe one (short,
letters, digits and `._-` only), else a new random one. It is returned in the response's
`X-Request-ID` header and added to every log record emitted while the request runs, so the
proxy's log, the app's records and the access line of one request can be joined.

One access line per request names the method, the route (the URL rule such as
`/designs/<id:design_id>`, never the raw path: paths carry one-time tokens, and query strings
are never logged), the status and the duration in milliseconds.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from flask.logging import default_handler

from cocreate.config import Config

REQUEST_ID_HEADER = "X-Request-ID"
#: What an incoming request id may look like; anything else is replaced by a new one.
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
ACCESS_LOGGER = "cocreate.access"
#: Marks what this module installs (the root handler, the record factory): a second app
#: replaces the handler and keeps the factory.
_HANDLER_FLAG = "cocreate_handler"
#: Attributes every LogRecord has; anything else on a record was passed in `extra=`.
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


def valid_request_id(value: str | None) -> bool:
    return bool(value) and _SAFE_REQUEST_ID.fullmatch(value or "") is not None


def request_id() -> str | None:
    """The current request's id (None outside a request)."""
    if not has_request_context():
        return None
    return g.get("request_id")


def _record_factory(base: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        record.request_id = request_id() or "-"
        return record

    setattr(make_record, _HANDLER_FLAG, True)
    return make_record


def install_record_factory() -> None:
    """Every record created while a request runs carries its `request_id` ("-" outside one),
    whichever handler (ours, gunicorn's, a test's) receives it."""
    current = logging.getLogRecordFactory()
    if not getattr(current, _HANDLER_FLAG, False):
        logging.setLogRecordFactory(_record_factory(current))


class RequestIdFilter(logging.Filter):
    """For records made before the factory was installed: `request_id` is always there."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, then the extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


def make_handler(log_format: str) -> logging.Handler:
    """A stderr handler writing `log_format` ("json" or "text") with request ids."""
    handler = logging.StreamHandler(sys.stderr)
    formatter = JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(formatter)
    handler.addFilter(RequestIdFilter())
    setattr(handler, _HANDLER_FLAG, True)
    return handler


def install_handler(log_format: str, level: int) -> None:
    """Send every logger's records (the app's, gunicorn's error log, RQ's) through one handler
    on the root logger; replaces the one a previous app installed."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_FLAG, False)]:
        root.removeHandler(old)
    root.addHandler(make_handler(log_format))
    root.setLevel(level)
    # Alembic announces each of its plugins at INFO whenever a command loads it.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def _start() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER)
    g.request_id = incoming if valid_request_id(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def route() -> str:
    """The matched URL rule (a bounded set of values), or "<unmatched>" for a 404."""
    rule = request.url_rule
    return rule.rule if rule is not None else "<unmatched>"


def elapsed_ms() -> float:
    started = g.get("request_started")
    return round((time.perf_counter() - started) * 1000, 2) if started is not None else 0.0


def _finish(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = g.get("request_id") or ""
    duration = elapsed_ms()
    logging.getLogger(ACCESS_LOGGER).info(
        "%s %s %s %.1fms",
        request.method,
        route(),
        response.status_code,
        duration,
        extra={
            "method": request.method,
            "route": route(),
            "status": response.status_code,
            "duration_ms": duration,
        },
    )
    return response


def init_app(app: Flask, config: Config) -> None:
    level = getattr(logging, config.LOG_LEVEL.upper(), logging.INFO)
    install_record_factory()
    if not config.testing:
        # Tests keep pytest's own capture (caplog) on the root logger.
        install_handler(config.log_format, level)
        app.logger.removeHandler(default_handler)
    app.logger.setLevel(level)
    # Registered first: before_request runs first and after_request last, so the access line
    # includes the commit and every other after_request step.
    app.before_request(_start)
    app.after_request(_finish)

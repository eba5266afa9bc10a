"""Versioned static URLs: `url_for('static', filename=…)` adds `?v=<hash of the file>`.

A deploy that changes a file changes its URL, so a versioned URL can be cached for a year
(`immutable`): browsers and the reverse proxy never ask again, and never keep a stale file. A
request whose `v` is not the current file's hash (an old page after a deploy) gets the current
file without the long cache. The hash is computed once per file version (keyed by its size and
modification time).
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from typing import Any

from flask import Flask, Response, current_app, request
from werkzeug.security import safe_join

#: Sent with a static file requested by its current version.
IMMUTABLE = "public, max-age=31536000, immutable"
VERSION_ARG = "v"


@lru_cache(maxsize=512)
def _digest(path: str, _size: int, _mtime_ns: int) -> str:
    with open(path, "rb") as file:
        return hashlib.sha256(file.read()).hexdigest()[:12]


def file_version(app: Flask, filename: str) -> str | None:
    """The short content hash of a static file, None when there is no such file."""
    if app.static_folder is None:
        return None
    path = safe_join(app.static_folder, filename)
    if path is None:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return _digest(path, stat.st_size, stat.st_mtime_ns)


def _add_version(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint != "static" or VERSION_ARG in values or "filename" not in values:
        return
    version = file_version(current_app, values["filename"])
    if version is not None:
        values[VERSION_ARG] = version


def _cache_headers(response: Response) -> Response:
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    asked = request.args.get(VERSION_ARG)
    filename = (request.view_args or {}).get("filename", "")
    if asked and asked == file_version(current_app, filename):
        response.headers["Cache-Control"] = IMMUTABLE
    return response


def init_app(app: Flask) -> None:
    app.url_defaults(_add_version)
    app.after_request(_cache_headers)

"""Serves stored files (artwork derivatives, mockups, avatars) by their content-addressed key.

The key names the bytes, so responses are cacheable forever and the hash is a perfect ETag. Only
files the app re-encoded itself are ever stored, and each is sent with its own fixed type and
`nosniff`, so a browser never second-guesses what it received.

Each domain registers a guard saying who may fetch the keys it owns (a draft's mockups only its
designer; a removed design's files nobody but staff). A key no guard claims is not served.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

from flask import Blueprint, Flask, Response, abort, current_app, request
from flask.typing import ResponseReturnValue

from cocreate.core.storage import CACHE_CONTROL, Storage, content_type_for, digest_of

bp = Blueprint("media", __name__)

STORAGE_EXTENSION = "cocreate.storage"
GUARDS_EXTENSION = "cocreate.media_guards"


class Access(Enum):
    #: Anyone; shared caches may keep it.
    PUBLIC = "public"
    #: This viewer only (owner or staff): browsers may cache it, shared caches may not.
    PRIVATE = "private"
    DENY = "deny"


Guard = Callable[[str], Access | None]


def register_guard(app: Flask, guard: Guard) -> None:
    app.extensions.setdefault(GUARDS_EXTENSION, []).append(guard)


def access_for(key: str) -> Access:
    decisions = [guard(key) for guard in current_app.extensions.get(GUARDS_EXTENSION, [])]
    if Access.PUBLIC in decisions:
        return Access.PUBLIC
    if Access.PRIVATE in decisions:
        return Access.PRIVATE
    return Access.DENY


@bp.get("/media/<path:key>", endpoint="file")
def serve_file(key: str) -> ResponseReturnValue:
    storage: Storage = current_app.extensions[STORAGE_EXTENSION]
    try:
        digest = digest_of(key)
    except ValueError:
        # A malformed key is just a URL that names nothing: 404, not 400 or 500.
        abort(404)
    access = access_for(key)
    if access is Access.DENY:
        abort(404)  # not 403: do not confirm that the file exists
    try:
        data = storage.open(key)
    except FileNotFoundError:
        abort(404)
    response = Response(data, mimetype=content_type_for(key))
    response.headers["Cache-Control"] = (
        CACHE_CONTROL if access is Access.PUBLIC else CACHE_CONTROL.replace("public", "private")
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.set_etag(digest)
    # Answers If-None-Match with 304 so revalidating clients do not download the file again.
    return response.make_conditional(request)

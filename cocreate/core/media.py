"""Serves stored files (artwork derivatives, mockups) by their content-addressed key.

The key names the bytes, so responses are cacheable forever and the hash is a perfect ETag. Only
files the app re-encoded itself are ever stored, and each is sent with its own fixed type and
`nosniff`, so a browser never second-guesses what it received.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request

from cocreate.core.storage import CACHE_CONTROL, Storage, content_type_for, digest_of

bp = Blueprint("media", __name__)

STORAGE_EXTENSION = "cocreate.storage"


@bp.get("/media/<path:key>", endpoint="file")
def serve_file(key: str) -> Response:
    storage: Storage = current_app.extensions[STORAGE_EXTENSION]
    try:
        digest = digest_of(key)
        data = storage.open(key)
    except (ValueError, FileNotFoundError):
        # A malformed key is just a URL that names nothing: 404, not 400 or 500.
        abort(404)
    response = Response(data, mimetype=content_type_for(key))
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.set_etag(digest)
    # Answers If-None-Match with 304 so revalidating clients do not download the file again.
    return response.make_conditional(request)

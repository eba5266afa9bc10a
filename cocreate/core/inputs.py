"""Input hygiene shared by every page: database-safe ids, no NUL bytes, single-line text."""

from __future__ import annotations

import unicodedata

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

#: The largest id an INTEGER column holds on PostgreSQL; larger ids would be a database error.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<id:name>`: a positive database id; anything else is a 404, never a database error."""

    def __init__(self, map, *args: object, **kwargs: object) -> None:
        super().__init__(map, min=1, max=MAX_ID)


def _refuse_nul_bytes() -> None:
    # PostgreSQL refuses NUL in text; no legitimate form or query value contains one.
    values = [*request.args.values()]
    if request.method in {"POST", "PUT", "PATCH"}:
        values += request.form.values()
    if any("\x00" in value for value in values):
        abort(400)


def single_line(text: str) -> str:
    """Control characters (newlines, tabs, NUL…) become spaces: titles and names go into email
    subjects and HTML attributes, where a line break is never wanted."""
    cleaned = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)
    return " ".join(cleaned.split())


def init_app(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter
    app.before_request(_refuse_nul_bytes)

"""Input hygiene shared by every page: database-safe ids, no NUL bytes, clean text."""

from __future__ import annotations

import unicodedata
from typing import Any

from flask import Flask, abort, request
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter, Map
from wtforms import Field, Form
from wtforms.validators import ValidationError

#: The largest id an INTEGER column holds on PostgreSQL; larger ids would be a database error.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<id:name>`: a positive database id; anything else is a 404, never a database error."""

    def __init__(self, map: Map, *args: object, **kwargs: object) -> None:
        super().__init__(map, min=1, max=MAX_ID)


def _refuse_nul_bytes() -> None:
    # PostgreSQL refuses NUL in text; no legitimate form or query value contains one.
    values = [*request.args.values()]
    if request.method in {"POST", "PUT", "PATCH"}:
        values += request.form.values()
    if any("\x00" in value for value in values):
        abort(400)


#: Bidirectional embeddings, overrides and isolates, and the direction marks: they can make a
#: title read backwards or disguise a file name (`\u202eexe.png`), and they leak into the
#: surrounding page text. The browser lays out right-to-left words without them.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
_DROP_BIDI = {ord(ch): None for ch in BIDI_CONTROLS}

#: Letters and symbols that draw nothing (Hangul fillers, the blank Braille pattern): a name
#: made of them looks empty although Unicode calls them letters.
_BLANK_GRAPHICS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
#: Categories that show nothing on their own: controls, format characters (zero-width space
#: and joiners), separators, combining marks without a base, unassigned or private code points.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Me"})


def clean_text(text: str) -> str:
    """NFC-normalised (an "é" typed as e + accent equals the one-key "é", in searches and tags),
    without bidi controls. Line breaks stay: descriptions and bios are multi-line."""
    return unicodedata.normalize("NFC", text.translate(_DROP_BIDI))


def has_visible(text: str) -> bool:
    """At least one character that draws something on the page."""
    return any(
        unicodedata.category(ch) not in _INVISIBLE_CATEGORIES and ch not in _BLANK_GRAPHICS
        for ch in text
    )


def single_line(text: str) -> str:
    """Control characters (newlines, tabs, NUL…) become spaces: titles and names go into email
    subjects and HTML attributes, where a line break is never wanted."""
    cleaned = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in clean_text(text))
    return " ".join(cleaned.split())


def fold(text: str) -> str:
    """The form text is compared in for search and tag slugs: compatibility-decomposed, without
    combining marks, case-folded ("Évaluation", "EVALUATION" and "evaluation" are one word;
    "ﬁ" is "fi", "ß" is "ss"). Done in Python, not SQL, so SQLite and PostgreSQL agree."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped.casefold())


def clean_field(value: Any) -> Any:
    """WTForms filter for every free-text field: `filters=[clean_field]`."""
    return clean_text(value) if isinstance(value, str) else value


class Visible:
    """WTForms validator: a title or a name needs at least one visible character."""

    def __call__(self, form: Form, field: Field) -> None:
        if field.data and not has_visible(field.data):
            raise ValidationError(_l("This needs at least one visible character."))


def init_app(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter
    app.before_request(_refuse_nul_bytes)

"""Error pages in the site's look, in the reader's language."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask.globals import request_ctx
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from cocreate.config import settings
from cocreate.core import db
from cocreate.core.i18n import format_megabytes

PAGES = {
    400: (
        _l("Bad request"),
        _l("The request could not be understood. Please go back and try again."),
    ),
    403: (_l("Access denied"), _l("You do not have permission to see this page.")),
    404: (
        _l("Page not found"),
        _l("We could not find that page. It may have moved or been removed."),
    ),
    405: (_l("Not allowed"), _l("This page does not accept that kind of request.")),
    413: (
        _l("File too large"),
        _l("The file you sent is larger than we accept. Please send a smaller file."),
    ),
    429: (
        _l("Too many attempts"),
        _l("You have tried this too often. Please wait a minute and try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l("An unexpected error happened on our side. It has been logged; please try again later."),
    ),
}

#: For a status without its own page: the page keeps the real status, with these words.
CLIENT_ERROR = (
    _l("Request not completed"),
    _l("We could not complete this request. Please go back and try again."),
)

TOO_MANY_FIELDS = (
    _l("Too many form fields"),
    _l(
        "The form you sent has too many fields, or too much text in one field. "
        "Please reload the page and try again."
    ),
)


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def render_error(
    code: int, message: str | None = None, title: str | None = None
) -> tuple[str | dict[str, object], int]:
    default_title, default_message = PAGES.get(code) or (
        CLIENT_ERROR if 400 <= code < 500 else PAGES[500]
    )
    title = title or str(default_title)
    text = message or str(default_message)
    if _wants_json():
        return {"error": str(title), "message": text}, code
    if request_ctx.url_adapter is None:
        # The Host is not trusted, so no link can be built for the page layout: plain text.
        return f"{code} {title}", code
    return render_template("errors/error.html", code=code, title=title, message=text), code


def _http_error(
    error: HTTPException,
) -> tuple[str | dict[str, object], int, list[tuple[str, str]]]:
    code = error.code or 500
    if code == 413 and _body_within_limit():
        title, message = TOO_MANY_FIELDS
        body, code = render_error(413, str(message), str(title))
    elif code == 413:
        body, code = render_error(413, _too_large_message())
    else:
        body, code = render_error(code)
    # The error's own headers stay (Allow on a 405, Content-Range on a 416); our page has its type.
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    return body, code, headers


def _body_within_limit() -> bool:
    """Werkzeug answers 413 both for a body over MAX_CONTENT_LENGTH and for a form over
    MAX_FORM_PARTS parts (or a text field over MAX_FORM_MEMORY_SIZE); only the declared length
    tells them apart. A body of unknown length (chunked) counts as too large."""
    length = request.content_length
    limit = settings().MAX_CONTENT_LENGTH
    return length is not None and (limit is None or length <= limit)


def _too_large_message() -> str:
    return gettext(
        "The file you sent is larger than the %(limit)s MB we accept. Please send a smaller file.",
        limit=format_megabytes(settings().MAX_CONTENT_LENGTH),
    )


def _csrf_error(_error: CSRFError) -> tuple[str | dict[str, object], int]:
    return render_error(
        400, str(_l("This form has expired. Please reload the page and submit it again."))
    )


def _server_error(error: Exception) -> tuple[str | dict[str, object], int]:
    db.rollback()
    return render_error(500)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _server_error)

"""Pages answering a submitted form: 422 when it failed, so the request's transaction rolls back."""

from __future__ import annotations

from typing import Any

from flask import flash, render_template, request

from cocreate.core import db

FAILED = 422
CONFLICT = 409


def form_page(template: str, *, message: str | None = None, **context: Any) -> tuple[str, int]:
    """A form's page: 200 when it is shown, 422 when a submitted form comes back to it.

    Every form view redirects on success, so a POST that ends on its form's page failed.
    """
    if request.method in db.SAFE_METHODS:
        return render_template(template, **context), 200
    return failed_page(template, message=message, **context)


def failed_page(
    template: str, *, status: int = FAILED, message: str | None = None, **context: Any
) -> tuple[str, int]:
    """Answer a refused request with `template`, `status` and `message` (shown as a flash).

    The session rolls back before rendering, so the page shows what is stored, not what the
    failed attempt flushed; the 4xx status also keeps the request from committing.
    """
    db.rollback()
    if message:
        flash(message, "error")
    return render_template(template, **context), status

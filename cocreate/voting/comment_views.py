"""Comment pages: posting, replying, editing and reporting from the design page, the staff's
moderation, and the design page's discussion section.

Everything works as plain forms. A refused form answers with the design page again (as the
designs domain draws it), the message, the text the member typed, and a 4xx status, so the
request's transaction rolls back.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from cocreate.accounts.auth import member_required, staff_required
from cocreate.config import settings
from cocreate.core import db
from cocreate.core.clock import clock
from cocreate.core.ratelimit import account_key, limiter
from cocreate.core.responses import FAILED, form_page
from cocreate.designs import queries as design_queries
from cocreate.designs.models import Design
from cocreate.voting import comment_queries, comments
from cocreate.voting.comment_forms import REASON_LABELS, CommentForm, HideForm, ReportForm
from cocreate.voting.comment_models import MAX_BODY, MAX_REASON, Comment, ReportReason

bp = Blueprint("comments", __name__, template_folder="templates")

#: Where a refused comment form waits for the discussion section to show it again: the key
#: ("new", or the id of the thread replied to) and the form with the member's text.
FAILED_FORM = "comment_failed_form"


def comment_limit() -> str:
    return settings().RATELIMIT_COMMENT


def _stored(response: Response) -> bool:
    # Only comments that were posted count: a refused attempt stored nothing.
    return response.status_code < 400


# One budget per account for comments and replies together.
_post_limit = limiter.shared_limit(
    comment_limit, scope="comment", key_func=account_key, methods=["POST"], deduct_when=_stored
)


def _can_see(design: Design) -> bool:
    if design.is_public:
        return True
    user = current_user
    return bool(user.is_authenticated and (user.id == design.designer_id or user.is_staff))


def _design(design_id: int) -> Design:
    design = design_queries.get_design(db.session(), design_id)
    if design is None or not _can_see(design):
        abort(404)  # not 403: do not reveal that a private design exists
    return design


def _comment(comment_id: int) -> tuple[Comment, Design]:
    comment = db.session().get(Comment, comment_id)
    if comment is None:
        abort(404)
    return comment, _design(comment.design_id)


def _design_page(design_id: int, status: int, message: str | None = None) -> Response:
    """The design page again, with `message`, answering `status`.

    The page is the designs domain's: it is reached through the app's view table by endpoint
    name (as url_for does), not imported, so voting does not depend on designs' views."""
    db.rollback()  # the page shows what is stored, not what the refused attempt flushed
    if message:
        flash(message, "error")
    view = current_app.view_functions["designs.detail"]
    response = make_response(view(design_id=design_id))
    response.status_code = status
    return response


def _to_comment(comment: Comment) -> ResponseReturnValue:
    anchor = f"comment-{comment.id}"
    return redirect(url_for("designs.detail", design_id=comment.design_id, _anchor=anchor))


def _post(design: Design, key: str | int, reply_to: Comment | None) -> ResponseReturnValue:
    form = CommentForm()
    try:
        comment = comments.post(
            db.session(),
            design,
            current_user,
            form.body.data or "",
            now=clock().now(),
            reply_to=reply_to,
        )
    except comments.CommentRefused as refusal:
        if refusal.status == comments.INVALID:
            form.body.errors = [refusal.message]
        setattr(g, FAILED_FORM, (key, form))
        return _design_page(design.id, refusal.status, refusal.message)
    flash(_("Your reply is posted.") if reply_to else _("Your comment is posted."), "success")
    return _to_comment(comment)


@bp.post("/designs/<id:design_id>/comments")
@member_required
@_post_limit
def post(design_id: int) -> ResponseReturnValue:
    return _post(_design(design_id), "new", None)


@bp.post("/comments/<id:comment_id>/replies")
@member_required
@_post_limit
def reply(comment_id: int) -> ResponseReturnValue:
    parent, design = _comment(comment_id)
    return _post(design, parent.parent_id or parent.id, parent)


def _edit_page(comment: Comment, form: CommentForm) -> ResponseReturnValue:
    deadline = comments.edit_deadline(comment, settings().COMMENT_EDIT_MINUTES)
    return form_page(
        "voting/comment_edit.html", form=form, comment=comment, deadline=deadline, max=MAX_BODY
    )


@bp.route("/comments/<id:comment_id>/edit", methods=["GET", "POST"])
@member_required
def edit(comment_id: int) -> ResponseReturnValue:
    comment, design = _comment(comment_id)
    if comment.author_id != current_user.id:
        abort(403)
    minutes = settings().COMMENT_EDIT_MINUTES
    refusal = comments.edit_refusal(comment, current_user, now=clock().now(), edit_minutes=minutes)
    if refusal is not None:
        return _design_page(design.id, refusal.status, refusal.message)
    if request.method == "GET":
        return _edit_page(comment, CommentForm(data={"body": comment.body}))
    form = CommentForm()
    try:
        comments.edit(
            db.session(),
            comment,
            current_user,
            form.body.data or "",
            now=clock().now(),
            edit_minutes=minutes,
        )
    except comments.CommentRefused as error:
        if error.status != comments.INVALID:
            return _design_page(design.id, error.status, error.message)
        form.body.errors = [error.message]
        return _edit_page(comment, form)
    flash(_("Your comment is updated."), "success")
    return _to_comment(comment)


@bp.post("/comments/<id:comment_id>/report")
@member_required
def report(comment_id: int) -> ResponseReturnValue:
    comment, design = _comment(comment_id)
    form = ReportForm()
    if not form.validate():
        errors = [str(e) for errors in form.errors.values() for e in errors]
        return _design_page(design.id, FAILED, " ".join(errors))
    try:
        comments.report(
            db.session(),
            comment,
            current_user,
            ReportReason(form.reason.data),
            form.note.data or "",
            now=clock().now(),
        )
    except comments.CommentRefused as refusal:
        return _design_page(design.id, refusal.status, refusal.message)
    flash(_("Thank you: our team will look at this comment."), "success")
    return _to_comment(comment)


# --- Staff moderation ----------------------------------------------------------------------------


def _queue_context() -> dict[str, object]:
    session = db.session()
    return dict(
        queue=comment_queries.report_queue(session),
        hidden=comment_queries.recently_hidden(session),
        reasons=REASON_LABELS,
        max_reason=MAX_REASON,
    )


@bp.get("/staff/comments/reports")
@staff_required
def reports() -> ResponseReturnValue:
    return render_template("voting/comment_reports.html", **_queue_context())


def _back(comment: Comment, message: str, status: int) -> ResponseReturnValue:
    """A refused staff action: the page it came from again, with the message."""
    if HideForm().back.data == "reports":
        db.rollback()
        flash(message, "error")
        return render_template("voting/comment_reports.html", **_queue_context()), status
    return _design_page(comment.design_id, status, message)


def _done(comment: Comment, message: str, category: str = "success") -> ResponseReturnValue:
    flash(message, category)
    if HideForm().back.data == "reports":
        return redirect(url_for("comments.reports"))
    return _to_comment(comment)


@bp.post("/staff/comments/<id:comment_id>/hide")
@staff_required
def hide(comment_id: int) -> ResponseReturnValue:
    comment, _design_row = _comment(comment_id)
    form = HideForm()
    try:
        hidden = comments.hide(
            db.session(), comment, current_user, form.reason.data or "", now=clock().now()
        )
    except comments.CommentRefused as refusal:
        return _back(comment, refusal.message, refusal.status)
    if not hidden:
        return _done(comment, _("This comment was already hidden."), "info")
    return _done(comment, _("The comment is hidden; its reports are closed."))


@bp.post("/staff/comments/<id:comment_id>/restore")
@staff_required
def restore(comment_id: int) -> ResponseReturnValue:
    comment, _design_row = _comment(comment_id)
    if not comments.restore(db.session(), comment, current_user, now=clock().now()):
        return _done(comment, _("This comment was not hidden."), "info")
    return _done(comment, _("The comment is shown again."))


@bp.post("/staff/comments/<id:comment_id>/dismiss")
@staff_required
def dismiss(comment_id: int) -> ResponseReturnValue:
    comment, _design_row = _comment(comment_id)
    comments.dismiss_reports(db.session(), comment, current_user, now=clock().now())
    flash(_("The reports are dismissed; the comment stays."), "success")
    return redirect(url_for("comments.reports"))


# --- The design page's discussion section ---------------------------------------------------------


def render_discussion(design: Design) -> str:
    """The "discussion" slot of the design page (registered with designs.page_sections)."""
    threads_open = comments.open_to_comments(design)
    session = db.session()
    threads = comment_queries.discussion(session, design.id)
    if not threads and not threads_open:
        return ""  # a draft or a submission: nothing to discuss yet
    user = current_user if current_user.is_authenticated else None
    now = clock().now()
    minutes = settings().COMMENT_EDIT_MINUTES
    failed_key, failed_form = g.get(FAILED_FORM, (None, None))
    return render_template(
        "voting/_discussion.html",
        design=design,
        threads=threads,
        is_open=threads_open,
        viewer=user,
        reported=comment_queries.reported_by(session, user.id, design.id) if user else set(),
        editable=lambda c: comments.can_edit(c, user, now=now, edit_minutes=minutes),
        failed_key=failed_key,
        failed_form=failed_form,
        reasons=REASON_LABELS,
        max_body=MAX_BODY,
        max_reason=MAX_REASON,
    )

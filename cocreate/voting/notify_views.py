"""A member's notifications page, their email preferences, and following designers."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from cocreate.accounts.auth import member_required
from cocreate.accounts.models import User
from cocreate.core import db
from cocreate.core.clock import clock
from cocreate.core.errors import render_error
from cocreate.core.responses import form_page
from cocreate.voting import follows, notifications, notify_inbox
from cocreate.voting.notify_forms import PreferencesForm

bp = Blueprint("notifications", __name__, template_folder="templates")


@bp.get("/notifications")
@member_required
def index() -> ResponseReturnValue:
    page = request.args.get("page", 1, type=int) or 1
    return render_template(
        "voting/notifications.html",
        page=notify_inbox.inbox(db.session(), current_user.id, page=page),
    )


@bp.get("/notifications/<int:notification_id>")
@db.writes
@member_required
def open_note(notification_id: int) -> ResponseReturnValue:
    """Follow a notification's link: it is marked read on the way."""
    note = notify_inbox.open_notification(
        db.session(), current_user.id, notification_id, now=clock().now()
    )
    if note is None:
        abort(404)  # not 403: another member's notifications do not exist for you
    anchor = f"comment-{note.comment_id}" if note.comment_id is not None else None
    return redirect(url_for("designs.detail", design_id=note.design_id, _anchor=anchor))


@bp.post("/notifications/read")
@member_required
def read_all() -> ResponseReturnValue:
    notify_inbox.mark_all_read(db.session(), current_user.id, now=clock().now())
    flash(_("All your notifications are marked read."), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/settings", methods=["GET", "POST"])
@member_required
def preferences() -> ResponseReturnValue:
    session = db.session()
    current = notifications.email_preferences(session, current_user.id)
    form = PreferencesForm(data={kind.value: wanted for kind, wanted in current.items()})
    if form.validate_on_submit():
        notifications.set_email_preferences(session, current_user.id, form.choices())
        flash(_("Your notification choices are saved."), "success")
        return redirect(url_for("notifications.preferences"))
    return form_page(
        "voting/notifications_settings.html",
        form=form,
        followed=follows.followed_designers(session, current_user.id),
    )


def _designer_or_404(user_id: int) -> User:
    user = db.session().scalar(select(User).where(User.id == user_id))
    if user is None or not user.is_active:
        abort(404)
    return user


def _back(designer: User) -> str:
    # Back where the button was (the profile, or the list of designers followed).
    if request.form.get("next") == "settings":
        return url_for("notifications.preferences")
    return url_for("site.profile", user_id=designer.id)


@bp.post("/designers/<id:user_id>/follow")
@member_required
def follow(user_id: int) -> ResponseReturnValue:
    designer = _designer_or_404(user_id)
    try:
        follows.follow(db.session(), current_user, designer, now=clock().now())
    except follows.CannotFollow as refused:
        return render_error(422, str(refused))
    flash(_("You follow %(name)s.", name=designer.display_name), "success")
    return redirect(_back(designer))


@bp.post("/designers/<id:user_id>/unfollow")
@member_required
def unfollow(user_id: int) -> ResponseReturnValue:
    designer = _designer_or_404(user_id)
    follows.unfollow(db.session(), current_user, designer)
    flash(_("You no longer follow %(name)s.", name=designer.display_name), "success")
    return redirect(_back(designer))

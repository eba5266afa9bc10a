"""The administrators' management of staff roles."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case, func, or_, select

from cocreate.accounts import services
from cocreate.accounts.auth import admin_required
from cocreate.accounts.forms import ROLE_LABELS, RoleForm
from cocreate.accounts.models import Role, User
from cocreate.core import db
from cocreate.core.responses import form_page

bp = Blueprint("admin", __name__, template_folder="templates")
PAGE_SIZE = 50
MAX_PAGE = 1000
#: Administrators first, then staff, then members: the role's text does not sort that way.
ROLE_ORDER = case({Role.ADMIN: 0, Role.STAFF: 1}, value=User.role, else_=2)


@bp.get("/admin/users")
@admin_required
def users() -> ResponseReturnValue:
    return _users_page(RoleForm())


def _users_page(form: RoleForm, message: str | None = None) -> ResponseReturnValue:
    # A refused role change comes back to this page with 422 and its message.
    query_text = request.args.get("q", "").strip()
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    query = select(User).order_by(ROLE_ORDER, func.lower(User.display_name), User.email)
    if query_text:
        pattern = f"%{query_text.lower()}%"
        query = query.where(
            or_(User.email.like(pattern), func.lower(User.display_name).like(pattern))
        )
    rows = db.session().scalars(query.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
    return form_page(
        "accounts/admin_users.html",
        message=message,
        users=rows[:PAGE_SIZE],
        q=query_text,
        page=page,
        has_next=len(rows) > PAGE_SIZE,
        form=form,
    )


@bp.post("/admin/users/<id:user_id>/role")
@admin_required
def set_role(user_id: int) -> ResponseReturnValue:
    session = db.session()
    user = session.get(User, user_id)
    if user is None:
        abort(404)
    form = RoleForm()
    if not form.validate_on_submit():
        messages = [str(error) for errors in form.errors.values() for error in errors]
        return _users_page(form, " ".join(messages))
    try:
        services.set_role(session, current_user, user, Role(form.role.data))
    except services.AccountError as error:
        return _users_page(form, str(error))
    else:
        flash(
            _(
                "%(name)s now has the %(role)s role.",
                name=user.display_name,
                role=ROLE_LABELS[form.role.data],
            ),
            "success",
        )
    return redirect(url_for("admin.users", q=request.args.get("q", "")))

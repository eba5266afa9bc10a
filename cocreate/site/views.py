"""Pages that combine domains: the home page, a designer's public profile, the staff desk and
the staff audit log.

They live here so that no domain has to import another one's queries to draw a page.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select

from cocreate.accounts.auth import admin_required, staff_required
from cocreate.accounts.models import Role, User
from cocreate.config import settings
from cocreate.core import db
from cocreate.core.clock import clock
from cocreate.designs.models import Design, DesignState
from cocreate.designs.queries import GalleryView, designs_of, gallery
from cocreate.production import review
from cocreate.site import audit, audit_page

bp = Blueprint("site", __name__, template_folder="templates")


@bp.get("/")
def home() -> ResponseReturnValue:
    session = db.session()
    now = clock().now()
    return render_template(
        "site/home.html",
        voting=gallery(session, GalleryView.VOTING, per_page=8, now=now).items,
        on_sale=gallery(session, GalleryView.ON_SALE, per_page=4, now=now).items,
    )


@bp.get("/designers/<id:user_id>")
def profile(user_id: int) -> ResponseReturnValue:
    user = db.session().scalar(select(User).where(User.id == user_id))
    if user is None or not user.is_active:
        abort(404)
    designs = designs_of(db.session(), user.id, public_only=True)
    return render_template("site/profile.html", profile=user, designs=designs)


@bp.get("/staff/")
@staff_required
def dashboard() -> ResponseReturnValue:
    session = db.session()
    counts = dict(session.execute(select(User.role, func.count()).group_by(User.role)).all())
    unverified = session.scalar(select(func.count()).where(User.email_verified_at.is_(None)))
    screening = session.scalar(
        select(func.count()).select_from(Design).where(Design.state == DesignState.SUBMITTED)
    )
    wait_days = settings().REVIEW_WAIT_DAYS
    return render_template(
        "site/staff_dashboard.html",
        counts=counts,
        unverified=unverified,
        screening=screening,
        review_waiting=review.waiting_count(session),
        review_overdue=review.overdue_count(session, now=clock().now(), wait_days=wait_days),
        wait_days=wait_days,
        Role=Role,
    )


@bp.get("/staff/audit")
@admin_required
def audit_log() -> ResponseReturnValue:
    """Every staff action, newest first, by staff member and kind (admins only)."""
    filters = audit_page.AuditFilters.parse(request.args)
    return render_template(
        "site/audit_log.html",
        listing=audit_page.audit_log(db.session(), filters),
        filters=filters,
        kinds=audit.KINDS,
        targets=audit.TARGETS,
    )

"""Staff's review queue (closed designs to approve or decline) and its reprint requests tab.
Routes of production's blueprint, kept apart from views.py to keep each module small."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue

from cocreate.accounts.auth import staff_required
from cocreate.catalogue import products as catalogue
from cocreate.config import settings
from cocreate.core import db
from cocreate.core.clock import clock
from cocreate.production import reprints, review
from cocreate.production.views import bp
from cocreate.voting.panel import size_label


@bp.get("/review")
@staff_required
def queue() -> ResponseReturnValue:
    session = db.session()
    filters = review.QueueFilters.parse(request.args)
    page = review.review_queue(
        session, filters, now=clock().now(), wait_days=settings().REVIEW_WAIT_DAYS
    )
    return render_template(
        "production/review.html",
        listing=page,
        filters=filters,
        products=catalogue.CATALOGUE,
        periods=review.PERIODS,
        sorts=list(review.QueueSort),
        QueueSort=review.QueueSort,
        reprint_designs=reprints.open_count(session),
        size_label=size_label,
    )


@bp.get("/review/reprints")
@staff_required
def reprint_requests() -> ResponseReturnValue:
    session = db.session()
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), review.MAX_PAGE)
    return render_template(
        "production/reprint_requests.html",
        listing=reprints.demand(session, page),
        waiting=review.waiting_count(session),
        size_label=size_label,
    )

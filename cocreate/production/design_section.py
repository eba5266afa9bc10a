"""Production's part of a design's page, for staff: approve or decline a closed design, or see
its runs and plan a reprint. Registered in the page's "aside" slot (designs/page_sections.py),
so designs need not know production exists."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from cocreate.core import db
from cocreate.designs.models import Design, DesignState
from cocreate.production import lifecycle, queries, services


def render(design: Design) -> str:
    if not (current_user.is_authenticated and current_user.is_staff):
        return ""
    closed = design.state is DesignState.CLOSED
    if not closed and design.state not in services.REPRINTABLE:
        return ""
    return render_template(
        "production/_design_section.html",
        design=design,
        closed=closed,
        runs=[] if closed else queries.runs_of_design(db.session(), design.id),
        run_state_label=lifecycle.state_label,
    )

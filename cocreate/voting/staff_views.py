"""Staff review of flagged votes: the list of flags, discount and restore."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField

from cocreate.accounts.auth import staff_required
from cocreate.core import db
from cocreate.core.clock import clock
from cocreate.core.responses import failed_page
from cocreate.voting import flag_queries, integrity
from cocreate.voting.flag_models import FlagState, ModerationAction
from cocreate.voting.flag_text import SIGNAL_LABELS, flag_detail, signal_label, state_label
from cocreate.voting.models import Vote, VoteSignal

bp = Blueprint("vote_staff", __name__, template_folder="templates", url_prefix="/staff/votes")
MAX_PAGE = 1000
TEMPLATE = "voting/flags.html"


class DiscountForm(FlaskForm):
    category = SelectField(
        _l("Category"), choices=[(signal.value, label) for signal, label in SIGNAL_LABELS.items()]
    )


@dataclass(frozen=True)
class Filters:
    """The list's state, signal and page, from the query string."""

    state: FlagState
    signal: VoteSignal | None
    page: int

    @classmethod
    def from_request(cls) -> Filters:
        # Unknown values fall back to the open flags of every signal, page 1.
        state = request.args.get("state", "")
        signal = request.args.get("signal", "")
        page = request.args.get("page", 1, type=int) or 1
        return cls(
            FlagState(state) if state in FlagState._value2member_map_ else FlagState.OPEN,
            VoteSignal(signal) if signal in VoteSignal._value2member_map_ else None,
            min(max(page, 1), MAX_PAGE),
        )

    def args(self) -> dict[str, Any]:
        """For url_for: the list as it is, to come back to after an action."""
        return {
            "state": self.state.value,
            "signal": self.signal.value if self.signal else None,
            "page": self.page,
        }


def _context() -> dict[str, Any]:
    filters = Filters.from_request()
    return dict(
        listing=flag_queries.flagged_votes(
            db.session(), filters.state, filters.signal, filters.page
        ),
        filters=filters,
        FlagState=FlagState,
        signals=list(SIGNAL_LABELS),
        flag_detail=flag_detail,
        signal_label=signal_label,
        state_label=state_label,
    )


@bp.get("/flags")
@staff_required
def flags() -> ResponseReturnValue:
    return render_template(TEMPLATE, **_context())


def _vote(vote_id: int) -> Vote:
    vote = db.session().get(Vote, vote_id)
    if vote is None:
        abort(404)
    return vote


def _back() -> ResponseReturnValue:
    return redirect(url_for("vote_staff.flags", **Filters.from_request().args()))


@bp.post("/<id:vote_id>/discount")
@staff_required
def discount(vote_id: int) -> ResponseReturnValue:
    vote = _vote(vote_id)
    form = DiscountForm()
    if not form.validate_on_submit():
        # failed_page rolls back first, so the list shows what is stored.
        return failed_page(
            TEMPLATE, message=_("Please choose a category from the list."), **_context()
        )
    category = VoteSignal(form.category.data)
    if integrity.discount_vote(db.session(), vote, current_user, category, clock().now()):
        flash(_("The vote no longer counts; the design's score and rank follow."), "success")
    else:
        flash(_("This vote was already discounted."), "info")
    return _back()


@bp.post("/<id:vote_id>/restore")
@staff_required
def restore(vote_id: int) -> ResponseReturnValue:
    done = integrity.restore_vote(db.session(), _vote(vote_id), current_user, clock().now())
    if done is ModerationAction.RESTORE:
        flash(_("The vote counts again; the design's score and rank follow."), "success")
    elif done is ModerationAction.DISMISS:
        flash(_("The vote keeps counting; its flags are dismissed."), "success")
    else:
        flash(_("This vote already counts and has no open flag."), "info")
    return _back()

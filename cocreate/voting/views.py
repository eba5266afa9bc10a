"""Voting pages: the vote itself (form post or fetch) and "How ranking works"."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user

from cocreate.accounts.auth import member_required
from cocreate.config import settings
from cocreate.core import db
from cocreate.core.clock import clock
from cocreate.core.ratelimit import limiter
from cocreate.core.responses import CONFLICT, FAILED, failed_page
from cocreate.designs.models import Design
from cocreate.voting import addresses, counters, panel, ranking, services
from cocreate.voting.forms import SCORE_MESSAGE, VoteForm
from cocreate.voting.models import Vote

bp = Blueprint("voting", __name__, template_folder="templates")

FORBIDDEN = 403
#: HTTP answer to each kind of refusal.
STATUS = {
    services.InvalidVote: FAILED,
    services.NotAllowedToVote: FORBIDDEN,
    services.VotingClosed: CONFLICT,
}


def vote_limit() -> str:
    return settings().RATELIMIT_VOTE


def vote_address_limit() -> str:
    return settings().RATELIMIT_VOTE_ADDRESS


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _design(design_id: int) -> Design:
    """Only a design this member may see: a private one is a 404, as on its page."""
    design = db.session().get(Design, design_id)
    if design is None:
        abort(404)
    if not (design.is_public or design.designer_id == current_user.id or current_user.is_staff):
        abort(404)
    return design


def _client_hash() -> str:
    config = settings()
    return addresses.address_hash(
        get_remote_address() or "",
        secret_key=config.SECRET_KEY,
        now=clock().now(),
        period_days=config.VOTING_ADDRESS_HASH_DAYS,
    )


def _refused(design: Design, message: str, status: int) -> ResponseReturnValue:
    if _wants_json():
        db.rollback()
        return jsonify(error=_("Your vote was not saved."), message=message), status
    return failed_page("voting/refused.html", status=status, message=message, design=design)


def _vote_state(vote: Vote, design: Design) -> dict[str, object]:
    """The JSON answer: the member's vote, and the counts they may now see (having voted).

    `texts` are what vote.js writes into the panel in place (the score line, the member's
    vote, the button): a few translated strings, not the panel rendered again. Staff's panel
    shows more (the ranking score, the voter-normalised score, buy intent by size), so for
    staff `html` also brings the whole panel back for the script to swap in."""
    state: dict[str, object] = {
        "vote": {
            "score": vote.score,
            "buy": vote.buy,
            "product": vote.product,
            "size": vote.size,
        },
        "vote_count": design.vote_count,
        "average": ranking.average(design.score_sum, design.vote_count),
        "message": _("Your vote is saved."),
        "texts": panel.vote_texts(design, vote),
    }
    if current_user.is_staff:
        state["html"] = panel.render_panel(design)
    return state


def vote_account_key() -> str:
    """The vote's account limit key, "account:<id>" as core.ratelimit.account_key makes it,
    but read from the signed session cookie: no database. The limits are then counted before
    the request's first query begins its transaction, which on SQLite takes the write lock
    (BEGIN IMMEDIATE): the limiter's round trips to its storage (Redis, in production) are
    not made while every other vote waits. A cookie whose server-side session has ended still
    names its member and counts against that member (only its holder can send it); without a
    member the address stands in. member_required refuses both right after."""
    user_id = session.get("_user_id")
    return f"account:{user_id}" if user_id else get_remote_address()


# Votes per account, and per client address (many accounts behind one address share it).
_account_limit = limiter.shared_limit(vote_limit, scope="vote-account", key_func=vote_account_key)
_address_limit = limiter.shared_limit(
    vote_address_limit, scope="vote-address", key_func=get_remote_address
)


@bp.post("/designs/<id:design_id>/vote")
@_account_limit
@_address_limit
@member_required
def vote(design_id: int) -> ResponseReturnValue:
    design = _design(design_id)
    form = VoteForm()
    if not form.validate_on_submit():
        errors = [str(e) for field in form for e in field.errors]
        return _refused(design, errors[0] if errors else str(SCORE_MESSAGE), FAILED)
    try:
        cast = services.cast_vote(
            db.session(),
            design,
            current_user,
            score=form.score_value(),
            buy_choice=form.buy_choice(),
            ip_hash=_client_hash(),
            now=clock().now(),
            settings=settings(),
        )
    except services.VoteRefused as error:
        return _refused(design, str(error), STATUS.get(type(error), FAILED))
    if _wants_json():
        return jsonify(_vote_state(cast, design))
    flash(_("Your vote is saved."), "success")
    # 303: the browser follows with a GET of the design page, whatever the method was.
    return redirect(url_for("designs.detail", design_id=design.id, _anchor="vote-panel"), 303)


@bp.get("/ranking")
def how_ranking() -> ResponseReturnValue:
    config = settings()
    session = db.session()
    prior = config.VOTING_PRIOR_WEIGHT
    mean = counters.stored_mean(session)
    return render_template(
        "voting/how_ranking.html",
        prior=prior,
        mean=mean,
        refreshed_at=ranking.refreshed_at(session),
        hide_until_voted=config.VOTING_HIDE_SCORE_UNTIL_VOTED,
        few=counters.rank_value(prior, mean, 3 * 5, 3),
        many=counters.rank_value(prior, mean, 1840, 400),
    )

"""The vote panel of a design's page: who sees the widget, the score, buy intent and results.

Herding (DESIGN.md): with VOTING_HIDE_SCORE_UNTIL_VOTED a member sees a design's average and
vote count only after voting, or once the window is over, so the first scores do not steer the
later ones. The designer and staff always see them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from babel import numbers as babel_numbers
from flask import render_template
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import Session

from cocreate.catalogue import products as catalogue
from cocreate.config import Config, settings
from cocreate.core import db
from cocreate.core.clock import clock
from cocreate.core.i18n import current_locale
from cocreate.designs.lifecycle import voting_ended
from cocreate.designs.models import Design, DesignState
from cocreate.designs.services import product_label
from cocreate.voting import ranking, services
from cocreate.voting.models import Vote, VoteSignal

S = DesignState
#: States whose window is over: the results are public (and the designer's to read).
RESULT_STATES = frozenset({S.CLOSED, S.APPROVED, S.DECLINED, S.ON_SALE, S.RETIRED})
#: States whose page carries the panel at all.
PANEL_STATES = RESULT_STATES | {S.VOTING}


def format_score(value: float | None, digits: int = 2, *, signed: bool = False) -> str:
    """A score in the reader's language ("3.26", "3,26"); `signed` for an offset ("+0.50")."""
    if value is None:
        return "–"
    pattern = "0." + "0" * digits if digits else "0"
    if signed:
        pattern = f"+{pattern};-{pattern}"
    return babel_numbers.format_decimal(value, format=pattern, locale=current_locale())


def discount_label(category: VoteSignal) -> str:
    """Why staff discounted votes, as the public results name it."""
    labels = {
        VoteSignal.SHARED_ADDRESS: _("many accounts voting from one address"),
        VoteSignal.NEW_ACCOUNT_BURST: _("a burst of new accounts voting for this design"),
        VoteSignal.SINGLE_DESIGNER: _("accounts that only ever vote for one designer"),
        VoteSignal.FIVE_STAR_BURST: _("a burst of 5-star votes"),
        VoteSignal.OTHER: _("other reasons, judged by staff"),
    }
    return labels[category]


@dataclass(frozen=True)
class Viewer:
    """Who is looking at the panel, as far as its rules care."""

    user_id: int | None = None
    is_owner: bool = False
    is_staff: bool = False
    is_verified: bool = False

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    @classmethod
    def of(cls, user: Any, design: Design) -> Viewer:
        if user is None or not user.is_authenticated:
            return cls()
        return cls(
            user_id=user.id,
            is_owner=user.id == design.designer_id,
            is_staff=bool(user.is_staff),
            is_verified=bool(user.is_verified),
        )


def window_over(design: Design, now: datetime) -> bool:
    """True once votes are no longer taken: closed (or later), or past the window's end."""
    if design.state in RESULT_STATES:
        return True
    return design.state is S.VOTING and voting_ended(design, now)


def score_visible(*, hide_until_voted: bool, viewer: Viewer, has_voted: bool, over: bool) -> bool:
    return not hide_until_voted or viewer.is_owner or viewer.is_staff or has_voted or over


@dataclass(frozen=True)
class SizeGroup:
    """The sizes of one product the design is offered on, for the select's <optgroup>."""

    label: str
    options: list[tuple[str, str]]


def size_label(product: str, size: str) -> str:
    """A size as the catalogue names it ("50 × 70 cm"); its key if the catalogue dropped it."""
    if catalogue.is_product(product):
        for option in catalogue.get(product).sizes:
            if option.key == size:
                return str(option.name)
    return size


def size_groups(design: Design) -> list[SizeGroup]:
    return [
        SizeGroup(str(p.name), [(f"{p.key}:{s.key}", str(s.name)) for s in p.sizes])
        for p in catalogue.CATALOGUE
        if p.key in design.product_set
    ]


def panel_context(
    session: Session, design: Design, viewer: Viewer, *, now: datetime, config: Config
) -> dict[str, Any]:
    """What the panel template shows; at most four queries (vote, intents, normalised, results)."""
    vote: Vote | None = None
    if viewer.authenticated and not viewer.is_owner:
        vote = services.find_vote(session, design.id, viewer.user_id or 0, lock=False)
    over = window_over(design, now)
    is_open = design.state is S.VOTING and not over
    visible = score_visible(
        hide_until_voted=config.VOTING_HIDE_SCORE_UNTIL_VOTED,
        viewer=viewer,
        has_voted=vote is not None,
        over=over,
    )
    insider = viewer.is_owner or viewer.is_staff
    normalised = None
    if viewer.is_staff:
        normalised = ranking.normalised_scores(session, [design.id])[design.id]
    return dict(
        design=design,
        viewer=viewer,
        vote=vote,
        is_open=is_open,
        over=over,
        score_visible=visible,
        vote_count=design.vote_count,
        average=ranking.average(design.score_sum, design.vote_count),
        can_vote=is_open and viewer.authenticated and not viewer.is_owner and viewer.is_verified,
        size_groups=size_groups(design),
        intents=ranking.intents(session, design.id) if insider else None,
        normalised=normalised,
        results=ranking.results(session, design.id) if over else None,
        discount_label=discount_label,
        size_label=size_label,
    )


def current_context(design: Design) -> dict[str, Any]:
    return panel_context(
        db.session(),
        design,
        Viewer.of(current_user, design),
        now=clock().now(),
        config=settings(),
    )


def vote_texts(design: Design, vote: Vote) -> dict[str, str]:
    """What a member's panel says once they have voted, as _panel.html words it: vote.js
    writes these into the panel after a vote instead of receiving it re-rendered whole. Having
    voted, the voter may see the score (herding), so it is always given."""
    mine = _("Your vote: %(score)d out of 5.", score=vote.score)
    if vote.buy:
        bought = _(
            "You’d buy it in %(size)s (%(product)s).",
            size=size_label(vote.product, vote.size),
            product=product_label(vote.product),
        )
        mine = f"{mine} {bought}"
    count = design.vote_count
    average = ranking.average(design.score_sum, count)
    return {
        "average": _("Average %(score)s out of 5", score=format_score(average)) if count else "",
        "count": ngettext("%(num)d vote", "%(num)d votes", count) if count else _("No votes yet."),
        "your_vote": mine,
        "button": _("Change my vote"),
    }


def render_panel(design: Design) -> str:
    """The panel alone (what the vote answer sends back for the script to swap in)."""
    return render_template("voting/_panel.html", **current_context(design))


def render_section(design: Design) -> str:
    """The design page's "aside" section: the panel with its stylesheet and script."""
    if design.state not in PANEL_STATES:
        return ""
    return render_template("voting/section.html", **current_context(design))

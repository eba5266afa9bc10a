"""What staff and the public read about vote integrity, in the reader's language: the name of
each signal (also the discount categories on a design's results) and the facts of a flag."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from cocreate.voting.flag_models import FlagState, VoteFlag
from cocreate.voting.integrity import NEW_ACCOUNT_AGE
from cocreate.voting.models import VoteSignal

SIGNAL_LABELS = {
    VoteSignal.SHARED_ADDRESS: _l("Many accounts from one address"),
    VoteSignal.NEW_ACCOUNT_BURST: _l("Burst of new accounts"),
    VoteSignal.SINGLE_DESIGNER: _l("Votes for one designer only"),
    VoteSignal.FIVE_STAR_BURST: _l("Burst of 5-star votes"),
    VoteSignal.OTHER: _l("Other (staff judgement)"),
}

STATE_LABELS = {
    FlagState.OPEN: _l("Open"),
    FlagState.DISCOUNTED: _l("Discounted"),
    FlagState.DISMISSED: _l("Dismissed"),
}


def signal_label(signal: VoteSignal) -> str:
    """The name of a signal, or of a discount category (template global `vote_signal_label`)."""
    return str(SIGNAL_LABELS[signal])


def state_label(state: FlagState) -> str:
    return str(STATE_LABELS[state])


def window_text(minutes: int) -> str:
    if minutes % 60 == 0:
        return ngettext("%(num)d hour", "%(num)d hours", minutes // 60)
    return ngettext("%(num)d minute", "%(num)d minutes", minutes)


def flag_detail(flag: VoteFlag) -> str:
    """The facts the signal found, with the numbers stored on the flag."""
    window = window_text(flag.window_minutes)
    if flag.signal is VoteSignal.SHARED_ADDRESS:
        return ngettext(
            "%(num)d account voted from this address within %(window)s",
            "%(num)d accounts voted from this address within %(window)s",
            flag.count,
            window=window,
        )
    if flag.signal is VoteSignal.NEW_ACCOUNT_BURST:
        return ngettext(
            "%(num)d vote on this design within %(window)s from accounts under %(age)d hours old",
            "%(num)d votes on this design within %(window)s from accounts under %(age)d hours old",
            flag.count,
            window=window,
            age=int(NEW_ACCOUNT_AGE.total_seconds()) // 3600,
        )
    if flag.signal is VoteSignal.SINGLE_DESIGNER:
        return ngettext(
            "%(num)d counted vote, all for one designer's designs",
            "%(num)d counted votes, all for one designer's designs",
            flag.count,
        )
    return ngettext(
        "%(num)d vote of 5 on this design within %(window)s",
        "%(num)d votes of 5 on this design within %(window)s",
        flag.count,
        window=window,
    )

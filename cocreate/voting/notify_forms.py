"""The notification preferences form: one "by email" box per kind of notification."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField

from cocreate.voting.notify_models import NotificationKind

K = NotificationKind

#: What each box says: "Email me when …".
KIND_LABELS = {
    K.COMMENT_ON_MY_DESIGN: _l("someone comments on one of my designs"),
    K.REPLY_TO_MY_COMMENT: _l("someone replies to one of my comments"),
    K.DESIGN_VOTING_OPEN: _l("my design opens to votes"),
    K.VOTING_CLOSED: _l("voting on my design closes (with its results)"),
    K.DESIGN_APPROVED: _l("my design is approved for production"),
    K.DESIGN_DECLINED: _l("my design is not selected for production"),
    K.DESIGN_REMOVED: _l("my design is removed"),
    K.DESIGN_REJECTED: _l("my design is not accepted at screening"),
    K.FOLLOWED_DESIGNER_NEW_DESIGN: _l("a designer I follow has a new design open to votes"),
    K.REPRINT_ON_SALE: _l("a design I asked to be reprinted is on sale again"),
}


class PreferencesForm(FlaskForm):
    """A box per kind, named by the kind's value (added below, so a new kind gets its box)."""

    def choices(self) -> dict[NotificationKind, bool]:
        return {kind: bool(self[kind.value].data) for kind in NotificationKind}

    def boxes(self) -> list[BooleanField]:
        return [self[kind.value] for kind in NotificationKind]


for _kind in NotificationKind:
    setattr(PreferencesForm, _kind.value, BooleanField(KIND_LABELS[_kind]))

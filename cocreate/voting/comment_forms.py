"""Comment forms. The comment's text is checked by the service (comments.post and edit), which
holds the rules for every caller; these forms carry the text, cleaned, and the CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from cocreate.core.inputs import clean_field
from cocreate.voting.comment_models import MAX_REASON, ReportReason

REASON_LABELS = {
    ReportReason.SPAM: _l("Spam or advertising"),
    ReportReason.HARASSMENT: _l("Harassment or insults"),
    ReportReason.OFFENSIVE: _l("Hateful or offensive"),
    ReportReason.OTHER: _l("Something else"),
}


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Comment"), filters=[clean_field])


class ReportForm(FlaskForm):
    reason = SelectField(
        _l("Why?"),
        choices=[(reason.value, label) for reason, label in REASON_LABELS.items()],
        validators=[InputRequired(message=_l("Choose a reason."))],
    )
    note = TextAreaField(
        _l("Anything to add (optional)"),
        validators=[Optional(), Length(max=MAX_REASON)],
        filters=[clean_field],
    )


class HideForm(FlaskForm):
    """Hiding, restoring: staff act from the design page or the report queue, and `back`
    ("reports" or empty) says which page to return to."""

    reason = TextAreaField(_l("Reason"), filters=[clean_field])
    back = HiddenField()

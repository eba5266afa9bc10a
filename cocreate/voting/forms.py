"""The vote form: a score, "I'd buy it", and a size written "product:size" ("tee:M").

The form only reads what was sent; which scores and sizes are allowed is the service's rule
(services.check_score, services.check_choice), so every way in is held to the same checks.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import ValidationError

from cocreate.voting.services import BuyChoice

SCORE_MESSAGE = _l("Choose a score from 1 to 5.")
SIZE_MESSAGE = _l("Choose the size you would buy.")


def parse_size(value: str) -> BuyChoice:
    """ "tee:M" → ("tee", "M"); a value without a colon is a product with no size, which the
    service then refuses with its message."""
    product, _sep, size = value.strip().partition(":")
    return product, size


class VoteForm(FlaskForm):
    score = StringField(_l("Your score"))
    buy = BooleanField(_l("I’d buy it"))
    size = StringField(_l("Size"))

    def validate_score(self, field: Any) -> None:
        try:
            int(field.data or "")
        except ValueError:
            raise ValidationError(SCORE_MESSAGE) from None

    def validate_size(self, field: Any) -> None:
        if self.buy.data and not (field.data or "").strip():
            raise ValidationError(SIZE_MESSAGE)

    def score_value(self) -> int:
        return int(self.score.data or "")

    def buy_choice(self) -> BuyChoice | None:
        """The size bought, or None when "I'd buy it" is not ticked (a size alone is ignored:
        the select keeps its value when the box is unticked)."""
        return parse_size(self.size.data or "") if self.buy.data else None

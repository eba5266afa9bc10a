"""The payout forms: a creator's threshold, and the manual payment staff record. Labels and
messages are lazy so they render in the reader's language."""

from __future__ import annotations

import re
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Regexp

from cocreate.core.inputs import single_line
from cocreate.core.money import Money

#: An amount as people type it: "30", "30.00" or "30,00" (up to a million).
AMOUNT = re.compile(r"^[0-9]{1,7}(?:[.,][0-9]{1,2})?$")


def _strip(value: object) -> object:
    return single_line(value).strip() if isinstance(value, str) else value


class ThresholdForm(FlaskForm):
    threshold = StringField(
        _l("Pay me when my cleared earnings reach"),
        validators=[
            DataRequired(),
            Regexp(AMOUNT, message=_l("Enter an amount such as 50.00.")),
        ],
        filters=[_strip],
    )

    def amount(self, currency: str) -> Money:
        return Money.from_decimal(Decimal((self.threshold.data or "0").replace(",", ".")), currency)


class RecordPaymentForm(FlaskForm):
    reference = StringField(
        _l("Bank transfer reference"),
        validators=[DataRequired(), Length(max=255)],
        filters=[_strip],
    )


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""

"""The checkout form (email and shipping address) and the order desk's forms. Labels and
messages are lazy so they render in the reader's language."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from cocreate.accounts.services import AccountError, normalise_email
from cocreate.core.i18n import current_locale
from cocreate.core.inputs import Visible, single_line
from cocreate.shop.checkout import Address


def _line(value: Any) -> Any:
    """Address fields are single lines: a line break would end up on a parcel label."""
    return single_line(value) if isinstance(value, str) else value


def country_name(code: str) -> str:
    return str(current_locale().territories.get(code, code))


class CheckoutForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Length(max=254)],
        filters=[_line],
        description=_l("Your confirmation and the shipping notice go there."),
    )
    name = StringField(
        _l("Full name"), validators=[DataRequired(), Visible(), Length(max=100)], filters=[_line]
    )
    line1 = StringField(
        _l("Address"), validators=[DataRequired(), Visible(), Length(max=120)], filters=[_line]
    )
    line2 = StringField(
        _l("Address (second line)"), validators=[Optional(), Length(max=120)], filters=[_line]
    )
    city = StringField(
        _l("City"), validators=[DataRequired(), Visible(), Length(max=80)], filters=[_line]
    )
    postcode = StringField(
        _l("Postcode"),
        validators=[
            DataRequired(),
            Length(max=16),
            Regexp(
                r"^[A-Za-z0-9][A-Za-z0-9 -]*$",
                message=_l("A postcode has only letters, digits, spaces and hyphens."),
            ),
        ],
        filters=[_line],
    )
    country = SelectField(_l("Country"), validators=[DataRequired()])

    def set_countries(self, codes: tuple[str, ...]) -> None:
        choices = sorted(((code, country_name(code)) for code in codes), key=lambda c: c[1])
        self.country.choices = choices

    def validate_email(self, field: Any) -> None:
        try:
            field.data = normalise_email(field.data or "")
        except AccountError as error:
            raise ValidationError(str(error)) from error

    def address(self) -> Address:
        return Address(
            name=self.name.data or "",
            line1=self.line1.data or "",
            line2=self.line2.data or "",
            city=self.city.data or "",
            postcode=(self.postcode.data or "").upper(),
            country=self.country.data or "",
        )


class FulfilForm(FlaskForm):
    tracking_number = StringField(
        _l("Tracking number"), validators=[DataRequired(), Length(max=100)], filters=[_line]
    )


class RefundForm(FlaskForm):
    """The units per line are read by hand (`qty-<line id>`, the lines depend on the order),
    and so is the button pressed (`scope`: "whole" refunds everything left, with the shipping;
    "lines" the units entered)."""

    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(), Length(max=1000)],
        description=_l("Kept in the order's history and the staff audit log."),
    )
    restock = BooleanField(
        _l("Return the units to stock"),
        description=_l(
            "They go back on sale once the payment service confirms the refund. Ticked until "
            "the order ships; after that, only for units that came back fit to sell."
        ),
    )

    def validate_restock(self, field: Any) -> None:
        # A ticked box sends its value, "y"; anything else is a form made by hand.
        if field.raw_data and field.raw_data != ["y"]:
            raise ValidationError(
                _l("“Return the units to stock” can only be ticked or left empty.")
            )

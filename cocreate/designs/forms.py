"""Design forms. The artwork file is validated by content in the service, not here."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.validators import DataRequired, Length, Optional

from cocreate.core.inputs import Visible, clean_field
from cocreate.designs.models import Product


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class DesignForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(), Visible(), Length(max=120)],
        filters=[clean_field],
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=5000)],
        filters=[clean_field],
        description=_l("What inspired it, how you see it worn or hung. Plain text."),
    )
    tags = StringField(
        _l("Tags"),
        validators=[Optional(), Length(max=400)],
        filters=[clean_field],
        description=_l("Up to 8, separated by commas, e.g. ocean, retro, minimal."),
    )
    products = CheckboxesField(
        _l("Products"),
        choices=[(Product.TEE.value, _l("T-shirt")), (Product.POSTER.value, _l("Poster"))],
        validators=[DataRequired(message=_l("Choose at least one product for your design."))],
        default=[Product.TEE.value],
    )
    artwork = FileField(
        _l("Artwork"),
        description=_l(
            "PNG, JPEG or WebP. At least 2400 px on the long side for tees, 3000 px "
            "for posters. Transparent PNGs look best on garments."
        ),
    )

"""Design forms. The artwork file is validated by content in the service, not here."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.validators import DataRequired, Length, Optional

from cocreate.catalogue import products as catalogue
from cocreate.core.inputs import Visible, clean_field


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
        choices=[],  # the catalogue's, set per form (see __init__)
        validators=[DataRequired(message=_l("Choose at least one product for your design."))],
        default=lambda: [catalogue.default().key],
    )
    artwork = FileField(_l("Artwork"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        products = catalogue.CATALOGUE
        self.products.choices = [(p.key, str(p.name)) for p in products]
        # Minimums come from the catalogue or its settings override, so they are read per form.
        minimums = "; ".join(
            _(
                "%(product)s: %(minimum)d px",
                product=p.name,
                minimum=catalogue.min_long_side(p.key),
            )
            for p in products
        )
        self.artwork.description = _(
            "PNG, JPEG or WebP. Smallest long side for a sharp print: %(minimums)s. "
            "Transparent PNGs look best on garments.",
            minimums=minimums,
        )

"""Every product the platform prints, declared once.

Forms, print-size checks and their messages, mockups, the design page, its colour swatches and
the demo seed all read this list: a new product is one entry here plus its mockup drawing.
Prices are integer minor units of the shop's currency (`Config.CURRENCY`).
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import current_app
from flask_babel import lazy_gettext as _l

from cocreate.catalogue.drawing.poster import poster_mockup, poster_print_area
from cocreate.catalogue.drawing.tee import tee_mockup, tee_print_area
from cocreate.catalogue.drawing.tote import tote_mockup, tote_print_area
from cocreate.catalogue.spec import Colour, ProductSpec, Size
from cocreate.config import Config
from cocreate.core.money import Money

TEE = ProductSpec(
    key="tee",
    name=_l("T-shirt"),
    mockup_alt=_l("“%(title)s” on a %(colour)s T-shirt"),
    sizes=tuple(Size(s, s) for s in ("XS", "S", "M", "L", "XL", "XXL")),
    colours=(
        Colour("white", _l("white"), "#F3F3F0", dark=False),
        Colour("black", _l("black"), "#1E1E20", dark=True),
        Colour("heather-grey", _l("heather grey"), "#B4B3AF", dark=False, heathered=True),
        Colour("navy", _l("navy"), "#1F2B47", dark=True),
        Colour("red", _l("red"), "#B3232F", dark=True),
        Colour("forest-green", _l("forest green"), "#264A3A", dark=True),
    ),
    print_area_mm=(300, 400),
    min_long_side=2400,
    base_price=2500,
    render_mockup=tee_mockup,
    print_area=tee_print_area,
)

POSTER = ProductSpec(
    key="poster",
    name=_l("Poster"),
    mockup_alt=_l("“%(title)s” as a framed poster"),
    sizes=(Size("30x40", "30 × 40 cm"), Size("50x70", "50 × 70 cm")),
    colours=(),
    print_area_mm=(500, 700),
    min_long_side=3000,
    base_price=1900,
    render_mockup=poster_mockup,
    print_area=poster_print_area,
)

TOTE = ProductSpec(
    key="tote",
    name=_l("Tote bag"),
    mockup_alt=_l("“%(title)s” on a %(colour)s tote bag"),
    sizes=(Size("one-size", _l("One size")),),
    colours=(
        Colour("natural", _l("natural"), "#E6DCC6", dark=False),
        Colour("black", _l("black"), "#222120", dark=True),
    ),
    print_area_mm=(280, 320),
    min_long_side=2200,
    base_price=1800,
    render_mockup=tote_mockup,
    print_area=tote_print_area,
)

#: In display order; the first is the default choice on the upload form.
CATALOGUE: tuple[ProductSpec, ...] = (TEE, POSTER, TOTE)


# --- Lookups -----------------------------------------------------------------------------------

_BY_KEY: Mapping[str, ProductSpec] = {p.key: p for p in CATALOGUE}


def product_keys() -> list[str]:
    return [p.key for p in CATALOGUE]


def is_product(key: str) -> bool:
    return key in _BY_KEY


def get(key: str) -> ProductSpec:
    """The product with this key (KeyError if the catalogue has none)."""
    return _BY_KEY[key]


def default() -> ProductSpec:
    return CATALOGUE[0]


def _config(config: Config | None) -> Config:
    if config is not None:
        return config
    found: Config = current_app.extensions["cocreate.config"]
    return found


def min_long_side(key: str, config: Config | None = None) -> int:
    """Smallest long side in pixels: `PRODUCT_MIN_LONG_SIDE[key]` if set, else the catalogue's."""
    return _config(config).PRODUCT_MIN_LONG_SIDE.get(key, get(key).min_long_side)


def price(key: str, config: Config | None = None) -> Money:
    """The product's price in the shop's currency: `PRODUCT_PRICES[key]` (minor units) if set,
    else the catalogue's base price."""
    settings = _config(config)
    return Money(settings.PRODUCT_PRICES.get(key, get(key).base_price), settings.CURRENCY)


def base_prices() -> dict[str, int]:
    return {p.key: p.base_price for p in CATALOGUE}

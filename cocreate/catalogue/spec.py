"""What the catalogue says about a product. The declarations themselves are in `products.py`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import LazyString
from PIL import Image

#: (left, top, right, bottom) in pixels on the mockup canvas.
Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Colour:
    """A garment or fabric colour. The key ends up in storage keys, URLs and CSS classes."""

    key: str
    name: LazyString
    #: "#RRGGBB", used for the mockup fabric and the colour swatch.
    hex: str
    #: Dark fabrics need a white underbase: light ink must stay light on them.
    dark: bool
    #: Mottled yarn (heather): the mockup adds a speckled texture.
    heathered: bool = False


@dataclass(frozen=True)
class Size:
    key: str
    name: LazyString | str


#: Draws the artwork (RGBA) on the product in a colour (None when it has no colours), as an RGB
#: image `size` px square.
MockupRenderer = Callable[[Image.Image, "Colour | None", int], Image.Image]
#: Where artwork of this size lands on a `size` px mockup.
PrintAreaFinder = Callable[[int, tuple[int, int]], Box]


@dataclass(frozen=True)
class ProductSpec:
    key: str
    name: LazyString
    #: Alt text of a mockup: `%(title)s`, and `%(colour)s` when the product has colours.
    mockup_alt: LazyString
    sizes: tuple[Size, ...]
    #: Empty: one mockup, without a colour choice.
    colours: tuple[Colour, ...]
    #: Printable area on the product, in millimetres (width, height).
    print_area_mm: tuple[int, int]
    #: Smallest long side of the artwork, in pixels, for a sharp print (settings may override).
    min_long_side: int
    #: In minor units of the shop's currency (settings may override).
    base_price: int
    render_mockup: MockupRenderer
    print_area: PrintAreaFinder

    def colour(self, key: str) -> Colour:
        for colour in self.colours:
            if colour.key == key:
                return colour
        raise KeyError(f"{self.key} has no colour {key!r}")

    def mockup_names(self) -> list[str]:
        """Storage names of its mockups: `product:colour` per colour, or just `product`."""
        return [f"{self.key}:{c.key}" for c in self.colours] or [self.key]

"""Product mockups: the artwork drawn on each catalogue product, in each of its colours.

Voters judge the product, not a bare file, so the print must look printed: scaled into the
print area, lit by the same folds as the fabric, and honest about colour.

The catalogue (cocreate/catalogue/products.py) says which drawing renders each product; the
drawings live beside it in cocreate/catalogue/drawing/. This module renders and stores them.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from PIL import Image

from cocreate.catalogue.spec import ProductSpec
from cocreate.core.storage import Storage, put_many

DEFAULT_SIZE = 800
WEBP_QUALITY = 86


def render_mockup(
    artwork: Image.Image, product: ProductSpec, colour: str | None = None, size: int = DEFAULT_SIZE
) -> bytes:
    """One mockup as WebP bytes, `size` px square. `colour` is one of the product's colour keys."""
    return _webp(render_mockup_image(artwork, product, colour, size))


def render_mockup_image(
    artwork: Image.Image, product: ProductSpec, colour: str | None = None, size: int = DEFAULT_SIZE
) -> Image.Image:
    """The mockup as an RGB image (what `render_mockup` encodes)."""
    if size < 64:
        raise ValueError("mockups need at least 64 px")
    art = artwork if artwork.mode == "RGBA" else artwork.convert("RGBA")
    if not product.colours:
        return product.render_mockup(art, None, size)
    if colour is None:
        raise ValueError(f"{product.key} mockups need a colour")
    try:
        spec = product.colour(colour)
    except KeyError:
        known = [c.key for c in product.colours]
        raise ValueError(f"unknown colour {colour!r} for {product.key}; one of {known}") from None
    return product.render_mockup(art, spec, size)


def render_all_mockups(
    original_png: bytes,
    storage: Storage,
    products: Iterable[ProductSpec],
    *,
    size: int = DEFAULT_SIZE,
) -> dict[str, str]:
    """Render and store every mockup of `products`: `{"product:colour": key, ...}` (just
    `"product"` for a product without colours), in display order. All or nothing.

    Any image the artwork pipeline produced works as input; the print master is decoded once
    and shrunk once to the canvas size before the mockups are drawn.
    """
    with Image.open(io.BytesIO(original_png), formats=["PNG", "WEBP", "JPEG"]) as source:
        # No mockup shows the art bigger than the canvas: shrink once, before converting, so
        # the full-size master is never copied.
        source.thumbnail((size, size), Image.Resampling.LANCZOS, reducing_gap=2.0)
        art = source.convert("RGBA")
    files = {}
    for product in products:
        for name in product.mockup_names():
            _, _, colour = name.partition(":")
            files[name] = (render_mockup(art, product, colour or None, size), ".webp")
    return put_many(storage, files)


def _webp(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", quality=WEBP_QUALITY, method=4)
    return buffer.getvalue()

"""Product mockups: the artwork drawn on each catalogue product, in each of its colours.

Voters judge the product, not a bare file, so the print must look printed: scaled into the
print area, lit by the same folds as the fabric, and honest about colour.

The catalogue (cocreate/catalogue/products.py) says which drawing renders each product; the
drawings live beside it in cocreate/catalogue/drawing/. This module renders and stores them.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from PIL import Image

from cocreate.catalogue.spec import ProductSpec
from cocreate.core.storage import Storage, put_many

DEFAULT_SIZE = 800
WEBP_QUALITY = 86
# libwebp's method 1 encodes the mockups in a third of the default method 4's time (0.19 s
# against 0.56 s of CPU for all of them) for files 12% larger (360 KB against 320 KB together):
# encoding was half of the mockups' cost, and the designer waits for them.
WEBP_METHOD = 1
#: Threads drawing mockups at once: one per core, within reason.
_THREADS = min(os.cpu_count() or 1, 4)


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
    source: bytes | Image.Image,
    storage: Storage,
    products: Iterable[ProductSpec],
    *,
    size: int = DEFAULT_SIZE,
) -> dict[str, str]:
    """Render and store every mockup of `products`: `{"product:colour": key, ...}` (just
    `"product"` for a product without colours), in display order. All or nothing.

    `source` is the artwork: an image (the upload pipeline passes its gallery-size preview, so
    the full-size master is never decoded again) or the bytes of any image the pipeline stored.
    """
    art = _canvas_art(source, size)
    jobs = [
        (product, name, name.partition(":")[2] or None)
        for product in products
        for name in product.mockup_names()
    ]
    # Each mockup is independent, and Pillow releases the GIL in its C operations (resampling,
    # compositing, WebP encoding): drawn side by side, the designer waits for about one mockup
    # per core instead of the sum. The templates are cached per size, shared read-only.
    with ThreadPoolExecutor(max_workers=_THREADS, thread_name_prefix="mockups") as pool:
        drawn = pool.map(lambda job: render_mockup(art, job[0], job[2], size), jobs)
        files = {name: (data, ".webp") for (_, name, _), data in zip(jobs, drawn, strict=True)}
    return put_many(storage, files)


def _canvas_art(source: bytes | Image.Image, size: int) -> Image.Image:
    """The artwork as RGBA, no bigger than the canvas (no mockup shows it bigger)."""
    if isinstance(source, Image.Image):
        width, height = source.size
        scale = min(1.0, size / max(width, height))
        if scale < 1:
            new_size = (max(1, round(width * scale)), max(1, round(height * scale)))
            source = source.resize(new_size, Image.Resampling.LANCZOS, reducing_gap=2.0)
        return source if source.mode == "RGBA" else source.convert("RGBA")
    with Image.open(io.BytesIO(source), formats=["PNG", "WEBP", "JPEG"]) as image:
        # JPEG decodes at a reduced scale right away; others shrink once, before converting,
        # so the full-size image is never copied.
        image.draft("RGB", (size, size))
        image.thumbnail((size, size), Image.Resampling.LANCZOS, reducing_gap=2.0)
        return image.convert("RGBA")


def _webp(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    return buffer.getvalue()

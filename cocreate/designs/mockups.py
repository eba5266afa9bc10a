"""Product mockups: the artwork drawn on each catalogue product, in each of its colours.

Voters judge the product, not a bare file, so the print must look printed: scaled into the
print area, lit by the same folds as the fabric, and honest about colour. On light garments the
ink is multiplied onto the fabric's shading (as ink soaks into pale cotton). On dark garments
multiplying would make light ink vanish, so the ink is laid down normally, as a printer's white
underbase allows, and the folds are then applied over fabric and ink alike, with sheen (screen)
doing most of the work.

The catalogue (cocreate/catalogue/products.py) says which renderer draws each product; the
renderers for the tee and the framed poster are here, with the ink helpers any fabric uses.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

from PIL import Image, ImageChops

from cocreate.catalogue.spec import Box, Colour, ProductSpec
from cocreate.core.storage import Storage
from cocreate.designs import mockup_drawing as drawing
from cocreate.designs.parallel_store import put_all

DEFAULT_SIZE = 800
WEBP_QUALITY = 86
# libwebp's method 1 encodes the mockups in a third of the default method 4's time (0.19 s
# against 0.56 s of CPU for all of them) for files 12% larger (360 KB against 320 KB together):
# encoding was half of the mockups' cost, and the designer waits for them.
WEBP_METHOD = 1
#: Ink never covers fabric completely; a little of the weave shows through.
INK_OPACITY = 0.95
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
    return put_all(storage, files)


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


# --- Tee ---------------------------------------------------------------------------------------


def tee_print_area(size: int, art_size: tuple[int, int]) -> Box:
    return fit_box(drawing.tee_template(size).print_area, art_size)


def tee_mockup(art: Image.Image, colour: Colour | None, size: int) -> Image.Image:
    if colour is None:
        raise ValueError("a tee mockup needs a garment colour")
    textures = [drawing.heather_texture(size)] if colour.heathered else []
    return print_on_fabric(art, drawing.tee_template(size), colour, size, textures)


def print_on_fabric(
    art: Image.Image,
    template: drawing.GarmentTemplate,
    colour: Colour,
    size: int,
    textures: Sequence[Image.Image] = (),
) -> Image.Image:
    """The artwork printed on a fabric product of this colour, with the fabric's `textures`
    (around NEUTRAL) added to the cloth before the ink goes on."""
    base_rgb = rgb(colour.hex)
    dark = colour.dark
    shadow, sheen = split_lighting(template.lighting, dark=dark)
    fabric = Image.new("RGB", (size, size), base_rgb)
    for texture in textures:
        fabric = add_texture(fabric, texture)
    ink, ink_mask = placed_ink(art, template.print_area, size)

    if dark:
        # Ink first (opaque, over an underbase), then the folds over fabric and ink together.
        fabric.paste(ink, (0, 0), ink_mask)
        garment = shade(fabric, shadow, sheen)
    else:
        # Ink soaks into pale fabric: it takes the fabric's shading, multiplied.
        garment = shade(fabric, shadow, sheen)
        inked = shade(ink, shadow, sheen)
        garment.paste(inked, (0, 0), ink_mask)
    garment = add_texture(garment, drawing.fabric_grain(size))
    return Image.composite(garment, template.backdrop, template.mask)


def placed_ink(
    art: Image.Image, area: tuple[int, int, int, int], size: int
) -> tuple[Image.Image, Image.Image]:
    """The artwork scaled into the print area on a full-size canvas, and its coverage mask."""
    left, top, right, bottom = fit_box(area, art.size)
    scaled = art.resize((right - left, bottom - top), Image.Resampling.LANCZOS, reducing_gap=2.0)
    ink = Image.new("RGB", (size, size), (255, 255, 255))
    ink.paste(scaled.convert("RGB"), (left, top))
    mask = Image.new("L", (size, size), 0)
    mask.paste(scaled.getchannel("A").point(lambda a: round(a * INK_OPACITY)), (left, top))
    return ink, mask


def split_lighting(lighting: Image.Image, *, dark: bool) -> tuple[Image.Image, Image.Image]:
    """A multiply layer (shadows) and a screen layer (sheen), weighted for the fabric.

    Shadows barely show on dark cloth and sheen barely shows on white cloth, so each garment
    leans on the half of the lighting that reads on it.
    """
    shadow_gain, sheen_gain = (1.6, 1.5) if dark else (2.0, 0.6)
    neutral = drawing.NEUTRAL
    shadow = lighting.point(
        lambda v: 255 - min(255, round(max(0, neutral - v) * shadow_gain * 255 / neutral))
    )
    sheen = lighting.point(lambda v: min(255, round(max(0, v - neutral) * sheen_gain)))
    return shadow, sheen


def shade(image: Image.Image, shadow: Image.Image, sheen: Image.Image) -> Image.Image:
    shaded = ImageChops.multiply(image, Image.merge("RGB", (shadow, shadow, shadow)))
    return ImageChops.screen(shaded, Image.merge("RGB", (sheen, sheen, sheen)))


# --- Poster ------------------------------------------------------------------------------------


def poster_print_area(size: int, art_size: tuple[int, int]) -> Box:
    return drawing.poster_layout(size, art_size).art


def poster_mockup(art: Image.Image, colour: Colour | None, size: int) -> Image.Image:
    """A framed print on a wall; posters come in one paper, so `colour` is None."""
    layout = drawing.poster_layout(size, art.size)
    canvas = drawing.frame_on_wall(size, layout)
    left, top, right, bottom = layout.art
    scaled = art.resize((right - left, bottom - top), Image.Resampling.LANCZOS, reducing_gap=2.0)
    # Transparent parts of the art are bare paper.
    canvas.paste(scaled.convert("RGB"), (left, top), scaled.getchannel("A"))
    glare = drawing.glass_glare(size, layout)
    return Image.composite(Image.new("RGB", (size, size), (255, 255, 255)), canvas, glare)


# --- Helpers -----------------------------------------------------------------------------------


def fit_box(
    area: tuple[int, int, int, int], art_size: tuple[int, int]
) -> tuple[int, int, int, int]:
    """The largest box with the art's proportions inside `area`, centred in it."""
    left, top, right, bottom = area
    area_w, area_h = right - left, bottom - top
    art_w, art_h = art_size
    scale = min(area_w / art_w, area_h / art_h)
    width, height = max(1, round(art_w * scale)), max(1, round(art_h * scale))
    x = left + (area_w - width) // 2
    y = top + (area_h - height) // 2
    return x, y, x + width, y + height


def add_texture(image: Image.Image, texture: Image.Image) -> Image.Image:
    """Add a texture's deviation from NEUTRAL."""
    return ImageChops.add(image, texture, scale=1, offset=-drawing.NEUTRAL)


def rgb(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _webp(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    return buffer.getvalue()

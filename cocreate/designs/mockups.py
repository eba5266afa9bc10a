"""Product mockups: the artwork on a tee in each garment colour, and as a framed poster.

Voters judge the product, not a bare file, so the print must look printed: scaled into the
chest print area, lit by the same folds as the fabric, and honest about colour. On light
garments the ink is multiplied onto the fabric's shading (as ink soaks into pale cotton). On
dark garments multiplying would make light ink vanish, so the ink is laid down normally, as a
printer's white underbase allows, and the folds are then applied over fabric and ink alike, with
sheen (screen) doing most of the work.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

from PIL import Image, ImageChops

from cocreate.core.storage import Storage, put_many
from cocreate.designs import mockup_drawing as drawing

#: Garment colours offered for tees: stable slug -> hex. Slugs end up in keys and URLs.
GARMENT_COLOURS: Mapping[str, str] = {
    "white": "#F3F3F0",
    "black": "#1E1E20",
    "heather-grey": "#B4B3AF",
    "navy": "#1F2B47",
    "red": "#B3232F",
    "forest-green": "#264A3A",
}
PRODUCTS = ("tee", "poster")
DEFAULT_SIZE = 800
WEBP_QUALITY = 86
#: Ink never covers fabric completely; a little of the weave shows through.
INK_OPACITY = 0.95
#: Garments darker than this (relative luminance) use the dark-garment ink model.
DARK_LUMINANCE = 0.3


def mockup_names() -> list[str]:
    """Every mockup `render_all_mockups` makes, in display order."""
    return [f"tee:{colour}" for colour in GARMENT_COLOURS] + ["poster"]


def is_dark(colour: str) -> bool:
    return _luminance(_rgb(GARMENT_COLOURS[colour])) < DARK_LUMINANCE


def render_mockup(
    artwork: Image.Image, product: str, colour: str | None = None, size: int = DEFAULT_SIZE
) -> bytes:
    """One mockup as WebP bytes, `size` px square. `colour` is a GARMENT_COLOURS slug (tees)."""
    return _webp(render_mockup_image(artwork, product, colour, size))


def render_mockup_image(
    artwork: Image.Image, product: str, colour: str | None = None, size: int = DEFAULT_SIZE
) -> Image.Image:
    """The mockup as an RGB image (what `render_mockup` encodes)."""
    if size < 64:
        raise ValueError("mockups need at least 64 px")
    art = artwork if artwork.mode == "RGBA" else artwork.convert("RGBA")
    if product == "tee":
        if colour not in GARMENT_COLOURS:
            raise ValueError(f"unknown garment colour {colour!r}; one of {list(GARMENT_COLOURS)}")
        return _tee(art, colour, size)
    if product == "poster":
        return _poster(art, size)
    raise ValueError(f"unknown product {product!r}; one of {PRODUCTS}")


def render_all_mockups(
    original_png: bytes, storage: Storage, *, size: int = DEFAULT_SIZE
) -> dict[str, str]:
    """Render and store every mockup: `{"tee:white": key, ..., "poster": key}`. All or nothing.

    Any image the artwork pipeline produced works as input; the print master is decoded once
    and shrunk once to the largest print area before the mockups are drawn.
    """
    with Image.open(io.BytesIO(original_png), formats=["PNG", "WEBP", "JPEG"]) as source:
        # No mockup shows the art bigger than the canvas: shrink once, before converting, so
        # the full-size master is never copied.
        source.thumbnail((size, size), Image.Resampling.LANCZOS, reducing_gap=2.0)
        art = source.convert("RGBA")
    files = {}
    for name in mockup_names():
        product, _, colour = name.partition(":")
        files[name] = (render_mockup(art, product, colour or None, size), ".webp")
    return put_many(storage, files)


def print_area(product: str, size: int, art_size: tuple[int, int]) -> tuple[int, int, int, int]:
    """Where the artwork lands on the canvas (left, top, right, bottom) for this product."""
    if product == "tee":
        return _fit_box(drawing.tee_template(size).print_area, art_size)
    if product == "poster":
        return drawing.poster_layout(size, art_size).art
    raise ValueError(f"unknown product {product!r}")


# --- Tee ---------------------------------------------------------------------------------------


def _tee(art: Image.Image, colour: str, size: int) -> Image.Image:
    template = drawing.tee_template(size)
    base_rgb = _rgb(GARMENT_COLOURS[colour])
    dark = _luminance(base_rgb) < DARK_LUMINANCE
    shadow, sheen = _split_lighting(template.lighting, dark=dark)
    fabric = Image.new("RGB", (size, size), base_rgb)
    if colour == "heather-grey":
        fabric = _add(fabric, drawing.heather_texture(size))
    ink, ink_mask = _placed_ink(art, template.print_area, size)

    if dark:
        # Ink first (opaque, over an underbase), then the folds over fabric and ink together.
        fabric.paste(ink, (0, 0), ink_mask)
        garment = _shade(fabric, shadow, sheen)
    else:
        # Ink soaks into pale fabric: it takes the fabric's shading, multiplied.
        garment = _shade(fabric, shadow, sheen)
        inked = _shade(ink, shadow, sheen)
        garment.paste(inked, (0, 0), ink_mask)
    garment = _add(garment, drawing.fabric_grain(size))
    return Image.composite(garment, template.backdrop, template.mask)


def _placed_ink(
    art: Image.Image, area: tuple[int, int, int, int], size: int
) -> tuple[Image.Image, Image.Image]:
    """The artwork scaled into the print area on a full-size canvas, and its coverage mask."""
    left, top, right, bottom = _fit_box(area, art.size)
    scaled = art.resize((right - left, bottom - top), Image.Resampling.LANCZOS, reducing_gap=2.0)
    ink = Image.new("RGB", (size, size), (255, 255, 255))
    ink.paste(scaled.convert("RGB"), (left, top))
    mask = Image.new("L", (size, size), 0)
    mask.paste(scaled.getchannel("A").point(lambda a: round(a * INK_OPACITY)), (left, top))
    return ink, mask


def _split_lighting(lighting: Image.Image, *, dark: bool) -> tuple[Image.Image, Image.Image]:
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


def _shade(image: Image.Image, shadow: Image.Image, sheen: Image.Image) -> Image.Image:
    shaded = ImageChops.multiply(image, Image.merge("RGB", (shadow, shadow, shadow)))
    return ImageChops.screen(shaded, Image.merge("RGB", (sheen, sheen, sheen)))


# --- Poster ------------------------------------------------------------------------------------


def _poster(art: Image.Image, size: int) -> Image.Image:
    layout = drawing.poster_layout(size, art.size)
    canvas = drawing.frame_on_wall(size, layout)
    left, top, right, bottom = layout.art
    scaled = art.resize((right - left, bottom - top), Image.Resampling.LANCZOS, reducing_gap=2.0)
    # Transparent parts of the art are bare paper.
    canvas.paste(scaled.convert("RGB"), (left, top), scaled.getchannel("A"))
    glare = drawing.glass_glare(size, layout)
    return Image.composite(Image.new("RGB", (size, size), (255, 255, 255)), canvas, glare)


# --- Helpers -----------------------------------------------------------------------------------


def _fit_box(
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


def _add(image: Image.Image, texture: Image.Image) -> Image.Image:
    """Add a texture's deviation from NEUTRAL."""
    return ImageChops.add(image, texture, scale=1, offset=-drawing.NEUTRAL)


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _luminance(rgb: tuple[int, int, int]) -> float:
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _webp(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", quality=WEBP_QUALITY, method=4)
    return buffer.getvalue()

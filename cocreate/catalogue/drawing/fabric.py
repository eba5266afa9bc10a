"""Printing on fabric: the ink placed in the print area and lit by the garment's folds.

On light garments the ink is multiplied onto the fabric's shading (as ink soaks into pale
cotton). On dark garments multiplying would make light ink vanish, so the ink is laid down
normally, as a printer's white underbase allows, and the folds are then applied over fabric and
ink alike, with sheen (screen) doing most of the work.
"""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image, ImageChops

from cocreate.catalogue.drawing import shapes as drawing
from cocreate.catalogue.spec import Colour

#: Ink never covers fabric completely; a little of the weave shows through.
INK_OPACITY = 0.95


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

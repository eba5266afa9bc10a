"""The poster: a framed print on a wall."""

from __future__ import annotations

from PIL import Image

from cocreate.catalogue.drawing import shapes as drawing
from cocreate.catalogue.spec import Box, Colour


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

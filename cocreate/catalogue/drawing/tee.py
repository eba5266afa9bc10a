"""The tee: the artwork printed on a T-shirt seen from the front."""

from __future__ import annotations

from PIL import Image

from cocreate.catalogue.drawing import shapes as drawing
from cocreate.catalogue.drawing.fabric import fit_box, print_on_fabric
from cocreate.catalogue.spec import Box, Colour


def tee_print_area(size: int, art_size: tuple[int, int]) -> Box:
    return fit_box(drawing.tee_template(size).print_area, art_size)


def tee_mockup(art: Image.Image, colour: Colour | None, size: int) -> Image.Image:
    if colour is None:
        raise ValueError("a tee mockup needs a garment colour")
    textures = [drawing.heather_texture(size)] if colour.heathered else []
    return print_on_fabric(art, drawing.tee_template(size), colour, size, textures)

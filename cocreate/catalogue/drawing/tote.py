"""The tote bag mockup: a flat canvas bag seen from the front, handles up, drawn with Pillow.

Drawn in the 1000-unit design space of `shapes` and printed like any garment by
`fabric.print_on_fabric`: ink soaks into natural canvas and sits on a white underbase on dark
canvas. The canvas is a coarser weave than a tee's jersey, so it gets its own texture.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from cocreate.catalogue.drawing import shapes as drawing
from cocreate.catalogue.drawing.fabric import fit_box, print_on_fabric
from cocreate.catalogue.drawing.shapes import NEUTRAL, SUPERSAMPLE, UNITS, Point, bezier, mirror
from cocreate.catalogue.spec import Box, Colour

#: Where the print goes, in design units: the middle of the bag's face, below the hem.
TOTE_PRINT_AREA = (335, 455, 665, 835)
#: Top hem of the bag, in design units.
_HEM_TOP, _HEM_BOTTOM = 372, 412

# Right half of the bag (the left half is its mirror image): a straight top, sides that bulge a
# little where the bag is full, rounded bottom corners.
_TOP = [(500.0, 372.0), (748.0, 372.0)]
_SIDE = bezier((748, 372), (758, 560), (764, 760), (760, 872), 20)
_CORNER = bezier((760, 872), (759, 900), (742, 912), (712, 912), 8)
_BOTTOM = bezier((712, 912), (640, 914), (570, 915), (500, 915), 10)

# A handle (right half): a strap 44 units wide rising from the hem to a rounded top.
_HANDLE_OUTER = bezier((500, 104), (575, 104), (640, 170), (652, 392), 20)
_HANDLE_INNER = bezier((500, 148), (560, 148), (604, 200), (608, 392), 20)


def _bag_outline() -> list[Point]:
    right = _TOP + _SIDE + _CORNER + _BOTTOM
    return mirror(right) + right


def _handle(lift: float = 0) -> list[Point]:
    """A handle's strap as one polygon; `lift` raises it (the back handle shows higher)."""
    outer = [(x, y - lift) for x, y in _HANDLE_OUTER]
    inner = [(x, y - lift) for x, y in _HANDLE_INNER]
    return mirror(outer) + outer + list(reversed(inner)) + [(UNITS - x, y) for x, y in inner]


@lru_cache(maxsize=8)
def tote_template(size: int) -> drawing.GarmentTemplate:
    big = size * SUPERSAMPLE
    scale = big / UNITS

    def px(points: Sequence[Point]) -> list[Point]:
        return [(x * scale, y * scale) for x, y in points]

    mask_big = Image.new("L", (big, big), 0)
    mask_draw = ImageDraw.Draw(mask_big)
    for polygon in (_handle(lift=26), _handle(), _bag_outline()):
        mask_draw.polygon(px(polygon), fill=255)

    light_big = Image.new("L", (big, big), NEUTRAL)
    light = ImageDraw.Draw(light_big)
    # The back handle is the bag's inside face, in the front handle's shade.
    light.polygon(px(_handle(lift=26)), fill=NEUTRAL - 20)
    light.polygon(px(_handle()), fill=NEUTRAL)
    light.polygon(px(_bag_outline()), fill=NEUTRAL)
    _draw_stitching(light, scale)
    mask = drawing.shrink(mask_big, size)
    lighting = _soft_lighting(drawing.shrink(light_big, size), mask, size)

    left, top, right, bottom = (round(v * size / UNITS) for v in TOTE_PRINT_AREA)
    return drawing.GarmentTemplate(
        mask=mask,
        lighting=lighting,
        backdrop=drawing.studio_backdrop(mask, size),
        print_area=(left, top, right, bottom),
    )


def _draw_stitching(draw: ImageDraw.ImageDraw, scale: float) -> None:
    """Hem, handle seams and the box-and-cross stitches that hold the handles on."""

    def line(points: Sequence[Point], value: int, width: float) -> None:
        draw.line(
            [(x * scale, y * scale) for x, y in points], fill=value, width=round(width * scale)
        )

    # The hem: a fold (light above, shadow below) and its row of stitches.
    line([(252, _HEM_TOP + 3), (748, _HEM_TOP + 3)], NEUTRAL + 20, 4)
    line([(252, _HEM_BOTTOM), (748, _HEM_BOTTOM)], NEUTRAL - 40, 3)
    line([(252, _HEM_BOTTOM + 3), (748, _HEM_BOTTOM + 3)], NEUTRAL + 14, 2)
    line([(252, _HEM_BOTTOM - 8), (748, _HEM_BOTTOM - 8)], NEUTRAL - 22, 1.5)
    for x_outer, x_inner in ((652, 608), (348, 392)):
        left, right = min(x_outer, x_inner), max(x_outer, x_inner)
        # Where the strap is sewn on: a stitched box with a cross.
        box = [
            (left + 5, 380),
            (right - 5, 380),
            (right - 5, 436),
            (left + 5, 436),
            (left + 5, 380),
        ]
        line(box, NEUTRAL - 30, 2)
        line([(left + 5, 380), (right - 5, 436)], NEUTRAL - 30, 2)
        line([(right - 5, 380), (left + 5, 436)], NEUTRAL - 30, 2)
        # The strap's own shadow on the bag, just below the stitches.
        line([(left + 2, 442), (right - 2, 442)], NEUTRAL - 18, 5)


def _soft_lighting(lighting: Image.Image, mask: Image.Image, size: int) -> Image.Image:
    """Roundness at the sides, a soft sag under the handles and creases near the bottom."""
    unit = size / UNITS
    shading = Image.new("L", (size, size), NEUTRAL)
    draw = ImageDraw.Draw(shading)
    # Sides turn away from the light; the left a little less (light from the upper left).
    draw.rectangle([v * unit for v in (225, 372, 300, 915)], fill=NEUTRAL - 22)
    draw.rectangle([v * unit for v in (705, 372, 775, 915)], fill=NEUTRAL - 34)
    # The full middle of the bag catches the light.
    draw.ellipse([v * unit for v in (330, 470, 640, 840)], fill=NEUTRAL + 16)
    # Diagonal creases where the bottom corners fold.
    for crease in (((265, 700), (330, 905)), ((735, 690), (668, 905))):
        draw.line(
            [(x * unit, y * unit) for x, y in crease], fill=NEUTRAL - 26, width=round(9 * unit)
        )
    shading = shading.filter(ImageFilter.GaussianBlur(28 * unit))
    combined = ImageChops.add(lighting, shading, scale=1, offset=-NEUTRAL)
    # Outside the silhouette the lighting does not matter; keep it flat.
    return Image.composite(combined, Image.new("L", (size, size), NEUTRAL), mask)


@lru_cache(maxsize=8)
def canvas_weave(size: int) -> Image.Image:
    """Cotton canvas (RGB around NEUTRAL): threads running both ways, coarser than jersey."""
    across = drawing.noise_texture(size, seed=17, amount=2.5, stretch=3)
    down = drawing.noise_texture(size, seed=19, amount=2.5, stretch=3).transpose(
        Image.Transpose.ROTATE_90
    )
    weave = ImageChops.add(across, down, scale=1, offset=-NEUTRAL)
    return Image.merge("RGB", (weave, weave, weave))


def tote_print_area(size: int, art_size: tuple[int, int]) -> Box:
    return fit_box(tote_template(size).print_area, art_size)


def tote_mockup(art: Image.Image, colour: Colour | None, size: int) -> Image.Image:
    if colour is None:
        raise ValueError("a tote bag mockup needs a canvas colour")
    return print_on_fabric(art, tote_template(size), colour, size, [canvas_weave(size)])

"""Product templates drawn with Pillow: a tee seen from the front and a framed poster on a wall.

Everything is drawn in a 1000x1000 design space and scaled to the requested canvas, so one set of
coordinates serves every size. A template is the colour-independent part of a mockup: the
garment's silhouette, a lighting map (folds, seams, roundness) and the backdrop. `fabric.py`
combines a template with a garment colour and the artwork. Templates are cached per size, so
the images returned here are shared and must be treated as read-only.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageStat

Point = tuple[float, float]
Box = tuple[int, int, int, int]

UNITS = 1000
# Drawn this many times larger, then scaled down: Pillow's polygons and lines are not
# anti-aliased, and this is the cheapest way to get smooth edges.
SUPERSAMPLE = 3
#: Where the print goes on the tee, in design units: centred on the chest, ~60% of its width.
TEE_PRINT_AREA = (385, 238, 615, 548)
BACKDROP_TOP = (236, 233, 228)
BACKDROP_BOTTOM = (222, 218, 211)
WALL_TOP = (233, 229, 221)
WALL_BOTTOM = (216, 211, 202)
#: Neutral value of a lighting map: below darkens (shadow), above lightens (sheen).
NEUTRAL = 128


def bezier(p0: Point, p1: Point, p2: Point, p3: Point, steps: int = 24) -> list[Point]:
    """Points along a cubic Bézier curve, end points included."""
    points = []
    for i in range(steps + 1):
        t = i / steps
        u = 1 - t
        points.append(
            (
                u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0],
                u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1],
            )
        )
    return points


def mirror(points: Sequence[Point]) -> list[Point]:
    return [(UNITS - x, y) for x, y in reversed(points)]


# --- Tee geometry (right half; the left half is its mirror image) ---------------------------------

_BACK_NECK = bezier((500, 116), (530, 116), (562, 119), (584, 127), 12)
_SHOULDER = bezier((584, 127), (630, 140), (675, 153), (716, 167), 12)
_SLEEVE_TOP = bezier((716, 167), (768, 200), (815, 262), (852, 322), 16)
_CUFF = bezier((852, 322), (830, 350), (805, 372), (778, 392), 8)
_UNDERARM = bezier((778, 392), (752, 372), (721, 352), (692, 338), 10)
_SIDE = bezier((692, 338), (682, 520), (690, 720), (703, 906), 24)
_HEM = bezier((703, 906), (640, 912), (570, 917), (500, 918), 16)
# Front neckline: where the collar rib starts, and the rib's lower edge.
_NECKLINE = bezier((584, 127), (574, 172), (540, 196), (500, 198), 16)
_RIB_EDGE = bezier((605, 133), (596, 195), (548, 222), (500, 224), 16)


def _outline() -> list[Point]:
    right = [*_BACK_NECK, *_SHOULDER, *_SLEEVE_TOP, *_CUFF, *_UNDERARM, *_SIDE, *_HEM]
    return right + mirror(right)


def _neck_opening() -> list[Point]:
    """The inside of the back of the tee, seen above the front neckline."""
    right = [*_BACK_NECK, *_NECKLINE]
    return mirror(right) + right


@dataclass(frozen=True)
class GarmentTemplate:
    """The colour-independent part of a fabric product's mockup (tee, bag...)."""

    #: Anti-aliased silhouette (L).
    mask: Image.Image
    #: Lighting (L): NEUTRAL is flat fabric, lower is shadow, higher is sheen.
    lighting: Image.Image
    #: Backdrop with the garment's cast shadow (RGB).
    backdrop: Image.Image
    #: Print area in pixels.
    print_area: Box


@lru_cache(maxsize=8)
def tee_template(size: int) -> GarmentTemplate:
    big = size * SUPERSAMPLE
    scale = big / UNITS

    def px(points: Sequence[Point]) -> list[Point]:
        return [(x * scale, y * scale) for x, y in points]

    mask_big = Image.new("L", (big, big), 0)
    ImageDraw.Draw(mask_big).polygon(px(_outline()), fill=255)
    opening_big = Image.new("L", (big, big), 0)
    ImageDraw.Draw(opening_big).polygon(px(_neck_opening()), fill=255)

    light_big = Image.new("L", (big, big), NEUTRAL)
    _draw_seams(ImageDraw.Draw(light_big), scale)
    mask = shrink(mask_big, size)
    opening = shrink(opening_big, size)
    lighting = shrink(light_big, size)
    lighting = _soft_lighting(lighting, mask, opening, size)

    left, top, right, bottom = (round(v * size / UNITS) for v in TEE_PRINT_AREA)
    return GarmentTemplate(
        mask=mask,
        lighting=lighting,
        backdrop=studio_backdrop(mask, size),
        print_area=(left, top, right, bottom),
    )


def shrink(image: Image.Image, size: int) -> Image.Image:
    return image.resize((size, size), Image.Resampling.BOX)


def _draw_seams(draw: ImageDraw.ImageDraw, scale: float) -> None:
    """Stitching and seams: thin dark lines, each with a faint light line beside it."""

    def line(points: Sequence[Point], value: int, width: float) -> None:
        scaled = [(x * scale, y * scale) for x, y in points]
        draw.line(scaled, fill=value, width=max(1, round(width * scale)), joint="curve")

    def both(points: Sequence[Point], value: int, width: float) -> None:
        line(points, value, width)
        line(mirror(points), value, width)

    # Shoulder seams, slightly below the shoulder edge.
    both([(x, y + 4) for x, y in _SHOULDER[1:-1]], 98, 1.6)
    # Armholes: from the shoulder point to the armpit.
    both(bezier((712, 172), (706, 230), (700, 290), (693, 336), 16), 108, 1.6)
    both(bezier((713, 176), (707, 232), (701, 291), (695, 334), 16), 150, 1.0)
    # Cuff hem: two rows of stitching parallel to the sleeve end.
    for inset, value in ((12, 104), (16, 112)):
        p0, p1, p2, p3 = _offset_curve(_CUFF, inset, towards=(760, 300))
        both(bezier(p0, p1, p2, p3, 8), value, 1.1)
    # Bottom hem stitching, two rows.
    for inset, value in ((20, 104), (25, 112)):
        both([(x, y - inset) for x, y in _HEM[:-1]] + [(500, 918 - inset)], value, 1.1)
    # Collar: the seam under the rib, with a sheen on the rib's top edge.
    both(_RIB_EDGE, 100, 2.0)
    both([(x, y + 3) for x, y in _NECKLINE], 160, 2.0)


def _offset_curve(curve: Sequence[Point], inset: float, towards: Point) -> tuple[Point, ...]:
    """The curve's end points and controls moved `inset` units towards `towards`."""
    (x0, y0), (x3, y3) = curve[0], curve[-1]

    def move(x: float, y: float) -> Point:
        dx, dy = towards[0] - x, towards[1] - y
        length = (dx * dx + dy * dy) ** 0.5 or 1.0
        return (x + dx / length * inset, y + dy / length * inset)

    p0, p3 = move(x0, y0), move(x3, y3)
    p1 = (p0[0] * 2 / 3 + p3[0] / 3, p0[1] * 2 / 3 + p3[1] / 3)
    p2 = (p0[0] / 3 + p3[0] * 2 / 3, p0[1] / 3 + p3[1] * 2 / 3)
    return p0, p1, p2, p3


# Folds: (Bézier control points in design units, lighting value, widest width). Each is drawn
# tapering to nothing at both ends, then blurred, which reads as cloth rather than a smudge.
_FOLD_BLUR = 10.6
_FOLDS: tuple[tuple[tuple[Point, Point, Point, Point], int, float], ...] = (
    # Drag lines from the armpits towards the chest: a crease with a lit ridge beside it.
    (((694, 346), (660, 372), (628, 402), (600, 446)), 92, 15),
    (((692, 366), (664, 392), (636, 420), (614, 462)), 160, 9),
    (((306, 346), (340, 374), (370, 404), (398, 450)), 96, 14),
    (((308, 367), (336, 394), (362, 424), (384, 462)), 158, 8),
    # Sleeves: a crease along each sleeve and sheen on the top of it.
    (((726, 208), (760, 250), (790, 296), (812, 344)), 104, 14),
    (((744, 188), (780, 226), (812, 266), (838, 310)), 166, 12),
    (((274, 208), (240, 250), (210, 296), (188, 344)), 104, 14),
    (((256, 188), (220, 226), (188, 266), (162, 310)), 166, 12),
    # Cloth hanging from the shoulders: long soft verticals down the body.
    (((600, 560), (596, 680), (580, 800), (574, 910)), 102, 20),
    (((618, 590), (614, 700), (600, 810), (596, 908)), 152, 10),
    (((402, 600), (408, 720), (420, 820), (426, 910)), 104, 18),
    (((384, 620), (390, 730), (402, 830), (404, 908)), 150, 9),
    (((664, 760), (664, 820), (660, 870), (658, 910)), 108, 12),
    (((510, 770), (506, 830), (500, 870), (496, 914)), 112, 10),
)


def _tapered(draw: ImageDraw.ImageDraw, curve: Sequence[Point], value: int, width: float) -> None:
    """A stroke along `curve` that is `width` wide in the middle and tapers to a point."""
    steps = len(curve) - 1
    for i, (x, y) in enumerate(curve):
        radius = width / 2 * math.sin(math.pi * i / steps)
        if radius > 0.3:
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=value)


def _soft_lighting(
    seams: Image.Image, mask: Image.Image, opening: Image.Image, size: int
) -> Image.Image:
    """Folds, roundness and the shadowed neck opening, blurred to fabric softness."""
    unit = size / UNITS
    folds = Image.new("L", (size, size), NEUTRAL)
    draw = ImageDraw.Draw(folds)
    for controls, value, width in _FOLDS:
        curve = [(x * unit, y * unit) for x, y in bezier(*controls, steps=48)]
        _tapered(draw, curve, value, width * unit)
    lighting = _combine(seams, folds.filter(ImageFilter.GaussianBlur(_FOLD_BLUR * unit)))

    # Roundness: the garment turns away from the light near its edges.
    edge = mask.filter(ImageFilter.GaussianBlur(26 * unit))
    edge = edge.point(lambda v: NEUTRAL - round((255 - v) * 0.16))
    lighting = _combine(lighting, edge)
    # A broad sheen across the chest.
    sheen = Image.new("L", (size, size), NEUTRAL)
    box = [v * unit for v in (330, 230, 670, 620)]
    ImageDraw.Draw(sheen).ellipse(box, fill=NEUTRAL + 16)
    lighting = _combine(lighting, sheen.filter(ImageFilter.GaussianBlur(60 * unit)))
    # Inside of the back: the back collar's rib at the top, in its shadow just below, lighter
    # again towards the front collar.
    profile = Image.new("L", (1, size), 0)
    profile.putdata([_neck_depth(y / unit) for y in range(size)])
    depth = profile.resize((size, size), Image.Resampling.NEAREST)
    inner = ImageChops.multiply(opening, depth).point(lambda v: NEUTRAL - v * 36 // 255)
    return _combine(lighting, inner)


def _neck_depth(y: float) -> int:
    """Darkness (0-255) inside the neck opening at height `y` in design units."""
    if y < 127:
        return 70  # the back collar rib, facing us
    if y < 134:
        return 255  # its shadow
    return max(40, round(255 - (y - 134) * 4))


def _combine(base: Image.Image, layer: Image.Image) -> Image.Image:
    """Add a lighting layer's deviation from NEUTRAL to `base`."""
    return ImageChops.add(base, layer, scale=1, offset=-NEUTRAL)


def noise_texture(size: int, *, seed: int, amount: float, stretch: int = 1) -> Image.Image:
    """Deterministic fine noise around NEUTRAL with a standard deviation of `amount` levels;
    `stretch` > 1 streaks it sideways like knitted yarn. Seeded, so the same design always
    renders to the same bytes (and so the same storage key)."""
    rnd = random.Random(seed)  # noqa: S311 - a repeatable texture, not a secret
    width = max(1, size // stretch)
    noise = Image.frombytes("L", (width, size), rnd.randbytes(width * size))
    if stretch > 1:
        noise = noise.resize((size, size), Image.Resampling.BILINEAR)
    noise = noise.filter(ImageFilter.GaussianBlur(0.7))
    stats = ImageStat.Stat(noise)
    mean, spread = stats.mean[0], stats.stddev[0] or 1.0
    return noise.point(lambda v: NEUTRAL + (v - mean) * amount / spread)


@lru_cache(maxsize=8)
def fabric_grain(size: int) -> Image.Image:
    """Cotton grain (RGB around NEUTRAL), added to the finished garment, ink included."""
    grain = noise_texture(size, seed=7, amount=1.6)
    return Image.merge("RGB", (grain, grain, grain))


@lru_cache(maxsize=8)
def heather_texture(size: int) -> Image.Image:
    """Melange of heather fabric (RGB around NEUTRAL): yarns of slightly different greys."""
    grain = noise_texture(size, seed=11, amount=6, stretch=3)
    return Image.merge("RGB", (grain, grain, grain))


def vertical_gradient(
    size: int, top: tuple[int, int, int], bottom: tuple[int, int, int]
) -> Image.Image:
    ramp = Image.linear_gradient("L").resize((size, size))
    return Image.composite(
        Image.new("RGB", (size, size), bottom), Image.new("RGB", (size, size), top), ramp
    )


def studio_backdrop(mask: Image.Image, size: int) -> Image.Image:
    """Studio backdrop with the soft cast shadow of a garment's silhouette (`mask`)."""
    unit = size / UNITS
    backdrop = vertical_gradient(size, BACKDROP_TOP, BACKDROP_BOTTOM)
    shadow = Image.new("L", (size, size), 0)
    shadow.paste(mask, (round(6 * unit), round(14 * unit)))
    shadow = shadow.filter(ImageFilter.GaussianBlur(16 * unit)).point(lambda v: v * 42 // 100)
    return Image.composite(Image.new("RGB", (size, size), (70, 64, 58)), backdrop, shadow)


# --- Poster ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PosterLayout:
    frame: Box
    paper: Box
    art: Box


def poster_layout(size: int, art_size: tuple[int, int]) -> PosterLayout:
    """Frame sized to the artwork's proportions (within reason), art centred on white paper."""
    art_w, art_h = art_size
    aspect = min(max(art_w / art_h, 0.62), 1.6)
    frame_border = 0.026 * size
    margin = 0.055 * size
    max_w, max_h = 0.74 * size, 0.80 * size
    inner_w = max_w - 2 * (frame_border + margin)
    inner_h = max_h - 2 * (frame_border + margin)
    if inner_w / inner_h > aspect:
        inner_w = inner_h * aspect
    else:
        inner_h = inner_w / aspect
    outer_w = inner_w + 2 * (frame_border + margin)
    outer_h = inner_h + 2 * (frame_border + margin)
    left = (size - outer_w) / 2
    top = (size - outer_h) / 2 - 0.02 * size  # hung slightly above centre, as on a real wall
    frame = (round(left), round(top), round(left + outer_w), round(top + outer_h))
    paper = (
        round(left + frame_border),
        round(top + frame_border),
        round(left + outer_w - frame_border),
        round(top + outer_h - frame_border),
    )
    # Fit the art into the paper's inner area, keeping its own proportions.
    area_w, area_h = inner_w, inner_h
    scale = min(area_w / art_w, area_h / art_h)
    fit_w, fit_h = art_w * scale, art_h * scale
    cx, cy = (paper[0] + paper[2]) / 2, (paper[1] + paper[3]) / 2
    art = (
        round(cx - fit_w / 2),
        round(cy - fit_h / 2),
        round(cx + fit_w / 2),
        round(cy + fit_h / 2),
    )
    return PosterLayout(frame=frame, paper=paper, art=art)


@lru_cache(maxsize=8)
def wall(size: int) -> Image.Image:
    """A painted wall, lit from the upper left."""
    unit = size / UNITS
    wall_image = vertical_gradient(size, WALL_TOP, WALL_BOTTOM)
    light = Image.new("L", (size, size), 0)
    ImageDraw.Draw(light).ellipse([v * unit for v in (-250, -300, 650, 500)], fill=70)
    light = light.filter(ImageFilter.GaussianBlur(180 * unit))
    wall_image = ImageChops.screen(wall_image, Image.merge("RGB", (light, light, light)))
    grain = noise_texture(size, seed=5, amount=1.5)
    return ImageChops.add(
        wall_image, Image.merge("RGB", (grain, grain, grain)), scale=1, offset=-NEUTRAL
    )


def frame_on_wall(size: int, layout: PosterLayout) -> Image.Image:
    """Wall, cast shadow, black frame with bevelled edges and the empty paper."""
    unit = size / UNITS
    canvas = wall(size).copy()
    left, top, right, bottom = layout.frame
    shadow = Image.new("L", (size, size), 0)
    offset_x, offset_y = round(10 * unit), round(18 * unit)
    ImageDraw.Draw(shadow).rectangle(
        (left + offset_x, top + offset_y, right + offset_x, bottom + offset_y), fill=150
    )
    shadow = shadow.filter(ImageFilter.GaussianBlur(18 * unit))
    canvas = Image.composite(Image.new("RGB", (size, size), (58, 52, 46)), canvas, shadow)

    draw = ImageDraw.Draw(canvas)
    p_left, p_top, p_right, p_bottom = layout.paper
    # Four mitred sides, each catching the light from the upper left differently.
    sides = (
        ([(left, top), (right, top), (p_right, p_top), (p_left, p_top)], (52, 50, 48)),
        ([(left, top), (p_left, p_top), (p_left, p_bottom), (left, bottom)], (42, 40, 38)),
        ([(right, top), (right, bottom), (p_right, p_bottom), (p_right, p_top)], (24, 23, 22)),
        ([(left, bottom), (p_left, p_bottom), (p_right, p_bottom), (right, bottom)], (18, 17, 16)),
    )
    for polygon, colour in sides:
        draw.polygon(polygon, fill=colour)
    draw.line(
        [(left, bottom), (left, top), (right, top)], fill=(92, 90, 86), width=max(1, round(unit))
    )
    draw.rectangle(layout.paper, fill=(247, 246, 241))
    # The frame's lip shades the top and left of the paper.
    lip = Image.new("L", (size, size), 0)
    depth = max(2, round(7 * unit))
    lip_draw = ImageDraw.Draw(lip)
    lip_draw.rectangle((p_left, p_top, p_right, p_top + depth), fill=90)
    lip_draw.rectangle((p_left, p_top, p_left + depth, p_bottom), fill=70)
    lip = lip.filter(ImageFilter.GaussianBlur(depth / 1.5))
    paper_mask = Image.new("L", (size, size), 0)
    paper_mask.paste(255, layout.paper)
    lip = ImageChops.multiply(lip, paper_mask)
    return Image.composite(Image.new("RGB", (size, size), (120, 116, 110)), canvas, lip)


def glass_glare(size: int, layout: PosterLayout) -> Image.Image:
    """A faint diagonal reflection on the glass, as a mask over the paper."""
    glare = Image.new("L", (size, size), 0)
    unit = size / UNITS
    band = [(300 * unit, 0), (520 * unit, 0), (180 * unit, size), (-40 * unit, size)]
    ImageDraw.Draw(glare).polygon(band, fill=26)
    glare = glare.filter(ImageFilter.GaussianBlur(40 * unit))
    clip = Image.new("L", (size, size), 0)
    clip.paste(255, layout.paper)
    return ImageChops.multiply(glare, clip)

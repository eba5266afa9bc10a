"""Building blocks of the demo artwork: palettes, gradients, type and geometry.

The scene themes and the public API are in `artwork.py`, the pattern themes in
`artwork_patterns.py`.
Everything draws on a fixed-size working canvas (`Ctx.s`); the caller upscales once at the end.
"""

from __future__ import annotations

import itertools
import math
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from PIL import Image, ImageDraw, ImageFont

RGB = tuple[int, int, int]
Point = tuple[float, float]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
CLEAR = (0, 0, 0, 0)


def hex_rgb(value: str) -> RGB:
    value = value.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


class Palette(NamedTuple):
    """Five curated colours: a dark ink, three accents and a light ink."""

    dark: RGB
    a1: RGB
    a2: RGB
    a3: RGB
    light: RGB


# Hand-picked palettes (dark, accent, accent, accent, light): random RGB looks muddy, these don't.
_PALETTE_HEX = [
    ("#1d3557", "#457b9d", "#e63946", "#a8dadc", "#f1faee"),  # coastal
    ("#264653", "#2a9d8f", "#e9c46a", "#e76f51", "#f7ede2"),  # desert
    ("#241734", "#6d597a", "#e56b6f", "#eaac8b", "#fff1e6"),  # dusk
    ("#003049", "#d62828", "#f77f00", "#fcbf49", "#eae2b7"),  # flame
    ("#1b4332", "#40916c", "#95d5b2", "#f4a261", "#f1faee"),  # forest
    ("#10002b", "#f72585", "#7209b7", "#4cc9f0", "#f8f7ff"),  # neon
    ("#14213d", "#fca311", "#e85d04", "#4ea8de", "#fefae0"),  # gold
    ("#3d405b", "#e07a5f", "#81b29a", "#f2cc8f", "#f4f1de"),  # retro pastel
    ("#0d1b2a", "#415a77", "#ee9b00", "#94d2bd", "#e9e4d8"),  # nordic
    ("#073b4c", "#ef476f", "#ffd166", "#06d6a0", "#fffcf2"),  # candy
    ("#1a1a1a", "#e63946", "#ffb703", "#1d4e89", "#f1e9da"),  # bauhaus primaries
    ("#03045e", "#0077b6", "#00b4d8", "#ffb4a2", "#f0f7fa"),  # ocean
    ("#2f3e46", "#52796f", "#f28482", "#f6bd60", "#f7ede2"),  # peach & sage
    ("#2b0f3a", "#9e0059", "#ff5400", "#ffbd00", "#fff3d6"),  # berry
]
PALETTES: list[Palette] = [Palette(*(hex_rgb(c) for c in p)) for p in _PALETTE_HEX]


def lum(c: RGB) -> float:
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]


def mix(a: RGB, b: RGB, t: float) -> RGB:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def contrast(bg: RGB, *options: RGB) -> RGB:
    """Whichever of `options` reads best on `bg` (largest luminance difference)."""
    return max(options, key=lambda c: abs(lum(c) - lum(bg)))


def warmest(colours: Sequence[RGB]) -> RGB:
    return max(colours, key=lambda c: c[0] - c[2])


def blend(stops: Sequence[RGB], t: float) -> RGB:
    """The colour at t (0..1) along evenly spaced gradient stops."""
    pos = min(max(t, 0.0), 1.0) * (len(stops) - 1)
    k = min(int(pos), len(stops) - 2)
    return mix(stops[k], stops[k + 1], pos - k)


def rgba(c: RGB) -> tuple[int, int, int, int]:
    return (c[0], c[1], c[2], 255)


@dataclass
class Ctx:
    """Everything a theme painter needs; `light_ink` means "made for a dark garment/ground"."""

    rng: random.Random
    pal: Palette
    title: str
    transparent: bool
    light_ink: bool
    s: int = 1000
    acc: list[RGB] = field(init=False)

    def __post_init__(self) -> None:
        # Accents sorted dark -> bright, so painters can ask for roles, not palette slots.
        self.acc = sorted([self.pal.a1, self.pal.a2, self.pal.a3], key=lum)

    @property
    def ink(self) -> RGB:
        return self.pal.light if self.light_ink else self.pal.dark

    @property
    def ground(self) -> RGB:
        return self.pal.dark if self.light_ink else self.pal.light

    def canvas(self) -> Image.Image:
        fill = CLEAR if self.transparent else rgba(self.ground)
        return Image.new("RGBA", (self.s, self.s), fill)


def gradient(size: tuple[int, int], stops: Sequence[RGB], *, radial: bool = False) -> Image.Image:
    """Multi-stop RGB gradient (top to bottom, or centre outwards): Pillow's 256-step L
    gradient, resized, coloured through one lookup table per channel: no numpy needed."""
    base = Image.radial_gradient("L") if radial else Image.linear_gradient("L")
    colours = [blend(stops, i / 255) for i in range(256)]
    grey = base.resize(size, Image.Resampling.BILINEAR)
    return Image.merge("RGB", [grey.point([col[ch] for col in colours]) for ch in range(3)])


# --- type -------------------------------------------------------------------------------------

# Absolute paths first (cheap); bare names last: Pillow then searches the system font folders.
_DEJAVU = "/usr/share/fonts/truetype/dejavu/"  # Debian/Ubuntu (fonts-dejavu-core)
_LIBERATION = "/usr/share/fonts/truetype/liberation/"
FONT_CANDIDATES: dict[str, tuple[str, ...]] = {
    "bold": (
        _DEJAVU + "DejaVuSans-Bold.ttf",
        _LIBERATION + "LiberationSans-Bold.ttf",
        "/System/Library/Fonts/Supplemental/Arial Bold.ttf",
        "C:/Windows/Fonts/arialbd.ttf",
        "DejaVuSans-Bold.ttf",
    ),
    "condensed": (
        _DEJAVU + "DejaVuSansCondensed-Bold.ttf",
        _LIBERATION + "LiberationSansNarrow-Bold.ttf",
        "DejaVuSansCondensed-Bold.ttf",
    ),
    "serif": (
        _DEJAVU + "DejaVuSerif-Bold.ttf",
        _LIBERATION + "LiberationSerif-Bold.ttf",
        "C:/Windows/Fonts/georgiab.ttf",
        "DejaVuSerif-Bold.ttf",
    ),
}


@lru_cache(maxsize=8)
def _font_path(style: str) -> str | None:
    for path in FONT_CANDIDATES.get(style, ()) + FONT_CANDIDATES.get("bold", ()):
        try:
            ImageFont.truetype(path, 12)
        except OSError:
            continue
        return path
    return None


@lru_cache(maxsize=512)
def font(style: str, size: int) -> Font:
    """A bold TrueType face, or Pillow's bundled scalable default on a machine without fonts."""
    path = _font_path(style)
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size=size)


def printable(text: str) -> str:
    """`text` as the chosen face can draw it: Pillow's fallback face has no accents or stars."""
    if _font_path("bold") is not None:
        return text
    folded = unicodedata.normalize("NFKD", text.replace("\u2605", "*"))
    return "".join(ch for ch in folded if ch.isascii() or ch == "\u2019")


def fit_font(text: str, style: str, max_w: float, max_h: float) -> Font:
    """The largest font in which `text` fits a max_w x max_h box (ink box, not line box)."""
    left, top, right, bottom = font(style, 100).getbbox(text)
    scale = min(max_w / max(right - left, 1), max_h / max(bottom - top, 1))
    return font(style, max(8, int(100 * scale)))


def text_centered(draw: ImageDraw.ImageDraw, xy: Point, text: str, fnt: Font, fill: RGB) -> None:
    """Centre the *ink* of `text` on xy, which is what the eye expects for display type."""
    left, top, right, bottom = fnt.getbbox(text)
    draw.text((xy[0] - (left + right) / 2, xy[1] - (top + bottom) / 2), text, font=fnt, fill=fill)


def text_on_circle(
    img: Image.Image,
    centre: Point,
    radius: float,
    text: str,
    style: str,
    size: int,
    fill: RGB,
    *,
    top: bool = True,
    max_span: float = math.radians(150),
) -> None:
    """Badge lettering: each glyph drawn on a small tile, rotated to the tangent, composited."""
    fnt = font(style, size)
    widths = [fnt.getlength(ch) for ch in text]
    if sum(widths) / radius > max_span:  # too long: shrink to fit the arc instead of overlapping
        fnt = font(style, max(8, int(size * max_span * radius / sum(widths))))
        widths = [fnt.getlength(ch) for ch in text]
    span = sum(widths) / radius
    tile = int(getattr(fnt, "size", size) * 1.7) + 4
    start = -math.pi / 2 - span / 2 if top else math.pi / 2 + span / 2
    cap_top, cap_bottom = fnt.getbbox("H")[1::2]  # common baseline: "." sits low, not centred
    along = 0.0
    for ch, w in zip(text, widths, strict=True):
        along += w / 2
        a = start + along / radius if top else start - along / radius
        along += w / 2
        if ch.isspace():
            continue
        glyph = Image.new("RGBA", (tile, tile), CLEAR)
        ImageDraw.Draw(glyph).text(
            (tile / 2 - w / 2, tile / 2 - (cap_top + cap_bottom) / 2), ch, font=fnt, fill=fill
        )
        turn = -(math.degrees(a) + 90) if top else -(math.degrees(a) - 90)
        glyph = glyph.rotate(turn, resample=Image.Resampling.BICUBIC)
        x = centre[0] + radius * math.cos(a) - tile / 2
        y = centre[1] + radius * math.sin(a) - tile / 2
        img.alpha_composite(glyph, (max(0, round(x)), max(0, round(y))))


def wrap_title(text: str, max_lines: int = 3) -> list[str]:
    """Split into at most `max_lines` lines of similar length, for stacked display type."""
    words = text.split()
    if len(words) <= 1:
        return words or [""]
    best: list[str] = [text]
    best_score = len(text)
    for n in range(2, min(max_lines, len(words)) + 1):
        target = len(text) / n
        lines: list[str] = []
        current: list[str] = []
        for word in words:
            if current and len(" ".join([*current, word])) > target + 3 and len(lines) < n - 1:
                lines.append(" ".join(current))
                current = []
            current.append(word)
        lines.append(" ".join(current))
        score = max(len(line) for line in lines) + 2 * n  # fewer lines unless clearly better
        if score < best_score:
            best, best_score = lines, score
    return best


# --- geometry ---------------------------------------------------------------------------------


def star(cx: float, cy: float, r_out: float, r_in: float, points: int = 5) -> list[Point]:
    angles = [-math.pi / 2 + i * math.pi / points for i in range(points * 2)]
    radii = [r_out, r_in] * points  # alternating tip and notch
    return [
        (cx + r * math.cos(a), cy + r * math.sin(a)) for r, a in zip(radii, angles, strict=True)
    ]


def leaf(base: Point, length: float, width: float, angle: float) -> list[Point]:
    """A pointed leaf (vesica) from `base`, pointing at `angle` (radians, 0 = right)."""
    side = [(i / 16 * length, width / 2 * math.sin(math.pi * i / 16) ** 0.75) for i in range(17)]
    outline = side + [(x, -y) for x, y in reversed(side)]
    ca, sa = math.cos(angle), math.sin(angle)
    return [(base[0] + x * ca - y * sa, base[1] + x * sa + y * ca) for x, y in outline]


def ellipse_points(
    cx: float,
    cy: float,
    rx: float,
    ry: float,
    tilt: float,
    t0: float = 0.0,
    t1: float = 2 * math.pi,
    n: int = 90,
) -> list[Point]:
    """Points of a rotated ellipse arc: Pillow can't draw tilted ellipses, polylines can."""
    ct, st = math.cos(tilt), math.sin(tilt)
    ts = [t0 + (t1 - t0) * i / n for i in range(n + 1)]
    xy = [(rx * math.cos(t), ry * math.sin(t)) for t in ts]
    return [(cx + x * ct - y * st, cy + x * st + y * ct) for x, y in xy]


def ridge(
    rng: random.Random, width: float, base: float, rough: float, depth: int = 7
) -> list[Point]:
    """A mountain skyline by midpoint displacement: a few big peaks with fine detail."""
    ys = [base + rng.uniform(-rough, rough) * 0.5, base + rng.uniform(-rough, rough) * 0.5]
    amp = rough
    for _ in range(depth):
        mids = [(a + b) / 2 + rng.uniform(-amp, amp) for a, b in itertools.pairwise(ys)]
        ys = [*itertools.chain.from_iterable(zip(ys, mids, strict=False)), ys[-1]]
        amp *= 0.52
    step = width / (len(ys) - 1)
    return [(i * step, y) for i, y in enumerate(ys)]


def disc_mask(size: int) -> Image.Image:
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).ellipse((0, 0, size - 1, size - 1), fill=255)
    return mask


def shape_mask(size: int, shape: str, box: tuple[float, float, float, float]) -> Image.Image:
    """An L mask of an emblem outline (circle, arch, rounded square, hexagon) filling `box`."""
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    x0, y0, x1, y1 = box
    if shape == "circle":
        draw.ellipse(box, fill=255)
    elif shape == "arch":
        r = (x1 - x0) / 2
        draw.ellipse((x0, y0, x1, y0 + 2 * r), fill=255)
        draw.rectangle((x0, y0 + r, x1, y1), fill=255)
    elif shape == "hexagon":
        cx, cy, r = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2
        draw.regular_polygon((cx, cy, r), 6, rotation=30, fill=255)
    else:
        draw.rounded_rectangle(box, radius=(x1 - x0) * 0.12, fill=255)
    return mask


def caption(
    draw: ImageDraw.ImageDraw,
    text: str,
    centre: Point,
    box: Point,
    fill: RGB,
    style: str = "condensed",
) -> None:
    """The title in capitals, as large as fits the (width, height) `box` around `centre`."""
    text = text.upper()
    text_centered(draw, centre, text, fit_font(text, style, *box), fill)


def emblem(c: Ctx, art: Image.Image) -> Image.Image:
    """The tee version of a full-bleed scene: clipped to a badge shape, inked ring, caption."""
    s = c.s
    shape = c.rng.choice(["circle", "arch", "hexagon", "rounded"])
    side = s * (0.72 if c.title else 0.84)
    x0, y0 = (s - side) / 2, s * 0.05 if c.title else (s - side) / 2
    ring = s * 0.016
    out = Image.new("RGBA", (s, s), CLEAR)
    # the ring is the same shape, a little larger, filled with ink underneath the art
    outer = (x0 - ring, y0 - ring, x0 + side + ring, y0 + side + ring)
    out.paste(rgba(c.ink), (0, 0), shape_mask(s, shape, outer))
    out.paste(art, (0, 0), shape_mask(s, shape, (x0, y0, x0 + side, y0 + side)))
    if c.title:
        centre = (s / 2, (y0 + side + s) / 2)
        caption(ImageDraw.Draw(out), c.title, centre, (s * 0.84, s * 0.09), c.ink)
    return out

"""Generated artwork for the demo marketplace: tee emblems and full-bleed posters, Pillow only.

`flask demo seed` calls `generate_artwork` for each demo design, so that a fresh install looks
like a living community instead of a wall of grey placeholders.  Each theme is a small painter
working on a fixed 1000 px canvas (same composition whatever the output size); the result is
upscaled once and PNG-encoded by the app's fast writer (`designs.png_encode`), which keeps
one 2600 px call well under half a second.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from PIL import Image, ImageDraw

from cocreate.demo.artwork_patterns import (
    paint_bauhaus,
    paint_geometric,
    paint_halftone,
    paint_memphis,
)
from cocreate.demo.artwork_shapes import (
    CLEAR,
    PALETTES,
    Ctx,
    blend,
    caption,
    contrast,
    disc_mask,
    ellipse_points,
    emblem,
    fit_font,
    gradient,
    leaf,
    lum,
    mix,
    printable,
    rgba,
    ridge,
    star,
    text_centered,
    text_on_circle,
    warmest,
    wrap_title,
)
from cocreate.designs.png_encode import encode_png

WORK = 1000  # working canvas: detailed enough for a 2600 px print, cheap enough to draw in ~30 ms
_FALLBACK_WORDS = ["GOOD VIBES", "STAY WILD", "BONJOUR", "NIGHT SHIFT", "SALUT LA COMPAGNIE"]
_TAGLINES = ["SUPPLY CO.", "SOCIAL CLUB", "ÉDITION LIMITÉE", "MADE TOGETHER", "FAIT MAIN"]


def _sunset(c: Ctx) -> Image.Image:
    """Retro striped sun over a calm sea, reflection bars; the tee version keeps sun + bars."""
    s, rng, p, acc = c.s, c.rng, c.pal, c.acc
    img = c.canvas()
    if not c.transparent:
        img.paste(gradient((s, s), [p.dark, acc[0], acc[1]]), (0, 0))
    horizon = s * (0.66 if c.transparent else 0.7)
    r = s * rng.uniform(0.27, 0.33)
    cx, cy = s / 2, horizon - r * rng.uniform(0.35, 0.6)
    glow = warmest(acc[:2])
    sun = gradient((round(2 * r), round(2 * r)), [mix(acc[2], p.light, 0.5), acc[2], glow])
    mask = disc_mask(sun.size[0])
    md = ImageDraw.Draw(mask)
    bottom = horizon - (cy - r)  # the sun sinks below the horizon
    md.rectangle((0, bottom, 2 * r, 2 * r), fill=0)
    gap = r * 0.075
    while gap > r * 0.014:  # the 70s stripes, cut upwards from the horizon, gaps narrowing
        md.rectangle((0, bottom - gap, 2 * r, bottom), fill=0)
        bottom -= gap * 2.8
        gap *= 0.7
    img.paste(sun, (round(cx - r), round(cy - r)), mask)
    draw = ImageDraw.Draw(img)
    if not c.transparent:
        img.paste(gradient((s, s - round(horizon)), [acc[0], p.dark]), (0, round(horizon)))
        for _ in range(3):  # a few birds, drawn as two strokes, in the sky beside the sun
            bx = (rng.choice([0.1, 0.7]) + rng.uniform(0, 0.2)) * s
            by, w = rng.uniform(0.08, 0.25) * s, s * 0.025
            wings = [(bx - w, by - w * 0.5), (bx, by), (bx + w, by - w * 0.5)]
            draw.line(wings, fill=p.light, width=max(2, s // 250), joint="curve")
    bar_colour = mix(acc[2], glow, 0.5)
    for k in range(5):
        w, h = r * (1.5 - k * 0.26), s * 0.014
        y = horizon + s * 0.035 + k * s * 0.04
        draw.rounded_rectangle((cx - w / 2, y, cx + w / 2, y + h), radius=h / 2, fill=bar_colour)
    if c.transparent and c.title:
        caption(draw, c.title, (s / 2, s * 0.92), (s * 0.8, s * 0.085), c.ink)
    return img


def _mountains(c: Ctx) -> Image.Image:
    """Layered ridges fading into the sky (aerial perspective), a sun or moon, pines in front."""
    s, rng, p, acc = c.s, c.rng, c.pal, c.acc
    night = c.light_ink
    # night is really dusk: a warm glow at the horizon behind dark, shaded ridges
    day = (mix(p.light, acc[2], 0.3), p.light, p.light)
    top, mid, bottom = (p.dark, acc[0], warmest(acc[:2])) if night else day
    img = gradient((s, s), [top, mid, bottom, bottom]).convert("RGBA")
    draw = ImageDraw.Draw(img)
    if night:
        for _ in range(90):
            x, y, r = rng.uniform(0, s), rng.uniform(0, s * 0.35), rng.choice([1, 1.5, 2.5])
            draw.circle((x, y), r, fill=p.light)
    sx, sy, sr = rng.uniform(0.25, 0.75) * s, rng.uniform(0.2, 0.32) * s, s * 0.1
    draw.circle((sx, sy), sr, fill=mix(p.light, warmest(acc), 0.3) if night else acc[1])
    front = p.dark if not night else mix(p.dark, (0, 0, 0), 0.4)
    layers = 4
    for i in range(layers):
        t = i / (layers - 1)
        # aerial perspective: far ridges lean towards the sky's colour, near ones to the ink
        far = mix(acc[0], p.dark, 0.15) if night else mix(acc[0], bottom, 0.55)
        colour = mix(far, front, t)
        pts = ridge(rng, s, s * (0.5 + 0.12 * i), s * (0.3 - 0.04 * i))
        draw.polygon([(0, s), *pts, (s, s)], fill=colour)
        if i == layers - 1:  # pine trees standing on the front ridge
            for _ in range(rng.randint(5, 9)):
                x = rng.uniform(0.03, 0.97) * s
                ground_y = pts[min(len(pts) - 1, round(x / s * (len(pts) - 1)))][1] + s * 0.02
                h = rng.uniform(0.08, 0.16) * s
                for k in range(3):
                    w = h * (0.34 - 0.08 * k)
                    ty = ground_y - h * k * 0.28
                    draw.polygon([(x - w, ty), (x + w, ty), (x, ty - h * 0.5)], fill=colour)
    return emblem(c, img) if c.transparent else img


def _waves(c: Ctx) -> Image.Image:
    """Woodcut-style rolling swells, each band edged with a foam line; a moon behind."""
    s, rng, p, acc = c.s, c.rng, c.pal, c.acc
    ground = c.ground
    img = Image.new("RGBA", (s, s), rgba(ground))
    draw = ImageDraw.Draw(img)
    mr = s * rng.uniform(0.12, 0.17)
    mx, my = rng.uniform(0.3, 0.7) * s, s * 0.26
    draw.circle((mx, my), mr, fill=acc[2] if c.light_ink else acc[1])
    # light to dark down the page; on a dark ground the light ink leads
    ramp = [p.light, acc[2], acc[1], acc[0]] if c.light_ink else [acc[2], acc[1], acc[0], p.dark]
    bands = 7
    for i in range(bands):
        t = i / (bands - 1)
        colour = blend(ramp, t)
        base = s * (0.4 + 0.095 * i)
        amp, wl, ph = s * rng.uniform(0.018, 0.035), s * rng.uniform(0.28, 0.5), rng.uniform(0, 6.3)
        xs = range(-10, s + 11, 8)  # two sines: a long swell with a choppier one on top
        ys = [
            amp * (math.sin(x / wl * 6.283 + ph) + 0.4 * math.sin(x / wl * 5.1 + ph * 2))
            for x in xs
        ]
        crest = [(x, base + y) for x, y in zip(xs, ys, strict=True)]
        draw.polygon([(-10, s + 10), *crest, (s + 10, s + 10)], fill=colour)
        draw.line(crest, fill=ground, width=max(3, s // 110), joint="curve")
    return emblem(c, img) if c.transparent else img


def _botanical(c: Ctx) -> Image.Image:
    """A fan of leafy stems and a few blooms over a soft backdrop disc."""
    s, rng, p, acc = c.s, c.rng, c.pal, c.acc
    img = c.canvas()
    draw = ImageDraw.Draw(img)
    backdrop = mix(c.ground, acc[2], 0.45) if not c.transparent else acc[2]
    draw.ellipse((s * 0.14, s * 0.1, s * 0.86, s * 0.82), fill=backdrop)
    leaf_cols = [acc[0], mix(acc[0], p.dark, 0.4), c.ink if c.transparent else p.dark]
    base = (s / 2, s * 0.9)
    stems = rng.randint(6, 8)
    for i in range(stems):
        ang = math.radians(-90 + (i - (stems - 1) / 2) * (110 / stems) + rng.uniform(-6, 6))
        length = s * rng.uniform(0.42, 0.6)
        bend = rng.uniform(-0.25, 0.25)
        ts = [j / 12 for j in range(13)]  # a gently bending stem, as 13 points
        pts = [
            (math.cos(ang + bend * t) * length * t, math.sin(ang + bend * t) * length * t)
            for t in ts
        ]
        pts = [(base[0] + x, base[1] + y) for x, y in pts]
        colour = leaf_cols[i % len(leaf_cols)]
        draw.line(pts, fill=colour, width=max(3, s // 180), joint="curve")
        for j in range(3, 13, 2):  # leaf pairs, smaller towards the tip
            size = s * 0.15 * (1.15 - j / 12 * 0.6)
            for side in (-1, 1):
                turn = ang + bend * j / 12 + side * math.radians(50)
                draw.polygon(leaf(pts[j], size, size * 0.42, turn), fill=colour)
        draw.polygon(leaf(pts[-1], s * 0.1, s * 0.045, ang + bend), fill=colour)
        if rng.random() < 0.45:  # a bloom: five petals around a heart
            fx, fy, fr = *pts[-1], s * 0.032
            for k in range(5):
                a = k * 2 * math.pi / 5
                draw.circle((fx + math.cos(a) * fr, fy + math.sin(a) * fr), fr, fill=acc[1])
            draw.circle((fx, fy), fr * 0.6, fill=acc[2])
    return img


def _retro_type(c: Ctx) -> Image.Image:
    """The title in stacked, extruded capitals over speed stripes: classic shop-tee type."""
    s, rng, acc = c.s, c.rng, c.acc
    img = c.canvas()
    draw = ImageDraw.Draw(img)
    text = (c.title or rng.choice(_FALLBACK_WORDS)).upper()
    lines = wrap_title(text)
    stripes = [acc[0], acc[1], acc[2]]
    rng.shuffle(stripes)
    for k, colour in enumerate(stripes):  # speed stripes behind the type
        y = s * (0.72 + 0.055 * k)
        draw.rectangle((s * 0.08 if c.transparent else 0, y, s * 0.92, y + s * 0.04), fill=colour)
    face = c.ink
    # the extrusion must separate from both the letters and the ground behind them
    shade = max(acc, key=lambda a: min(abs(lum(a) - lum(face)), abs(lum(a) - lum(c.ground))))
    fonts = [fit_font(line, "condensed", s * 0.84, s * 0.5 / len(lines)) for line in lines]
    heights = [f.getbbox(ln)[3] - f.getbbox(ln)[1] for f, ln in zip(fonts, lines, strict=True)]
    gap = s * 0.03
    y = s * 0.4 - (sum(heights) + gap * (len(lines) - 1)) / 2
    depth = max(4, s // 90)
    for line, fnt, h in zip(lines, fonts, heights, strict=True):
        for d in range(depth, 0, -2):  # extrusion: the same glyphs stepped down-right
            text_centered(draw, (s / 2 + d, y + h / 2 + d), line, fnt, shade)
        text_centered(draw, (s / 2, y + h / 2), line, fnt, face)
        y += h + gap
    for sx in (s * 0.12, s * 0.88):
        draw.polygon(star(sx, s * 0.9, s * 0.035, s * 0.014), fill=face)
    return img


def _stripes(c: Ctx) -> Image.Image:
    """A groovy 70s rainbow arch with sparkles; the caption sits under its legs."""
    s, rng, acc = c.s, c.rng, c.acc
    img = c.canvas()
    draw = ImageDraw.Draw(img)
    bands = [c.ink, acc[2], acc[1], acc[0]] if c.light_ink else [acc[0], acc[1], acc[2], c.ink]
    if rng.random() < 0.5:
        bands = bands[::-1]
    cx, cy, outer = s / 2, s * 0.5, s * 0.4
    bw = s * 0.06
    leg_end = s * 0.8 if c.title else s * 0.9
    hole = CLEAR if c.transparent else rgba(c.ground)  # ImageDraw replaces pixels: a real hole
    for k, colour in enumerate([*bands, None]):
        r = outer - k * bw
        fill = rgba(colour) if colour else hole
        draw.pieslice((cx - r, cy - r, cx + r, cy + r), 180, 360, fill=fill)
        draw.rectangle((cx - r, cy, cx + r, leg_end), fill=fill)
    for _ in range(rng.randint(4, 6)):
        x = rng.choice([rng.uniform(0.05, 0.2), rng.uniform(0.8, 0.95)]) * s
        y, size = rng.uniform(0.08, 0.6) * s, s * rng.uniform(0.025, 0.05)
        draw.polygon(star(x, y, size, size * 0.28, points=4), fill=rng.choice([acc[2], c.ink]))
    if c.title:
        caption(draw, c.title, (cx, s * 0.9), (s * 0.84, s * 0.08), c.ink, "bold")
    return img


def _orbit(c: Ctx) -> Image.Image:
    """A banded ringed planet with moons on thin orbits, in a field of stars."""
    s, rng, p, acc = c.s, c.rng, c.pal, c.acc
    img = c.canvas()
    if not c.transparent:  # deep space, lighter at the centre
        glow = gradient((s, s), [mix(p.dark, acc[0], 0.5), p.dark, p.dark], radial=True)
        img.paste(glow, (0, 0))
    draw = ImageDraw.Draw(img)
    star_ink = p.light if (c.light_ink or not c.transparent) else p.dark
    for _ in range(70 if c.transparent else 140):
        x, y, r = rng.uniform(0, s), rng.uniform(0, s), rng.choice([1.2, 1.8, 2.6, 3.5])
        if c.transparent and math.hypot(x - s / 2, y - s / 2) > s * 0.46:
            continue
        draw.circle((x, y), r, fill=star_ink)
    cx, cy, pr = s / 2, s / 2, s * rng.uniform(0.17, 0.21)
    tilt = math.radians(rng.uniform(-28, -12))
    line_ink = c.ink if c.transparent else p.light
    for k, (rx, ry) in enumerate([(s * 0.47, s * 0.2), (s * 0.43, s * 0.34)]):
        orbit_tilt = tilt * (1 - k * 2)  # the two orbits cross
        orbit = ellipse_points(cx, cy, rx, ry, orbit_tilt, n=160)
        draw.line(orbit, fill=line_ink, width=max(2, s // 400))
        draw.circle(rng.choice(orbit), s * (0.03 - 0.01 * k), fill=acc[2 - k])  # its moon
    rings = [(pr * 1.95, acc[2], s * 0.04), (pr * 1.6, acc[1], s * 0.018)]

    def ring_half(t0: float, t1: float) -> None:
        # a flat band between two concentric ellipses: crisper than a wide polyline
        for rx, colour, width in rings:
            outer = ellipse_points(cx, cy, rx, rx * 0.28, tilt, t0, t1)
            inner = ellipse_points(cx, cy, rx - width, (rx - width) * 0.28, tilt, t0, t1)
            draw.polygon(outer + inner[::-1], fill=colour)

    ring_half(math.pi, 2 * math.pi)  # back half first: the planet hides part of it
    planet = gradient((round(2 * pr), round(2 * pr)), [acc[2], acc[1], acc[0]]).convert("RGBA")
    pd = ImageDraw.Draw(planet)
    for k in range(5):  # gas bands
        y = pr * (0.5 + 0.3 * k + rng.uniform(-0.05, 0.05))
        band_h = pr * rng.uniform(0.06, 0.14)
        pd.rectangle((0, y, 2 * pr, y + band_h), fill=mix(acc[k % 2], p.dark, 0.2))
    img.paste(planet, (round(cx - pr), round(cy - pr)), disc_mask(planet.size[0]))
    ring_half(0, math.pi)
    return img


def _badge(c: Ctx) -> Image.Image:
    """A vintage club badge: lettering around the rim, a ribbon and a little emblem inside."""
    s, rng, p, acc = c.s, c.rng, c.pal, c.acc
    img = c.canvas()
    draw = ImageDraw.Draw(img)
    cx = cy = s / 2
    if not c.transparent:  # sunburst behind the badge
        for k in range(24):
            ray = [
                (cx + s * math.cos(a), cy + s * math.sin(a))
                for a in (k * 0.2618, k * 0.2618 + 0.13)
            ]
            draw.polygon([(cx, cy), *ray], fill=mix(c.ground, acc[1], 0.12))
    big = s * 0.44
    band = acc[0]
    inner_fill = c.ground if not c.transparent else acc[2]
    lettering = contrast(band, p.dark, p.light)
    rings = [(0, c.ink), (0.014, band), (0.1, c.ink), (0.112, inner_fill)]  # outside in
    for inset, fill in rings:
        draw.circle((cx, cy), big - s * inset, fill=fill)
    rim = big - s * 0.057  # lettering runs along the middle of the coloured band
    title = (c.title or rng.choice(_FALLBACK_WORDS)).upper()
    text_on_circle(img, (cx, cy), rim, title, "serif", round(s * 0.068), lettering)
    tagline = printable(f"★ {rng.choice(_TAGLINES)} ★")
    text_on_circle(img, (cx, cy), rim, tagline, "bold", round(s * 0.045), lettering, top=False)
    motif_ink = contrast(inner_fill, p.dark, p.light)
    icon = rng.choice(["peaks", "star", "sun"])
    if icon == "peaks":
        peaks = [(-0.2, 0.1), (-0.06, -0.14), (0.03, 0), (0.09, -0.08), (0.2, 0.1)]
        draw.polygon([(cx + s * x, cy + s * y) for x, y in peaks], fill=motif_ink)
    elif icon == "star":
        draw.polygon(star(cx, cy - s * 0.02, s * 0.16, s * 0.065), fill=motif_ink)
    else:
        draw.circle((cx, cy - s * 0.05), s * 0.1, fill=acc[1])
        for k in range(12):  # rays
            ca, sa = math.cos(k * math.pi / 6) * s, math.sin(k * math.pi / 6) * s
            ray = [(cx + ca * f, cy - s * 0.05 + sa * f) for f in (0.13, 0.18)]
            draw.line(ray, fill=motif_ink, width=s // 120)
    # a ribbon across the lower half, its swallow-tail ends folded behind (drawn first)
    y0, y1, half, drop = cy + s * 0.09, cy + s * 0.17, s * 0.33, s * 0.02
    for side in (-1, 1):
        x, tip = cx + side * half, cx + side * (half + s * 0.07)
        notch = (tip - side * s * 0.03, (y0 + y1) / 2)
        tail = [(tip, y0), (x, y0), (x, y1), (tip, y1), notch]
        draw.polygon([(x, y + drop) for x, y in tail], fill=mix(acc[1], p.dark, 0.3))
    draw.rectangle((cx - half, y0, cx + half, y1), fill=acc[1])
    label, label_ink = f"EST. {rng.randint(1962, 2024)}", contrast(acc[1], p.dark, p.light)
    caption(draw, label, (cx, (y0 + y1) / 2), (s * 0.4, (y1 - y0) * 0.55), label_ink, "bold")
    return img


_PAINTERS: dict[str, Callable[[Ctx], Image.Image]] = {
    "sunset": _sunset,
    "mountains": _mountains,
    "waves": _waves,
    "botanical": _botanical,
    "retro-type": _retro_type,
    "halftone": paint_halftone,
    "bauhaus": paint_bauhaus,
    "geometric": paint_geometric,
    "stripes": _stripes,
    "orbit": _orbit,
    "badge": _badge,
    "memphis": paint_memphis,
}
THEMES: list[str] = list(_PAINTERS)


def generate_artwork(
    rng: random.Random,
    theme: str,
    *,
    size: int = 2600,
    title: str = "",
    transparent: bool = False,
    aspect: float = 1.0,
) -> bytes:
    """A PNG of size x round(size * aspect) px, deterministic for a given rng state.

    transparent=True gives tee artwork (an emblem on a clear RGBA background, light or dark ink
    at random so both garment colours get designs); False gives opaque full-bleed poster art.
    aspect is height / width: the square artwork is framed by the poster ground (posters) or
    clear space (tees), with the title as a caption under a tall poster.
    """
    if theme not in _PAINTERS:
        raise ValueError(f"unknown theme {theme!r}; expected one of {THEMES}")
    if size < 16 or not 0.25 <= aspect <= 4:
        raise ValueError("size must be >= 16 and aspect between 0.25 and 4")
    palette, light_ink = rng.choice(PALETTES), rng.random() < 0.5
    ctx = Ctx(rng, palette, printable(title.strip()), transparent, light_ink, s=WORK)
    art = _PAINTERS[theme](ctx)
    if aspect != 1.0:
        art = _frame(ctx, art, aspect)
    if not transparent:
        art = art.convert("RGB")  # posters are opaque: 3 channels resize and encode faster
    # BICUBIC: at this ~2.6x upscale of flat art it looks the same as LANCZOS, ~25% cheaper
    out = art.resize((size, max(1, round(size * aspect))), Image.Resampling.BICUBIC)
    return encode_png(out, level=1)


def _frame(c: Ctx, art: Image.Image, aspect: float) -> Image.Image:
    """Place the square art on a non-square page; a tall poster gets the title as a caption."""
    w, h = (c.s, round(c.s * aspect)) if aspect >= 1 else (round(c.s / aspect), c.s)
    page = Image.new("RGBA", (w, h), CLEAR if c.transparent else rgba(c.ground))
    if aspect > 1 and not c.transparent:
        page.alpha_composite(art, (0, 0))
        if c.title and h - c.s > c.s * 0.08:
            box = (w * 0.8, min((h - c.s) * 0.5, c.s * 0.1))
            caption(ImageDraw.Draw(page), c.title, (w / 2, (c.s + h) / 2), box, c.ink)
    else:
        page.alpha_composite(art, ((w - c.s) // 2, (h - c.s) // 2))
    return page

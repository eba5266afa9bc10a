"""The pattern themes of the demo artwork (halftone, bauhaus, geometric, memphis): little more
than the building blocks of `artwork_shapes.py`, arranged."""

from __future__ import annotations

import itertools
import math

from PIL import Image, ImageDraw

from cocreate.demo.artwork_shapes import (
    Ctx,
    contrast,
    fit_font,
    mix,
    text_centered,
    warmest,
    wrap_title,
)

# --- pattern themes ----------------------------------------------------------------------


def paint_halftone(c: Ctx) -> Image.Image:
    """Riso-style halftone: a big dot-shaded sphere printed twice, slightly off-register."""
    s, rng, acc = c.s, c.rng, c.acc
    img = c.canvas()
    draw = ImageDraw.Draw(img)
    step = s / 30
    cx, cy, big_r = s * rng.uniform(0.45, 0.55), s * rng.uniform(0.4, 0.46), s * 0.34
    lx, ly = cx - big_r * 0.4, cy - big_r * 0.4  # the light source
    # a warm offset print under the ink, like a two-drum riso
    for colour, (ox, oy) in ((warmest(acc), (s * 0.012, s * 0.007)), (c.ink, (0.0, 0.0))):
        for i, j in itertools.product(range(-30, 31), repeat=2):
            u = cx + (i - j) * step * 0.7071  # dot grid rotated 45 degrees, as in print
            v = cy + (i + j) * step * 0.7071
            if math.hypot(u - cx, v - cy) <= big_r:  # ink is shadow: dots shrink in the light
                lit = 1 - min(1.0, math.hypot(u - lx, v - ly) / (big_r * 1.3))
                tone = 0.3 + 0.7 * lit if c.light_ink else 1 - 0.75 * lit
            elif c.transparent:  # tee: a contained dot shadow under the sphere
                dist = math.hypot((u - cx) / big_r / 0.95, (v - cy - big_r * 1.13) / (s * 0.05))
                tone = 0.75 * (1 - dist)
            else:  # poster: a dot floor fading in down the page
                tone = (v - s * 0.72) / (s * 0.28) * 0.8
            r = step * 0.5 * tone
            if r > 0.8 and -r < u + ox < s + r and -r < v + oy < s + r:
                draw.circle((u + ox, v + oy), r, fill=colour)
    return img


def paint_bauhaus(c: Ctx) -> Image.Image:
    """A grid of tiles, each a flat block with one bold motif (quarter discs, arcs, bars)."""
    s, rng, p = c.s, c.rng, c.pal
    img = c.canvas()
    draw = ImageDraw.Draw(img)
    n = rng.choice([2, 3, 3])
    margin = s * (0.07 if c.transparent else 0.09)
    cell = (s - 2 * margin) / n
    colours = [p.a1, p.a2, p.a3, p.dark, p.light]
    for row, col in itertools.product(range(n), repeat=2):
        x0, y0 = margin + col * cell, margin + row * cell
        x1, y1, mx = x0 + cell, y0 + cell, x0 + cell / 2
        bg = rng.choice(colours)
        fg = rng.choice([k for k in colours if k != bg])
        draw.rectangle((x0, y0, x1, y1), fill=bg)
        motif = rng.choice(["quarter", "half", "disc", "ring", "triangle", "bars", "dots"])
        if motif == "quarter":  # a disc centred on a corner, clipped by the tile
            corner = rng.randrange(4)
            cx, cy = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)][corner]
            draw.pieslice(
                (cx - cell, cy - cell, cx + cell, cy + cell), corner * 90, corner * 90 + 90, fill=fg
            )
        elif motif == "half":  # a rising half disc with a small sun above it
            draw.pieslice((x0, y1 - cell / 2, x1, y1 + cell / 2), 180, 360, fill=fg)
            draw.circle((mx, y0 + cell * 0.26), cell * 0.12, fill=fg)
        elif motif in ("disc", "ring"):
            draw.circle((mx, y0 + cell / 2), cell * 0.36, fill=fg)
            if motif == "ring":
                draw.circle((mx, y0 + cell / 2), cell * 0.18, fill=bg)
        elif motif == "triangle":
            draw.polygon(
                rng.choice([[(x0, y1), (x1, y1), (x1, y0)], [(x0, y0), (x1, y1), (x0, y1)]]),
                fill=fg,
            )
        elif motif == "bars":
            for k in range(3):
                by = y0 + cell * (0.18 + 0.26 * k)
                draw.rectangle((x0 + cell * 0.15, by, x1 - cell * 0.15, by + cell * 0.12), fill=fg)
        else:
            for k in range(4):
                draw.circle(
                    (x0 + cell * (0.3 + 0.4 * (k % 2)), y0 + cell * (0.3 + 0.4 * (k // 2))),
                    cell * 0.12,
                    fill=fg,
                )
    return img


def paint_geometric(c: Ctx) -> Image.Image:
    """Isometric 'tumbling blocks': lit top, accent side, dark side; accents in drifting bands."""
    s, rng, p = c.s, c.rng, c.pal
    img = c.canvas()
    draw = ImageDraw.Draw(img)
    r = s / rng.choice([9, 11, 13])
    w = math.sqrt(3) * r
    hues = [p.a1, p.a2, p.a3]
    rng.shuffle(hues)
    shrink = 0.92 if c.transparent else 1.0  # tee: hairline gaps let the garment show through
    for row, col in itertools.product(range(-1, int(s / (1.5 * r)) + 2), range(-1, int(s / w) + 2)):
        cx, cy = col * w + (row % 2) * w / 2, row * 1.5 * r
        if c.transparent and math.hypot(cx - s / 2, cy - s / 2) > s * 0.4:
            continue  # tee: a round cluster of cubes
        band = int((cy / s + rng.uniform(-0.15, 0.15)) * len(hues))
        hue = hues[min(len(hues) - 1, max(0, band))]
        corners = [math.radians(-90 + 60 * k) for k in range(6)]  # top, then clockwise
        v = [(cx + r * shrink * math.cos(a), cy + r * shrink * math.sin(a)) for a in corners]
        # shaded with palette colours, never by darkening (a darkened yellow turns olive)
        draw.polygon([(cx, cy), v[5], v[0], v[1]], fill=mix(hue, p.light, 0.5))
        draw.polygon([(cx, cy), v[1], v[2], v[3]], fill=p.dark)
        draw.polygon([(cx, cy), v[3], v[4], v[5]], fill=hue)
    return img


def paint_memphis(c: Ctx) -> Image.Image:
    """Memphis-style confetti (squiggles, zigzags, rings, triangles, dots) around a title label."""
    s, rng, p, acc = c.s, c.rng, c.pal, c.acc
    img = c.canvas()
    draw = ImageDraw.Draw(img)
    n = 6 if c.transparent else 5
    cell, width = s / n, max(4, s // 70)
    label_w, label_h = s * 0.7, s * 0.24
    for row, col in itertools.product(range(n), repeat=2):
        x = (col + 0.5 + rng.uniform(-0.25, 0.25)) * cell  # a jittered grid: no clumps, no gaps
        y = (row + 0.5 + rng.uniform(-0.25, 0.25)) * cell
        if c.transparent and math.hypot(x - s / 2, y - s / 2) > s * 0.46:
            continue  # tee: keep the confetti in a round cluster
        near_label = abs(x - s / 2) < label_w / 2 + cell * 0.2 and (
            abs(y - s / 2) < label_h / 2 + cell * 0.3
        )
        if c.title and near_label:
            continue  # leave room for the label
        colour = rng.choice([*acc, c.ink])
        size = cell * rng.uniform(0.28, 0.42) * (1.2 if c.transparent else 1.0)
        kind = rng.choice(["squiggle", "zigzag", "ring", "triangle", "disc", "dots", "plus"])
        ang = rng.uniform(0, math.pi)
        if kind in ("squiggle", "zigzag"):
            steps = 24 if kind == "squiggle" else 6
            us = [(k / steps - 0.5) * 2 * size for k in range(steps + 1)]
            if kind == "squiggle":  # two sine periods
                vs = [size * 0.25 * math.sin(k / steps * 4 * math.pi) for k in range(steps + 1)]
            else:
                vs = [size * 0.22 * (1 if k % 2 else -1) for k in range(steps + 1)]
            ca, sa = math.cos(ang), math.sin(ang)
            pts = [(x + u * ca - v * sa, y + u * sa + v * ca) for u, v in zip(us, vs, strict=True)]
            draw.line(pts, fill=colour, width=width, joint="curve")
        elif kind == "ring":
            draw.circle((x, y), size, outline=colour, width=width)
        elif kind == "triangle":
            draw.regular_polygon((x, y, size), 3, rotation=math.degrees(ang), fill=colour)
        elif kind == "disc":
            draw.circle((x, y), size * 0.7, fill=colour)
        elif kind == "dots":
            for i, j in itertools.product((-1, 0, 1), repeat=2):
                draw.circle((x + i * size * 0.6, y + j * size * 0.6), width, fill=colour)
        else:
            draw.line([(x - size, y), (x + size, y)], fill=colour, width=width * 2)
            draw.line([(x, y - size), (x, y + size)], fill=colour, width=width * 2)
    if c.title:  # the title on a label with a hard offset shadow, very 1985
        x0, y0, off = (s - label_w) / 2, (s - label_h) / 2, s * 0.022
        draw.rectangle((x0 + off, y0 + off, x0 + label_w + off, y0 + label_h + off), fill=acc[1])
        draw.rectangle((x0, y0, x0 + label_w, y0 + label_h), fill=c.ink)
        lines = wrap_title(c.title.upper(), max_lines=2)
        fits = [fit_font(ln, "bold", label_w * 0.86, label_h * 0.62 / len(lines)) for ln in lines]
        fnt = min(fits, key=lambda f: getattr(f, "size", 0))  # one size for both lines
        for k, line in enumerate(lines):
            y = s / 2 + (k - (len(lines) - 1) / 2) * label_h * 0.36
            text_centered(draw, (s / 2, y), line, fnt, contrast(c.ink, p.dark, p.light))
    return img

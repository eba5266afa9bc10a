"""Mockups: every product and colour renders, and the print stays visible on every garment."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw, ImageStat

from cocreate.core.storage import MemoryStorage
from cocreate.designs.mockups import (
    GARMENT_COLOURS,
    is_dark,
    mockup_names,
    print_area,
    render_all_mockups,
    render_mockup,
    render_mockup_image,
)
from tests.designs.fakes import FailingStorage

SIZE = 400


def design(fill: tuple[int, int, int], size: tuple[int, int] = (1200, 1200)) -> Image.Image:
    """A transparent canvas with a solid block of ink in the middle (most of it)."""
    art = Image.new("RGBA", size, (0, 0, 0, 0))
    width, height = size
    box = (width // 10, height // 10, width * 9 // 10, height * 9 // 10)
    ImageDraw.Draw(art).rectangle(box, fill=(*fill, 255))
    return art


def inner(box: tuple[int, int, int, int], margin: float = 0.2) -> tuple[int, int, int, int]:
    """The middle of a box, well inside the ink block of `design`."""
    left, top, right, bottom = box
    dx, dy = round((right - left) * margin), round((bottom - top) * margin)
    return left + dx, top + dy, right - dx, bottom - dy


def share(image: Image.Image, box: tuple[int, int, int, int], test: str) -> float:
    """Fraction of pixels in `box` that are bright (`test="bright"`) or dark."""
    grey = image.crop(box).convert("L")
    histogram = grey.histogram()
    hits = sum(histogram[200:]) if test == "bright" else sum(histogram[:60])
    return hits / (grey.width * grey.height)


def test_names_cover_every_colour_and_the_poster() -> None:
    assert mockup_names() == [f"tee:{c}" for c in GARMENT_COLOURS] + ["poster"]
    for slug in ("white", "black", "heather-grey", "navy", "red", "forest-green"):
        assert slug in GARMENT_COLOURS
        assert GARMENT_COLOURS[slug].startswith("#") and len(GARMENT_COLOURS[slug]) == 7


@pytest.mark.parametrize("colour", list(GARMENT_COLOURS))
def test_every_tee_colour_renders_a_webp_of_the_right_size(colour: str) -> None:
    data = render_mockup(design((200, 40, 40)), "tee", colour, size=SIZE)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "WEBP" and image.size == (SIZE, SIZE)


def test_default_size_and_poster() -> None:
    with Image.open(io.BytesIO(render_mockup(design((10, 10, 10)), "poster"))) as image:
        assert image.format == "WEBP" and image.size == (800, 800)


@pytest.mark.parametrize("colour", [c for c in GARMENT_COLOURS if is_dark(c)])
def test_white_ink_stays_visible_on_dark_garments(colour: str) -> None:
    art = design((255, 255, 255))
    box = inner(print_area("tee", SIZE, art.size))
    printed = render_mockup_image(art, "tee", colour, SIZE)
    blank = render_mockup_image(Image.new("RGBA", art.size), "tee", colour, SIZE)
    assert share(blank, box, "bright") == 0
    assert share(printed, box, "bright") > 0.95


def test_black_tee_is_dark_and_white_ink_is_bright() -> None:
    assert is_dark("black") and not is_dark("white") and not is_dark("heather-grey")
    art = design((255, 255, 255))
    image = render_mockup_image(art, "tee", "black", SIZE)
    box = inner(print_area("tee", SIZE, art.size))
    assert ImageStat.Stat(image.crop(box).convert("L")).mean[0] > 200


@pytest.mark.parametrize("colour", ["white", "heather-grey"])
def test_black_ink_is_visible_on_light_garments(colour: str) -> None:
    art = design((0, 0, 0))
    box = inner(print_area("tee", SIZE, art.size))
    assert share(render_mockup_image(art, "tee", colour, SIZE), box, "dark") > 0.95
    blank = render_mockup_image(Image.new("RGBA", art.size), "tee", colour, SIZE)
    assert share(blank, box, "dark") == 0


def test_folds_show_on_a_plain_black_tee() -> None:
    image = render_mockup_image(Image.new("RGBA", (10, 10)), "tee", "black", SIZE)
    body = image.crop((SIZE * 40 // 100, SIZE * 30 // 100, SIZE * 60 // 100, SIZE * 85 // 100))
    low, high = body.convert("L").getextrema()
    assert high - low >= 12  # sheen and creases, not a flat fill


def test_print_keeps_its_aspect_and_stays_in_the_chest_area() -> None:
    wide = print_area("tee", 800, (4000, 1000))
    tall = print_area("tee", 800, (1000, 4000))
    assert (wide[2] - wide[0]) / (wide[3] - wide[1]) == pytest.approx(4.0, rel=0.05)
    assert (tall[3] - tall[1]) / (tall[2] - tall[0]) == pytest.approx(4.0, rel=0.05)
    for left, top, right, bottom in (wide, tall):
        assert (left + right) / 2 == pytest.approx(400, abs=1)  # centred on the chest
        assert top > 0.2 * 800 and bottom < 0.75 * 800


def test_poster_shows_the_art_and_paper_behind_transparency() -> None:
    art = design((20, 60, 200))
    image = render_mockup_image(art, "poster", None, SIZE)
    left, top, right, bottom = print_area("poster", SIZE, art.size)
    blue = image.getpixel(((left + right) // 2, (top + bottom) // 2))
    assert blue[2] > 150 and blue[0] < 80
    paper = image.getpixel((left + 3, top + 3))  # a transparent corner of the art
    assert min(paper) > 215


def test_rendering_is_deterministic() -> None:
    art = design((40, 160, 90))
    assert render_mockup(art, "tee", "navy", SIZE) == render_mockup(art, "tee", "navy", SIZE)


def test_unknown_product_or_colour_is_refused() -> None:
    with pytest.raises(ValueError, match="colour"):
        render_mockup(design((0, 0, 0)), "tee", "plaid", SIZE)
    with pytest.raises(ValueError, match="product"):
        render_mockup(design((0, 0, 0)), "mug", None, SIZE)


def _master_png(art: Image.Image) -> bytes:
    buffer = io.BytesIO()
    art.save(buffer, "PNG")
    return buffer.getvalue()


def test_render_all_mockups_stores_one_webp_each() -> None:
    storage = MemoryStorage()
    keys = render_all_mockups(_master_png(design((230, 120, 30), (2400, 1800))), storage, size=SIZE)
    assert list(keys) == mockup_names()
    assert len(set(keys.values())) == len(keys) == len(storage)
    for key in keys.values():
        assert key.endswith(".webp")
        with Image.open(io.BytesIO(storage.open(key))) as image:
            assert image.format == "WEBP" and image.size == (SIZE, SIZE)


def test_render_all_mockups_leaves_nothing_behind_on_failure() -> None:
    storage = FailingStorage(fail_on_put=len(mockup_names()))
    with pytest.raises(OSError, match="disk full"):
        render_all_mockups(_master_png(design((230, 120, 30))), storage, size=SIZE)
    assert len(storage) == 0

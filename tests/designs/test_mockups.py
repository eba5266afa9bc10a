"""Mockups: every product and colour renders, and the print stays visible on every garment."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw, ImageStat

from cocreate.catalogue import products as catalogue
from cocreate.core.storage import MemoryStorage
from cocreate.designs.mockups import render_all_mockups, render_mockup, render_mockup_image
from tests.designs.fakes import FailingStorage

SIZE = 400
TEE = catalogue.get("tee")
POSTER = catalogue.get("poster")
TEE_COLOURS = ["white", "black", "heather-grey", "navy", "red", "forest-green"]
DARK_TEE_COLOURS = ["black", "navy", "red", "forest-green"]
TEE_AND_POSTER_MOCKUPS = [f"tee:{c}" for c in TEE_COLOURS] + ["poster"]


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
    assert TEE.mockup_names() + POSTER.mockup_names() == TEE_AND_POSTER_MOCKUPS


@pytest.mark.parametrize("colour", TEE_COLOURS)
def test_every_tee_colour_renders_a_webp_of_the_right_size(colour: str) -> None:
    data = render_mockup(design((200, 40, 40)), TEE, colour, size=SIZE)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "WEBP" and image.size == (SIZE, SIZE)


def test_default_size_and_poster() -> None:
    with Image.open(io.BytesIO(render_mockup(design((10, 10, 10)), POSTER))) as image:
        assert image.format == "WEBP" and image.size == (800, 800)


@pytest.mark.parametrize("colour", DARK_TEE_COLOURS)
def test_white_ink_stays_visible_on_dark_garments(colour: str) -> None:
    art = design((255, 255, 255))
    box = inner(TEE.print_area(SIZE, art.size))
    printed = render_mockup_image(art, TEE, colour, SIZE)
    blank = render_mockup_image(Image.new("RGBA", art.size), TEE, colour, SIZE)
    assert share(blank, box, "bright") == 0
    assert share(printed, box, "bright") > 0.95


def test_black_tee_is_dark_and_white_ink_is_bright() -> None:
    assert TEE.colour("black").dark
    assert not TEE.colour("white").dark and not TEE.colour("heather-grey").dark
    art = design((255, 255, 255))
    image = render_mockup_image(art, TEE, "black", SIZE)
    box = inner(TEE.print_area(SIZE, art.size))
    assert ImageStat.Stat(image.crop(box).convert("L")).mean[0] > 200


@pytest.mark.parametrize("colour", ["white", "heather-grey"])
def test_black_ink_is_visible_on_light_garments(colour: str) -> None:
    art = design((0, 0, 0))
    box = inner(TEE.print_area(SIZE, art.size))
    assert share(render_mockup_image(art, TEE, colour, SIZE), box, "dark") > 0.95
    blank = render_mockup_image(Image.new("RGBA", art.size), TEE, colour, SIZE)
    assert share(blank, box, "dark") == 0


def test_folds_show_on_a_plain_black_tee() -> None:
    image = render_mockup_image(Image.new("RGBA", (10, 10)), TEE, "black", SIZE)
    body = image.crop((SIZE * 40 // 100, SIZE * 30 // 100, SIZE * 60 // 100, SIZE * 85 // 100))
    low, high = body.convert("L").getextrema()
    assert high - low >= 12  # sheen and creases, not a flat fill


def test_print_keeps_its_aspect_and_stays_in_the_chest_area() -> None:
    wide = TEE.print_area(800, (4000, 1000))
    tall = TEE.print_area(800, (1000, 4000))
    assert (wide[2] - wide[0]) / (wide[3] - wide[1]) == pytest.approx(4.0, rel=0.05)
    assert (tall[3] - tall[1]) / (tall[2] - tall[0]) == pytest.approx(4.0, rel=0.05)
    for left, top, right, bottom in (wide, tall):
        assert (left + right) / 2 == pytest.approx(400, abs=1)  # centred on the chest
        assert top > 0.2 * 800 and bottom < 0.75 * 800


def test_poster_shows_the_art_and_paper_behind_transparency() -> None:
    art = design((20, 60, 200))
    image = render_mockup_image(art, POSTER, None, SIZE)
    left, top, right, bottom = POSTER.print_area(SIZE, art.size)
    blue = image.getpixel(((left + right) // 2, (top + bottom) // 2))
    assert blue[2] > 150 and blue[0] < 80
    paper = image.getpixel((left + 3, top + 3))  # a transparent corner of the art
    assert min(paper) > 215


def test_rendering_is_deterministic() -> None:
    art = design((40, 160, 90))
    assert render_mockup(art, TEE, "navy", SIZE) == render_mockup(art, TEE, "navy", SIZE)


def test_unknown_or_missing_colour_is_refused() -> None:
    with pytest.raises(ValueError, match="colour"):
        render_mockup(design((0, 0, 0)), TEE, "plaid", SIZE)
    with pytest.raises(ValueError, match="colour"):
        render_mockup(design((0, 0, 0)), TEE, None, SIZE)


def _master_png(art: Image.Image) -> bytes:
    buffer = io.BytesIO()
    art.save(buffer, "PNG")
    return buffer.getvalue()


def test_render_all_mockups_stores_one_webp_each() -> None:
    storage = MemoryStorage()
    master = _master_png(design((230, 120, 30), (2400, 1800)))
    keys = render_all_mockups(master, storage, [TEE, POSTER], size=SIZE)
    assert list(keys) == TEE_AND_POSTER_MOCKUPS
    assert len(set(keys.values())) == len(keys) == len(storage)
    for key in keys.values():
        assert key.endswith(".webp")
        with Image.open(io.BytesIO(storage.open(key))) as image:
            assert image.format == "WEBP" and image.size == (SIZE, SIZE)


def test_render_all_mockups_leaves_nothing_behind_on_failure() -> None:
    storage = FailingStorage(fail_on_put=7)  # the last of the 7 tee and poster mockups
    with pytest.raises(OSError, match="disk full"):
        render_all_mockups(_master_png(design((230, 120, 30))), storage, [TEE, POSTER], size=SIZE)
    assert len(storage) == 0

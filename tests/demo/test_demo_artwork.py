"""Generated demo artwork: valid PNGs, tee transparency, determinism, and the title catalogue."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator

import pytest
from PIL import Image

from cocreate.demo import artwork_shapes
from cocreate.demo.artwork import THEMES, generate_artwork
from cocreate.demo.titles import demo_titles

SMALL = 256  # painting happens at a fixed working size; a small output keeps the suite quick
TITLE_FOR = {theme: title for title, theme, _ in reversed(demo_titles())}


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()  # decodes every row and checks the chunk CRCs
    return image


def test_at_least_ten_distinct_themes() -> None:
    assert len(THEMES) >= 10
    assert len(set(THEMES)) == len(THEMES)


@pytest.mark.parametrize("transparent", [False, True], ids=["poster", "tee"])
@pytest.mark.parametrize("theme", THEMES)
def test_every_theme_is_a_png_of_the_requested_size(theme: str, transparent: bool) -> None:
    data = generate_artwork(
        random.Random(7), theme, size=SMALL, title=TITLE_FOR.get(theme, ""), transparent=transparent
    )
    image = _open(data)
    assert image.format == "PNG"
    assert image.size == (SMALL, SMALL)
    assert image.mode == ("RGBA" if transparent else "RGB")


@pytest.mark.parametrize("theme", THEMES)
def test_tee_artwork_has_clear_and_opaque_pixels(theme: str) -> None:
    for seed in range(3):  # covers light-ink and dark-ink variants
        image = _open(
            generate_artwork(
                random.Random(seed),
                theme,
                size=SMALL,
                transparent=True,
                title=TITLE_FOR.get(theme, ""),
            )
        )
        low, high = image.getchannel("A").getextrema()
        assert (low, high) == (0, 255), (theme, seed)


def test_default_size_is_print_resolution() -> None:
    image = _open(generate_artwork(random.Random(1), "sunset", title="Golden Hour Club"))
    assert image.size == (2600, 2600)


def test_non_square_variant() -> None:
    tall = _open(
        generate_artwork(random.Random(1), "waves", size=300, aspect=1.5, title="La Vague")
    )
    wide = _open(
        generate_artwork(random.Random(1), "orbit", size=300, aspect=0.5, transparent=True)
    )
    assert tall.size == (300, 450)
    assert wide.size == (300, 150)


@pytest.mark.parametrize("theme", THEMES)
def test_same_seed_same_bytes_other_seed_other_bytes(theme: str) -> None:
    def render(seed: int) -> bytes:
        return generate_artwork(
            random.Random(seed), theme, size=SMALL, title="Pixel Peaks", transparent=seed % 2 == 0
        )

    assert render(42) == render(42)
    assert render(42) != render(44)


def test_unknown_theme_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown theme"):
        generate_artwork(random.Random(1), "vaporwave", size=SMALL)


@pytest.fixture
def no_system_fonts(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(artwork_shapes, "FONT_CANDIDATES", {})
    artwork_shapes._font_path.cache_clear()
    artwork_shapes.font.cache_clear()
    yield
    artwork_shapes._font_path.cache_clear()
    artwork_shapes.font.cache_clear()


@pytest.mark.usefixtures("no_system_fonts")
@pytest.mark.parametrize("theme", ["retro-type", "badge", "memphis", "stripes"])
def test_type_falls_back_to_pillows_own_font(theme: str) -> None:
    assert artwork_shapes._font_path("bold") is None
    image = _open(generate_artwork(random.Random(5), theme, size=SMALL, title="Marée Haute"))
    assert image.size == (SMALL, SMALL)


@pytest.mark.usefixtures("no_system_fonts")
def test_fallback_face_gets_text_it_can_draw() -> None:
    # Pillow's bundled face has no accented capitals or stars: fold them rather than draw boxes
    assert artwork_shapes.printable("\u2605 Édition limitée \u2605") == "* Edition limitee *"
    assert artwork_shapes.printable("d\u2019abord") == "d\u2019abord"


def test_system_face_keeps_text_as_typed() -> None:
    if artwork_shapes._font_path("bold") is None:
        pytest.skip("no system TrueType font on this machine")
    assert artwork_shapes.printable("\u2605 Édition limitée") == "\u2605 Édition limitée"


def test_demo_titles_catalogue() -> None:
    titles = demo_titles()
    assert len(titles) >= 45
    assert len({title for title, _, _ in titles}) == len(titles)
    for title, theme, tags in titles:
        assert title.strip() == title and title
        assert theme in THEMES, title
        assert 2 <= len(tags) <= 4, title
        assert all(tag == tag.lower() and tag.strip() == tag and tag for tag in tags), title
    assert {theme for _, theme, _ in titles} == set(THEMES)  # every style gets designs
    assert any(not title.isascii() for title, _, _ in titles)  # French titles, with accents

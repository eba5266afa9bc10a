"""The print master's PNG writer: any decoder must read back exactly the pixels written."""

from __future__ import annotations

import io
import zlib

import pytest
from PIL import Image

from cocreate.designs import png_encode
from cocreate.designs.png_encode import encode_png
from tests.designs import corpus


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA"])
@pytest.mark.parametrize("size", [(1, 1), (7, 3), (257, 129)])
def test_round_trip(mode: str, size: tuple[int, int]) -> None:
    image = corpus.noisy(size, seed=sum(size), mode=mode)
    back = decode(encode_png(image))
    assert back.format == "PNG" and back.mode == mode and back.size == size
    assert back.tobytes() == image.tobytes()


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("piece_bytes", [1, 500, 40_000])
def test_pieces_join_into_one_valid_stream(
    threads: int, piece_bytes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tiny pieces exercise the seams: one-row pieces, pieces whose 32 KiB history starts at the
    # top of the image, and pieces far enough down to need the full history.
    monkeypatch.setattr(png_encode, "_PIECE_BYTES", piece_bytes)
    image = corpus.scene((300, 220), "RGBA")
    image.paste(corpus.noisy((300, 60), mode="RGBA"), (0, 100))
    back = decode(encode_png(image, threads=threads))
    assert back.tobytes() == image.tobytes()


@pytest.mark.parametrize("level", [0, 1, 6, 9])
def test_every_level_is_valid_and_higher_levels_are_smaller(level: int) -> None:
    image = corpus.scene((400, 300))
    data = encode_png(image, level=level)
    assert decode(data).tobytes() == image.tobytes()
    if level:
        assert len(data) < len(encode_png(image, level=0))


def test_only_an_srgb_chunk_besides_the_pixels() -> None:
    data = encode_png(corpus.scene((50, 40)))
    chunks, offset = [], 8
    while offset < len(data):
        length = int.from_bytes(data[offset : offset + 4], "big")
        chunks.append(data[offset + 4 : offset + 8])
        offset += 12 + length
    assert {c for c in chunks} == {b"IHDR", b"sRGB", b"IDAT", b"IEND"}
    assert decode(data).info == {"srgb": 0}


def test_adler32_combine_matches_zlib() -> None:
    first, second = b"print master " * 999, bytes(range(256)) * 300
    combined = png_encode._adler32_combine(zlib.adler32(first), zlib.adler32(second), len(second))
    assert combined == zlib.adler32(first + second)


def test_unsupported_modes_and_levels_are_refused() -> None:
    with pytest.raises(ValueError, match="CMYK"):
        encode_png(Image.new("CMYK", (4, 4)))
    with pytest.raises(ValueError, match="level"):
        encode_png(Image.new("RGB", (4, 4)), level=10)

"""The artwork pipeline: what it refuses (and why), and how it normalises what it accepts."""

from __future__ import annotations

import io
import pickle
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageFile, JpegImagePlugin

from cocreate.core.storage import LocalStorage, MemoryStorage
from cocreate.designs import artwork
from cocreate.designs import artwork_errors as codes
from cocreate.designs.artwork import (
    GALLERY_LONG_SIDE,
    THUMB_LONG_SIDE,
    ArtworkLimits,
    ProcessedArtwork,
    process_artwork,
    store_artwork,
)
from cocreate.designs.artwork_errors import ArtworkError, sniff
from cocreate.imaging.decode import DecodeError
from tests.designs import corpus
from tests.designs.fakes import FailingStorage

#: Small images keep the suite fast; the limits under test are set explicitly where they matter.
SMALL = ArtworkLimits(min_long_side=64)
DEFAULT = ArtworkLimits()


def refuse(data: bytes, limits: ArtworkLimits = DEFAULT) -> ArtworkError:
    """Run the whole upload path into a fresh store; it must refuse and store nothing."""
    storage = MemoryStorage()
    with pytest.raises(ArtworkError) as caught:
        store_artwork(process_artwork(data, limits), storage)
    assert len(storage) == 0
    message = caught.value.message
    assert message and "%(" not in message
    return caught.value


def open_image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def stored_images(processed: ProcessedArtwork) -> dict[str, bytes]:
    storage = MemoryStorage()
    keys = store_artwork(processed, storage)
    return {name: storage.open(key) for name, key in keys.items()}


# --- Refused -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (corpus.zero_bytes, codes.EMPTY),
        (corpus.text_renamed_png, codes.TEXT),
        (corpus.truncated_png, codes.CORRUPT),
        (corpus.truncated_jpeg, codes.CORRUPT),
        (corpus.png_bomb, codes.TOO_MANY_PIXELS),
        (corpus.svg_with_script, codes.SVG),
        (corpus.gif_renamed_jpg, codes.UNSUPPORTED_FORMAT),
        (corpus.too_small, codes.TOO_SMALL),
        (corpus.too_wide, codes.BAD_ASPECT),
        (corpus.animated_png, codes.ANIMATED),
    ],
)
def test_refused_with_the_right_code(make: Callable[[], bytes], code: str) -> None:
    limits = SMALL if make in (corpus.truncated_png, corpus.truncated_jpeg) else DEFAULT
    assert refuse(make(), limits).code == code


def test_oversized_bytes_are_refused_with_both_sizes() -> None:
    data = corpus.encode(corpus.noisy((200, 200)), "PNG")
    error = refuse(data, ArtworkLimits(max_bytes=50_000, min_long_side=64))
    assert error.code == codes.FILE_TOO_LARGE
    assert error.params == {"size": len(data), "limit": 50_000}
    assert "MB" in error.message


def test_oversized_stream_is_not_read_past_the_limit() -> None:
    class CountingStream(io.BytesIO):
        read_total = 0

        def read(self, size: int | None = -1) -> bytes:
            chunk = super().read(size)
            self.read_total += len(chunk)
            return chunk

    stream = CountingStream(bytes(2_000_000))
    with pytest.raises(ArtworkError) as caught:
        process_artwork(stream, ArtworkLimits(max_bytes=1000))
    assert caught.value.code == codes.FILE_TOO_LARGE
    assert caught.value.params["size"] == 2_000_000  # found by seeking, not reading
    assert stream.read_total == 1001


def test_gif_is_named_from_its_content() -> None:
    error = refuse(corpus.gif_renamed_jpg())
    assert error.params["detected"] == "GIF"
    assert "GIF" in error.message
    assert "PNG, JPEG, or WebP" in error.message


def test_too_small_message_gives_size_and_minimum() -> None:
    error = refuse(corpus.too_small())
    assert error.params == {"width": 500, "height": 400, "minimum": 2400, "product": ""}
    assert "This image is 500×400 px; prints need at least 2400 px on the long side" in (
        error.message
    )
    poster = refuse(corpus.too_small(), ArtworkLimits(min_long_side=3000, product="poster"))
    assert "Poster prints need at least 3000 px" in poster.message


def test_aspect_message_gives_the_ratio() -> None:
    error = refuse(corpus.too_wide())
    assert error.params["ratio"] == pytest.approx(5.0)
    assert "5.0" in error.message and "4.0" in error.message


@pytest.mark.parametrize(
    ("width", "height", "has_dimensions"),
    [
        (8000, 8000, True),  # over our 60 MP, under Pillow's own limit: our header check
        (10000, 10000, False),  # over Pillow's warning threshold: the warning is an error
        (20000, 20000, False),  # over Pillow's hard limit: DecompressionBombError
    ],
)
def test_pixel_bombs_are_refused_before_decoding(
    width: int, height: int, has_dimensions: bool
) -> None:
    error = refuse(corpus.png_bomb(width, height))
    assert error.code == codes.TOO_MANY_PIXELS
    assert ("width" in error.params) is has_dimensions
    assert "60 megapixels" in error.message


def test_pixel_limit_is_checked_from_the_header() -> None:
    # Truncated pixel data would fail to decode; the pixel count must be refused first.
    error = refuse(corpus.truncated_png(), ArtworkLimits(max_pixels=10_000, min_long_side=64))
    assert error.code == codes.TOO_MANY_PIXELS
    assert error.params["width"] == 256


def test_truncated_images_stay_refused_when_pillow_is_told_to_pad_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(RuntimeError, match="LOAD_TRUNCATED_IMAGES"):
        process_artwork(corpus.truncated_png(), SMALL)


def test_formats_not_enabled_are_refused_even_if_pillow_reads_them() -> None:
    error = refuse(corpus.webp(), ArtworkLimits(min_long_side=64, formats=frozenset({"PNG"})))
    assert error.code == codes.UNSUPPORTED_FORMAT
    assert error.params["detected"] == "WEBP"


def test_unknown_binary_is_not_an_image() -> None:
    assert refuse(bytes(range(256)) * 4).code == codes.NOT_AN_IMAGE


def test_damaged_header_of_an_accepted_format_is_corrupt() -> None:
    data = corpus.encode(corpus.scene((300, 200)), "PNG")
    assert refuse(data[:40], SMALL).code == codes.CORRUPT


def test_every_code_has_a_message_outside_an_app_context() -> None:
    samples = {
        codes.EMPTY: {},
        codes.FILE_TOO_LARGE: {"size": 30 * 1024 * 1024, "limit": 25 * 1024 * 1024},
        codes.NOT_AN_IMAGE: {"accepted": ["PNG"]},
        codes.UNSUPPORTED_FORMAT: {"detected": "TIFF", "accepted": ["PNG", "JPEG", "WEBP"]},
        codes.SVG: {"minimum": 2400},
        codes.TEXT: {"accepted": ["PNG"]},
        codes.CORRUPT: {"format": "PNG"},
        codes.ANIMATED: {"format": "WEBP"},
        codes.TOO_MANY_PIXELS: {"width": 9000, "height": 9000, "maximum": 60_000_000},
        codes.TOO_SMALL: {"width": 10, "height": 10, "minimum": 2400},
        codes.BAD_ASPECT: {"width": 10, "height": 50, "ratio": 5.0, "maximum": 4.0},
    }
    assert set(samples) == codes.CODES
    for code, params in samples.items():
        message = ArtworkError(code, **params).message
        assert message.endswith(".") and "%(" not in message, code
    assert "30.0 MB" in ArtworkError(codes.FILE_TOO_LARGE, **samples[codes.FILE_TOO_LARGE]).message
    with pytest.raises(ValueError, match="unknown"):
        ArtworkError("nope")


def test_errors_survive_pickling() -> None:
    error = ArtworkError(codes.TOO_SMALL, width=10, height=20, minimum=2400)
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes, round-tripped
    assert (copy.code, copy.params, copy.message) == (error.code, error.params, error.message)


def test_sniff_names_common_formats() -> None:
    assert sniff(b"GIF89a....") == ("image", "GIF")
    assert sniff(b"II*\x00rest") == ("image", "TIFF")
    assert sniff(b"%PDF-1.7") == ("image", "PDF")
    assert sniff(b"\x00\x00\x00\x1cftypheic") == ("image", "HEIC")
    assert sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == ("image", "WEBP")
    assert sniff(b"\xef\xbb\xbf  <svg/>") == ("svg", None)
    assert sniff(b"<html><body>hi</body></html>") == ("text", None)
    assert sniff("caf\u00e9".encode()[:-1]) == ("text", None)  # cut mid-character
    assert sniff(b"\x00\x01\x02garbage") == ("unknown", None)


# --- Accepted and normalised ---------------------------------------------------------------------


def test_cmyk_jpeg_becomes_rgb() -> None:
    result = process_artwork(corpus.cmyk_jpeg(), SMALL)
    master = open_image(result.master)
    assert master.mode == "RGB" and result.source_format == "JPEG" and not result.has_alpha
    for (x, y), expected in (((50, 50), (255, 255, 255)), ((150, 50), (0, 0, 0))):
        assert all(abs(a - b) <= 8 for a, b in zip(master.getpixel((x, y)), expected, strict=True))
    red, green, blue = master.getpixel((250, 50))
    assert red <= 10 and green >= 245 and blue >= 245  # cyan


def test_16_bit_grey_is_scaled_not_clipped() -> None:
    result = process_artwork(corpus.png_16bit_grey(40000), SMALL)
    master = open_image(result.master)
    assert master.mode == "RGB"
    assert master.getpixel((150, 100)) == (155, 155, 155)  # 40000 / 257, not 255
    assert master.getpixel((150, 5)) == (0, 0, 0)


def test_palette_transparency_becomes_alpha() -> None:
    result = process_artwork(corpus.palette_png_with_transparency(), SMALL)
    assert result.has_alpha
    master = open_image(result.master)
    assert master.mode == "RGBA"
    assert master.getpixel((10, 10))[3] == 0
    assert master.getpixel((250, 10)) == (255, 0, 0, 255)
    gallery_webp = open_image(result.gallery.webp)
    assert gallery_webp.mode == "RGBA" and gallery_webp.getpixel((10, 10))[3] == 0
    # JPEG has no alpha: transparent areas are flattened onto white, not black.
    assert min(open_image(result.gallery.jpeg).getpixel((10, 10))) >= 245


def test_alpha_channel_kept_and_opaque_alpha_dropped() -> None:
    with_alpha = process_artwork(corpus.rgba_png(), SMALL)
    assert with_alpha.has_alpha and open_image(with_alpha.master).mode == "RGBA"
    opaque = process_artwork(corpus.opaque_rgba_png(), SMALL)
    assert not opaque.has_alpha and open_image(opaque.master).mode == "RGB"


@pytest.mark.parametrize("make", [corpus.greyscale_png, corpus.greyscale_jpeg])
def test_greyscale_becomes_neutral_rgb(make: Callable[[], bytes]) -> None:
    master = open_image(process_artwork(make(), SMALL).master)
    assert master.mode == "RGB"
    red, green, blue = master.getpixel((150, 100))
    assert red == green == blue


def test_exif_orientation_is_applied() -> None:
    result = process_artwork(corpus.jpeg_orientation_6(), SMALL)
    assert (result.width, result.height) == (200, 300)
    master = open_image(result.master)
    assert master.size == (200, 300)

    def is_marker(pixel: tuple[int, ...]) -> bool:
        return pixel[0] > 200 and pixel[1] < 60 and pixel[2] < 60

    assert is_marker(master.getpixel((200 - 20, 20)))  # top right, where it belongs upright
    assert not is_marker(master.getpixel((20, 20)))
    assert not is_marker(master.getpixel((20, 300 - 20)))
    # The derivatives are upright too, and carry no orientation tag to rotate them again.
    gallery = open_image(result.gallery.jpeg)
    assert gallery.size == (200, 300) and is_marker(gallery.getpixel((180, 20)))
    assert 0x0112 not in gallery.getexif()


@pytest.mark.parametrize("make", [corpus.icc_tagged_png, corpus.icc_tagged_jpeg])
def test_embedded_profile_is_converted_to_srgb(make: Callable[[], bytes]) -> None:
    master = open_image(process_artwork(make(), SMALL).master)
    expected = corpus.adobe_rgb_to_srgb(corpus.ICC_TEST_COLOUR)
    actual = master.getpixel((150, 100))
    assert all(abs(a - e) <= 3 for a, e in zip(actual, expected, strict=True)), (actual, expected)
    # and the numbers really moved: Adobe RGB values read as sRGB would be visibly wrong
    assert abs(actual[0] - corpus.ICC_TEST_COLOUR[0]) > 15
    assert "icc_profile" not in master.info


@pytest.mark.parametrize(
    "make",
    [corpus.jpeg_with_gps_and_comment, corpus.png_with_text_chunks, corpus.icc_tagged_jpeg],
)
def test_no_metadata_survives_in_any_stored_file(make: Callable[[], bytes]) -> None:
    files = stored_images(process_artwork(make(), SMALL))
    assert set(files) == {"original", "thumb_webp", "thumb_jpeg", "gallery_webp", "gallery_jpeg"}
    for name, data in files.items():
        image = open_image(data)
        leaked = {"exif", "comment", "icc_profile", "xmp", "XML:com.adobe.xmp", "Author"}
        assert not leaked & set(image.info), (name, sorted(image.info))
        assert not image.getexif(), name
        for marker in (
            b"Exif\x00\x00",
            b"GPS-LEAK",
            corpus.LEAK_GPS.encode(),
            corpus.LEAK_MAKE.encode(),
            corpus.LEAK_COMMENT,
            corpus.LEAK_XMP,
            corpus.LEAK_PNG_TEXT.encode(),
            b"xmpmeta",
            b"ICC_PROFILE",
            b"iCCP",
            b"tEXt",
            b"iTXt",
            b"eXIf",
        ):
            assert marker not in data, (name, marker)


def test_webp_is_accepted() -> None:
    result = process_artwork(corpus.webp(), SMALL)
    assert result.source_format == "WEBP" and (result.width, result.height) == (300, 200)


def test_stream_input_and_default_limits_make_both_sizes() -> None:
    data = corpus.encode(corpus.scene((3000, 2000)), "JPEG", quality=90)
    result = process_artwork(io.BytesIO(data), DEFAULT)
    assert (result.width, result.height) == (3000, 2000)
    assert (result.gallery.width, result.gallery.height) == (GALLERY_LONG_SIDE, 800)
    assert (result.thumb.width, result.thumb.height) == (THUMB_LONG_SIDE, 267)
    assert open_image(result.gallery.webp).size == (GALLERY_LONG_SIDE, 800)
    assert open_image(result.thumb.jpeg).size == (THUMB_LONG_SIDE, 267)
    master = open_image(result.master)
    assert master.size == (3000, 2000) and master.format == "JPEG"
    # The JPEG master is near-lossless: the ellipse's colour in the upload survives within 2.
    source = open_image(data)
    for x, y in ((1500, 1000), (100, 100), (800, 600)):
        expected = source.getpixel((x, y))
        assert all(abs(a - b) <= 2 for a, b in zip(master.getpixel((x, y)), expected, strict=True))


def test_processing_is_deterministic() -> None:
    # Keys are content hashes: the same upload must give the same files.
    first = process_artwork(corpus.rgba_png(), SMALL)
    second = process_artwork(corpus.rgba_png(), SMALL)
    assert first == second


def test_jpeg_upload_keeps_a_quality_95_444_jpeg_master() -> None:
    result = process_artwork(corpus.encode(corpus.scene((640, 480)), "JPEG", quality=80), SMALL)
    assert result.master_suffix == ".jpg" and result.files()["original"][1] == ".jpg"
    master = open_image(result.master)
    assert isinstance(master, JpegImagePlugin.JpegImageFile)
    assert master.size == (640, 480) and master.mode == "RGB"
    assert JpegImagePlugin.get_sampling(master) == 0  # 4:4:4
    # Pillow's quantisation tables for quality 95, i.e. the master was written at 95.
    reference = open_image(corpus.encode(corpus.scene((64, 64)), "JPEG", quality=95))
    assert master.quantization == reference.quantization
    assert not master.getexif() and "icc_profile" not in master.info


@pytest.mark.parametrize("make", [corpus.rgba_png, corpus.webp, corpus.greyscale_png])
def test_lossless_or_transparent_uploads_keep_a_png_master(make: Callable[[], bytes]) -> None:
    result = process_artwork(make(), SMALL)
    assert result.master_suffix == ".png"
    assert open_image(result.master).format == "PNG"


def test_stored_bytes_are_bounded_for_a_noisy_jpeg() -> None:
    # Random pixels are the worst case for every encoder. A 1000×1000 noise JPEG (quality 75,
    # 0.6 MB) used to store a 3,001,560-byte PNG master. The bound: the JPEG master stays under
    # 1.65 bytes per pixel (about 100 MB at the 60-megapixel limit, against 180 MB as PNG), and
    # all five files under 3.1 bytes per pixel.
    data = corpus.encode(corpus.noisy((1000, 1000)), "JPEG", quality=75)
    files = process_artwork(data, SMALL).files()
    assert len(files["original"][0]) < 1_650_000
    assert sum(len(content) for content, _suffix in files.values()) < 3_100_000


def test_stored_bytes_for_a_drawn_jpeg() -> None:
    # A flat drawing (3000×2000, quality 90, 131 KB): its five files stay under 300 KB.
    data = corpus.encode(corpus.scene((3000, 2000)), "JPEG", quality=90)
    files = process_artwork(data, SMALL).files()
    assert sum(len(content) for content, _suffix in files.values()) < 300_000


@pytest.mark.parametrize("variant", ["ascii", "long"])
def test_malformed_exif_costs_only_the_orientation(variant: str) -> None:
    result = process_artwork(corpus.jpeg_with_malformed_exif((300, 200), variant), SMALL)
    assert (result.width, result.height) in ((300, 200), (200, 300))
    for name, (content, _suffix) in result.files().items():
        assert b"Exif\x00\x00" not in content, name


def test_the_preview_is_the_gallery_image() -> None:
    result = process_artwork(corpus.encode(corpus.scene((3000, 2000)), "JPEG", quality=90), SMALL)
    assert result.preview.size == (GALLERY_LONG_SIDE, 800) and result.preview.mode == "RGB"
    assert result.preview.info == {}


# --- Storing -------------------------------------------------------------------------------------


def test_store_artwork_returns_a_key_per_file_and_is_idempotent() -> None:
    processed = process_artwork(corpus.rgba_png(), SMALL)
    storage = MemoryStorage()
    keys = store_artwork(processed, storage)
    assert keys["original"].endswith(".png")  # a PNG upload with alpha
    assert keys["thumb_webp"].endswith(".webp") and keys["gallery_jpeg"].endswith(".jpg")
    assert storage.open(keys["original"]) == processed.master
    assert store_artwork(processed, storage) == keys
    # Smaller than the thumbnail size, so thumb and gallery are the same files, stored once.
    assert keys["thumb_webp"] == keys["gallery_webp"]
    assert len(storage) == len(set(keys.values())) == 3


def test_failed_store_leaves_nothing_behind() -> None:
    processed = process_artwork(corpus.rgba_png(), SMALL)
    storage = FailingStorage(fail_on_put=3)
    with pytest.raises(OSError, match="disk full"):
        store_artwork(processed, storage)
    assert len(storage) == 0


def test_failed_store_keeps_files_that_were_already_there() -> None:
    processed = process_artwork(corpus.rgba_png(), SMALL)
    storage = FailingStorage(fail_on_put=4)
    shared = storage.put(processed.master, suffix=".png")  # e.g. an identical upload
    with pytest.raises(OSError, match="disk full"):
        store_artwork(processed, storage)
    assert storage.keys() == [shared]


def test_limits_refuse_unknown_formats() -> None:
    with pytest.raises(ValueError, match="not Pillow image formats"):
        ArtworkLimits(formats=frozenset({"NOPE"}))


def test_the_request_half_makes_only_the_master_and_the_job_half_the_web_sizes() -> None:
    data = corpus.encode(corpus.scene((3000, 2000)), "PNG")
    normalised = artwork.normalise_artwork(data, SMALL)
    assert (normalised.width, normalised.height, normalised.master_suffix) == (3000, 2000, ".png")
    assert list(normalised.files()) == ["original"]
    storage = MemoryStorage()
    key = artwork.store_master(normalised, storage)
    assert key.endswith(".png") and len(storage) == 1
    web = artwork.make_web_images(storage.open(key), max_pixels=6_000_000)
    assert (web.gallery.width, web.gallery.height) == (GALLERY_LONG_SIDE, 800)
    assert (web.thumb.width, web.thumb.height) == (THUMB_LONG_SIDE, 267)
    keys = artwork.store_web_images(web, storage)
    assert list(keys) == ["thumb_webp", "thumb_jpeg", "gallery_webp", "gallery_jpeg"]
    assert len(storage) == 5
    # Both halves in a row give the same files as `process_artwork`: the same keys.
    assert {"original": key, **keys} == store_artwork(process_artwork(data, SMALL), storage)


def test_the_job_half_refuses_a_master_larger_than_accepted() -> None:
    master = artwork.normalise_artwork(corpus.rgba_png(), SMALL).master
    with pytest.raises(DecodeError) as caught:
        artwork.make_web_images(master, max_pixels=300 * 200 - 1)
    assert caught.value.code == "too_many_pixels"


def test_store_artwork_on_disk_writes_every_file(tmp_path: Path) -> None:
    processed = process_artwork(corpus.encode(corpus.scene((3000, 2000)), "JPEG"), SMALL)
    storage = LocalStorage(tmp_path)
    keys = store_artwork(processed, storage)
    assert list(keys) == ["original", "thumb_webp", "thumb_jpeg", "gallery_webp", "gallery_jpeg"]
    for name, (content, suffix) in processed.files().items():
        assert keys[name].endswith(suffix) and storage.open(keys[name]) == content
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 5

"""The artwork upload pipeline: check, decode, normalise, re-encode, store.

An upload is untrusted bytes. They are identified by content (never by file name), checked
against the limits from their header before any pixel is decoded, decoded in full (so a
truncated file is refused, not half printed), turned upright and into sRGB, copied into a fresh
image (so no EXIF, GPS, XMP, ICC or comment survives) and re-encoded: a PNG print master plus
thumbnail and gallery derivatives in WebP and JPEG. Refusals are `ArtworkError`s.
"""

from __future__ import annotations

import io
import logging
import struct
import warnings
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import BinaryIO, cast

from PIL import Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError

from cocreate.core.storage import Storage, put_many
from cocreate.designs import artwork_errors as codes
from cocreate.designs.artwork_errors import ArtworkError, sniff
from cocreate.designs.png_encode import encode_png

log = logging.getLogger(__name__)

THUMB_LONG_SIDE = 400
GALLERY_LONG_SIDE = 1200
WEBP_QUALITY = 82
# libwebp's method 2 encodes about 2.5x faster than the default 4 for ~5% larger files at the
# same quality; the gallery image is re-encoded on every upload, so speed wins.
WEBP_METHOD = 2
JPEG_QUALITY = 85
# zlib level for the print master. On the 16 MP bench image with two cores: level 1 takes
# ~0.4 s for 14.7 MB, level 6 ~2.2 s for 13.2 MB, level 0 ~0.15 s but 48 MB. Level 1 keeps the
# upload within 2x a bare thumbnail job; the master is written once and rarely read.
MASTER_PNG_LEVEL = 1
# resize() first box-reduces by an integer factor while the result stays >= reducing_gap x the
# target, then resamples with Lanczos. At 1.5 a 4000 px master is halved before Lanczos: 3x
# faster than 2.0 (which skips the halving there), and 51 dB PSNR against a plain Lanczos resize,
# i.e. no visible difference. JPEG draft mode (DCT-domain downscaling) does not pay here: the
# master needs the full decode anyway, and a second, reduced decode plus its own copy costs
# more than reducing the decoded image (0.12 s against 0.085 s on the bench JPEG).
REDUCING_GAP = 1.5

_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, KeyError,
                  struct.error, zlib.error)  # fmt: skip
_SIXTEEN_BIT_GREY = frozenset({"I;16", "I;16L", "I;16B", "I;16N", "I"})
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@dataclass(frozen=True)
class ArtworkLimits:
    """What an upload may be. Defaults match the design doc; the app builds them from its
    settings in `designs.services.artwork_limits`."""

    max_bytes: int = 25 * 1024 * 1024
    max_pixels: int = 60_000_000
    min_long_side: int = 2400
    #: Long side divided by short side.
    max_aspect: float = 4.0
    #: The catalogue key of the product that sets `min_long_side`; only used to word refusals
    #: (empty: no product named).
    product: str = ""
    #: Pillow format ids; staff may enable more (e.g. "TIFF"), each must be a Pillow decoder.
    formats: frozenset[str] = field(default_factory=lambda: frozenset({"PNG", "JPEG", "WEBP"}))

    def __post_init__(self) -> None:
        Image.init()
        unknown = {f for f in self.formats if f not in Image.OPEN}
        if unknown or not self.formats:
            raise ValueError(f"not Pillow image formats: {sorted(unknown) or 'none given'}")
        if min(self.max_bytes, self.max_pixels, self.min_long_side) < 1 or self.max_aspect < 1:
            raise ValueError("artwork limits must be positive and max_aspect at least 1")


@dataclass(frozen=True)
class Derivative:
    """One web size of the artwork, encoded twice: WebP (with alpha) and JPEG (on white)."""

    width: int
    height: int
    webp: bytes
    jpeg: bytes


@dataclass(frozen=True)
class ProcessedArtwork:
    original_png: bytes
    width: int
    height: int
    has_alpha: bool
    source_format: str
    thumb: Derivative
    gallery: Derivative

    def files(self) -> dict[str, tuple[bytes, str]]:
        """`{name: (bytes, suffix)}` in the shape `store_artwork` stores."""
        return {
            "original": (self.original_png, ".png"),
            "thumb_webp": (self.thumb.webp, ".webp"),
            "thumb_jpeg": (self.thumb.jpeg, ".jpg"),
            "gallery_webp": (self.gallery.webp, ".webp"),
            "gallery_jpeg": (self.gallery.jpeg, ".jpg"),
        }


def process_artwork(data: bytes | BinaryIO, limits: ArtworkLimits) -> ProcessedArtwork:
    """Validate and re-encode an upload; raises ArtworkError with the reason it was refused."""
    raw = _read(data, limits.max_bytes)
    image = _open(raw, limits)
    width, height = image.size
    _check_dimensions(width, height, limits)
    source_format = "JPEG" if image.format == "MPO" else str(image.format)
    _decode(image)
    clean = _normalised(image)
    del image
    has_alpha = clean.mode == "RGBA"
    # The master's deflate runs on worker threads (and releases the GIL) while this thread
    # makes the web sizes, so the two biggest costs overlap.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="artwork-master") as pool:
        master = pool.submit(encode_png, clean, level=MASTER_PNG_LEVEL)
        gallery_image = _fit(clean, GALLERY_LONG_SIDE)
        thumb_image = _fit(gallery_image, THUMB_LONG_SIDE)
        gallery = _derivative(gallery_image)
        thumb = _derivative(thumb_image)
        original_png = master.result()
    return ProcessedArtwork(
        original_png=original_png,
        width=clean.width,
        height=clean.height,
        has_alpha=has_alpha,
        source_format=source_format,
        thumb=thumb,
        gallery=gallery,
    )


def store_artwork(processed: ProcessedArtwork, storage: Storage) -> dict[str, str]:
    """Store every file; `{"original": key, "thumb_webp": key, ...}`. All or nothing."""
    return put_many(storage, processed.files())


# --- Checks ------------------------------------------------------------------------------------


def _read(data: bytes | BinaryIO, max_bytes: int) -> bytes:
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
    else:
        # Never read more than one byte past the limit, whatever the stream claims.
        raw = data.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise ArtworkError(codes.FILE_TOO_LARGE, size=_total_size(data, raw), limit=max_bytes)
    if not raw:
        raise ArtworkError(codes.EMPTY)
    return raw


def _total_size(data: bytes | BinaryIO, raw: bytes) -> int:
    if isinstance(data, bytes | bytearray | memoryview) or not data.seekable():
        return len(raw)
    return data.seek(0, io.SEEK_END)


def _open(raw: bytes, limits: ArtworkLimits) -> ImageFile.ImageFile:
    try:
        # Pillow warns, then refuses, past its own pixel limit while reading the header; a
        # warning would let a bomb through, so it is an error here (and catch_warnings keeps the
        # change local to this block).
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Only the allowed decoders ever parse the bytes; refused formats are named from
            # their magic number alone.
            image = Image.open(io.BytesIO(raw), formats=sorted(limits.formats))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ArtworkError(codes.TOO_MANY_PIXELS, maximum=limits.max_pixels) from None
    except UnidentifiedImageError:
        raise _unrecognised(raw, limits) from None
    except _DECODE_ERRORS:
        raise ArtworkError(codes.CORRUPT, format=sniff(raw)[1] or "image") from None
    if getattr(image, "is_animated", False) and image.format != "MPO":
        # MPO is a JPEG with extra frames (stereo pairs, previews): the first frame is the photo.
        raise ArtworkError(codes.ANIMATED, format=str(image.format))
    return image


def _unrecognised(raw: bytes, limits: ArtworkLimits) -> ArtworkError:
    kind, name = sniff(raw[:8192])
    accepted = codes.accepted_order(limits.formats)
    if kind == "image" and name is not None:
        if name in limits.formats:
            # Right magic number but the decoder could not read the header.
            return ArtworkError(codes.CORRUPT, format=name)
        return ArtworkError(codes.UNSUPPORTED_FORMAT, detected=name, accepted=accepted)
    if kind == "svg":
        return ArtworkError(codes.SVG, minimum=limits.min_long_side)
    if kind == "text":
        return ArtworkError(codes.TEXT, accepted=accepted)
    return ArtworkError(codes.NOT_AN_IMAGE, accepted=accepted)


def _check_dimensions(width: int, height: int, limits: ArtworkLimits) -> None:
    # Everything here comes from the header: nothing has been decoded yet.
    if width * height > limits.max_pixels:
        raise ArtworkError(
            codes.TOO_MANY_PIXELS, width=width, height=height, maximum=limits.max_pixels
        )
    long_side, short_side = max(width, height), min(width, height)
    if long_side < limits.min_long_side:
        raise ArtworkError(
            codes.TOO_SMALL,
            width=width,
            height=height,
            minimum=limits.min_long_side,
            product=limits.product,
        )
    if long_side / short_side > limits.max_aspect:
        raise ArtworkError(
            codes.BAD_ASPECT,
            width=width,
            height=height,
            ratio=long_side / short_side,
            maximum=limits.max_aspect,
        )


def _decode(image: ImageFile.ImageFile) -> None:
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # Someone switched on Pillow's "pad truncated files with grey" mode process-wide; with it
        # a cut-off upload would be accepted and printed half grey.
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must be False for artwork")
    try:
        image.load()
    except _DECODE_ERRORS as exc:
        raise ArtworkError(codes.CORRUPT, format=str(image.format)) from exc


# --- Normalisation -----------------------------------------------------------------------------


def _normalised(image: Image.Image) -> Image.Image:
    """An upright sRGB image, RGB or RGBA, in a fresh object with no metadata at all."""
    icc = image.info.get("icc_profile")
    try:
        ImageOps.exif_transpose(image, in_place=True)
    except Exception:  # a broken EXIF block must not sink an otherwise good upload
        log.warning("ignoring unreadable EXIF orientation", exc_info=True)
    image = _to_colour_mode(image)
    if icc:
        image = _to_srgb(image, icc)
    if image.mode not in ("RGB", "RGBA"):
        # Greyscale becomes RGB so every master has one of two modes; CMYK without a profile
        # gets Pillow's plain conversion, the best guess there is.
        image = image.convert("RGBA" if image.mode == "LA" else "RGB")
    if image.mode == "RGBA" and image.getchannel("A").getextrema()[0] == 255:
        # An alpha channel with nothing transparent is dead weight in every file made from it.
        image = image.convert("RGB")
    # Copy the pixels, and only the pixels: `info` (EXIF, XMP, ICC, comments, PNG text) of the
    # upload stays behind on the old object, so no encoder can write it out again.
    fresh = Image.new(image.mode, image.size)
    fresh.paste(image)
    return fresh


def _to_colour_mode(image: Image.Image) -> Image.Image:
    """L, LA, RGB, RGBA or CMYK, with transparency (palette or colour key) as an alpha band."""
    mode = image.mode
    keyed = "transparency" in image.info
    if mode in _SIXTEEN_BIT_GREY:
        # convert("L") would clip everything above 255 to white; scale 0-65535 down instead.
        # (A colour key on 16-bit grey is dropped: no design tool writes one.)
        wide = image if mode == "I" else image.convert("I")
        return wide.point(lambda value: value / 257).convert("L")
    if mode in ("L", "LA", "RGB", "RGBA", "CMYK") and not keyed:
        return image
    if mode == "1":
        image, mode = image.convert("L"), "L"
    if mode in ("L", "LA", "La"):
        return image.convert("LA" if keyed or mode != "L" else "L")
    # Palettes, colour-keyed RGB, premultiplied and other exotic modes.
    has_alpha = keyed or "A" in image.getbands() or "a" in image.getbands()
    return image.convert("RGBA" if has_alpha else "RGB")


def _to_srgb(image: Image.Image, icc: bytes) -> Image.Image:
    """Apply the embedded profile; a profile that is broken or does not fit the mode is ignored."""
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        space = profile.profile.xcolor_space.strip()
    except (OSError, ImageCms.PyCMSError, ValueError, TypeError):
        log.warning("ignoring unreadable ICC profile", exc_info=True)
        return image
    colour_mode = {"RGB": "RGB", "RGBA": "RGB", "L": "L", "LA": "L", "CMYK": "CMYK"}[image.mode]
    if {"RGB": "RGB", "GRAY": "L", "CMYK": "CMYK"}.get(space) != colour_mode:
        log.warning("ignoring %s ICC profile embedded in a %s image", space, image.mode)
        return image
    alpha = image.getchannel("A") if image.mode in ("RGBA", "LA") else None
    colour = image.convert(colour_mode) if alpha is not None else image
    try:
        converted = ImageCms.profileToProfile(
            colour,
            profile,
            _SRGB,
            renderingIntent=ImageCms.Intent.PERCEPTUAL,
            outputMode="RGB",
            flags=ImageCms.Flags.BLACKPOINTCOMPENSATION,
        )
    except ImageCms.PyCMSError:
        log.warning("ICC conversion failed; keeping the pixel values as they are", exc_info=True)
        return image
    # profileToProfile returns None only when converting in place.
    result = cast(Image.Image, converted)
    if alpha is not None:
        result.putalpha(alpha)
    return result


# --- Encoding ----------------------------------------------------------------------------------


def _fit(image: Image.Image, long_side: int) -> Image.Image:
    """Scaled down so the long side is `long_side`; never scaled up."""
    width, height = image.size
    scale = long_side / max(width, height)
    if scale >= 1:
        return image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=REDUCING_GAP)


def _derivative(image: Image.Image) -> Derivative:
    webp = io.BytesIO()
    image.save(webp, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    jpeg = io.BytesIO()
    # Baseline, not progressive: a third of the encoding time for files as small, and the JPEG
    # is only the fallback for clients without WebP.
    _on_white(image).save(jpeg, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return Derivative(image.width, image.height, webp.getvalue(), jpeg.getvalue())


def _on_white(image: Image.Image) -> Image.Image:
    if image.mode != "RGBA":
        return image
    background = Image.new("RGBA", image.size, (255, 255, 255, 255))
    background.alpha_composite(image)
    return background.convert("RGB")

"""The one guarded way from uploaded bytes to pixels, for artwork and avatars alike.

Uploaded bytes are untrusted. They are identified by content (never by file name) and only the
allowed decoders ever parse them; the pixel count is checked from the header before any pixel
is decoded (Pillow's own decompression-bomb warning counts as a refusal); the pixels are then
decoded in full, so a truncated file is refused rather than padded with grey; a broken EXIF block
costs only its orientation, never the upload; and the result is an upright sRGB image, RGB or
RGBA, in a fresh object that carries no metadata at all (see `colour.normalise`).

Refusals are `DecodeError`s with a stable `code` and the numbers behind it; each caller turns
them into sentences for its own page (this package has no translations).
"""

from __future__ import annotations

import io
import logging
import struct
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from cocreate.imaging.colour import normalise
from cocreate.imaging.sniff import sniff

log = logging.getLogger(__name__)

EMPTY = "empty"
FILE_TOO_LARGE = "file_too_large"
NOT_AN_IMAGE = "not_an_image"
UNSUPPORTED_FORMAT = "unsupported_format"
SVG = "svg"
TEXT = "text"
CORRUPT = "corrupt"
ANIMATED = "animated"
TOO_MANY_PIXELS = "too_many_pixels"

CODES = frozenset(
    {EMPTY, FILE_TOO_LARGE, NOT_AN_IMAGE, UNSUPPORTED_FORMAT, SVG, TEXT, CORRUPT, ANIMATED,
     TOO_MANY_PIXELS}
)  # fmt: skip

#: What Pillow's decoders raise on hostile or damaged input. Anything else is a bug and
#: propagates.
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, KeyError,
                 struct.error, zlib.error)  # fmt: skip


class DecodeError(Exception):
    """Bytes that are not an image we accept. `code` is one of `CODES`; `params` holds the
    numbers behind it (sizes, limits, the detected format)."""

    def __init__(self, code: str, **params: Any) -> None:
        if code not in CODES:
            raise ValueError(f"unknown decode error code {code!r}")
        super().__init__(code, params)
        self.code = code
        self.params = params

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.code, self.params))

    def __str__(self) -> str:
        details = ", ".join(f"{key}={value!r}" for key, value in sorted(self.params.items()))
        return f"{self.code} ({details})" if details else self.code


def _rebuild(code: str, params: dict[str, Any]) -> DecodeError:
    return DecodeError(code, **params)


@dataclass(frozen=True)
class DecodeLimits:
    max_pixels: int
    #: Pillow format ids; each must be a Pillow decoder.
    formats: frozenset[str] = field(default_factory=lambda: frozenset({"PNG", "JPEG", "WEBP"}))
    #: None: the request size limit (MAX_CONTENT_LENGTH) is the only one.
    max_bytes: int | None = None
    #: Keep an animation's first frame instead of refusing it.
    first_frame: bool = False

    def __post_init__(self) -> None:
        Image.init()
        unknown = {f for f in self.formats if f not in Image.OPEN}
        if unknown or not self.formats:
            raise ValueError(f"not Pillow image formats: {sorted(unknown) or 'none given'}")
        if self.max_pixels < 1 or (self.max_bytes is not None and self.max_bytes < 1):
            raise ValueError("decode limits must be positive")


@dataclass(frozen=True)
class Decoded:
    #: Upright, sRGB, RGB or RGBA (RGBA only when something is transparent), no metadata.
    image: Image.Image
    #: The Pillow format id of the upload ("MPO" is reported as "JPEG").
    source_format: str

    @property
    def has_alpha(self) -> bool:
        return self.image.mode == "RGBA"


def decode(
    data: bytes | BinaryIO,
    limits: DecodeLimits,
    *,
    check_size: Callable[[int, int], None] | None = None,
    draft: tuple[int, int] | None = None,
) -> Decoded:
    """Check and decode an upload; raises DecodeError with the reason it was refused.

    `check_size(width, height)` runs on the header's size, before any pixel is decoded (raise
    from it to refuse). `draft` lets a JPEG decode at a reduced scale no smaller than that size
    (for callers that only need a small picture).
    """
    raw = read_bytes(data, limits.max_bytes)
    image = open_header(raw, limits)
    del raw  # the decoder's own stream holds the bytes until they are decoded
    width, height = image.size
    if check_size is not None:
        check_size(width, height)
    source_format = "JPEG" if image.format == "MPO" else str(image.format)
    if draft is not None and image.format in ("JPEG", "MPO"):
        image.draft(None, draft)
    load_pixels(image)
    return Decoded(normalise(upright(image)), source_format)


def read_bytes(data: bytes | BinaryIO, max_bytes: int | None) -> bytes:
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
    elif max_bytes is None:
        raw = data.read()
    else:
        # Never read more than one byte past the limit, whatever the stream claims.
        raw = data.read(max_bytes + 1)
    if max_bytes is not None and len(raw) > max_bytes:
        raise DecodeError(FILE_TOO_LARGE, size=_total_size(data, raw), limit=max_bytes)
    if not raw:
        raise DecodeError(EMPTY)
    return raw


def _total_size(data: bytes | BinaryIO, raw: bytes) -> int:
    if isinstance(data, bytes | bytearray | memoryview) or not data.seekable():
        return len(raw)
    return data.seek(0, io.SEEK_END)


def open_header(raw: bytes, limits: DecodeLimits) -> ImageFile.ImageFile:
    """The image with only its header read, after the format and pixel-count checks."""
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
        raise DecodeError(TOO_MANY_PIXELS, maximum=limits.max_pixels) from None
    except UnidentifiedImageError:
        raise _unrecognised(raw, limits) from None
    except DECODE_ERRORS:
        raise DecodeError(CORRUPT, format=sniff(raw[:8192])[1] or "image") from None
    width, height = image.size
    if width * height > limits.max_pixels:
        raise DecodeError(TOO_MANY_PIXELS, width=width, height=height, maximum=limits.max_pixels)
    # MPO is a JPEG with extra frames (stereo pairs, previews): the first frame is the photo.
    if getattr(image, "is_animated", False) and image.format != "MPO" and not limits.first_frame:
        raise DecodeError(ANIMATED, format=str(image.format))
    return image


def _unrecognised(raw: bytes, limits: DecodeLimits) -> DecodeError:
    kind, name = sniff(raw[:8192])
    if kind == "image" and name is not None:
        if name in limits.formats:
            # Right magic number but the decoder could not read the header.
            return DecodeError(CORRUPT, format=name)
        return DecodeError(UNSUPPORTED_FORMAT, detected=name)
    return DecodeError({"svg": SVG, "text": TEXT}.get(kind, NOT_AN_IMAGE))


def load_pixels(image: ImageFile.ImageFile) -> None:
    """Decode every pixel now: a damaged or cut-off file is refused here."""
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # Someone switched on Pillow's "pad truncated files with grey" mode process-wide; with it
        # a cut-off upload would be accepted (and an artwork printed half grey).
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must be False for uploads")
    try:
        image.load()
    except DECODE_ERRORS as exc:
        raise DecodeError(CORRUPT, format=str(image.format)) from exc


def upright(image: Image.Image) -> Image.Image:
    """The image turned as its EXIF orientation says. A malformed EXIF block (bad IFD offsets,
    wrong value types, truncated entries: struct.error, TypeError, ValueError, KeyError...) only
    loses the orientation: the upload stays good, and its metadata is dropped anyway."""
    try:
        ImageOps.exif_transpose(image, in_place=True)
    except Exception:  # any EXIF parsing failure; the pixels are already decoded and checked
        log.warning("ignoring unreadable EXIF orientation", exc_info=True)
    return image

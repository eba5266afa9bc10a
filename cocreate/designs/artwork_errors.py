"""Why an upload was refused, in words a designer can act on.

Every refusal is an `ArtworkError` with a stable `code` (for tests, logs and analytics) and the
numbers behind it in `params`; `message` turns both into one translated sentence that says what is
wrong and what to do. Messages are built when read, so they follow the request's locale.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from babel.lists import format_list
from babel.numbers import format_decimal
from flask_babel import gettext

from cocreate.catalogue import products as catalogue
from cocreate.core.i18n import current_locale, format_megabytes
from cocreate.imaging import decode
from cocreate.imaging.sniff import sniff as sniff  # re-exported: refusals are named with it

# The decoder's refusals (shared with avatars), plus the two that only print artwork has.
EMPTY = decode.EMPTY
FILE_TOO_LARGE = decode.FILE_TOO_LARGE
NOT_AN_IMAGE = decode.NOT_AN_IMAGE
UNSUPPORTED_FORMAT = decode.UNSUPPORTED_FORMAT
SVG = decode.SVG
TEXT = decode.TEXT
CORRUPT = decode.CORRUPT
ANIMATED = decode.ANIMATED
TOO_MANY_PIXELS = decode.TOO_MANY_PIXELS
TOO_SMALL = "too_small"
BAD_ASPECT = "bad_aspect"

CODES = decode.CODES | {TOO_SMALL, BAD_ASPECT}

#: How formats are named to people (Pillow's format ids are not always the familiar spelling).
FORMAT_NAMES = {"WEBP": "WebP", "MPO": "JPEG", "JPEG2000": "JPEG 2000"}


#: The usual formats come first when listing what is accepted.
_PREFERRED_ORDER = ("PNG", "JPEG", "WEBP")


def format_name(pillow_format: str) -> str:
    return FORMAT_NAMES.get(pillow_format, pillow_format)


def accepted_order(formats: Iterable[str]) -> list[str]:
    """Pillow format ids in the order people expect to read them."""

    def rank(name: str) -> tuple[int, str]:
        known = name in _PREFERRED_ORDER
        return (_PREFERRED_ORDER.index(name) if known else len(_PREFERRED_ORDER), name)

    return sorted(formats, key=rank)


class ArtworkError(Exception):
    """An upload that cannot become print artwork. `code` is one of `CODES`."""

    def __init__(self, code: str, **params: Any) -> None:
        if code not in CODES:
            raise ValueError(f"unknown artwork error code {code!r}")
        super().__init__(code, params)
        self.code = code
        self.params = params

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword parameters do not survive Exception's default pickling (task queues need it).
        return (_rebuild, (self.code, self.params))

    def __str__(self) -> str:
        details = ", ".join(f"{key}={value!r}" for key, value in sorted(self.params.items()))
        return f"{self.code} ({details})" if details else self.code

    @property
    def message(self) -> str:
        """One translated sentence for the person who uploaded the file."""
        return _message(self.code, self.params)


#: Stand-ins for the image's size in a message the upload page completes in the browser.
WIDTH_SENTINEL, HEIGHT_SENTINEL = 9999991, 9999992


def print_size_check(product: str) -> tuple[int, str]:
    """For the upload page: a product's smallest long side, and the server's own too-small
    message with sentinels where the image's size goes (upload.js fills them in), so an image
    too small is refused in the page, in the same words, before it is sent."""
    minimum = catalogue.min_long_side(product)
    error = ArtworkError(
        TOO_SMALL, width=WIDTH_SENTINEL, height=HEIGHT_SENTINEL, minimum=minimum, product=product
    )
    return minimum, error.message


def _rebuild(code: str, params: dict[str, Any]) -> ArtworkError:
    return ArtworkError(code, **params)


def _or_list(names: Iterable[str]) -> str:
    return format_list(
        [format_name(n) for n in accepted_order(names)], style="or", locale=current_locale()
    )


def _message(code: str, p: dict[str, Any]) -> str:
    # One literal gettext call per sentence so the extractor finds every string.
    accepted = _or_list(p.get("accepted", ("PNG", "JPEG", "WEBP")))
    if code == EMPTY:
        return gettext("This file is empty (0 bytes). Choose the image file again and upload it.")
    if code == FILE_TOO_LARGE:
        return gettext(
            "This file is %(size)s MB; the limit is %(limit)s MB. Save it as PNG or as a "
            "high-quality JPEG, or reduce its dimensions, and upload it again.",
            size=format_megabytes(p["size"]),
            limit=format_megabytes(p["limit"]),
        )
    if code == UNSUPPORTED_FORMAT:
        return gettext(
            "This file is in %(detected)s format, which we cannot use for printing. "
            "Save it as %(accepted)s and upload it again.",
            detected=format_name(p["detected"]),
            accepted=accepted,
        )
    if code == NOT_AN_IMAGE:
        return gettext(
            "We could not recognise this file as an image. Upload a %(accepted)s file.",
            accepted=accepted,
        )
    if code == SVG:
        return gettext(
            "This is an SVG (vector) file, which we do not accept for safety and print "
            "consistency. Export it as a PNG at least %(minimum)d px on the long side and upload "
            "that.",
            minimum=p["minimum"],
        )
    if code == TEXT:
        return gettext(
            "This file contains text, not an image. Upload a %(accepted)s file.",
            accepted=accepted,
        )
    if code == CORRUPT:
        return gettext(
            "This %(format)s file is damaged or incomplete (it may have been cut off while "
            "downloading or exporting). Export it again from your design software and upload "
            "the new file.",
            format=format_name(p["format"]),
        )
    if code == ANIMATED:
        return gettext(
            "This %(format)s is animated, but a print is a single image. Save the frame you want "
            "as a still PNG or JPEG and upload that.",
            format=format_name(p["format"]),
        )
    if code == TOO_MANY_PIXELS and "width" in p:
        return gettext(
            "This image is %(width)d×%(height)d px (%(megapixels)d megapixels); the limit is "
            "%(maximum)d megapixels. Scale it down and upload it again.",
            width=p["width"],
            height=p["height"],
            megapixels=round(p["width"] * p["height"] / 1_000_000),
            maximum=p["maximum"] // 1_000_000,
        )
    if code == TOO_MANY_PIXELS:
        return gettext(
            "This image has far more than the %(maximum)d megapixels we accept. Scale it down "
            "and upload it again.",
            maximum=p["maximum"] // 1_000_000,
        )
    if code == TOO_SMALL and catalogue.is_product(p.get("product", "")):
        return gettext(
            "This image is %(width)d×%(height)d px; %(product)s prints need at least "
            "%(minimum)d px on the long side. Export it again at a larger size (enlarging a "
            "small image afterwards makes a blurry print).",
            width=p["width"],
            height=p["height"],
            minimum=p["minimum"],
            product=catalogue.get(p["product"]).name,
        )
    if code == TOO_SMALL:
        return gettext(
            "This image is %(width)d×%(height)d px; prints need at least %(minimum)d px on the "
            "long side. Export it again at a larger size (enlarging a small image afterwards "
            "makes a blurry print).",
            width=p["width"],
            height=p["height"],
            minimum=p["minimum"],
        )
    if code == BAD_ASPECT:
        return gettext(
            "This image is %(width)d×%(height)d px: its long side is %(ratio)s times its short "
            "side, and we can print at most %(maximum)s times. Crop it, or add empty space "
            "around it, and upload it again.",
            width=p["width"],
            height=p["height"],
            ratio=format_decimal(p["ratio"], format="0.0", locale=current_locale()),
            maximum=format_decimal(p["maximum"], format="0.0", locale=current_locale()),
        )
    raise AssertionError(f"no message for {code!r}")  # CODES and this function disagree

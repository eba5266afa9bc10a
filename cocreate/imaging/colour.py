"""Colour normalisation: any decoded image to upright sRGB, RGB or RGBA, without metadata.

Memory matters here: at the 60-megapixel limit one RGB copy is 180 MB. So conversions happen in
place where Pillow allows it, an image is converted only when its mode must change, and the
metadata-free result shares the decoded pixels instead of copying them.
"""

from __future__ import annotations

import io
import logging
from typing import cast

from PIL import Image, ImageCms

log = logging.getLogger(__name__)

_SIXTEEN_BIT_GREY = frozenset({"I;16", "I;16L", "I;16B", "I;16N", "I"})
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def normalise(image: Image.Image) -> Image.Image:
    """An sRGB image, RGB or RGBA, in a fresh object with no metadata at all."""
    icc = image.info.get("icc_profile")
    image = _to_colour_mode(image)
    if icc:
        image = _to_srgb(image, icc)
    if image.mode not in ("RGB", "RGBA"):
        # Greyscale becomes RGB so every master has one of two modes; CMYK without a profile
        # gets Pillow's plain conversion, the best guess there is.
        image = image.convert("RGBA" if image.mode == "LA" else "RGB")
    # getextrema() reads the bands where they are; getchannel("A") would copy a quarter of it.
    if image.mode == "RGBA" and _alpha_minimum(image) == 255:
        # An alpha channel with nothing transparent is dead weight in every file made from it.
        image = image.convert("RGB")
    return fresh(image)


def _alpha_minimum(image: Image.Image) -> float:
    # A multi-band image's extrema are one (min, max) pair per band.
    extrema = cast("tuple[tuple[float, float], ...]", image.getextrema())
    return extrema[3][0]


def fresh(image: Image.Image) -> Image.Image:
    """A new image object on the same pixels, and only the pixels: `info` (EXIF, XMP, ICC,
    comments, PNG text) and the decoder's state (JPEG markers, PNG chunks) stay behind on the old
    object, so no encoder can write them out again. Sharing the pixel buffer instead of pasting
    into a new one saves a full copy (180 MB at the pixel limit); the old object must not be
    changed afterwards, and callers drop it."""
    image.load()
    clean = image._new(image.im)
    clean.info = {}
    return clean


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
    intent, flags = ImageCms.Intent.PERCEPTUAL, ImageCms.Flags.BLACKPOINTCOMPENSATION
    try:
        if image.mode == "RGB":
            # RGB to RGB: LittleCMS rewrites the pixels where they are, no second image.
            ImageCms.profileToProfile(
                image, profile, _SRGB, renderingIntent=intent, inPlace=True, flags=flags
            )
            return image
        alpha = image.getchannel("A") if image.mode in ("RGBA", "LA") else None
        colour = image.convert(colour_mode) if alpha is not None else image
        converted = ImageCms.profileToProfile(
            colour, profile, _SRGB, renderingIntent=intent, outputMode="RGB", flags=flags
        )
    except ImageCms.PyCMSError:
        log.warning("ICC conversion failed; keeping the pixel values as they are", exc_info=True)
        return image
    # profileToProfile returns None only when converting in place.
    assert converted is not None
    if alpha is not None:
        converted.putalpha(alpha)
    return converted

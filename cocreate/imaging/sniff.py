"""Content sniffing: what a file is, from its magic number alone.

Used only after the allowed decoders refused a file, to tell the person what they uploaded. No
decoder for a refused format ever parses the data.
"""

from __future__ import annotations

_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "PNG"),
    (0, b"\xff\xd8\xff", "JPEG"),
    (0, b"GIF87a", "GIF"),
    (0, b"GIF89a", "GIF"),
    (0, b"BM", "BMP"),
    (0, b"II*\x00", "TIFF"),
    (0, b"MM\x00*", "TIFF"),
    (0, b"8BPS", "Photoshop (PSD)"),
    (0, b"%PDF-", "PDF"),
    (0, b"%!PS", "PostScript"),
    (0, b"\xc5\xd0\xd3\xc6", "EPS"),
    (0, b"\x00\x00\x01\x00", "ICO"),
    (0, b"\xff\x0a", "JPEG XL"),
    (4, b"JXL \r\n\x87\n", "JPEG XL"),
    (4, b"jP  \r\n\x87\n", "JPEG 2000"),
    (0, b"qoif", "QOI"),
)
_ISO_BRANDS = {b"avif": "AVIF", b"avis": "AVIF", b"heic": "HEIC", b"heix": "HEIC", b"mif1": "HEIF"}


def sniff(head: bytes) -> tuple[str, str | None]:
    """Classify the first bytes of a file: ("image", name) | ("svg"|"text"|"unknown", None)."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image", "WEBP"
    if head[4:8] == b"ftyp":
        brand = _ISO_BRANDS.get(head[8:12])
        if brand:
            return "image", brand
    for offset, magic, name in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return "image", name
    text = _as_text(head)
    if text is None:
        return "unknown", None
    lowered = text.lstrip().lower()
    if "<svg" in lowered[:4096]:
        return "svg", None
    return "text", None


def _as_text(head: bytes) -> str | None:
    sample = head[:8192]
    if sample.startswith(b"\xef\xbb\xbf"):
        sample = sample[3:]
    if b"\x00" in sample:
        return None
    # The cut may split a multi-byte character; only the last 3 bytes may be invalid.
    for trim in range(4):
        try:
            return sample[: len(sample) - trim].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return None

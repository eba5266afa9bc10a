"""HTTP security headers and safe redirects."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask import Flask, Response

from cocreate.config import settings

# No inline scripts or styles anywhere: every script and stylesheet is a file under /static.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if settings().ENV == "production":
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    return response


#: Control and format characters (CR, LF, NUL, DEL, bidi overrides…) and line/paragraph
#: separators: none belongs in a path, and CR or LF in a Location header is a 500 (or worse).
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def is_safe_local_path(target: str | None) -> bool:
    """Only a path on this site: no scheme, no host, no protocol-relative `//evil`, no
    backslash (browsers read `/\\evil` as `//evil`) and no control character."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if "\\" in target or any(unicodedata.category(ch) in _UNSAFE_CATEGORIES for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, default: str = "/") -> str:
    return target if target and is_safe_local_path(target) else default


def init_app(app: Flask) -> None:
    app.after_request(_headers)

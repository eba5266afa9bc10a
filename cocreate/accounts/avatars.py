"""Avatars: decoded and re-encoded as a small square WebP, so no metadata or payload survives."""

from __future__ import annotations

import io
import warnings

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from cocreate.accounts.models import User
from cocreate.core import db
from cocreate.core.media import Access

SIZE = 256
MAX_PIXELS = 40_000_000
ALLOWED = {"PNG", "JPEG", "WEBP"}


class AvatarError(Exception):
    pass


def avatar_access(key: str) -> Access | None:
    """Avatars are public: they are shown beside the member's name everywhere."""
    query = select(User.id).where(User.avatar_key == key, User.is_active_account.is_(True))
    return Access.PUBLIC if db.session().scalar(query.limit(1)) is not None else None


def normalise_avatar(data: bytes) -> bytes:
    if not data:
        raise AvatarError(_("This file is empty. Choose a PNG, JPEG or WebP image."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in ALLOWED:
                    raise AvatarError(_("Use a PNG, JPEG or WebP image."))
                if image.width * image.height > MAX_PIXELS:
                    raise AvatarError(_("This image is too large; use one under 40 megapixels."))
                image.draft("RGB", (SIZE * 2, SIZE * 2))
                image.load()
                upright = ImageOps.exif_transpose(image).convert("RGBA")
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise AvatarError(
            _("This file is not an image we can read. Use a PNG, JPEG or WebP image.")
        ) from exc
    square = ImageOps.fit(upright, (SIZE, SIZE), Image.Resampling.LANCZOS)
    clean = Image.new("RGBA", square.size)
    clean.paste(square)
    out = io.BytesIO()
    clean.save(out, "WEBP", quality=85)
    return out.getvalue()


def update_avatar(user: User, upload: FileStorage | None, *, remove: bool = False) -> None:
    if remove:
        user.avatar_key = None
        return
    if upload is None or not getattr(upload, "filename", ""):
        return
    storage = current_app.extensions["cocreate.storage"]
    user.avatar_key = storage.put(normalise_avatar(upload.read()), suffix=".webp")

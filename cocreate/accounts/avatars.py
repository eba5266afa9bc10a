"""Avatars: decoded by the shared guarded decoder and re-encoded as a small square WebP, so no
metadata or payload survives."""

from __future__ import annotations

import io

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from cocreate.accounts.models import User
from cocreate.core import db
from cocreate.core.media import Access
from cocreate.core.storage import put_many
from cocreate.imaging import decode as imaging
from cocreate.imaging.decode import DecodeError, DecodeLimits

SIZE = 256
MAX_PIXELS = 40_000_000
LIMITS = DecodeLimits(
    max_pixels=MAX_PIXELS,
    formats=frozenset({"PNG", "JPEG", "WEBP"}),
    # An animated avatar is shown still: its first frame is as good a picture as any.
    first_frame=True,
)


class AvatarError(Exception):
    pass


def avatar_access(key: str) -> Access | None:
    """Avatars are public: they are shown beside the member's name everywhere."""
    query = select(User.id).where(User.avatar_key == key, User.is_active_account.is_(True))
    return Access.PUBLIC if db.session().scalar(query.limit(1)) is not None else None


def normalise_avatar(data: bytes) -> bytes:
    try:
        # A JPEG decodes straight at a reduced scale: an avatar needs no more than twice its size.
        decoded = imaging.decode(data, LIMITS, draft=(SIZE * 2, SIZE * 2))
    except DecodeError as error:
        raise AvatarError(_message(error)) from None
    square = ImageOps.fit(decoded.image, (SIZE, SIZE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    square.save(out, "WEBP", quality=85)
    return out.getvalue()


def _message(error: DecodeError) -> str:
    if error.code == imaging.EMPTY:
        return _("This file is empty. Choose a PNG, JPEG or WebP image.")
    if error.code == imaging.TOO_MANY_PIXELS:
        return _("This image is too large; use one under 40 megapixels.")
    if error.code == imaging.CORRUPT:
        return _(
            "This image is damaged or incomplete. Export it again, or choose another PNG, JPEG "
            "or WebP image."
        )
    if error.code in (imaging.UNSUPPORTED_FORMAT, imaging.SVG):
        return _("Use a PNG, JPEG or WebP image.")
    return _("This file is not an image we can read. Use a PNG, JPEG or WebP image.")


def update_avatar(user: User, upload: FileStorage | None, *, remove: bool = False) -> None:
    if remove:
        user.avatar_key = None
        return
    if upload is None or not getattr(upload, "filename", ""):
        return
    storage = current_app.extensions["cocreate.storage"]
    # Through put_many, which touches a file already stored, so `storage gc` spares it.
    files = {"avatar": (normalise_avatar(upload.read()), ".webp")}
    user.avatar_key = put_many(storage, files)["avatar"]

"""Who may fetch a design's files from /media: the print master only its designer and staff;
the web sizes and mockups anyone while the design is public, else its designer and staff."""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy import literal, or_, select, union_all

from cocreate.core import db
from cocreate.core.media import Access
from cocreate.designs.models import PUBLIC_STATES, Design, Mockup

_WEB_KEYS = (
    Design.thumb_webp_key,
    Design.thumb_jpeg_key,
    Design.gallery_webp_key,
    Design.gallery_jpeg_key,
)


def design_file_access(key: str) -> Access | None:
    """None when no design uses the key (another guard may know it)."""
    by_design = select(Design.state, Design.designer_id, Design.original_key == key).where(
        or_(Design.original_key == key, *(column == key for column in _WEB_KEYS))
    )
    by_mockup = (
        select(Design.state, Design.designer_id, literal(False))
        .join(Mockup, Mockup.design_id == Design.id)
        .where(Mockup.key == key)
    )
    rows = db.session().execute(union_all(by_design, by_mockup)).all()
    if not rows:
        return None
    user = current_user
    decision = Access.DENY
    for state, designer_id, is_original in rows:
        if not is_original and state in PUBLIC_STATES:
            return Access.PUBLIC
        if user.is_authenticated and (user.is_staff or user.id == designer_id):
            decision = Access.PRIVATE
    return decision

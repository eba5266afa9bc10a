"""Reprint requests: members asking for a retired or sold-out design to be printed again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from cocreate.core.db import Base, now_utc

#: The partial index's condition: only open requests are unique.
OPEN = "fulfilled_at IS NULL"


class ReprintRequest(Base):
    """One member's wish for one product and size of a design. Open until a run printing that
    product and size reaches stock (`fulfilled_at` set then, and the member told); withdrawing
    deletes the row, since nothing else refers to it."""

    __tablename__ = "reprint_requests"
    __table_args__ = (
        # One open request per member, design, product and size, enforced by the database even
        # for two clicks at once; a fulfilled one stays as history and does not block asking
        # again when the reprint sells out in turn.
        Index(
            "uq_reprint_requests_open",
            "design_id",
            "requester_id",
            "product",
            "size",
            unique=True,
            sqlite_where=text(OPEN),
            postgresql_where=text(OPEN),
        ),
        # The staff tab counts open requests per design.
        Index("ix_reprint_requests_fulfilled_at_design_id", "fulfilled_at", "design_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    design_id: Mapped[int] = mapped_column(ForeignKey("designs.id", ondelete="CASCADE"))
    requester_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    #: Catalogue keys, like `RunLine.product` and `RunLine.size`.
    product: Mapped[str] = mapped_column(String(32))
    size: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    #: When a run with this product and size reached stock; None while the request is open.
    fulfilled_at: Mapped[datetime | None]

"""Designs: the artwork a designer submits, its products, tags, mockups and state history."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    inspect,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, selectinload, validates

from cocreate.accounts.models import User
from cocreate.core.db import Base, now_utc
from cocreate.core.enums import enum_column
from cocreate.core.inputs import fold
from cocreate.core.lifecycle import TransitionRecord


class DesignState(StrEnum):
    #: Being prepared; only the designer sees it.
    DRAFT = "draft"
    #: Waiting for staff screening.
    SUBMITTED = "submitted"
    #: Open to community votes until `voting_ends_at`.
    VOTING = "voting"
    #: The voting window ended; waiting for staff review.
    CLOSED = "closed"
    #: Staff approved a production run.
    APPROVED = "approved"
    #: Staff declined it after review (reason shown to the designer).
    DECLINED = "declined"
    #: Produced and for sale.
    ON_SALE = "on_sale"
    #: No longer sold.
    RETIRED = "retired"
    #: Refused at screening (reason shown to the designer).
    REJECTED = "rejected"
    #: Taken back by the designer.
    WITHDRAWN = "withdrawn"
    #: Taken down by staff (reason recorded); its votes stop counting.
    REMOVED = "removed"


#: States anyone may see; the others are visible to the designer and staff only.
PUBLIC_STATES = frozenset(
    {
        DesignState.VOTING,
        DesignState.CLOSED,
        DesignState.APPROVED,
        DesignState.ON_SALE,
        DesignState.RETIRED,
    }
)


design_tags = Table(
    "design_tags",
    Base.metadata,
    Column("design_id", ForeignKey("designs.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Lower-case, as the first designer typed it (accents kept): what pages show.
    name: Mapped[str] = mapped_column(String(40), unique=True)
    #: `name` folded (no accents, see core.inputs.fold): the tag page's URL and what makes
    #: "évaluation" and "evaluation" one tag. Set from `name`.
    slug: Mapped[str] = mapped_column(String(40), unique=True, index=True, server_default="")

    @validates("name")
    def _slug_from_name(self, _key: str, name: str) -> str:
        self.slug = tag_slug(name)
        return name


_NOT_IN_SLUG = re.compile(r"[^\w-]+")


def tag_slug(name: str) -> str:
    """Folding can make characters a slug has no room for ("¼" is "1⁄4"): they become "-", so
    the slug of a slug is itself and the tag page's address is stable."""
    return _NOT_IN_SLUG.sub("-", fold(name)).strip("-")[:40]


class Design(Base):
    __tablename__ = "designs"
    __table_args__ = (
        CheckConstraint("vote_count >= 0", name="vote_count_positive"),
        CheckConstraint("score_sum >= 0", name="score_sum_positive"),
        CheckConstraint("buy_intent_count >= 0", name="buy_intent_count_positive"),
        CheckConstraint("comment_count >= 0", name="comment_count_positive"),
        # "Top ranked" reads this index backwards: no sort of every design per request.
        Index("ix_designs_rank", "rank_score", "vote_count", "id"),
        # The gallery's views read these in their order and stop at the page's end (each
        # ends with id, the tie-break): designs/queries.page_ids says which view uses which.
        Index("ix_designs_state_voting_ends_at_id", "state", "voting_ends_at", "id"),
        Index("ix_designs_state_published_at_id", "state", "published_at", "id"),
        Index("ix_designs_published_at_id_state", "published_at", "id", "state"),
        # Trigram index: lets PostgreSQL answer `search_text LIKE '%term%'` without reading
        # every row. The migration creates it only where pg_trgm is available; on SQLite it is
        # a plain index (a LIKE with a leading % scans it, which is smaller than the table).
        Index(
            "ix_designs_search_text",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    designer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[DesignState] = mapped_column(
        enum_column(DesignState, "design_state"), default=DesignState.DRAFT
    )
    #: Why it was last rejected, declined or removed; shown to the designer.
    state_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)
    submitted_at: Mapped[datetime | None]
    #: When voting opened: the gallery's "newest" order.
    published_at: Mapped[datetime | None]
    voting_ends_at: Mapped[datetime | None]

    #: Storage keys of the print master and its web derivatives (indexed: /media/<key> looks
    #: up who may see a file). The upload stores the master; the web sizes are NULL until the
    #: derivatives job drew them (designs/derivatives.py), with the mockups.
    original_key: Mapped[str] = mapped_column(String(255), index=True)
    thumb_webp_key: Mapped[str | None] = mapped_column(String(255), index=True)
    thumb_jpeg_key: Mapped[str | None] = mapped_column(String(255), index=True)
    gallery_webp_key: Mapped[str | None] = mapped_column(String(255), index=True)
    gallery_jpeg_key: Mapped[str | None] = mapped_column(String(255), index=True)
    width: Mapped[int]
    height: Mapped[int]
    #: When the derivatives job gave up drawing the web sizes and mockups of `original_key`
    #: (its outbox row failed for good); NULL otherwise. Without it the page would say "being
    #: drawn" forever. A new upload clears it (`derivatives.clear`), and so does a drawing.
    images_failed_at: Mapped[datetime | None]

    #: The rejected design this draft revises (None for a first submission). Unique: a
    #: rejected design is revised once; asking again leads to the same revision.
    revision_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("designs.id", ondelete="SET NULL"), unique=True
    )

    #: Denormalised counters of counted votes, updated atomically in SQL by the voting module
    #: (cocreate/voting/counters.py) in the vote's own transaction.
    vote_count: Mapped[int] = mapped_column(default=0)
    score_sum: Mapped[int] = mapped_column(default=0)
    #: Counted votes with "I'd buy it" ticked (by size: voting's `design_intents`).
    buy_intent_count: Mapped[int] = mapped_column(default=0, server_default="0")
    #: The Bayesian average (C·m + score_sum) / (C + vote_count), stored so "Top ranked" is an
    #: index scan. Kept by the voting module; 3.0 (the middle of the scale) until then.
    rank_score: Mapped[float] = mapped_column(default=3.0, server_default="3.0")
    #: Visible comments and replies, shown on gallery cards (kept by the voting module).
    comment_count: Mapped[int] = mapped_column(default=0, server_default="0")

    #: Folded designer name, title and tags, what the gallery search matches (see
    #: `search_document`). Kept current by `_refresh_search_text` at every flush.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")

    designer: Mapped[User] = relationship(lazy="raise_on_sql")
    tags: Mapped[list[Tag]] = relationship(secondary=design_tags, order_by=Tag.name)
    products: Mapped[list[DesignProduct]] = relationship(
        cascade="all, delete-orphan", order_by="DesignProduct.product"
    )
    mockups: Mapped[list[Mockup]] = relationship(
        cascade="all, delete-orphan", order_by="Mockup.position"
    )
    #: Loaded only where asked for (the screening queue): never a query per item by accident.
    revision_of: Mapped[Design | None] = relationship(
        remote_side=[id], foreign_keys=[revision_of_id], lazy="raise_on_sql"
    )

    @property
    def is_public(self) -> bool:
        return self.state in PUBLIC_STATES

    @property
    def images_ready(self) -> bool:
        """Whether the web sizes and mockups are drawn (the job writes them together)."""
        return self.thumb_webp_key is not None

    @property
    def images_failed(self) -> bool:
        """Whether drawing them failed for good: the designer must upload the artwork again."""
        return not self.images_ready and self.images_failed_at is not None

    @property
    def product_set(self) -> set[str]:
        return {p.product for p in self.products}

    def search_document(self, designer_name: str) -> str:
        return search_document(designer_name, self.title, [t.name for t in self.tags])


def search_document(designer_name: str, title: str, tags: list[str]) -> str:
    """One line of folded words; search terms hold no spaces, so none matches across parts.
    The backfill migration (…_search_text) builds the same line: change both together."""
    return " ".join(fold(part) for part in (designer_name, title, *tags))


class DesignProduct(Base):
    __tablename__ = "design_products"

    design_id: Mapped[int] = mapped_column(
        ForeignKey("designs.id", ondelete="CASCADE"), primary_key=True
    )
    #: A catalogue product key (cocreate/catalogue/products.py). A plain string checked by the
    #: service, not a CHECK constraint, so a new product needs no migration.
    product: Mapped[str] = mapped_column(String(32), primary_key=True)


class Mockup(Base):
    """The design on one product in one of its colours (empty for a product without colours)."""

    __tablename__ = "mockups"
    __table_args__ = (UniqueConstraint("design_id", "product", "colour"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    design_id: Mapped[int] = mapped_column(ForeignKey("designs.id", ondelete="CASCADE"))
    #: A catalogue product key, like `DesignProduct.product`.
    product: Mapped[str] = mapped_column(String(32))
    colour: Mapped[str] = mapped_column(String(32), default="")
    key: Mapped[str] = mapped_column(String(255), index=True)
    #: Display order on the design page.
    position: Mapped[int] = mapped_column(default=0)


class DesignTransition(TransitionRecord, Base):
    """Audit trail: one row per state change (columns from core's TransitionRecord)."""

    __tablename__ = "design_transitions"
    state_enum = DesignState
    subject_key = "design_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    design_id: Mapped[int] = mapped_column(ForeignKey("designs.id", ondelete="CASCADE"), index=True)

    actor: Mapped[User | None] = relationship()


def _changed(obj: object, *keys: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[key].history.has_changes() for key in keys)


def _designer_name(session: Session, design: Design) -> str:
    loaded = inspect(design).dict.get("designer")
    designer = loaded if loaded is not None else session.get(User, design.designer_id)
    return designer.display_name if designer is not None else ""


@event.listens_for(Session, "before_flush")
def _refresh_search_text(session: Session, _context: Any, _instances: Any) -> None:
    """Rebuild `Design.search_text` when a title, the tags or the designer's name change.

    An event rather than calls in the services: every writer (services, the demo seed, tests'
    factories, a rename in accounts, which must not import designs) keeps the document
    current without knowing it exists.
    """
    with session.no_autoflush:
        for obj in [*session.new, *session.dirty]:
            if isinstance(obj, Design) and (
                obj in session.new or _changed(obj, "title", "tags", "designer_id")
            ):
                obj.search_text = obj.search_document(_designer_name(session, obj))
            elif isinstance(obj, User) and obj not in session.new and _changed(obj, "display_name"):
                renamed = session.scalars(
                    select(Design)
                    .where(Design.designer_id == obj.id)
                    .options(selectinload(Design.tags))
                )
                for design in renamed:
                    design.search_text = design.search_document(obj.display_name)

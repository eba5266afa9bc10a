"""Creating and editing designs: validation of the fields, the artwork upload (the web sizes and
mockups are drawn afterwards by a job: designs/derivatives.py)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from babel import numbers as babel_numbers
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.catalogue import products as catalogue
from cocreate.config import settings
from cocreate.core.i18n import current_locale
from cocreate.core.inputs import single_line
from cocreate.core.storage import Storage
from cocreate.designs import artwork_errors as codes
from cocreate.designs import derivatives
from cocreate.designs.artwork import ArtworkLimits, normalise_artwork, store_master
from cocreate.designs.artwork_errors import ArtworkError
from cocreate.designs.lifecycle import EDITABLE, InvalidTransition, NotAllowed
from cocreate.designs.models import Design, DesignProduct, Mockup, Tag, tag_slug

MAX_TAGS = 8
#: The print resolution staff judge print sizes at: 300 dots per inch.
PRINT_DPI = 300
CM_PER_INCH = Decimal("2.54")
TAG_RE = re.compile(r"[^\w-]+", re.UNICODE)


class DesignError(Exception):
    """A problem the designer can fix; `str()` is a translated sentence."""


@dataclass
class DesignFields:
    title: str
    description: str = ""
    tags: list[str] = field(default_factory=list)
    #: Catalogue product keys.
    products: set[str] = field(default_factory=lambda: {catalogue.default().key})


def slugify_tag(raw: str) -> str:
    text = unicodedata.normalize("NFC", raw).strip().lower().lstrip("#")
    return TAG_RE.sub("-", text).strip("-")[:40]


def parse_tags(raw: str | Iterable[str]) -> list[str]:
    parts = raw.split(",") if isinstance(raw, str) else list(raw)
    tags: list[str] = []
    slugs: set[str] = set()
    for part in parts:
        name = slugify_tag(part)
        slug = tag_slug(name)
        # "Évaluation" and "evaluation" are one tag: the first spelling given is kept.
        if slug and slug not in slugs:
            tags.append(name)
            slugs.add(slug)
    if len(tags) > MAX_TAGS:
        raise DesignError(_("Use at most %(max)d tags.", max=MAX_TAGS))
    return tags


def artwork_limits(products: Iterable[str]) -> ArtworkLimits:
    """The strictest print size among the chosen catalogue products applies."""
    config = settings()
    chosen = sorted(set(products)) or [catalogue.default().key]
    minimums = {key: catalogue.min_long_side(key) for key in chosen}
    strictest = max(chosen, key=lambda key: minimums[key])
    return ArtworkLimits(
        max_bytes=config.MAX_CONTENT_LENGTH,
        max_pixels=config.ARTWORK_MAX_PIXELS,
        min_long_side=minimums[strictest],
        max_aspect=float(config.ARTWORK_MAX_ASPECT),
        product=strictest,
    )


def _tags(session: Session, names: list[str]) -> list[Tag]:
    if not names:
        return []
    slugs = [tag_slug(name) for name in names]
    existing = {t.slug: t for t in session.scalars(select(Tag).where(Tag.slug.in_(slugs)))}
    pairs = zip(names, slugs, strict=True)
    return [existing.get(slug) or _new_tag(session, name) for name, slug in pairs]


def _new_tag(session: Session, name: str) -> Tag:
    """Insert a tag in a savepoint: when another designer creates it (or another spelling of
    it) at the same moment, the unique constraint fails only the savepoint, and their row is
    used."""
    tag = Tag(name=name)
    try:
        with session.begin_nested():
            session.add(tag)
    except IntegrityError:
        return session.scalars(select(Tag).where(Tag.slug == tag_slug(name))).one()
    return tag


def _check_fields(fields: DesignFields) -> None:
    if not single_line(fields.title):
        raise DesignError(_("Give your design a title."))
    if not fields.products:
        raise DesignError(_("Choose at least one product for your design."))
    unknown = sorted(key for key in fields.products if not catalogue.is_product(key))
    if unknown:
        raise DesignError(_("We do not print on “%(product)s”.", product=unknown[0]))


def _store_artwork(data: bytes, storage: Storage, products: set[str]) -> tuple[str, int, int]:
    """Validate, normalise and store the print master (raises ArtworkError): its key, width and
    height. The slow part of an upload, done before the design's row is locked."""
    normalised = normalise_artwork(data, artwork_limits(products))
    return store_master(normalised, storage), normalised.width, normalised.height


def _point_at(design: Design, master: tuple[str, int, int]) -> bool:
    """Make `master` the design's artwork. Returns whether the web sizes and mockups must be
    drawn: the caller queues the job once the design is flushed (designs/derivatives.py). The
    same file again keeps the images it already has; if they were never drawn (the job is
    pending, or gave up), it is a new attempt."""
    key, width, height = master
    if key == design.original_key and design.images_ready:
        return False
    design.original_key = key
    design.width, design.height = width, height
    derivatives.clear(design)
    return True


def create_design(
    session: Session, storage: Storage, designer: User, fields: DesignFields, artwork: bytes
) -> Design:
    """A new draft. The artwork is checked before anything is stored or written."""
    _check_fields(fields)
    design = Design(
        designer_id=designer.id,
        title=single_line(fields.title),
        description=fields.description.strip(),
    )
    _point_at(design, _store_artwork(artwork, storage, fields.products))
    design.products = [DesignProduct(product=p) for p in sorted(fields.products)]
    design.tags = _tags(session, fields.tags)
    session.add(design)
    session.flush()
    derivatives.queue(session, design)
    return design


def update_design(
    session: Session,
    storage: Storage,
    design: Design,
    actor: User,
    fields: DesignFields,
    artwork: bytes | None = None,
) -> None:
    if design.designer_id != actor.id:
        raise NotAllowed
    if design.state not in EDITABLE:
        raise InvalidTransition(_("Only drafts can be edited."))
    _check_fields(fields)
    master = _store_artwork(artwork, storage, fields.products) if artwork else None
    # Read the row again under its lock: while the artwork was being checked, another tab may
    # have submitted the design, or the job drawn the previous artwork's images (clearing what
    # this request loaded before would then leave them standing beside the new master).
    session.refresh(design, with_for_update={"of": Design})
    if design.state not in EDITABLE:
        raise InvalidTransition(_("Only drafts can be edited."))
    redraw = False
    if master:
        redraw = _point_at(design, master)
    elif fields.products - design.product_set:
        # A newly chosen product may need a larger print than the stored artwork has.
        limits = artwork_limits(fields.products)
        if max(design.width, design.height) < limits.min_long_side:
            raise ArtworkError(
                codes.TOO_SMALL,
                width=design.width,
                height=design.height,
                minimum=limits.min_long_side,
                product=limits.product,
            )
    design.title = single_line(fields.title)
    design.description = fields.description.strip()
    design.tags = _tags(session, fields.tags)
    wanted = fields.products
    design.products = [p for p in design.products if p.product in wanted] + [
        DesignProduct(product=p) for p in sorted(wanted - design.product_set)
    ]
    session.flush()
    if redraw:
        derivatives.queue(session, design)


def copy_as_draft(design: Design) -> Design:
    """A new draft with `design`'s text, tags, products, artwork and mockups, linked to it.

    The files are shared, not copied: storage keys are content hashes, so both rows name the
    same bytes, and replacing the draft's artwork later writes new keys without touching the
    original's."""
    return Design(
        designer_id=design.designer_id,
        revision_of_id=design.id,
        title=design.title,
        description=design.description,
        original_key=design.original_key,
        thumb_webp_key=design.thumb_webp_key,
        thumb_jpeg_key=design.thumb_jpeg_key,
        gallery_webp_key=design.gallery_webp_key,
        gallery_jpeg_key=design.gallery_jpeg_key,
        width=design.width,
        height=design.height,
        tags=list(design.tags),
        products=[DesignProduct(product=p.product) for p in design.products],
        mockups=[
            Mockup(product=m.product, colour=m.colour, key=m.key, position=m.position)
            for m in design.mockups
        ],
    )


def product_labels(design: Design) -> list[str]:
    """The design's products by name, in catalogue order."""
    order = {key: index for index, key in enumerate(catalogue.product_keys())}
    keys = sorted(design.product_set, key=lambda key: (order.get(key, len(order)), key))
    return [product_label(key) for key in keys]


def product_label(product: str) -> str:
    """The product's name in the reader's language (its key if the catalogue dropped it)."""
    return str(catalogue.get(product).name) if catalogue.is_product(product) else product


def print_centimetres(pixels: int, dpi: int = PRINT_DPI) -> Decimal:
    """How long `pixels` print at `dpi`, in cm to one decimal (half up: 30.45 → 30.5)."""
    return (Decimal(pixels) * CM_PER_INCH / dpi).quantize(Decimal("0.1"), ROUND_HALF_UP)


def print_size(width: int, height: int, dpi: int = PRINT_DPI) -> str:
    """ "40.6 × 30.5 cm" (French "40,6 × 30,5 cm"): always one decimal, the reader's separators."""

    def number(pixels: int) -> str:
        return babel_numbers.format_decimal(
            print_centimetres(pixels, dpi), format="#,##0.0", locale=current_locale()
        )

    return _("%(width)s × %(height)s cm", width=number(width), height=number(height))

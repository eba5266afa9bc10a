"""A design's thumbnails, gallery sizes and mockups, drawn by a background job after the upload.

The upload request checks and normalises the artwork and stores only its print master
(`services._store_artwork`, then `_point_at` under the design's row lock); in the same
transaction it adds an outbox row of kind `KIND` naming the design and that master's key
(`queue`). Once the request committed, core/jobs.py delivers
the row: synchronously under ENV=testing, on the process's delivery thread by default, on the RQ
worker when REDIS_URL is set. `send` then draws the images. A designer's upload no longer waits
for the mockups: the design page says they are being drawn until they are.

Why nullable key columns rather than an `images_ready` flag: until the job ran there is no web
image to name, and NULL keys say so without a second column that could disagree with them.
`Design.images_ready` (the thumbnail key is set) is what pages and `lifecycle.submit` check; the
job writes the four keys and the mockup rows in one transaction, so they appear together.

The job is safe to run late, twice, or for an artwork replaced since:
- it first reads the design and does nothing when the design is gone, when its master is no
  longer the one the row names (the designer uploaded another file, whose upload queued its own
  row), or when its images are drawn already;
- it draws and stores the files outside any transaction (content-hash keys: drawing again writes
  the same keys), then locks the design, checks the master again and writes the keys and the
  mockup rows. A failure raises, so the outbox retries with backoff; files stored by a failed
  attempt are named by no row, and the storage collector removes them after its grace period.

When the last attempt (OUTBOX_MAX_ATTEMPTS) fails too, the outbox marks its row failed and never
tries again. The sender then sets `Design.images_failed_at` (`give_up`), so the page asks for
the artwork again instead of saying "being drawn" forever. Why a column rather than reading the
outbox row from the page: the row's payload is JSON (no index, spelled differently by SQLite and
PostgreSQL), and a design may have several rows (an upload of the same file again queues
another); the column is read with the design, under the lock `lifecycle.submit` takes. A new
upload clears it (`clear`), and so does a drawing that succeeds after all (`apply`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from sqlalchemy.orm import Session

from cocreate.catalogue import products as catalogue
from cocreate.config import settings
from cocreate.core import db, jobs, outbox
from cocreate.core.clock import clock
from cocreate.core.storage import Storage
from cocreate.designs.artwork import make_web_images, store_web_images
from cocreate.designs.mockups import render_all_mockups
from cocreate.designs.models import Design, Mockup

KIND = "designs.images"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DrawnImages:
    #: `{"thumb_webp": key, "thumb_jpeg": key, "gallery_webp": key, "gallery_jpeg": key}`
    web: dict[str, str]
    #: `{"product:colour": key}` (just "product" without colours), in display order.
    mockups: dict[str, str]


def clear(design: Design) -> None:
    """Forget the web images and mockups of the artwork being replaced (they show the old one)."""
    design.thumb_webp_key = design.thumb_jpeg_key = None
    design.gallery_webp_key = design.gallery_jpeg_key = None
    design.mockups = []
    design.images_failed_at = None  # the new artwork gets its own attempts


def queue(session: Session, design: Design) -> None:
    """Ask for the design's images, in the caller's transaction (the design must be flushed)."""
    payload = {"design_id": design.id, "original_key": design.original_key}
    message = outbox.add(session, KIND, payload, now=clock().now())
    jobs.deliver_after_commit([message.id])


def draw(storage: Storage, original_key: str, max_pixels: int) -> DrawnImages:
    """Read the stored master, then make and store its web sizes and every mockup.

    Every product's mockups, not only the chosen ones: adding a product later needs no redraw.
    They are drawn from the gallery-size image, so the master is decoded once.
    """
    web = make_web_images(storage.open(original_key), max_pixels=max_pixels)
    keys = store_web_images(web, storage)
    mockups = render_all_mockups(web.preview, storage, catalogue.CATALOGUE)
    return DrawnImages(web=keys, mockups=mockups)


def apply(design: Design, drawn: DrawnImages) -> None:
    """Point the design at its drawn images (the caller flushes)."""
    design.thumb_webp_key = drawn.web["thumb_webp"]
    design.thumb_jpeg_key = drawn.web["thumb_jpeg"]
    design.gallery_webp_key = drawn.web["gallery_webp"]
    design.gallery_jpeg_key = drawn.web["gallery_jpeg"]
    design.images_failed_at = None
    # Update rows in place: replacing them would insert the new (product, colour) pairs before
    # the old ones are deleted, against the unique constraint.
    existing = {(m.product, m.colour): m for m in design.mockups}
    mockups = []
    for index, (kind, key) in enumerate(drawn.mockups.items()):
        product, _, colour = kind.partition(":")
        mockup = existing.get((product, colour)) or Mockup(product=product, colour=colour)
        mockup.key, mockup.position = key, index
        mockups.append(mockup)
    design.mockups = mockups


def draw_now(session: Session, storage: Storage, design: Design) -> None:
    """Draw the images in the caller's transaction, without waiting for the job (the demo seed:
    its designs are public at once). The queued row then finds them drawn and does nothing."""
    apply(design, draw(storage, design.original_key, design.width * design.height))
    session.flush()


def send(design_id: int, original_key: str, storage: Storage) -> None:
    """The job: draw the images of design `design_id` if its master is still `original_key`."""
    with db.transaction() as session:
        design = session.get(Design, design_id)
        if design is None or design.original_key != original_key or design.images_ready:
            return  # deleted, replaced since (its own row draws it), or drawn already
        max_pixels = design.width * design.height
    # Drawn outside any transaction: no lock is held while the mockups are drawn.
    drawn = draw(storage, original_key, max_pixels)
    with db.transaction() as session:
        design = session.get(Design, design_id, with_for_update=True, populate_existing=True)
        if design is None or design.original_key != original_key or design.images_ready:
            return  # changed while drawing
        apply(design, drawn)
        session.flush()
    logger.info("drew the images of design %s (%d mockups)", design_id, len(drawn.mockups))


def give_up(design_id: int, original_key: str, now: datetime) -> None:
    """The job's last attempt failed: say so on design `design_id`, if `original_key` is still
    its artwork and nothing was drawn for it (a row for replaced artwork concerns nobody)."""
    with db.transaction() as session:
        design = session.get(Design, design_id, with_for_update=True, populate_existing=True)
        if design is None or design.original_key != original_key or design.images_ready:
            return
        design.images_failed_at = now
        session.flush()
    logger.warning("gave up drawing the images of design %s", design_id)


def _give_up_keeping_the_error(design_id: int, original_key: str, now: datetime) -> None:
    # A failure here is logged, not raised: the row must record why the drawing failed.
    try:
        give_up(design_id, original_key, now)
    except Exception:  # the drawing's own error is re-raised by the caller
        logger.exception("could not mark design %s as failed to draw", design_id)


def make_sender(app: Flask) -> outbox.Sender:
    def send_images(message: outbox.OutboxMessage) -> None:
        # Its own app context, so its transactions are its own, never the delivery loop's.
        with app.app_context():
            payload = message.payload
            design_id, original_key = int(payload["design_id"]), str(payload["original_key"])
            storage = app.extensions["cocreate.storage"]
            try:
                send(design_id, original_key, storage)
            except Exception:
                # The outbox marks the row failed after this attempt by the same rule
                # (`outbox.record`): `attempts` already counts the attempt being made.
                if message.attempts >= settings(app).OUTBOX_MAX_ATTEMPTS:
                    _give_up_keeping_the_error(design_id, original_key, clock(app).now())
                raise

    return send_images


def init_app(app: Flask) -> None:
    jobs.register_sender(app, KIND, make_sender(app))

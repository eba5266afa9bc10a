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
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask
from sqlalchemy.orm import Session

from cocreate.catalogue import products as catalogue
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


def make_sender(app: Flask) -> outbox.Sender:
    def send_images(message: outbox.OutboxMessage) -> None:
        # Its own app context, so its transactions are its own, never the delivery loop's.
        with app.app_context():
            payload = message.payload
            storage = app.extensions["cocreate.storage"]
            send(int(payload["design_id"]), str(payload["original_key"]), storage)

    return send_images


def init_app(app: Flask) -> None:
    jobs.register_sender(app, KIND, make_sender(app))

"""design images failed: when the derivatives job gave up drawing a design's images

Until now a design whose "designs.images" outbox row failed for good said "being drawn" forever.
`designs.images_failed_at` records that the job gave up on the current artwork; a new upload
clears it (cocreate/designs/derivatives.py).

The drafts already stuck that way are found from the outbox: a design whose latest
"designs.images" row failed, for the artwork it still has, with no images drawn.

Revision ID: 6e2f0c9a41d7
Revises: 5a1f0c2e9d47
Create Date: 2026-12-03 09:00:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import cocreate.core.db

revision: str = "6e2f0c9a41d7"
down_revision: str | None = "5a1f0c2e9d47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("designs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "images_failed_at", cocreate.core.db.UTCDateTime(timezone=True), nullable=True
            )
        )
    _mark_stuck_designs()


def _mark_stuck_designs() -> None:
    outbox = sa.table(
        "outbox",
        sa.column("id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("status", sa.String),
        sa.column("payload", sa.JSON),
    )
    designs = sa.table(
        "designs",
        sa.column("id", sa.Integer),
        sa.column("original_key", sa.String),
        sa.column("thumb_webp_key", sa.String),
        sa.column("images_failed_at", cocreate.core.db.UTCDateTime(timezone=True)),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(outbox.c.status, outbox.c.payload)
        .where(outbox.c.kind == "designs.images")
        .order_by(outbox.c.id)
    )
    # The JSON payload is read in Python: SQLite and PostgreSQL spell JSON access differently,
    # and there are few such rows. A later row for a design (a new upload) replaces an earlier.
    latest = {int(payload["design_id"]): (status, payload) for status, payload in rows}
    # The failure's time was not kept: the migration's is the closest honest value.
    now = datetime.now(UTC)
    for design_id, (status, payload) in latest.items():
        if status != "failed":
            continue
        bind.execute(
            designs.update()
            .where(
                designs.c.id == design_id,
                designs.c.original_key == str(payload["original_key"]),
                designs.c.thumb_webp_key.is_(None),
            )
            .values(images_failed_at=now)
        )


def downgrade() -> None:
    with op.batch_alter_table("designs", schema=None) as batch_op:
        batch_op.drop_column("images_failed_at")

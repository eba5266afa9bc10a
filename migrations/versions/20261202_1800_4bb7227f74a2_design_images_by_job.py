"""design images drawn by a job: the web-size keys are NULL until the job drew them

The upload stores the print master; the thumbnail and gallery sizes (and the mockups) are drawn
by the outbox job "designs.images" after the request committed (cocreate/designs/derivatives.py).

Revision ID: 4bb7227f74a2
Revises: 88ac15a53587
Create Date: 2026-12-03 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4bb7227f74a2"
down_revision: str | None = "88ac15a53587"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("thumb_webp_key", "thumb_jpeg_key", "gallery_webp_key", "gallery_jpeg_key")


def upgrade() -> None:
    # Batch mode: SQLite cannot change a column's nullability in place.
    with op.batch_alter_table("designs", schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.alter_column(column, existing_type=sa.String(length=255), nullable=True)


def downgrade() -> None:
    # A design still waiting for its images gets its print master's key instead: a file that
    # exists, which the job would have replaced. Its mockups stay missing until it is re-uploaded.
    designs = sa.table("designs", sa.column("original_key"), *(sa.column(c) for c in COLUMNS))
    for column in COLUMNS:
        op.execute(
            designs.update()
            .where(designs.c[column].is_(None))
            .values({column: designs.c.original_key})
        )
    with op.batch_alter_table("designs", schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.alter_column(column, existing_type=sa.String(length=255), nullable=False)

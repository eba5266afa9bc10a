"""design revisions: a draft revising a rejected design keeps a link to it

Revision ID: 46f67d4a5d3c
Revises: 8df0fb5018b6
Create Date: 2026-12-02 06:32:16.428196
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "46f67d4a5d3c"
down_revision: str | None = "8df0fb5018b6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Batch mode: SQLite cannot add a foreign key to an existing table in place.
    with op.batch_alter_table("designs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision_of_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_designs_revision_of_id"), ["revision_of_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_designs_revision_of_id_designs"),
            "designs",
            ["revision_of_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("designs", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_designs_revision_of_id_designs"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_designs_revision_of_id"), type_="unique")
        batch_op.drop_column("revision_of_id")

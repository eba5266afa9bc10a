"""refund restock: whether a refund's units go back on sale

Staff choose it per refund on the order desk; the units are added to the variants' stock when
the gateway confirms the refund (cocreate/shop/refunds.py). Refunds made before this revision
returned nothing to stock: they read false.

Revision ID: 5e2a9c7d41b3
Revises: 4bb7227f74a2
Create Date: 2026-12-03 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e2a9c7d41b3"
down_revision: str | None = "4bb7227f74a2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The server default fills the existing rows; the model sets the value from then on.
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("restock", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.alter_column("restock", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_column("restock")

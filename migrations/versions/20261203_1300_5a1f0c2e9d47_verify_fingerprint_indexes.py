"""indexes for the quick verify

`verify`'s quick check reads the reversals' lines and units, and the few payout transactions,
from partial indexes instead of scanning every transaction
(`cocreate/royalties/fingerprints.py`). SQLite has no INCLUDE: its reversal index holds the
line alone.

Revision ID: 5a1f0c2e9d47
Revises: 5e2a9c7d41b3
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5a1f0c2e9d47"
down_revision: str | None = "5e2a9c7d41b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REVERSALS = sa.text("kind = 'reversal'")
PAYOUTS = sa.text("kind = 'payout'")


def upgrade() -> None:
    with op.batch_alter_table("ledger_transactions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ledger_transactions_reversal_line",
            ["order_line_id"],
            unique=False,
            postgresql_include=["units"],
            postgresql_where=REVERSALS,
            sqlite_where=REVERSALS,
        )
        batch_op.create_index(
            "ix_ledger_transactions_payouts",
            ["id"],
            unique=False,
            postgresql_where=PAYOUTS,
            sqlite_where=PAYOUTS,
        )


def downgrade() -> None:
    with op.batch_alter_table("ledger_transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_transactions_payouts")
        batch_op.drop_index("ix_ledger_transactions_reversal_line")

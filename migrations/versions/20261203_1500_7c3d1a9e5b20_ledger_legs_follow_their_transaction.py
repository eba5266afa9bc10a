"""ledger legs follow their transaction

A leg repeats its transaction's creator and period (so statements aggregate one table). A
composite foreign key now makes the database refuse a leg that names another creator or month
than its transaction, in place of the plain foreign key on the transaction's id; it refers to
a unique (id, creator_id, period) on the transactions.

Revision ID: 7c3d1a9e5b20
Revises: 6e2f0c9a41d7
Create Date: 2026-12-03 15:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7c3d1a9e5b20"
down_revision: str | None = "6e2f0c9a41d7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["id", "creator_id", "period"]


def upgrade() -> None:
    with op.batch_alter_table("ledger_transactions", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_ledger_transactions_id_creator", COLUMNS)
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_constraint(
            "fk_ledger_entries_transaction_id_ledger_transactions", type_="foreignkey"
        )
        batch_op.create_foreign_key(
            "fk_ledger_entries_transaction_creator_period",
            "ledger_transactions",
            ["transaction_id", "creator_id", "period"],
            COLUMNS,
        )


def downgrade() -> None:
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_constraint(
            "fk_ledger_entries_transaction_creator_period", type_="foreignkey"
        )
        batch_op.create_foreign_key(
            "fk_ledger_entries_transaction_id_ledger_transactions",
            "ledger_transactions",
            ["transaction_id"],
            ["id"],
        )
    with op.batch_alter_table("ledger_transactions", schema=None) as batch_op:
        batch_op.drop_constraint("uq_ledger_transactions_id_creator", type_="unique")

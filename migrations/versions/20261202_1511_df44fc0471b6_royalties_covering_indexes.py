"""royalties covering indexes

Closing a month reads its transactions' kind from (period, id) INCLUDE (kind); `verify` streams
every transaction's legs, pieces and columns in id order from covering indexes (issue 18's
bench). On PostgreSQL the two plain transaction_id indexes are rebuilt with INCLUDE columns;
SQLite has no INCLUDE and keeps them as they are.

Revision ID: df44fc0471b6
Revises: 3977eb0c6d5b
Create Date: 2026-12-02 15:11:11.801433
"""

from collections.abc import Sequence

from alembic import op

revision: str = "df44fc0471b6"
down_revision: str | None = "3977eb0c6d5b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRANSACTION_COLUMNS = ["kind", "creator_id", "period", "related_id", "order_line_id", "units"]
# (table, index, INCLUDE columns) rebuilt on PostgreSQL.
COVERED = (
    ("ledger_entries", "ix_ledger_entries_transaction_id", ["account", "amount_amount"]),
    ("accrual_pieces", "ix_accrual_pieces_transaction_id", ["amount_amount", "units"]),
)


def upgrade() -> None:
    with op.batch_alter_table("ledger_transactions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ledger_transactions_id_covering",
            ["id"],
            unique=False,
            postgresql_include=TRANSACTION_COLUMNS,
        )
        batch_op.create_index(
            "ix_ledger_transactions_period_id",
            ["period", "id"],
            unique=False,
            postgresql_include=["kind"],
        )
    if op.get_bind().dialect.name == "postgresql":
        for table, index, include in COVERED:
            op.drop_index(index, table_name=table)
            op.create_index(index, table, ["transaction_id"], postgresql_include=include)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, index, _include in COVERED:
            op.drop_index(index, table_name=table)
            op.create_index(index, table, ["transaction_id"])
    with op.batch_alter_table("ledger_transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_transactions_period_id")
        batch_op.drop_index("ix_ledger_transactions_id_covering")

"""carts: members' and anonymous visitors' carts and their lines

Revision ID: 23a939ba446f
Revises: 0d2ec8d46870
Create Date: 2026-12-02 10:02:49.171997
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cocreate.core.db


revision: str = "23a939ba446f"
down_revision: str | None = "0d2ec8d46870"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "carts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("token", sa.String(length=64), nullable=True),
        sa.Column("created_at", cocreate.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", cocreate.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("(user_id IS NULL) <> (token IS NULL)", name=op.f("ck_carts_one_owner")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_carts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carts")),
        sa.UniqueConstraint("token", name=op.f("uq_carts_token")),
        sa.UniqueConstraint("user_id", name=op.f("uq_carts_user_id")),
    )
    with op.batch_alter_table("carts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_carts_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "cart_lines",
        sa.Column("cart_id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("added_at", cocreate.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_cart_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["cart_id"], ["carts.id"], name=op.f("fk_cart_lines_cart_id_carts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["variants.id"],
            name=op.f("fk_cart_lines_variant_id_variants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cart_id", "variant_id", name=op.f("pk_cart_lines")),
    )
    with op.batch_alter_table("cart_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cart_lines_variant_id"), ["variant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cart_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cart_lines_variant_id"))

    op.drop_table("cart_lines")
    with op.batch_alter_table("carts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_carts_updated_at"))

    op.drop_table("carts")

"""production runs: runs, their lines, prices and audit rows; sellable variants with stock

Revision ID: dc30db136648
Revises: 6b62bbc47926
Create Date: 2026-12-02 09:26:04.467818
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cocreate.core.db


revision: str = "dc30db136648"
down_revision: str | None = "6b62bbc47926"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "production_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("design_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "planned",
                "printing",
                "in_stock",
                "closed",
                "cancelled",
                name="run_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", cocreate.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("stocked_at", cocreate.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_production_runs_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["design_id"], ["designs.id"], name=op.f("fk_production_runs_design_id_designs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_production_runs")),
    )
    with op.batch_alter_table("production_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_production_runs_design_id"), ["design_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_production_runs_state"), ["state"], unique=False)

    op.create_table(
        "variants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("design_id", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=32), nullable=False),
        sa.Column("colour", sa.String(length=32), nullable=False),
        sa.Column("size", sa.String(length=16), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("stock_on_hand", sa.Integer(), nullable=False),
        sa.Column("price_amount", sa.BigInteger(), nullable=False),
        sa.Column("price_currency", sa.CHAR(length=3), nullable=False),
        sa.Column("created_at", cocreate.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", cocreate.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "length(price_currency) = 3 AND trim(price_currency, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') = ''",
            name=op.f("ck_variants_price_currency"),
        ),
        sa.CheckConstraint("price_amount >= 0", name=op.f("ck_variants_price_amount_nonnegative")),
        sa.CheckConstraint(
            "stock_on_hand >= 0", name=op.f("ck_variants_stock_on_hand_nonnegative")
        ),
        sa.ForeignKeyConstraint(
            ["design_id"], ["designs.id"], name=op.f("fk_variants_design_id_designs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_variants")),
        sa.UniqueConstraint(
            "design_id",
            "product",
            "colour",
            "size",
            name=op.f("uq_variants_design_id_product_colour_size"),
        ),
        sa.UniqueConstraint("sku", name=op.f("uq_variants_sku")),
    )
    op.create_table(
        "production_run_lines",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=32), nullable=False),
        sa.Column("colour", sa.String(length=32), nullable=False),
        sa.Column("size", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_production_run_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["production_runs.id"],
            name=op.f("fk_production_run_lines_run_id_production_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "run_id", "product", "colour", "size", name=op.f("pk_production_run_lines")
        ),
    )
    op.create_table(
        "production_run_prices",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=32), nullable=False),
        sa.Column("price_amount", sa.BigInteger(), nullable=False),
        sa.Column("price_currency", sa.CHAR(length=3), nullable=False),
        sa.CheckConstraint(
            "length(price_currency) = 3 AND trim(price_currency, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') = ''",
            name=op.f("ck_production_run_prices_price_currency"),
        ),
        sa.CheckConstraint(
            "price_amount > 0", name=op.f("ck_production_run_prices_price_amount_positive")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["production_runs.id"],
            name=op.f("fk_production_run_prices_run_id_production_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "product", name=op.f("pk_production_run_prices")),
    )
    op.create_table(
        "production_run_transitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column(
            "from_state",
            sa.Enum(
                "planned",
                "printing",
                "in_stock",
                "closed",
                "cancelled",
                name="from_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "to_state",
            sa.Enum(
                "planned",
                "printing",
                "in_stock",
                "closed",
                "cancelled",
                name="to_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", cocreate.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_production_run_transitions_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["production_runs.id"],
            name=op.f("fk_production_run_transitions_run_id_production_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_production_run_transitions")),
    )
    with op.batch_alter_table("production_run_transitions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_production_run_transitions_run_id"), ["run_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("production_run_transitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_production_run_transitions_run_id"))

    op.drop_table("production_run_transitions")
    op.drop_table("production_run_prices")
    op.drop_table("production_run_lines")
    op.drop_table("variants")
    with op.batch_alter_table("production_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_production_runs_state"))
        batch_op.drop_index(batch_op.f("ix_production_runs_design_id"))

    op.drop_table("production_runs")

"""products from the catalogue: plain string product columns, no CHECK listing products

Revision ID: 5c0a7d1e9b42
Revises: b9710fe690c9
Create Date: 2026-12-02 06:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5c0a7d1e9b42"
down_revision: str | None = "b9710fe690c9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The product list now lives in cocreate/catalogue/products.py and is checked by the design
# service, so a new product needs no migration. These were the values the CHECKs allowed.
OLD_PRODUCTS = ("tee", "poster")
TABLES = ("design_products", "mockups")


def upgrade() -> None:
    for table in TABLES:
        # Batch mode rebuilds the table on SQLite, which cannot drop a constraint in place.
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_product"), type_="check")


def downgrade() -> None:
    # Fails if a design uses a product added since: remove those rows first.
    allowed = ", ".join(f"'{product}'" for product in OLD_PRODUCTS)
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(op.f(f"ck_{table}_product"), f"product IN ({allowed})")

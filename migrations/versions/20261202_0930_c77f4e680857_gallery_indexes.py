"""gallery indexes: each gallery view reads an index in its own order, id last

The two (state, date) indexes gain id, the views' tie-break, so PostgreSQL too can read a page
straight from them (SQLite's indexes already end with the rowid); "Newest" and search get an
index in publication order that carries the state, so they stop at the page's end instead of
sorting every public design.

Revision ID: c77f4e680857
Revises: 23a939ba446f
Create Date: 2026-12-02 09:30:14.292119
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c77f4e680857"
down_revision: str | None = "23a939ba446f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_designs_state_published_at", table_name="designs")
    op.drop_index("ix_designs_state_voting_ends_at", table_name="designs")
    op.create_index("ix_designs_published_at_id_state", "designs", ["published_at", "id", "state"])
    op.create_index("ix_designs_state_published_at_id", "designs", ["state", "published_at", "id"])
    op.create_index(
        "ix_designs_state_voting_ends_at_id", "designs", ["state", "voting_ends_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_designs_state_voting_ends_at_id", table_name="designs")
    op.drop_index("ix_designs_state_published_at_id", table_name="designs")
    op.drop_index("ix_designs_published_at_id_state", table_name="designs")
    op.create_index("ix_designs_state_voting_ends_at", "designs", ["state", "voting_ends_at"])
    op.create_index("ix_designs_state_published_at", "designs", ["state", "published_at"])

"""user sessions: server-side log-in sessions replace users.session_version

Revision ID: 8df0fb5018b6
Revises: 5c0a7d1e9b42
Create Date: 2026-12-02 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cocreate.core.db


revision: str = "8df0fb5018b6"
down_revision: str | None = "5c0a7d1e9b42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("kept", sa.Boolean(), nullable=False),
        sa.Column("created_at", cocreate.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", cocreate.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", cocreate.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("user_agent", sa.String(length=255), nullable=False),
        sa.Column("revoked_at", cocreate.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_sessions_token_hash")),
    )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_sessions_user_id"), ["user_id"], unique=False)
    # Sessions now live in user_sessions: the version is no longer read. Existing cookies name
    # no server session, so everyone logs in once more after this upgrade.
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_version")


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_version", sa.Integer(), nullable=False, server_default="1")
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("session_version", server_default=None)
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_sessions_user_id"))
    op.drop_table("user_sessions")

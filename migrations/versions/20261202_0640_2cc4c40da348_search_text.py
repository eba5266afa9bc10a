"""search text: folded search document on designs, folded tag slugs, trigram index

Revision ID: 2cc4c40da348
Revises: 46f67d4a5d3c
Create Date: 2026-12-02 06:40:00.000000
"""

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2cc4c40da348"
down_revision: str | None = "46f67d4a5d3c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def fold(text: str) -> str:
    # A copy of cocreate.core.inputs.fold as of this revision: a migration must not change
    # meaning when the application code does.
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped.casefold())


def tag_slug(name: str) -> str:
    # A copy of cocreate.designs.models.tag_slug as of this revision.
    return re.sub(r"[^\w-]+", "-", fold(name)).strip("-")[:40]


def upgrade() -> None:
    op.add_column("tags", sa.Column("slug", sa.String(length=40), server_default="", nullable=False))
    op.add_column(
        "designs", sa.Column("search_text", sa.Text(), server_default="", nullable=False)
    )
    bind = op.get_bind()
    _merge_tags(bind)
    _backfill_search_text(bind)
    op.create_index(op.f("ix_tags_slug"), "tags", ["slug"], unique=True)
    _create_search_index(bind)


def _merge_tags(bind: sa.Connection) -> None:
    """Give every tag its folded slug; tags that fold alike ("évaluation", "evaluation")
    become the oldest of them, which keeps its spelling."""
    by_slug: dict[str, list[int]] = defaultdict(list)
    for tag_id, name in bind.execute(sa.text("SELECT id, name FROM tags ORDER BY id")):
        # A name with nothing left after folding (none known) keeps a unique slug all the same.
        by_slug[tag_slug(name) or f"tag-{tag_id}"].append(tag_id)
    for slug, (keeper, *duplicates) in by_slug.items():
        for duplicate in duplicates:
            # A design tagged with both keeps one row; the others move to the keeper.
            bind.execute(
                sa.text(
                    "DELETE FROM design_tags WHERE tag_id = :dup AND design_id IN "
                    "(SELECT design_id FROM design_tags WHERE tag_id = :keeper)"
                ),
                {"dup": duplicate, "keeper": keeper},
            )
            bind.execute(
                sa.text("UPDATE design_tags SET tag_id = :keeper WHERE tag_id = :dup"),
                {"dup": duplicate, "keeper": keeper},
            )
            bind.execute(sa.text("DELETE FROM tags WHERE id = :dup"), {"dup": duplicate})
        bind.execute(
            sa.text("UPDATE tags SET slug = :slug WHERE id = :id"), {"slug": slug, "id": keeper}
        )


def _backfill_search_text(bind: sa.Connection) -> None:
    # The same line as cocreate.designs.models.search_document: designer, title, tags.
    tags: dict[int, list[str]] = defaultdict(list)
    rows = bind.execute(
        sa.text(
            "SELECT design_tags.design_id, tags.name FROM design_tags "
            "JOIN tags ON tags.id = design_tags.tag_id ORDER BY tags.name"
        )
    )
    for design_id, name in rows:
        tags[design_id].append(name)
    designs = bind.execute(
        sa.text(
            "SELECT designs.id, designs.title, users.display_name FROM designs "
            "JOIN users ON users.id = designs.designer_id"
        )
    ).all()
    updates = [
        {
            "id": design_id,
            "text": " ".join(fold(part) for part in (name, title, *tags[design_id])),
        }
        for design_id, title, name in designs
    ]
    if updates:
        bind.execute(sa.text("UPDATE designs SET search_text = :text WHERE id = :id"), updates)


def _create_search_index(bind: sa.Connection) -> None:
    if bind.dialect.name != "postgresql":
        op.create_index(op.f("ix_designs_search_text"), "designs", ["search_text"])
        return
    # Creating an extension needs privileges the application's role may lack: try it in a
    # savepoint, and without pg_trgm go on without the index (search still works, by scanning;
    # the schema check then reports the missing index until a superuser runs
    # `CREATE EXTENSION pg_trgm` and this index is created by hand).
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:
        return
    op.create_index(
        op.f("ix_designs_search_text"),
        "designs",
        ["search_text"],
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    )


def downgrade() -> None:
    # IF EXISTS: on PostgreSQL without pg_trgm the upgrade made no index.
    op.execute("DROP INDEX IF EXISTS ix_designs_search_text")
    op.drop_index(op.f("ix_tags_slug"), table_name="tags")
    # Merged tags stay merged: their other spellings are not recorded anywhere.
    with op.batch_alter_table("designs", schema=None) as batch_op:
        batch_op.drop_column("search_text")
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.drop_column("slug")

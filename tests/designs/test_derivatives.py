"""The web sizes and mockups are drawn by the outbox job "designs.images", after the upload's
commit: the request stores only the print master and the row; pages wait for the job, or say it
gave up and ask for the artwork again."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.orm import Session

from cocreate.core.cli import alembic_config
from cocreate.core.clock import TestClock
from cocreate.core.outbox import OutboxMessage, OutboxStatus
from cocreate.designs import derivatives, lifecycle
from cocreate.designs.models import Design, DesignState, Mockup
from tests.accounts.factories import StaffFactory, UserFactory
from tests.conftest import _create_postgres_database, _drop_postgres_database
from tests.designs.conftest import DeliverRow
from tests.designs.factories import DesignFactory
from tests.designs.test_design_pages import SMALL, _form, artwork_png

#: Every catalogue product's mockups: six tee colours, the poster, two tote colours.
MOCKUP_NAMES = [
    ("tee", "white"),
    ("tee", "black"),
    ("tee", "heather-grey"),
    ("tee", "navy"),
    ("tee", "red"),
    ("tee", "forest-green"),
    ("poster", ""),
    ("tote", "natural"),
    ("tote", "black"),
]
PENDING = "Your mockups are being drawn — refresh in a moment."
IMG_SRC = re.compile(r'<img[^>]*src="([^"]*)"')


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return SMALL


def _rows(session: Session) -> list[OutboxMessage]:
    session.expire_all()
    query = select(OutboxMessage).where(OutboxMessage.kind == "designs.images")
    return list(session.scalars(query.order_by(OutboxMessage.id)))


def _design(session: Session) -> Design:
    session.expire_all()
    design = session.scalars(select(Design)).one()
    return design


def _mockups(session: Session, design: Design) -> list[Mockup]:
    query = select(Mockup).where(Mockup.design_id == design.id).order_by(Mockup.position)
    return list(session.scalars(query))


def _upload(client: FlaskClient, data: bytes | None = None) -> str:
    response = client.post(
        "/designs/new", data=_form(data or artwork_png()), content_type="multipart/form-data"
    )
    assert response.status_code == 302
    return str(response.headers["Location"])


def _on_disk(app: Flask, key: str) -> bool:
    return (Path(app.config["UPLOAD_DIR"]) / key).is_file()


def test_upload_stores_the_master_and_one_row_then_the_job_draws_the_rest(
    client: FlaskClient,
    app: Flask,
    db_session: Session,
    designer: Any,
    handed: list[list[int]],
    deliver_row: DeliverRow,
) -> None:
    location = _upload(client)
    design = _design(db_session)
    [row] = _rows(db_session)
    assert row.status is OutboxStatus.PENDING and row.attempts == 0
    assert row.payload == {"design_id": design.id, "original_key": design.original_key}
    assert handed == [[row.id]]
    assert design.original_key.endswith(".png") and _on_disk(app, design.original_key)
    assert (design.width, design.height) == (480, 480)
    assert design.thumb_webp_key is None and design.gallery_jpeg_key is None
    assert not design.images_ready and _mockups(db_session, design) == []

    # Meanwhile every page that lists it works, without a single broken image.
    page = client.get(location).get_data(as_text=True)
    assert PENDING in page
    assert "You can submit it once its mockups are drawn." in page
    assert "Submit for voting" not in page
    assert IMG_SRC.findall(page) == []
    mine = client.get("/my/designs").get_data(as_text=True)
    assert "Sunny Side" in mine and IMG_SRC.findall(mine) == []

    outcome, design = deliver_row(row)
    assert outcome == {"sent": 1}
    assert design.images_ready
    mockups = _mockups(db_session, design)
    assert [(m.product, m.colour) for m in mockups] == MOCKUP_NAMES
    assert [m.position for m in mockups] == list(range(9))
    keys = [design.thumb_webp_key, design.thumb_jpeg_key, design.gallery_webp_key]
    keys += [design.gallery_jpeg_key, *(m.key for m in mockups)]
    for key in keys:
        assert key is not None and _on_disk(app, key), key
    assert design.thumb_webp_key.endswith(".webp") and design.gallery_jpeg_key.endswith(".jpg")
    assert all(m.key.endswith(".webp") for m in mockups)

    page = client.get(location).get_data(as_text=True)
    assert PENDING not in page and "Submit for voting" in page
    # The chosen products' mockups (tee and poster), and the artwork alone.
    shown = IMG_SRC.findall(page)
    assert f"/media/{mockups[0].key}" in shown and f"/media/{mockups[6].key}" in shown
    assert f"/media/{design.gallery_jpeg_key}" in shown
    mine = client.get("/my/designs").get_data(as_text=True)
    assert IMG_SRC.findall(mine) == [f"/media/{design.thumb_webp_key}"]


def test_a_second_delivery_changes_nothing(
    client: FlaskClient, app: Flask, db_session: Session, designer: Any, deliver_row: DeliverRow
) -> None:
    _upload(client)
    [row] = _rows(db_session)
    _, design = deliver_row(row)
    before = [(m.id, m.product, m.colour, m.key) for m in _mockups(db_session, design)]
    web = (design.thumb_webp_key, design.gallery_webp_key)
    with app.app_context():
        derivatives.send(design.id, design.original_key, app.extensions["cocreate.storage"])
        # Drawing the same master again makes the very same files.
        drawn = derivatives.draw(app.extensions["cocreate.storage"], design.original_key, 480 * 480)
    design = _design(db_session)
    assert [(m.id, m.product, m.colour, m.key) for m in _mockups(db_session, design)] == before
    assert (design.thumb_webp_key, design.gallery_webp_key) == web
    assert drawn.web["thumb_webp"] == design.thumb_webp_key
    assert list(drawn.mockups.values()) == [key for *_, key in before]


def test_a_row_for_replaced_artwork_does_nothing(
    client: FlaskClient, db_session: Session, designer: Any, deliver_row: DeliverRow
) -> None:
    location = _upload(client)
    first_key = _design(db_session).original_key
    design_id = _design(db_session).id
    response = client.post(
        f"/designs/{design_id}/edit",
        data=_form(artwork_png((520, 480))),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    first, second = _rows(db_session)
    design = _design(db_session)
    assert first.payload["original_key"] == first_key != design.original_key
    assert second.payload == {"design_id": design_id, "original_key": design.original_key}

    outcome, design = deliver_row(first)
    assert outcome == {"sent": 1}
    assert not design.images_ready and _mockups(db_session, design) == []
    assert PENDING in client.get(location).get_data(as_text=True)

    _, design = deliver_row(second)
    assert design.images_ready and (design.width, design.height) == (520, 480)
    assert len(_mockups(db_session, design)) == 9


def test_the_same_file_again_keeps_the_drawn_images_and_queues_nothing(
    client: FlaskClient, db_session: Session, designer: Any, deliver_row: DeliverRow
) -> None:
    _upload(client)
    [row] = _rows(db_session)
    _, design = deliver_row(row)
    thumb = design.thumb_webp_key
    response = client.post(
        f"/designs/{design.id}/edit",
        data=_form(artwork_png(), title="Sunny Side Up"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    design = _design(db_session)
    assert design.title == "Sunny Side Up" and design.thumb_webp_key == thumb
    assert len(_mockups(db_session, design)) == 9
    assert [r.id for r in _rows(db_session)] == [row.id]


def test_a_failed_job_stays_pending_with_its_attempt_and_writes_no_row(
    client: FlaskClient,
    db_session: Session,
    designer: Any,
    deliver_row: DeliverRow,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _upload(client)
    [row] = _rows(db_session)

    def full_disk(*_args: Any, **_kwargs: Any) -> dict[str, str]:
        raise OSError("disk full")

    monkeypatch.setattr(derivatives, "render_all_mockups", full_disk)
    outcome, design = deliver_row(row)
    assert outcome == {"pending": 1}
    [row] = _rows(db_session)
    assert row.status is OutboxStatus.PENDING and row.attempts == 1
    assert row.last_error == "OSError: disk full"
    assert design.thumb_webp_key is None and design.gallery_webp_key is None
    assert _mockups(db_session, design) == []

    # The retry, once due, draws them.
    monkeypatch.undo()
    outcome, design = deliver_row(row, now=row.next_attempt_at)
    assert outcome == {"sent": 1}
    assert design.images_ready and len(_mockups(db_session, design)) == 9


def test_submit_is_refused_while_the_mockups_are_drawn(
    client: FlaskClient, db_session: Session, designer: Any, deliver_row: DeliverRow
) -> None:
    _upload(client)
    design = _design(db_session)
    response = client.post(f"/designs/{design.id}/submit")
    assert response.status_code == 422
    assert (
        "Your mockups are still being drawn: submit the design once they show on its page."
        in response.get_data(as_text=True)
    )
    assert _design(db_session).state is DesignState.DRAFT

    [row] = _rows(db_session)
    deliver_row(row)
    assert client.post(f"/designs/{design.id}/submit").status_code == 302
    assert _design(db_session).state is DesignState.SUBMITTED


def test_the_pending_page_in_french(
    client: FlaskClient, db_session: Session, auth: Any, handed: list[list[int]]
) -> None:
    UserFactory(email="ana@example.test", locale="fr")
    auth.login("ana@example.test")
    page = client.get(_upload(client)).get_data(as_text=True)
    assert "Vos aperçus sont en cours de préparation — actualisez la page dans un instant." in page
    assert "Vous pourrez le proposer dès que ses aperçus seront prêts." in page
    form = client.get("/designs/new").get_data(as_text=True)
    assert 'data-msg-processing="Vérification et enregistrement de votre image…"' in form


FAILED = "We could not draw the mockups of this artwork. Upload it again."
FAILED_TO_STAFF = (
    "We could not draw the mockups of this design: its designer has to upload the artwork again."
)
SUBMIT_REFUSED = (
    "We could not draw the mockups of this artwork: upload it again, then submit the design."
)


def _full_disk(*_args: Any, **_kwargs: Any) -> dict[str, str]:
    raise OSError("disk full")


@pytest.mark.parametrize("again", [(480, 480), (520, 480)], ids=["same-file", "another-file"])
def test_a_job_failing_for_good_asks_for_the_artwork_again(
    client: FlaskClient,
    auth: Any,
    db_session: Session,
    designer: Any,
    deliver_row: DeliverRow,
    clock: TestClock,
    monkeypatch: pytest.MonkeyPatch,
    again: tuple[int, int],
) -> None:
    location = _upload(client)
    [row] = _rows(db_session)
    monkeypatch.setattr(derivatives, "render_all_mockups", _full_disk)
    # Attempts 1 to 7 of OUTBOX_MAX_ATTEMPTS (8) fail and are retried: the page still waits.
    for attempt in range(1, 8):
        clock.set(row.next_attempt_at)
        outcome, design = deliver_row(row)
        assert outcome == {"pending": 1}
        [row] = _rows(db_session)
        assert row.attempts == attempt
    assert design.images_failed_at is None
    assert PENDING in client.get(location).get_data(as_text=True)

    # The 8th fails for good, 1 + 2 + 4 + 8 + 16 + 32 + 60 minutes after the first.
    clock.set(row.next_attempt_at)
    outcome, design = deliver_row(row)
    assert outcome == {"failed": 1}
    [row] = _rows(db_session)
    assert row.status is OutboxStatus.FAILED and row.attempts == 8
    assert design.images_failed_at == datetime(2026, 3, 2, 11, 3, tzinfo=UTC)
    assert not design.images_ready and _mockups(db_session, design) == []

    page = client.get(location).get_data(as_text=True)
    assert FAILED in page and PENDING not in page
    assert f'href="/designs/{design.id}/edit">Upload the artwork again</a>' in page
    assert "Submit for voting" not in page
    assert "You can submit it once its mockups are drawn." not in page
    assert IMG_SRC.findall(page) == []
    assert FAILED in client.get("/my/designs").get_data(as_text=True)
    response = client.post(f"/designs/{design.id}/submit")
    assert response.status_code == 422
    assert SUBMIT_REFUSED in response.get_data(as_text=True)
    assert _design(db_session).state is DesignState.DRAFT

    StaffFactory(email="staff@example.test")
    auth.logout()
    auth.login("staff@example.test")
    page = client.get(location).get_data(as_text=True)
    assert FAILED_TO_STAFF in page and FAILED not in page and PENDING not in page

    # Uploading again (even the same file) clears the failure and queues a new job.
    auth.logout()
    auth.login("des@example.test")
    response = client.post(
        f"/designs/{design.id}/edit",
        data=_form(artwork_png(again)),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    failed, retry = _rows(db_session)
    assert failed.status is OutboxStatus.FAILED and retry.status is OutboxStatus.PENDING
    design = _design(db_session)
    assert design.images_failed_at is None and (design.width, design.height) == again
    page = client.get(location).get_data(as_text=True)
    assert PENDING in page and FAILED not in page
    assert "Upload the artwork again" not in page
    assert FAILED not in client.get("/my/designs").get_data(as_text=True)

    monkeypatch.undo()
    outcome, design = deliver_row(retry)
    assert outcome == {"sent": 1} and design.images_ready
    assert client.post(f"/designs/{design.id}/submit").status_code == 302
    assert _design(db_session).state is DesignState.SUBMITTED


@pytest.mark.parametrize("app_overrides", [{**SMALL, "OUTBOX_MAX_ATTEMPTS": 1}])
def test_the_row_keeps_the_drawing_error_when_the_mark_fails(
    client: FlaskClient,
    db_session: Session,
    designer: Any,
    deliver_row: DeliverRow,
    monkeypatch: pytest.MonkeyPatch,
    app_overrides: dict[str, Any],
) -> None:
    _upload(client)
    [row] = _rows(db_session)

    def database_gone(*_args: Any) -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr(derivatives, "render_all_mockups", _full_disk)
    monkeypatch.setattr(derivatives, "give_up", database_gone)
    outcome, design = deliver_row(row)
    assert outcome == {"failed": 1}
    [row] = _rows(db_session)
    assert row.last_error == "OSError: disk full"
    assert design.images_failed_at is None


def test_giving_up_concerns_only_the_current_artwork(
    client: FlaskClient, app: Flask, db_session: Session, designer: Any, deliver_row: DeliverRow
) -> None:
    location = _upload(client)
    design = _design(db_session)
    first_key = design.original_key
    response = client.post(
        f"/designs/{design.id}/edit",
        data=_form(artwork_png((520, 480))),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    _, second = _rows(db_session)
    failed_at = datetime(2026, 3, 2, 11, 3, tzinfo=UTC)
    with app.app_context():
        derivatives.give_up(design.id, first_key, failed_at)  # the replaced artwork's row
    assert _design(db_session).images_failed_at is None
    assert PENDING in client.get(location).get_data(as_text=True)

    with app.app_context():
        derivatives.give_up(design.id, second.payload["original_key"], failed_at)
    assert _design(db_session).images_failed_at == failed_at
    assert FAILED in client.get(location).get_data(as_text=True)

    # Should the images be drawn after all (a delivery whose lease ended), the mark goes.
    outcome, design = deliver_row(second)
    assert outcome == {"sent": 1}
    assert design.images_ready and design.images_failed_at is None
    page = client.get(location).get_data(as_text=True)
    assert FAILED not in page and PENDING not in page and "Submit for voting" in page


@pytest.mark.usefixtures("request_ctx")
def test_submit_refuses_a_design_whose_images_failed(db_session: Session) -> None:
    design = DesignFactory(
        thumb_webp_key=None,
        thumb_jpeg_key=None,
        gallery_webp_key=None,
        gallery_jpeg_key=None,
        images_failed_at=datetime(2026, 3, 2, 11, 3, tzinfo=UTC),
    )
    with pytest.raises(lifecycle.InvalidTransition) as refused:
        lifecycle.submit(db_session, design, design.designer)
    assert str(refused.value) == SUBMIT_REFUSED
    assert design.state is DesignState.DRAFT and design.submitted_at is None


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """A database of its own for a migration test: SQLite, or PostgreSQL when the run uses it."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
        return
    url, name = _create_postgres_database(base)
    yield url
    _drop_postgres_database(base, name)


def test_the_migration_marks_the_drafts_already_stuck(empty_database: str) -> None:
    config = alembic_config(empty_database)
    command.upgrade(config, "4bb7227f74a2")
    engine = create_engine(empty_database)
    at = "2026-03-02 09:00:00+00:00"
    designs = [
        # (id, original_key, thumb_webp_key, [(outbox status, key of the row)] oldest first)
        (1, "a.png", None, [("failed", "a.png")]),  # stuck
        (2, "b2.png", None, [("failed", "b1.png"), ("pending", "b2.png")]),  # replaced since
        (3, "c.png", None, [("failed", "c.png"), ("pending", "c.png")]),  # the same file again
        (4, "d.png", "d.webp", [("failed", "d.png")]),  # drawn after all
        (5, "e.png", None, [("sent", "e0.png"), ("failed", "e.png")]),  # stuck
        (6, "f.png", None, [("pending", "f.png")]),  # waiting for the job
    ]
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, email, display_name, password_hash, role, "
                "is_active_account, created_at, bio) VALUES "
                "(1, 'ines@example.test', 'Inès', 'x', 'member', true, :at, '')"
            ),
            {"at": at},
        )
        for design_id, key, thumb, rows in designs:
            conn.execute(
                text(
                    "INSERT INTO designs (id, designer_id, title, description, state, "
                    "state_reason, created_at, updated_at, original_key, thumb_webp_key, "
                    "width, height, vote_count, score_sum) VALUES (:id, 1, 'Art', '', 'draft', "
                    "'', :at, :at, :key, :thumb, 3000, 3000, 0, 0)"
                ),
                {"id": design_id, "key": key, "thumb": thumb, "at": at},
            )
            for status, row_key in rows:
                payload = json.dumps({"design_id": design_id, "original_key": row_key})
                conn.execute(
                    text(
                        "INSERT INTO outbox (kind, payload, status, attempts, next_attempt_at, "
                        "created_at) VALUES ('designs.images', :payload, :status, 8, :at, :at)"
                    ),
                    {"payload": payload, "status": status, "at": at},
                )
    command.upgrade(config, "6e2f0c9a41d7")
    with engine.connect() as conn:
        marked = conn.execute(
            text("SELECT id FROM designs WHERE images_failed_at IS NOT NULL ORDER BY id")
        )
        assert marked.scalars().all() == [1, 5]
    command.downgrade(config, "4bb7227f74a2")
    with engine.connect() as conn:
        assert "images_failed_at" not in {c["name"] for c in inspect(conn).get_columns("designs")}
    engine.dispose()

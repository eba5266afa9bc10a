"""Submitting, editing and viewing designs through the web pages."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image, ImageDraw
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocreate.designs.models import Design, DesignState, Mockup
from tests.accounts.factories import StaffFactory, UserFactory
from tests.designs.factories import DesignFactory, VotingDesignFactory

# Small print sizes keep the pipeline fast in these tests; the size rules have their own tests.
SMALL = {"PRODUCT_MIN_LONG_SIDE": {"tee": 300, "poster": 400}}


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return SMALL


def artwork_png(size: tuple[int, int] = (480, 480)) -> bytes:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((40, 40, size[0] - 40, size[1] - 40), fill=(230, 80, 40, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _form(data: bytes | None = None, **fields: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "title": "Sunny Side",
        "description": "Warm.",
        "tags": "Sun, Retro ,sun",
        "products": ["tee", "poster"],
    }
    form.update(fields)
    if data is not None:
        form["artwork"] = (io.BytesIO(data), "art.png")
    return form


def test_create_draft_with_artwork_and_mockups(
    client: FlaskClient, app: Flask, db_session: Session, designer: Any
) -> None:
    response = client.post(
        "/designs/new", data=_form(artwork_png()), content_type="multipart/form-data"
    )
    assert response.status_code == 302
    design = db_session.scalar(select(Design))
    assert design is not None and design.state is DesignState.DRAFT
    assert design.designer_id == designer.id
    assert [t.name for t in design.tags] == ["retro", "sun"]
    assert design.product_set == {"tee", "poster"}
    storage = app.extensions["cocreate.storage"]
    for key in (design.original_key, design.thumb_webp_key, design.gallery_jpeg_key):
        assert storage.exists(key)
    mockups = db_session.scalars(select(Mockup).where(Mockup.design_id == design.id)).all()
    assert {m.product for m in mockups} == {"tee", "poster", "tote"}
    assert {"white", "black"} <= {m.colour for m in mockups}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sunny Side" in page and "Submit for voting" in page
    for m in mockups:
        assert storage.exists(m.key)
        # Every product's mockups are drawn; the page shows those of the chosen products.
        assert (f"/media/{m.key}" in page) is (m.product in {"tee", "poster"})


def test_xhr_upload_gets_json(client: FlaskClient, db_session: Session, designer: Any) -> None:
    response = client.post(
        "/designs/new",
        data=_form(artwork_png()),
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.get_json()["redirect"].startswith("/designs/")
    response = client.post(
        "/designs/new",
        data=_form(b"not an image"),
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 422
    assert "artwork" in response.get_json()["errors"]


def test_the_upload_progress_says_what_the_request_does(client: FlaskClient, designer: Any) -> None:
    # The request checks and stores the artwork; the mockups are drawn by a job afterwards.
    page = client.get("/designs/new").get_data(as_text=True)
    assert 'data-msg-processing="Checking and saving your artwork…"' in page


def test_too_small_for_print_says_what_to_do(
    client: FlaskClient, db_session: Session, designer: Any
) -> None:
    response = client.post(
        "/designs/new",
        data=_form(artwork_png((200, 150)), products=["tee"]),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "This image is 200×150 px; T-shirt prints need at least 300 px on the long side." in text
    assert db_session.scalar(select(func.count()).select_from(Design)) == 0


def test_missing_artwork_or_title(client: FlaskClient, db_session: Session, designer: Any) -> None:
    response = client.post("/designs/new", data=_form(None), content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose an artwork file to upload." in response.get_data(as_text=True)
    response = client.post(
        "/designs/new",
        data=_form(artwork_png(), title="", products=[]),
        content_type="multipart/form-data",
    )
    text = response.get_data(as_text=True)
    assert "This field is required." in text
    assert "Choose at least one product for your design." in text
    assert db_session.scalar(select(func.count()).select_from(Design)) == 0


def test_edit_submit_withdraw(client: FlaskClient, db_session: Session, designer: Any) -> None:
    client.post("/designs/new", data=_form(artwork_png()), content_type="multipart/form-data")
    design = db_session.scalar(select(Design))
    assert design is not None
    response = client.post(
        f"/designs/{design.id}/edit",
        data=_form(None, title="Sunnier Side", tags="summer", products=["tee"]),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db_session.refresh(design)
    assert design.title == "Sunnier Side" and design.product_set == {"tee"}
    assert [t.name for t in design.tags] == ["summer"]

    assert client.post(f"/designs/{design.id}/submit").status_code == 302
    db_session.refresh(design)
    assert design.state is DesignState.SUBMITTED
    response = client.get(f"/designs/{design.id}/edit", follow_redirects=True)
    assert "Only drafts can be edited." in response.get_data(as_text=True)

    mine = client.get("/my/designs").get_data(as_text=True)
    assert "Sunnier Side" in mine and "waiting for screening" in mine
    client.post(f"/designs/{design.id}/withdraw")
    db_session.refresh(design)
    assert design.state is DesignState.WITHDRAWN


def test_private_designs_hidden_from_others(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    draft = DesignFactory()
    UserFactory(email="other@example.test")
    assert client.get(f"/designs/{draft.id}").status_code == 404
    auth.login("other@example.test")
    assert client.get(f"/designs/{draft.id}").status_code == 404
    assert client.get(f"/designs/{draft.id}/edit").status_code == 404
    assert client.post(f"/designs/{draft.id}/submit").status_code == 404
    public = VotingDesignFactory()
    assert client.get(f"/designs/{public.id}").status_code == 200
    assert client.get(f"/designs/{public.id}/edit").status_code == 403
    assert client.post(f"/designs/{public.id}/withdraw").status_code == 403
    db_session.refresh(public)
    assert public.state is DesignState.VOTING


def test_staff_screening_flow(client: FlaskClient, auth: Any, db_session: Session) -> None:
    StaffFactory(email="staff@example.test")
    waiting = DesignFactory(state=DesignState.SUBMITTED, title="Waiting One")
    other = DesignFactory(state=DesignState.SUBMITTED, title="Bad One")
    auth.login("staff@example.test")
    page = client.get("/staff/screening").get_data(as_text=True)
    assert "Waiting One" in page and "Bad One" in page
    client.post(f"/staff/designs/{waiting.id}/accept")
    response = client.post(
        f"/staff/designs/{other.id}/reject", data={"reason": ""}, follow_redirects=True
    )
    assert "Please give a reason" in response.get_data(as_text=True)
    client.post(f"/staff/designs/{other.id}/reject", data={"reason": "Not your artwork."})
    db_session.refresh(waiting)
    db_session.refresh(other)
    assert waiting.state is DesignState.VOTING
    assert other.state is DesignState.REJECTED and other.state_reason == "Not your artwork."
    assert "Nothing to screen" in client.get("/staff/screening").get_data(as_text=True)


def test_designer_sees_rejection_reason(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    design = DesignFactory(state=DesignState.REJECTED, state_reason="Blurry print file.")
    auth.login(design.designer.email)
    assert "Blurry print file." in client.get(f"/designs/{design.id}").get_data(as_text=True)
    assert "Blurry print file." in client.get("/my/designs").get_data(as_text=True)


def test_staff_removes_with_reason(client: FlaskClient, auth: Any, db_session: Session) -> None:
    StaffFactory(email="staff@example.test")
    design = VotingDesignFactory()
    auth.login("staff@example.test")
    client.post(f"/staff/designs/{design.id}/remove", data={"reason": "Hateful content."})
    db_session.refresh(design)
    assert design.state is DesignState.REMOVED
    client.post("/logout")
    assert client.get(f"/designs/{design.id}").status_code == 404


def test_colour_picker_without_js(client: FlaskClient, db_session: Session, designer: Any) -> None:
    client.post("/designs/new", data=_form(artwork_png()), content_type="multipart/form-data")
    design = db_session.scalar(select(Design))
    assert design is not None
    black = db_session.scalar(
        select(Mockup).where(
            Mockup.design_id == design.id, Mockup.product == "tee", Mockup.colour == "black"
        )
    )
    assert black is not None
    page = client.get(f"/designs/{design.id}?colour=black").get_data(as_text=True)
    assert f'id="tee-mockup" src="/media/{black.key}"' in page
    assert client.get(f"/designs/{design.id}?colour=nonsense").status_code == 200


def test_replace_artwork_on_draft(
    client: FlaskClient, app: Flask, db_session: Session, designer: Any
) -> None:
    client.post("/designs/new", data=_form(artwork_png()), content_type="multipart/form-data")
    design = db_session.scalar(select(Design))
    assert design is not None
    old_keys = {(m.product, m.colour): m.key for m in design.mockups}
    response = client.post(
        f"/designs/{design.id}/edit",
        data=_form(artwork_png((600, 500))),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db_session.expire_all()
    design = db_session.get(Design, design.id)
    assert design is not None and (design.width, design.height) == (600, 500)
    new_keys = {(m.product, m.colour): m.key for m in design.mockups}
    black_tee = ("tee", "black")
    assert set(new_keys) == set(old_keys) and new_keys[black_tee] != old_keys[black_tee]
    count = db_session.scalar(select(func.count()).select_from(Mockup))
    assert count == len(old_keys)


def test_edit_without_tags_field_clears_tags(
    client: FlaskClient, db_session: Session, designer: Any
) -> None:
    client.post("/designs/new", data=_form(artwork_png()), content_type="multipart/form-data")
    design = db_session.scalar(select(Design))
    assert design is not None
    form = _form(None)
    del form["tags"]
    response = client.post(
        f"/designs/{design.id}/edit", data=form, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    db_session.refresh(design)
    assert design.tags == []


def test_adding_poster_needs_larger_artwork(
    client: FlaskClient, db_session: Session, designer: Any
) -> None:
    client.post(
        "/designs/new",
        data=_form(artwork_png((350, 350)), products=["tee"]),
        content_type="multipart/form-data",
    )
    design = db_session.scalar(select(Design))
    assert design is not None
    response = client.post(
        f"/designs/{design.id}/edit",
        data=_form(None, products=["tee", "poster"]),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "This image is 350×350 px; Poster prints need at least 400 px" in response.get_data(
        as_text=True
    )
    db_session.refresh(design)
    assert design.product_set == {"tee"}

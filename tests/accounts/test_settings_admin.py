from __future__ import annotations

import io
import re

from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy.orm import Session

from cocreate.accounts.models import Role
from cocreate.accounts.passwords import verify_password
from cocreate.core import mail
from tests.accounts.factories import PASSWORD, AdminFactory, UserFactory


def test_profile_settings_saved(client: FlaskClient, auth: object, db_session: Session) -> None:
    user = UserFactory(email="ana@example.test")
    auth.login("ana@example.test")  # type: ignore[attr-defined]
    response = client.post(
        "/settings",
        data={
            "display_name": "Ana B",
            "bio": "I draw cats.",
            "locale": "fr",
            "timezone": "America/Montreal",
        },
    )
    assert response.status_code == 302
    db_session.refresh(user)
    assert (user.display_name, user.bio, user.locale, user.timezone) == (
        "Ana B",
        "I draw cats.",
        "fr",
        "America/Montreal",
    )
    page = client.get(f"/designers/{user.id}").get_data(as_text=True)
    assert "I draw cats." in page


def test_avatar_upload_strips_and_resizes(
    client: FlaskClient, auth: object, app: Flask, db_session: Session
) -> None:
    user = UserFactory(email="ana@example.test")
    auth.login("ana@example.test")  # type: ignore[attr-defined]
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), "teal").save(buffer, "JPEG", comment=b"secret comment")
    buffer.seek(0)
    response = client.post(
        "/settings",
        data={
            "display_name": "Ana",
            "bio": "",
            "locale": "en",
            "timezone": "Europe/Paris",
            "avatar": (buffer, "me.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db_session.refresh(user)
    assert user.avatar_key and user.avatar_key.endswith(".webp")
    served = client.get(f"/media/{user.avatar_key}")
    assert served.status_code == 200
    assert b"secret comment" not in served.data
    assert Image.open(io.BytesIO(served.data)).size == (256, 256)


def test_avatar_not_an_image(client: FlaskClient, auth: object, db_session: Session) -> None:
    user = UserFactory(email="ana@example.test")
    auth.login("ana@example.test")  # type: ignore[attr-defined]
    response = client.post(
        "/settings",
        data={
            "display_name": "Ana",
            "bio": "",
            "locale": "en",
            "timezone": "Europe/Paris",
            "avatar": (io.BytesIO(b"hello"), "me.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "not an image we can read" in response.get_data(as_text=True)
    db_session.refresh(user)
    assert user.avatar_key is None


def test_change_password_requires_current(
    client: FlaskClient, auth: object, db_session: Session
) -> None:
    user = UserFactory(email="ana@example.test")
    auth.login("ana@example.test")  # type: ignore[attr-defined]
    response = client.post(
        "/settings/password",
        data={
            "password-current_password": "wrong",
            "password-password": "a fresh passphrase",
            "password-confirm": "a fresh passphrase",
        },
    )
    assert response.status_code == 422
    assert "Your current password is not right." in response.get_data(as_text=True)
    response = client.post(
        "/settings/password",
        data={
            "password-current_password": PASSWORD,
            "password-password": "a fresh passphrase",
            "password-confirm": "a fresh passphrase",
        },
    )
    assert response.status_code == 302
    db_session.refresh(user)
    assert verify_password(user.password_hash, "a fresh passphrase")
    assert client.get("/settings").status_code == 200  # this session stays logged in


def test_change_email_reverifies(
    client: FlaskClient, auth: object, app: Flask, db_session: Session
) -> None:
    user = UserFactory(email="ana@example.test")
    UserFactory(email="taken@example.test")
    auth.login("ana@example.test")  # type: ignore[attr-defined]
    response = client.post(
        "/settings/email",
        data={"email-email": "taken@example.test", "email-current_password": PASSWORD},
    )
    assert "An account already uses this email." in response.get_data(as_text=True)
    response = client.post(
        "/settings/email",
        data={"email-email": "ana@new.example", "email-current_password": PASSWORD},
    )
    assert response.status_code == 302
    db_session.refresh(user)
    assert user.email == "ana@new.example" and user.email_verified_at is None
    recipients = {m.to for m in mail.outbox(app)}
    assert recipients == {"ana@example.test", "ana@new.example"}


def test_admin_grants_and_revokes_staff(
    client: FlaskClient, auth: object, db_session: Session
) -> None:
    AdminFactory(email="admin@example.test")
    member = UserFactory(email="m@example.test")
    auth.login("admin@example.test")  # type: ignore[attr-defined]
    page = client.get("/admin/users?q=m@example").get_data(as_text=True)
    assert "m@example.test" in page
    assert client.post(f"/admin/users/{member.id}/role", data={"role": "staff"}).status_code == 302
    db_session.refresh(member)
    assert member.role is Role.STAFF
    client.post(f"/admin/users/{member.id}/role", data={"role": "member"})
    db_session.refresh(member)
    assert member.role is Role.MEMBER


def test_admin_cannot_demote_self(client: FlaskClient, auth: object, db_session: Session) -> None:
    admin = AdminFactory(email="admin@example.test")
    auth.login("admin@example.test")  # type: ignore[attr-defined]
    response = client.post(
        f"/admin/users/{admin.id}/role", data={"role": "member"}, follow_redirects=True
    )
    assert "cannot remove your own administrator role" in response.get_data(as_text=True)
    db_session.refresh(admin)
    assert admin.role is Role.ADMIN


def test_password_change_logs_out_other_sessions(app: Flask, db_session: Session) -> None:
    UserFactory(email="ana@example.test")
    first, second = app.test_client(), app.test_client()
    for c in (first, second):
        c.post("/login", data={"email": "ana@example.test", "password": PASSWORD})
    first.post(
        "/settings/password",
        data={
            "password-current_password": PASSWORD,
            "password-password": "a fresh passphrase",
            "password-confirm": "a fresh passphrase",
        },
    )
    assert first.get("/settings").status_code == 200
    assert second.get("/settings").status_code == 302


def test_outbox_page_lists_mail(client: FlaskClient, app: Flask, db_session: Session) -> None:
    client.post(
        "/signup",
        data={
            "email": "zed@example.test",
            "display_name": "Zed",
            "password": "a long enough passphrase",
        },
    )
    page = client.get("/dev/outbox").get_data(as_text=True)
    assert "Confirm your email address for cocreate" in page
    assert re.search(r'href="http://localhost/verify/[^"]+"', page)

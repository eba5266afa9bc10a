"""Which language a visitor gets, the switcher, and emails in the recipient's language."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from cocreate.core import mail
from tests.accounts.factories import UserFactory

FR = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}


def test_accept_language_french(client: FlaskClient) -> None:
    html = client.get("/", headers=FR).get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "Se connecter" in html


def test_default_is_english(client: FlaskClient) -> None:
    html = client.get("/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '<html lang="en">' in html


def test_french_pages(client: FlaskClient) -> None:
    for path in ("/signup", "/login", "/password/forgot"):
        html = client.get(path, headers=FR).get_data(as_text=True)
        assert '<html lang="fr">' in html, path
    assert "Mot de passe" in client.get("/login", headers=FR).get_data(as_text=True)
    missing = client.get("/nothing-here", headers=FR)
    assert missing.status_code == 404
    assert "Page introuvable" in missing.get_data(as_text=True)


def test_switcher_sets_cookie_and_returns_to_page(client: FlaskClient) -> None:
    response = client.post("/language", data={"locale": "fr", "next": "/login?x=1"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?x=1"
    html = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="fr">' in html


def test_switcher_refuses_foreign_redirect_and_unknown_locale(client: FlaskClient) -> None:
    response = client.post("/language", data={"locale": "fr", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
    assert client.post("/language", data={"locale": "xx"}).status_code == 400


def test_member_choice_saved_and_beats_browser(
    client: FlaskClient, auth: object, db_session: Session
) -> None:
    user = UserFactory(email="ana@example.test", locale="en")
    auth.login("ana@example.test")  # type: ignore[attr-defined]
    client.post("/language", data={"locale": "fr", "next": "/"})
    db_session.refresh(user)
    assert user.locale == "fr"
    client.delete_cookie("locale")
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="fr">' in html


def test_emails_go_out_in_recipient_language(
    client: FlaskClient, app: Flask, db_session: Session
) -> None:
    UserFactory(email="fr@example.test", locale="fr")
    # The visitor asking reads English; the account holder reads French.
    client.post(
        "/password/forgot", data={"email": "fr@example.test"}, headers={"Accept-Language": "en"}
    )
    sent = mail.outbox(app)[0]
    assert sent.locale == "fr"
    assert sent.subject == "Choisissez un nouveau mot de passe cocreate"


def test_verification_email_in_french_on_french_signup(client: FlaskClient, app: Flask) -> None:
    client.post(
        "/signup",
        headers=FR,
        data={
            "email": "new@example.test",
            "display_name": "Néo",
            "password": "une phrase assez longue",
        },
    )
    sent = mail.outbox(app)[0]
    assert sent.locale == "fr"
    assert "Bonjour Néo" in sent.body


def test_wtforms_own_messages_translated(client: FlaskClient) -> None:
    response = client.post("/login", data={}, headers=FR)
    assert "Ce champ est requis." in response.get_data(as_text=True)

"""Dates in emails read like a person wrote them: no seconds, the zone by its city, in the
recipient's language and timezone."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from flask import Flask

from cocreate.core.mail import render_mail

ENDS = datetime(2026, 12, 9, 2, 49, 45, tzinfo=UTC)


def _voting_open(app: Flask, locale: str, timezone: str) -> str:
    user = SimpleNamespace(display_name="Inès", timezone=timezone)
    design = SimpleNamespace(title="Midnight Tide", voting_ends_at=ENDS)
    with app.test_request_context():
        mail = render_mail(
            "design_voting_open",
            to="ines@example.test",
            locale=locale,
            user=user,
            design=design,
            link="http://localhost/designs/1",
        )
    return mail.body


@pytest.mark.parametrize(
    ("locale", "timezone", "sentence"),
    [
        (
            "en",
            "Europe/Paris",
            "Your design “Midnight Tide” is now open to the community's votes until "
            "December 9, 2026 at 3:49\u202fAM (Paris time).",
        ),
        (
            "fr",
            "Europe/Paris",
            "Votre création «\u00a0Midnight Tide\u00a0» est désormais soumise aux votes de la "
            "communauté "
            "jusqu’au 9 décembre 2026 à 03:49 (heure\u00a0: Paris).",
        ),
        (
            "fr",
            "Europe/London",
            "Votre création «\u00a0Midnight Tide\u00a0» est désormais soumise aux votes de la "
            "communauté "
            "jusqu’au 9 décembre 2026 à 02:49 (heure\u00a0: Londres).",
        ),
        (
            "en",
            "America/Argentina/Buenos_Aires",
            "Your design “Midnight Tide” is now open to the community's votes until "
            "December 8, 2026 at 11:49\u202fPM (Buenos Aires time).",
        ),
        (
            "en",
            "America/Montreal",
            "Your design “Midnight Tide” is now open to the community's votes until "
            "December 8, 2026 at 9:49\u202fPM (Montreal time).",
        ),
    ],
)
def test_voting_open_email_date(app: Flask, locale: str, timezone: str, sentence: str) -> None:
    body = _voting_open(app, locale, timezone)
    assert sentence in body
    assert ":45" not in body

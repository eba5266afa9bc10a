"""Voting: votes and ranking, vote integrity, critique comments, following, notifications."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported here, not at the top: importing the models must not pull in the views.
    from cocreate.voting import models  # noqa: F401  (tables known to the metadata)

    _init_integrity(app)


def _init_integrity(app: Flask) -> None:
    """Vote integrity: flags for staff, discount and restore (`/staff/votes/flags`)."""
    from cocreate.voting import flag_models  # noqa: F401  (tables known to the metadata)
    from cocreate.voting.flag_text import signal_label
    from cocreate.voting.staff_views import bp as vote_staff_bp

    app.register_blueprint(vote_staff_bp)
    # The results page names discount categories with the same words staff see.
    app.jinja_env.globals.update(vote_signal_label=signal_label)

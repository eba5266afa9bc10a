"""Voting: votes and ranking, vote integrity, critique comments, following, notifications."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported here, not at the top: importing the models must not pull in the views.
    from cocreate.voting import models  # noqa: F401  (tables known to the metadata)

    _init_comments(app)


# --- Critique comments ---------------------------------------------------------------------------


def _init_comments(app: Flask) -> None:
    from cocreate.designs import page_sections
    from cocreate.voting import comment_models  # noqa: F401  (tables known to the metadata)
    from cocreate.voting.comment_text import render_body
    from cocreate.voting.comment_views import bp, render_discussion

    app.register_blueprint(bp)
    page_sections.register(app, "discussion", render_discussion)
    app.jinja_env.filters["comment_html"] = render_body

"""Voting: votes and ranking, vote integrity, critique comments, following, notifications."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported here, not at the top: importing the models must not pull in the views.
    from cocreate.voting import models  # noqa: F401  (tables known to the metadata)

    _init_votes(app)


# --- Votes and ranking: the vote route, "How ranking works", the design page's vote panel,
# --- `flask voting close-expired` / `refresh-ranking`, the score filter. ---------------------
def _init_votes(app: Flask) -> None:
    from cocreate.designs import page_sections
    from cocreate.voting import panel
    from cocreate.voting.cli import voting_cli
    from cocreate.voting.views import bp as voting_bp

    app.register_blueprint(voting_bp)
    app.cli.add_command(voting_cli)
    # The panel's stylesheet and vote.js come with the section (voting/section.html).
    page_sections.register(app, "aside", panel.render_section)
    app.jinja_env.filters["score"] = panel.format_score

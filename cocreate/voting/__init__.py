"""Voting: votes and ranking, vote integrity, critique comments, following, notifications."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported here, not at the top: importing the models must not pull in the views.
    from cocreate.voting import models  # noqa: F401  (tables known to the metadata)

    init_notifications(app)
    _init_comments(app)
    _init_integrity(app)
    _init_votes(app)


# Following and notifications -----------------------------------------------------------------


def init_notifications(app: Flask) -> None:
    from flask import g
    from flask_login import current_user
    from markupsafe import Markup

    from cocreate.accounts.models import User
    from cocreate.core import db
    from cocreate.core.lifecycle import transitioned
    from cocreate.designs.models import Design
    from cocreate.voting import (
        follows,
        notifications,
        notify_inbox,
        notify_models,  # noqa: F401  (tables known to the metadata)
    )
    from cocreate.voting.notify_views import bp as notifications_bp

    app.register_blueprint(notifications_bp)
    # The signal is process-wide and blinker keeps one connection per (receiver, sender): an
    # app made again (tests make one per test) connects the same function, a no-op.
    transitioned.connect(notifications.on_design_transition, sender=Design)

    def unread_notifications() -> int:
        """The nav badge: one indexed COUNT per page for a logged-in member, none otherwise.
        A function, not a value, so emails and pages without the nav never query."""
        if not current_user.is_authenticated:
            return 0
        if "unread_notifications" not in g:
            g.unread_notifications = notify_inbox.unread_count(db.session(), current_user.id)
        count: int = g.unread_notifications
        return count

    @app.context_processor
    def notification_context() -> dict[str, object]:
        return {"unread_notifications": unread_notifications}

    def follow_panel(profile: User) -> Markup:
        """The follower count and the follow button on a designer's profile (site's page)."""
        from flask import render_template

        session = db.session()
        following = current_user.is_authenticated and follows.is_following(
            session, current_user.id, profile.id
        )
        html = render_template(
            "voting/notifications_follow.html",
            profile=profile,
            followers=follows.follower_count(session, profile.id),
            following=following,
        )
        return Markup(html)  # noqa: S704  (a rendered, autoescaped template)

    app.jinja_env.globals.update(follow_panel=follow_panel)


# --- Critique comments ---------------------------------------------------------------------------


def _init_comments(app: Flask) -> None:
    from cocreate.designs import page_sections
    from cocreate.voting import comment_models  # noqa: F401  (tables known to the metadata)
    from cocreate.voting.comment_text import render_body
    from cocreate.voting.comment_views import bp, render_discussion

    app.register_blueprint(bp)
    page_sections.register(app, "discussion", render_discussion)
    app.jinja_env.filters["comment_html"] = render_body


# --- Vote integrity ----------------------------------------------------------------------


def _init_integrity(app: Flask) -> None:
    """Vote integrity: flags for staff, discount and restore (`/staff/votes/flags`)."""
    from cocreate.voting import flag_models  # noqa: F401  (tables known to the metadata)
    from cocreate.voting.flag_text import signal_label
    from cocreate.voting.staff_views import bp as vote_staff_bp

    app.register_blueprint(vote_staff_bp)
    # The results page names discount categories with the same words staff see.
    app.jinja_env.globals.update(vote_signal_label=signal_label)


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

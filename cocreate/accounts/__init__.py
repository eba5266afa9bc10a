"""Accounts: members, sessions, roles and settings."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported here, not at the top: importing `cocreate.accounts.models` (as Alembic and
    # other domains do) must not pull in the views and, through them, the whole app.
    from cocreate.accounts import auth
    from cocreate.accounts.admin_views import bp as admin_bp
    from cocreate.accounts.avatars import avatar_access
    from cocreate.accounts.cli import users_cli
    from cocreate.accounts.models import User
    from cocreate.accounts.views import bp as accounts_bp
    from cocreate.core import media, storage_gc

    auth.init_app(app)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(admin_bp)
    media.register_guard(app, avatar_access)
    storage_gc.register_key_columns(app, User.avatar_key)
    app.cli.add_command(users_cli)

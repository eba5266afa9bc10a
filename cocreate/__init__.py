"""cocreate: a self-hostable co-creation marketplace."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from cocreate import (
    accounts,
    demo,
    designs,
    payments,
    production,
    royalties,
    shop,
    site,
    voting,
)
from cocreate.config import Config
from cocreate.core import clock

csrf = CSRFProtect()

#: Each domain registers its own blueprints, commands, media guards and template globals, in
#: this order: a domain comes after the ones it builds on. `site` combines them; `demo` seeds them.
DOMAINS = (accounts, designs, voting, production, shop, payments, royalties, site, demo)


def create_app(config: Config | dict[str, Any] | None = None) -> Flask:
    """Build the app. No I/O: the database is first touched by the first request or command."""
    if not isinstance(config, Config):
        config = Config.from_env(**(config or {}))
    config.validate()

    app = Flask(__name__, instance_relative_config=False)
    app.config.from_mapping(config.flask_settings())
    app.extensions["cocreate.config"] = config
    clock.init_app(app)
    register_logging(app, config)
    register_proxy(app, config)
    register_extensions(app, config)
    register_core_routes(app)
    for domain in DOMAINS:
        domain.init_app(app)
    return app


def register_logging(app: Flask, config: Config) -> None:
    from cocreate.core import logs, metrics

    # First: the request id and timer wrap every other step of a request.
    logs.init_app(app, config)
    metrics.init_app(app)


def register_proxy(app: Flask, config: Config) -> None:
    if config.PROXY_COUNT:
        n = config.PROXY_COUNT
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]


def register_extensions(app: Flask, config: Config) -> None:
    from cocreate.core import db, errors, i18n, inputs, mail, security, storage
    from cocreate.core.ratelimit import limiter

    db.init_app(app, config.database_url(app.instance_path))
    inputs.init_app(app)
    csrf.init_app(app)
    i18n.init_app(app)
    limiter.init_app(app)
    mail.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    app.extensions["cocreate.storage"] = storage.make_storage(app.config)


def register_core_routes(app: Flask) -> None:
    from cocreate.core import media, static_files
    from cocreate.core.cli import db_cli
    from cocreate.core.storage_cli import storage_cli
    from cocreate.core.views import bp as core_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(media.bp)
    static_files.init_app(app)
    app.cli.add_command(db_cli)
    app.cli.add_command(storage_cli)

from __future__ import annotations

import pytest

from cocreate import create_app
from cocreate.config import DEV_SECRET_KEY, Config, ConfigError

STRONG = "x" * 40


def test_defaults_are_development_sqlite() -> None:
    config = Config.from_env({})
    config.validate()
    assert config.database_url("/srv/instance") == "sqlite:////srv/instance/cocreate.sqlite3"
    assert config.flask_settings()["RATELIMIT_STORAGE_URI"] == "memory://"


def test_environment_overrides_with_types() -> None:
    config = Config.from_env(
        {
            "SCREENING": "off",
            "MAX_CONTENT_LENGTH": "1000",
            "LOCALES": "en, fr",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "DATABASE_URL": "postgres://u@h/db",
        }
    )
    assert config.SCREENING is False and config.MAX_CONTENT_LENGTH == 1000
    assert config.LOCALES == ("en", "fr")
    assert config.flask_settings()["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert config.database_url("/x") == "postgresql+psycopg://u@h/db"


def test_bad_values_fail_fast() -> None:
    with pytest.raises(ConfigError, match="whole number"):
        Config.from_env({"MAX_CONTENT_LENGTH": "lots"})
    with pytest.raises(ConfigError, match="boolean"):
        Config.from_env({"SCREENING": "maybe"})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SECRET_KEY": DEV_SECRET_KEY}, "SECRET_KEY"),
        ({"PAYMENT_GATEWAY": "demo"}, "demo payment gateway"),
        ({"DATABASE_URL": ""}, "DATABASE_URL"),
    ],
)
def test_production_refuses_unsafe_settings(env: dict[str, str], message: str) -> None:
    base = {
        "ENV": "production",
        "SECRET_KEY": STRONG,
        "PAYMENT_GATEWAY": "stripe",
        "STRIPE_SECRET_KEY": "sk_test_x",
        "DATABASE_URL": "postgresql://h/db",
    }
    Config.from_env(base).validate()
    with pytest.raises(ConfigError, match=message):
        Config.from_env({**base, **env}).validate()
    with pytest.raises(ConfigError):
        create_app(Config.from_env({**base, **env}))


def test_production_cookies_and_hsts() -> None:
    app = create_app(
        Config.from_env(
            {
                "ENV": "production",
                "SECRET_KEY": STRONG,
                "PAYMENT_GATEWAY": "stripe",
                "STRIPE_SECRET_KEY": "sk_test_x",
                "DATABASE_URL": "sqlite:///:memory:",
            }
        )
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = app.test_client().get("/no-such-page")
    assert "max-age" in response.headers["Strict-Transport-Security"]

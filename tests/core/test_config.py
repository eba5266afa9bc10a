from __future__ import annotations

import pytest

from cocreate import create_app
from cocreate.config import DEV_SECRET_KEY, Config, ConfigError
from cocreate.core.storage import LocalStorage, S3Storage

STRONG = "x" * 40
PRODUCTION = {
    "ENV": "production",
    "SECRET_KEY": STRONG,
    "PAYMENT_GATEWAY": "stripe",
    "STRIPE_SECRET_KEY": "sk_test_x",
    "DATABASE_URL": "postgresql://h/db",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "SMTP_HOST": "smtp.example.org",
    "PUBLIC_URL": "https://shop.example.org",
}


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
        ({"REDIS_URL": ""}, "REDIS_URL"),
        ({"SMTP_HOST": ""}, "SMTP_HOST"),
        ({"PUBLIC_URL": "http://shop.example.org"}, "PUBLIC_URL"),
    ],
)
def test_production_refuses_unsafe_settings(env: dict[str, str], message: str) -> None:
    Config.from_env(PRODUCTION).validate()
    with pytest.raises(ConfigError, match=message):
        Config.from_env({**PRODUCTION, **env}).validate()
    with pytest.raises(ConfigError):
        create_app(Config.from_env({**PRODUCTION, **env}))


def test_production_cookies_hsts_and_trusted_host() -> None:
    app = create_app(Config.from_env({**PRODUCTION, "DATABASE_URL": "sqlite:///:memory:"}))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    client = app.test_client()
    response = client.get("/no-such-page", base_url="https://shop.example.org")
    assert response.status_code == 404
    assert "max-age" in response.headers["Strict-Transport-Security"]
    # A forged Host is refused before any page (or email link) is built from it.
    assert client.get("/no-such-page", base_url="https://evil.example").status_code == 400


def test_s3_settings_switch_storage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    env = {"S3_BUCKET": "art", "S3_ENDPOINT_URL": "http://127.0.0.1:9", "S3_REGION": "eu-west-3"}
    app = create_app(Config.from_env(env))
    assert isinstance(app.extensions["cocreate.storage"], S3Storage)
    assert isinstance(create_app(Config.from_env({})).extensions["cocreate.storage"], LocalStorage)


def test_demo_seed_refused_in_production() -> None:
    app = create_app(Config.from_env({**PRODUCTION, "DATABASE_URL": "sqlite:///:memory:"}))
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code != 0
    assert "never seeded in production" in result.output

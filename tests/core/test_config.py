from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from cocreate import create_app
from cocreate.config import (
    DEV_SECRET_KEY,
    Config,
    ConfigError,
    Tier,
    Tiers,
    override,
    settings,
)
from cocreate.core.storage import LocalStorage, S3Storage

STRONG = "x" * 40
PRODUCTION = {
    "ENV": "production",
    "SECRET_KEY": STRONG,
    "PAYMENT_GATEWAY": "stripe",
    "STRIPE_SECRET_KEY": "sk_test_x",
    "STRIPE_WEBHOOK_SECRET": "whsec_x",
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


# --- Parsing by annotation -----------------------------------------------------------------------


@dataclass
class ShopConfig(Config):
    """Fields the money domains will declare; the parsers are tested on them here."""

    BASE_PRICE: Decimal = Decimal("25.00")
    SHIPPING_RATES: dict[str, int] = field(default_factory=dict)
    VAT_RATES: dict[str, Decimal] = field(default_factory=dict)
    CARRIERS: dict[str, str] = field(default_factory=dict)
    ROYALTY_TIERS: Tiers = (Tier(1, None, Decimal("0.10")),)


def test_decimal_is_exact_from_the_text() -> None:
    config = ShopConfig.from_env({"BASE_PRICE": " 19.90 "})
    assert Decimal("19.90") == config.BASE_PRICE
    assert str(config.BASE_PRICE) == "19.90"
    assert Decimal("0.1") == ShopConfig.from_env({"BASE_PRICE": "0.1"}).BASE_PRICE
    assert Decimal("25.00") == ShopConfig.from_env({}).BASE_PRICE


@pytest.mark.parametrize("raw", ["", "abc", "1,50", "NaN", "Infinity", "12 €"])
def test_bad_decimal_names_the_variable(raw: str) -> None:
    with pytest.raises(ConfigError) as error:
        ShopConfig.from_env({"BASE_PRICE": raw})
    assert str(error.value).startswith("BASE_PRICE must be a decimal number such as 0.20")


def test_bad_decimal_message_in_full() -> None:
    with pytest.raises(ConfigError) as error:
        ShopConfig.from_env({"BASE_PRICE": "abc"})
    assert str(error.value) == "BASE_PRICE must be a decimal number such as 0.20, got 'abc'"


def test_tables_from_key_value_pairs() -> None:
    config = ShopConfig.from_env(
        {
            "SHIPPING_RATES": "FR=490,DE=690",
            "VAT_RATES": "FR=0.20, DE = 0.19",
            "CARRIERS": "FR=colissimo,DE=dhl",
        }
    )
    assert config.SHIPPING_RATES == {"FR": 490, "DE": 690}
    assert {"FR": Decimal("0.20"), "DE": Decimal("0.19")} == config.VAT_RATES
    assert str(config.VAT_RATES["FR"]) == "0.20"
    assert config.CARRIERS == {"FR": "colissimo", "DE": "dhl"}
    assert ShopConfig.from_env({"VAT_RATES": ""}).VAT_RATES == {}


def test_tables_from_json_keep_decimals_exact() -> None:
    config = ShopConfig.from_env(
        {
            "SHIPPING_RATES": '{"FR": 490, "DE": "690"}',
            "VAT_RATES": '{"FR": 0.20, "DE": "0.19", "CH": 0.077}',
            "CARRIERS": ' {"FR": "colissimo"}',
        }
    )
    assert config.SHIPPING_RATES == {"FR": 490, "DE": 690}
    # Through a float, 0.077 would become 0.07699999999999999900...; JSON numbers are read as
    # Decimals instead, so the rate is exactly the one written.
    expected = {"FR": Decimal("0.20"), "DE": Decimal("0.19"), "CH": Decimal("0.077")}
    assert expected == config.VAT_RATES
    assert str(config.VAT_RATES["CH"]) == "0.077"
    assert config.CARRIERS == {"FR": "colissimo"}


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        (
            "SHIPPING_RATES",
            "FR=4.90",
            "SHIPPING_RATES must be KEY=VALUE pairs such as FR=490,DE=690 or a JSON object "
            "(the value of FR must be a whole number), got 'FR=4.90'",
        ),
        (
            "SHIPPING_RATES",
            "FR:490",
            "SHIPPING_RATES must be KEY=VALUE pairs such as FR=490,DE=690 or a JSON object "
            "('FR:490' is not KEY=VALUE), got 'FR:490'",
        ),
        (
            "VAT_RATES",
            "FR=0.20,FR=0.19",
            "VAT_RATES must be KEY=VALUE pairs such as FR=490,DE=690 or a JSON object "
            "(FR is given twice), got 'FR=0.20,FR=0.19'",
        ),
        (
            "VAT_RATES",
            '{"FR": 0.20',
            "VAT_RATES must be valid JSON, got '{\"FR\": 0.20'",
        ),
        (
            "SHIPPING_RATES",
            '{"FR": true}',
            "SHIPPING_RATES must be KEY=VALUE pairs such as FR=490,DE=690 or a JSON object "
            "(the value of FR must be a whole number), got '{\"FR\": true}'",
        ),
        (
            "CARRIERS",
            '{"FR": 1}',
            "CARRIERS must be KEY=VALUE pairs such as FR=490,DE=690 or a JSON object "
            "(the value of FR must be text), got '{\"FR\": 1}'",
        ),
    ],
)
def test_bad_tables_are_refused_with_the_form(name: str, raw: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        ShopConfig.from_env({name: raw})
    assert str(error.value) == message


def test_royalty_tiers_from_text() -> None:
    config = ShopConfig.from_env({"ROYALTY_TIERS": "1-100:0.10, 101-500:0.12, 501-:0.15"})
    assert (
        Tier(first=1, last=100, rate=Decimal("0.10")),
        Tier(first=101, last=500, rate=Decimal("0.12")),
        Tier(first=501, last=None, rate=Decimal("0.15")),
    ) == config.ROYALTY_TIERS
    assert (Tier(1, None, Decimal("1")),) == ShopConfig.from_env(
        {"ROYALTY_TIERS": "1-:1"}
    ).ROYALTY_TIERS
    assert (Tier(1, None, Decimal("0")),) == ShopConfig.from_env(
        {"ROYALTY_TIERS": "1-:0"}
    ).ROYALTY_TIERS


def test_royalty_tiers_from_json() -> None:
    raw = '[{"first": 1, "last": 100, "rate": "0.10"}, {"first": 101, "last": null, "rate": 0.125}]'
    assert (
        Tier(1, 100, Decimal("0.10")),
        Tier(101, None, Decimal("0.125")),
    ) == ShopConfig.from_env({"ROYALTY_TIERS": raw}).ROYALTY_TIERS


TIERS_FORM = "ROYALTY_TIERS must be tiers such as 1-100:0.10,101-500:0.12,501-:0.15"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "at least one tier is needed"),
        ("2-100:0.10,101-:0.12", "the first tier must start at unit 1"),
        ("1-100:0.10,102-:0.12", "tiers must be contiguous: 102 follows 100"),
        ("1-100:0.10,100-:0.12", "tiers must be contiguous: 100 follows 100"),
        ("1-:0.10,101-:0.12", "only the last tier may be open-ended"),
        ("1-100:0.10", "the last tier must be open-ended (such as 501-)"),
        ("1-0:0.10,1-:0.12", "tier 1-0 ends before it starts"),
        ("1-:1.01", "rate 1.01 is not between 0 and 1"),
        ("1-:-0.01", "rate -0.01 is not between 0 and 1"),
        ("1-:lots", "'lots' is not a rate"),
        ("1-100,101-:0.1", "'1-100' is not FIRST-LAST:RATE"),
        ("one-:0.1", "'one' is not a unit number"),
        (
            '[{"first": 1, "rate": "0.1"}]',
            'JSON tiers are {"first": 1, "last": 100, "rate": "0.10"}',
        ),
    ],
)
def test_bad_tiers_are_refused_with_the_reason(raw: str, reason: str) -> None:
    with pytest.raises(ConfigError) as error:
        ShopConfig.from_env({"ROYALTY_TIERS": raw})
    assert str(error.value) == f"{TIERS_FORM} ({reason}), got {raw!r}"


def test_lists_from_text_or_json() -> None:
    assert Config.from_env({"LOCALES": '["en", "fr"]'}).LOCALES == ("en", "fr")
    assert Config.from_env({"LOCALES": "en,,fr,"}).LOCALES == ("en", "fr")


def test_scalar_messages_name_the_variable() -> None:
    with pytest.raises(ConfigError) as error:
        Config.from_env({"VOTING_DAYS": "7.5"})
    assert str(error.value) == "VOTING_DAYS must be a whole number, got '7.5'"
    with pytest.raises(ConfigError) as error:
        Config.from_env({"SCREENING": "maybe"})
    assert str(error.value) == (
        "SCREENING must be a boolean (true/false, yes/no, on/off, 1/0), got 'maybe'"
    )


def test_a_field_type_without_a_parser_is_a_programming_error() -> None:
    @dataclass
    class Odd(Config):
        WHEN: complex = 0j

    with pytest.raises(TypeError, match="WHEN: no environment parser"):
        Odd.from_env({"WHEN": "1j"})


# --- The typed accessor --------------------------------------------------------------------------


def test_settings_reads_the_apps_typed_config() -> None:
    app = create_app(Config.from_env({"VOTING_DAYS": "5", "DATABASE_URL": "sqlite:///:memory:"}))
    with app.app_context():
        assert settings().VOTING_DAYS == 5
    assert settings(app).VOTING_DAYS == 5
    override(app, VOTING_DAYS=9)
    assert settings(app).VOTING_DAYS == 9
    assert app.config["VOTING_DAYS"] == 9


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"VOTING_PRIOR_WEIGHT": 0}, "VOTING_PRIOR_WEIGHT must be at least 1"),
        ({"VOTING_DAYS": 0}, "VOTING_DAYS and VOTING_ADDRESS_HASH_DAYS must be at least 1"),
        (
            {"VOTING_ADDRESS_HASH_DAYS": 0},
            "VOTING_DAYS and VOTING_ADDRESS_HASH_DAYS must be at least 1",
        ),
    ],
)
def test_voting_settings_that_would_break_ranking_are_refused(
    changes: dict[str, int], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        Config.from_env({}, **changes).validate()
    Config.from_env({}, VOTING_PRIOR_WEIGHT=1, VOTING_DAYS=1, VOTING_ADDRESS_HASH_DAYS=1).validate()

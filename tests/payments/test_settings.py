"""Payment settings: the gateway's name, Stripe's secrets, the demo kept out of production."""

from __future__ import annotations

import pytest

from cocreate import create_app
from cocreate.config import Config, ConfigError
from tests.core.test_config import PRODUCTION

STRIPE = {"PAYMENT_GATEWAY": "stripe", "STRIPE_SECRET_KEY": "sk_x", "STRIPE_WEBHOOK_SECRET": "wh"}


def test_the_demo_is_the_default_outside_production() -> None:
    config = Config.from_env({})
    assert (config.PAYMENT_GATEWAY, config.STRIPE_API_BASE) == ("demo", "")
    config.validate()


def test_stripe_with_both_secrets_is_accepted() -> None:
    Config.from_env(STRIPE).validate()
    Config.from_env({**STRIPE, "STRIPE_API_BASE": "http://127.0.0.1:12111"}).validate()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PAYMENT_GATEWAY": "paypal"}, "PAYMENT_GATEWAY must be 'demo' or 'stripe'"),
        ({"PAYMENT_GATEWAY": "Stripe"}, "PAYMENT_GATEWAY must be 'demo' or 'stripe'"),
        ({**STRIPE, "STRIPE_SECRET_KEY": ""}, "PAYMENT_GATEWAY=stripe needs STRIPE_SECRET_KEY"),
        (
            {**STRIPE, "STRIPE_WEBHOOK_SECRET": ""},
            "PAYMENT_GATEWAY=stripe needs STRIPE_WEBHOOK_SECRET",
        ),
        ({**STRIPE, "STRIPE_API_BASE": "127.0.0.1:12111"}, "STRIPE_API_BASE must be an http"),
        ({"STRIPE_API_BASE": "ftp://stripe"}, "STRIPE_API_BASE must be an http"),
    ],
)
def test_bad_payment_settings_fail_fast(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Config.from_env(env).validate()
    with pytest.raises(ConfigError):
        create_app(Config.from_env(env))


def test_the_webhook_secret_alone_is_not_needed_by_the_demo() -> None:
    Config.from_env({"STRIPE_SECRET_KEY": "sk_x"}).validate()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PAYMENT_GATEWAY": "demo"}, "production refuses the demo payment gateway"),
        ({"STRIPE_WEBHOOK_SECRET": ""}, "needs STRIPE_WEBHOOK_SECRET"),
        ({"STRIPE_API_BASE": "http://stripe.internal"}, "STRIPE_API_BASE empty or an https"),
    ],
)
def test_production_payment_settings(env: dict[str, str], message: str) -> None:
    production = {**PRODUCTION, "DATABASE_URL": "sqlite:///:memory:"}
    Config.from_env(production).validate()
    Config.from_env({**production, "STRIPE_API_BASE": "https://stripe.internal"}).validate()
    with pytest.raises(ConfigError, match=message):
        Config.from_env({**production, **env}).validate()


def test_the_gateway_follows_the_setting() -> None:
    demo = create_app(Config.from_env({}))
    stripe = create_app(Config.from_env(STRIPE))
    assert demo.extensions["cocreate.payment_gateway"].name == "demo"
    assert stripe.extensions["cocreate.payment_gateway"].name == "stripe"

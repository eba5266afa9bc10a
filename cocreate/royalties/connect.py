"""Stripe Connect for payouts: a creator's Express account, its onboarding through an account
link, and whether it can receive transfers yet.

The account is created once per creator (the Idempotency-Key names the creator, so a retried
or doubled request gets the same account) and its id kept in PayoutAccount. Stripe sends the
creator back to `return_url` when they finish or leave onboarding, and to `refresh_url` when
the link expired: the first retrieves the account and records whether it is ready, the second
makes a fresh link.

In the stripe library (16), API objects are not dicts: fields are attributes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import stripe
from flask import Flask, current_app
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.config import Config
from cocreate.royalties import payouts
from cocreate.royalties.models import PayoutAccount

EXTENSION = "cocreate.royalties.stripe"


def init_app(app: Flask, config: Config) -> None:
    """Keep a Stripe client for payouts when the shop takes payments with Stripe."""
    if config.PAYMENT_GATEWAY == "stripe":
        from cocreate.payments.stripe_gateway import make_client

        app.extensions[EXTENSION] = make_client(config.STRIPE_SECRET_KEY, config.STRIPE_API_BASE)


def client(app: Flask | None = None) -> stripe.StripeClient | None:
    """The Stripe client, or None when payouts are made by bank transfer only."""
    app = app or current_app
    return app.extensions.get(EXTENSION)


def account_key(user_id: int) -> str:
    return f"connect-account-{user_id}"


def is_ready(account: Any) -> bool:
    """Stripe can send this account transfers: payouts enabled, or the transfers capability
    active."""
    capabilities = getattr(account, "capabilities", None)
    transfers = getattr(capabilities, "transfers", None) if capabilities is not None else None
    return bool(getattr(account, "payouts_enabled", False)) or transfers == "active"


def start(
    session: Session,
    user: User,
    stripe_client: stripe.StripeClient,
    *,
    settings: Config,
    now: datetime,
    return_url: str,
    refresh_url: str,
) -> str:
    """The creator's Express account (created the first time), and the onboarding link's url."""
    account = payouts.lock_account(session, user.id, settings=settings, now=now)
    if account.stripe_account_id is None:
        created = stripe_client.v1.accounts.create(
            params={
                "type": "express",
                "email": user.email,
                "capabilities": {"transfers": {"requested": True}},
                "metadata": {"user_id": str(user.id)},
            },
            options={"idempotency_key": account_key(user.id)},
        )
        account.stripe_account_id = created.id
        account.updated_at = now
        session.flush()
    return onboarding_link(stripe_client, account, return_url=return_url, refresh_url=refresh_url)


def onboarding_link(
    stripe_client: stripe.StripeClient,
    account: PayoutAccount,
    *,
    return_url: str,
    refresh_url: str,
) -> str:
    assert account.stripe_account_id is not None
    link = stripe_client.v1.account_links.create(
        params={
            "account": account.stripe_account_id,
            "type": "account_onboarding",
            "return_url": return_url,
            "refresh_url": refresh_url,
        }
    )
    return str(link.url)


def refresh(
    session: Session, user: User, stripe_client: stripe.StripeClient, *, settings: Config
) -> PayoutAccount | None:
    """The creator's payout account with the readiness Stripe reports now; None when they have
    not started onboarding."""
    account = session.get(PayoutAccount, user.id)
    if account is None or account.stripe_account_id is None:
        return None
    retrieved = stripe_client.v1.accounts.retrieve(account.stripe_account_id)
    ready = is_ready(retrieved)
    if ready != account.stripe_ready:
        account.stripe_ready = ready
        session.flush()
    return account

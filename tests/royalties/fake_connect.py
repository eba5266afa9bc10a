"""A small fake of Stripe Connect for payouts, on 127.0.0.1 only, following
tests/payments/fake_stripe.py.

It serves, with the shapes Stripe documents (form-encoded requests, JSON answers, errors as
`{"error": {"type", "message", "code", "param"}}`):
- POST /v1/accounts: an Express account, not able to receive transfers until the test calls
  `onboard()` (the creator finished Stripe's onboarding);
- GET /v1/accounts/<id>: the account, 404 `resource_missing` for an unknown id;
- POST /v1/account_links: type account_onboarding or account_update, refresh_url and
  return_url required, for an existing account;
- POST /v1/transfers: to a connected account; 400 `invalid_request_error` when the destination
  is unknown or cannot receive transfers yet; `fail_next` makes the next answer a 500 (an
  outage: the library raises APIError, which the sender lets the outbox retry).
Idempotency-Key is honoured: the same key returns the first answer (errors included, as
Stripe does for a request that reached it). Every request is kept in `requests`.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request

from tests.payments.fake_stripe import Seen, serving

NOT_READY = (
    "Your destination account needs to have at least one of the following capabilities "
    "enabled: transfers, crypto_transfers, legacy_payments"
)


@dataclass
class FakeConnect:
    now: int = field(default_factory=lambda: int(time.time()))
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    transfers: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    idempotent: dict[tuple[str, str], tuple[dict[str, Any], int]] = field(default_factory=dict)
    #: How many of the next requests answer 500 (an outage).
    fail_next: int = 0
    url: str = ""

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{secrets.token_hex(8)}"

    def onboard(self, account_id: str) -> None:
        """The creator finished onboarding: Stripe can pay them now."""
        self.accounts[account_id].update(
            details_submitted=True, payouts_enabled=True, capabilities={"transfers": "active"}
        )

    def reset(self) -> None:
        self.accounts.clear()
        self.transfers.clear()
        self.requests.clear()
        self.idempotent.clear()
        self.fail_next = 0

    def seen(self, method: str, path: str) -> list[Seen]:
        return [r for r in self.requests if (r.method, r.path) == (method, path)]


def _error(
    status: int, message: str, code: str = "", param: str = ""
) -> tuple[dict[str, Any], int]:
    error = {"type": "invalid_request_error", "message": message, "code": code, "param": param}
    return {"error": error}, status


def create_app(state: FakeConnect) -> Flask:
    app = Flask(__name__)

    @app.before_request
    def keep() -> tuple[Response, int] | None:
        state.requests.append(
            Seen(
                request.method,
                request.path,
                request.form.copy(),
                request.args.copy(),
                dict(request.headers),
            )
        )
        if not request.headers.get("Authorization", "").startswith("Bearer sk_"):
            body, status = _error(401, "Invalid API Key provided")
            return jsonify(body), status
        if state.fail_next:
            state.fail_next -= 1
            response = jsonify({"error": {"type": "api_error", "message": "Stripe is down"}})
            # Tell the library not to retry by itself: the outbox's retry is under test.
            response.headers["Stripe-Should-Retry"] = "false"
            return response, 500
        return None

    def idempotent(kind: str, make: Any) -> tuple[Response, int]:
        key = request.headers.get("Idempotency-Key")
        if key and (kind, key) in state.idempotent:
            body, status = state.idempotent[(kind, key)]
            return jsonify(body), status
        made = make()
        body, status = made if isinstance(made, tuple) else (made, 200)
        if key:
            state.idempotent[(kind, key)] = (body, status)
        return jsonify(body), status

    @app.post("/v1/accounts")
    def create_account() -> tuple[Response, int]:
        form = request.form

        def make() -> dict[str, Any] | tuple[dict[str, Any], int]:
            if form.get("type") not in {"express", "standard", "custom"}:
                return _error(
                    400, "Invalid type: must be one of custom, express, or standard", param="type"
                )
            account_id = state.new_id("acct")
            account = {
                "id": account_id,
                "object": "account",
                "type": form["type"],
                "email": form.get("email"),
                "created": state.now,
                "charges_enabled": False,
                "payouts_enabled": False,
                "details_submitted": False,
                "capabilities": {
                    "transfers": "inactive"
                    if form.get("capabilities[transfers][requested]") == "true"
                    else None
                },
                "metadata": {
                    k[len("metadata[") : -1]: v
                    for k, v in form.items()
                    if k.startswith("metadata[")
                },
            }
            state.accounts[account_id] = account
            return account

        return idempotent("account", make)

    @app.get("/v1/accounts/<account_id>")
    def get_account(account_id: str) -> tuple[Response, int]:
        account = state.accounts.get(account_id)
        if account is None:
            body, status = _error(404, f"No such account: '{account_id}'", "resource_missing", "id")
            return jsonify(body), status
        return jsonify(account), 200

    @app.post("/v1/account_links")
    def create_link() -> tuple[Response, int]:
        form = request.form
        account_id = form.get("account", "")
        if account_id not in state.accounts:
            body, status = _error(
                400, f"No such account: '{account_id}'", "resource_missing", "account"
            )
        elif form.get("type") not in {"account_onboarding", "account_update"}:
            body, status = _error(400, "Invalid type", param="type")
        elif not form.get("return_url") or not form.get("refresh_url"):
            body, status = _error(400, "Missing required param: return_url.", "parameter_missing")
        else:
            body, status = (
                {
                    "object": "account_link",
                    "created": state.now,
                    "expires_at": state.now + 300,
                    "url": f"https://connect.stripe.test/setup/e/{account_id}/{secrets.token_hex(6)}",
                },
                200,
            )
        return jsonify(body), status

    @app.post("/v1/transfers")
    def create_transfer() -> tuple[Response, int]:
        form = request.form

        def make() -> dict[str, Any] | tuple[dict[str, Any], int]:
            destination = form.get("destination", "")
            account = state.accounts.get(destination)
            if account is None:
                return _error(
                    400, f"No such destination: '{destination}'", "resource_missing", "destination"
                )
            if account["capabilities"].get("transfers") != "active":
                return _error(
                    400, NOT_READY, "insufficient_capabilities_for_transfer", "destination"
                )
            transfer = {
                "id": state.new_id("tr"),
                "object": "transfer",
                "amount": int(form["amount"]),
                "currency": form["currency"],
                "destination": destination,
                "created": state.now,
                "reversed": False,
                "metadata": {
                    k[len("metadata[") : -1]: v
                    for k, v in form.items()
                    if k.startswith("metadata[")
                },
            }
            state.transfers[str(transfer["id"])] = transfer
            return transfer

        return idempotent("transfer", make)

    return app


@contextmanager
def serve() -> Iterator[FakeConnect]:
    """Run a fresh fake on a free port of 127.0.0.1 for the duration of the block."""
    state = FakeConnect()
    with serving(create_app(state)) as url:
        state.url = url
        yield state

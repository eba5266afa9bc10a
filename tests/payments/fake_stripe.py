"""A small fake of the Stripe API parts localstripe lacks, on 127.0.0.1 only.

It serves, with the shapes Stripe documents (form-encoded requests, JSON answers, errors as
`{"error": {"type", "message", "code"}}`):
- POST /v1/checkout/sessions: creates a Checkout Session; Stripe's rules it checks: mode,
  line items with price_data in minor units, expires_at between 30 min and 24 h away (by its
  own `now`), and Idempotency-Key (the same key returns the same session);
- POST /v1/checkout/sessions/<id>/expire: open → expired; otherwise 400 (not expirable);
- POST /v1/refunds: on a payment intent, by Idempotency-Key;
- GET /v1/events: newest first, `created[gte]`, `types[i]`, `limit`, `starting_after`.

Every request is kept in `requests` (path, form fields, query, headers) for tests to read.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.datastructures import MultiDict
from werkzeug.serving import BaseWSGIServer, make_server

MIN_EXPIRY = 30 * 60
MAX_EXPIRY = 24 * 60 * 60


@dataclass
class Seen:
    method: str
    path: str
    form: MultiDict[str, str]
    args: MultiDict[str, str]
    headers: dict[str, str]


@dataclass
class FakeStripe:
    now: int = field(default_factory=lambda: int(time.time()))
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    requests: list[Seen] = field(default_factory=list)
    idempotent: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    url: str = ""

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{secrets.token_hex(12)}"

    def add_event(self, kind: str, obj: dict[str, Any], created: int | None = None) -> str:
        """An event as Stripe would list it (and would have sent to the webhook)."""
        event = {
            "id": self.new_id("evt"),
            "object": "event",
            "api_version": "2025-01-27.acacia",
            "created": self.now if created is None else created,
            "livemode": False,
            "pending_webhooks": 1,
            "type": kind,
            "data": {"object": obj},
        }
        self.events.append(event)
        return str(event["id"])

    def complete(self, session_id: str, *, paid: bool = True) -> dict[str, Any]:
        """The buyer pays on Stripe's page: the session completes with a payment intent."""
        session = self.sessions[session_id]
        session.update(
            status="complete",
            payment_status="paid" if paid else "unpaid",
            payment_intent=self.new_id("pi"),
        )
        return session


def _error(status: int, message: str, code: str = "") -> tuple[Response, int]:
    return jsonify(
        {"error": {"type": "invalid_request_error", "message": message, "code": code}}
    ), status


def _int(form: MultiDict[str, str], key: str) -> int:
    return int(form[key])


def _line_items(form: MultiDict[str, str]) -> list[dict[str, Any]]:
    items = []
    index = 0
    while f"line_items[{index}][quantity]" in form:
        prefix = f"line_items[{index}]"
        items.append(
            {
                "quantity": _int(form, f"{prefix}[quantity]"),
                "price_data": {
                    "currency": form[f"{prefix}[price_data][currency]"],
                    "unit_amount": _int(form, f"{prefix}[price_data][unit_amount]"),
                    "product_data": {"name": form[f"{prefix}[price_data][product_data][name]"]},
                },
            }
        )
        index += 1
    return items


def create_app(state: FakeStripe) -> Flask:
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
            return _error(401, "Invalid API Key provided")
        return None

    def idempotent(kind: str, make: Any) -> Response | tuple[Response, int]:
        key = request.headers.get("Idempotency-Key")
        if key and (kind, key) in state.idempotent:
            return jsonify(state.idempotent[(kind, key)])
        made = make()
        if isinstance(made, tuple):
            return made
        if key:
            state.idempotent[(kind, key)] = made
        return jsonify(made)

    @app.post("/v1/checkout/sessions")
    def create_session() -> Response | tuple[Response, int]:
        form = request.form

        def make() -> dict[str, Any] | tuple[Response, int]:
            if form.get("mode") != "payment":
                return _error(400, "mode must be payment")
            items = _line_items(form)
            if not items:
                return _error(400, "line_items is required")
            expires_at = _int(form, "expires_at")
            if not state.now + MIN_EXPIRY <= expires_at <= state.now + MAX_EXPIRY:
                return _error(400, "expires_at must be 30 minutes to 24 hours away")
            currency = items[0]["price_data"]["currency"]
            subtotal = sum(i["quantity"] * i["price_data"]["unit_amount"] for i in items)
            shipping = 0
            if "shipping_options[0][shipping_rate_data][fixed_amount][amount]" in form:
                shipping = _int(
                    form, "shipping_options[0][shipping_rate_data][fixed_amount][amount]"
                )
            session_id = state.new_id("cs_test")
            session = {
                "id": session_id,
                "object": "checkout.session",
                "mode": "payment",
                "status": "open",
                "payment_status": "unpaid",
                "payment_intent": None,
                "amount_subtotal": subtotal,
                "amount_total": subtotal + shipping,
                "currency": currency,
                "client_reference_id": form.get("client_reference_id"),
                "customer_email": form.get("customer_email"),
                "locale": form.get("locale"),
                "expires_at": expires_at,
                "metadata": {"order_number": form.get("metadata[order_number]")},
                "success_url": form.get("success_url"),
                "cancel_url": form.get("cancel_url"),
                "url": f"https://checkout.stripe.test/c/pay/{session_id}",
                "line_items_sent": items,
            }
            state.sessions[session_id] = session
            return session

        return idempotent("session", make)

    @app.post("/v1/checkout/sessions/<session_id>/expire")
    def expire_session(session_id: str) -> Response | tuple[Response, int]:
        session = state.sessions.get(session_id)
        if session is None:
            return _error(404, f"No such checkout.session: '{session_id}'", "resource_missing")
        if session["status"] != "open":
            return _error(400, "Only Checkout Sessions with a status of `open` can be expired.")
        session["status"] = "expired"
        return jsonify(session)

    @app.post("/v1/refunds")
    def create_refund() -> Response | tuple[Response, int]:
        form = request.form

        def make() -> dict[str, Any] | tuple[Response, int]:
            intent = form.get("payment_intent", "")
            paid = [s for s in state.sessions.values() if s["payment_intent"] == intent]
            if not paid:
                return _error(404, f"No such payment_intent: '{intent}'", "resource_missing")
            refund = {
                "id": state.new_id("re"),
                "object": "refund",
                "amount": _int(form, "amount") if "amount" in form else paid[0]["amount_total"],
                "currency": paid[0]["currency"],
                "payment_intent": intent,
                "status": "succeeded",
                "created": state.now,
            }
            state.refunds[str(refund["id"])] = refund
            return refund

        return idempotent("refund", make)

    @app.get("/v1/events")
    def list_events() -> Response:
        args = request.args
        since = int(args.get("created[gte]", "0"))
        # Arrays come indexed: types[0]=…&types[1]=…
        types = {v for k, v in args.items(multi=True) if k.startswith("types[")}
        types = types or {e["type"] for e in state.events}
        limit = int(args.get("limit", "10"))
        chosen = [e for e in state.events if e["created"] >= since and e["type"] in types]
        # Newest first, as Stripe lists; a cursor continues after the given id.
        chosen.sort(key=lambda e: (e["created"], state.events.index(e)), reverse=True)
        after = args.get("starting_after")
        if after:
            ids = [e["id"] for e in chosen]
            chosen = chosen[ids.index(after) + 1 :]
        page = chosen[:limit]
        return jsonify(
            {
                "object": "list",
                "url": "/v1/events",
                "has_more": len(chosen) > limit,
                "data": page,
            }
        )

    return app


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """Run `app` on a free port of 127.0.0.1 for the duration of the block; yields its url."""
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@contextmanager
def serve() -> Iterator[FakeStripe]:
    """Run a fresh fake on a free port of 127.0.0.1 for the duration of the block."""
    state = FakeStripe()
    with serving(create_app(state)) as url:
        state.url = url
        yield state

"""Settings: defaults in code, overridden by environment variables, checked by `validate()`.

Every setting is listed in the README's configuration table. Each production part (PostgreSQL,
Redis, SMTP, Stripe, S3) switches on when its variable is set.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, cast, get_args, get_origin, get_type_hints
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from flask import Flask

DEV_SECRET_KEY = "dev-only-insecure-secret-key"  # noqa: S105 - refused in production by validate()
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """A setting is missing or unsafe; raised at start so a bad deploy fails fast."""


@dataclass(frozen=True)
class Tier:
    """Units `first` to `last` (both included; `last` None: no upper end) earn `rate`."""

    first: int
    last: int | None
    rate: Decimal


#: Tiers read from `1-100:0.10,101-500:0.12,501-:0.15`: contiguous from unit 1, ascending, the
#: last open-ended so every unit has a rate, each rate a fraction in [0, 1].
Tiers = tuple[Tier, ...]


class _Invalid(ValueError):
    """A raw value does not have the expected form; `from_env` names the variable."""

    def __init__(self, expected: str, reason: str = "") -> None:
        super().__init__(expected)
        self.expected = expected
        self.reason = reason


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})
_BOOL_FORM = "a boolean (true/false, yes/no, on/off, 1/0)"
_INT_FORM = "a whole number"
_DECIMAL_FORM = "a decimal number such as 0.20"
_LIST_FORM = "a comma-separated list such as en,fr or a JSON array"
_DICT_FORM = "KEY=VALUE pairs such as FR=490,DE=690 or a JSON object"
_TIERS_FORM = "tiers such as 1-100:0.10,101-500:0.12,501-:0.15"


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    raise _Invalid(_BOOL_FORM)


def _int(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise _Invalid(_INT_FORM)


def _decimal(value: object) -> Decimal:
    # Built from the text (or JSON parsed with parse_float=Decimal), never through a float:
    # Decimal(0.1) would carry binary noise into every price and rate computed from it.
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int) and not isinstance(value, bool):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise _Invalid(_DECIMAL_FORM) from None
    else:
        raise _Invalid(_DECIMAL_FORM)
    if not result.is_finite():
        raise _Invalid(_DECIMAL_FORM, "NaN and infinity are not amounts")
    return result


def _str(value: object) -> str:
    if isinstance(value, str):
        return value
    raise _Invalid("text")


_SCALARS: dict[Any, Callable[[object], Any]] = {
    bool: _bool,
    int: _int,
    Decimal: _decimal,
    str: _str,
}


def _json(raw: str, kind: type) -> Any:
    try:
        value = json.loads(raw, parse_float=Decimal)
    except ValueError:
        raise _Invalid("valid JSON") from None
    if not isinstance(value, kind):
        raise _Invalid(f"a JSON {'object' if kind is dict else 'array'}")
    return value


def _split(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _tuple(item: Callable[[object], Any], raw: str) -> tuple[Any, ...]:
    items: list[Any] = _json(raw, list) if raw.strip().startswith("[") else _split(raw)
    try:
        return tuple(item(value) for value in items)
    except _Invalid as exc:
        raise _Invalid(_LIST_FORM, f"each item must be {exc.expected}") from None


def _dict(value_of: Callable[[object], Any], raw: str) -> dict[str, Any]:
    if raw.strip().startswith("{"):
        pairs = list(_json(raw, dict).items())
    else:
        pairs = []
        for part in _split(raw):
            key, equals, value = part.partition("=")
            if not equals or not key.strip():
                raise _Invalid(_DICT_FORM, f"{part!r} is not KEY=VALUE")
            pairs.append((key.strip(), value.strip()))
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Invalid(_DICT_FORM, f"{key} is given twice")
        try:
            result[key] = value_of(value)
        except _Invalid as exc:
            raise _Invalid(_DICT_FORM, f"the value of {key} must be {exc.expected}") from None
    return result


def _tier_bound(text: str) -> int:
    if not (text.strip().isascii() and text.strip().isdigit()):
        raise _Invalid(_TIERS_FORM, f"{text.strip()!r} is not a unit number")
    return int(text)


def _tiers(raw: str) -> Tiers:
    tiers: list[Tier] = []
    if raw.strip().startswith("["):
        for entry in _json(raw, list):
            if not isinstance(entry, dict) or set(entry) != {"first", "last", "rate"}:
                raise _Invalid(
                    _TIERS_FORM, 'JSON tiers are {"first": 1, "last": 100, "rate": "0.10"}'
                )
            try:
                last = None if entry["last"] is None else _int(entry["last"])
                tiers.append(Tier(_int(entry["first"]), last, _decimal(entry["rate"])))
            except _Invalid as exc:
                raise _Invalid(_TIERS_FORM, exc.reason or f"expected {exc.expected}") from None
    else:
        for part in _split(raw):
            units, colon, rate = part.partition(":")
            first, dash, last_text = units.partition("-")
            if not colon or not dash:
                raise _Invalid(_TIERS_FORM, f"{part!r} is not FIRST-LAST:RATE")
            try:
                rate_value = _decimal(rate)
            except _Invalid:
                raise _Invalid(_TIERS_FORM, f"{rate.strip()!r} is not a rate") from None
            upper = _tier_bound(last_text) if last_text.strip() else None
            tiers.append(Tier(_tier_bound(first), upper, rate_value))
    _check_tiers(tiers)
    return tuple(tiers)


def _check_tiers(tiers: list[Tier]) -> None:
    if not tiers:
        raise _Invalid(_TIERS_FORM, "at least one tier is needed")
    if tiers[0].first != 1:
        raise _Invalid(_TIERS_FORM, "the first tier must start at unit 1")
    for tier, following in pairwise(tiers):
        if tier.last is None:
            raise _Invalid(_TIERS_FORM, "only the last tier may be open-ended")
        if following.first != tier.last + 1:
            raise _Invalid(
                _TIERS_FORM, f"tiers must be contiguous: {following.first} follows {tier.last}"
            )
    for tier in tiers:
        if tier.last is not None and tier.last < tier.first:
            raise _Invalid(_TIERS_FORM, f"tier {tier.first}-{tier.last} ends before it starts")
        if not Decimal(0) <= tier.rate <= Decimal(1):
            raise _Invalid(_TIERS_FORM, f"rate {tier.rate} is not between 0 and 1")
    if tiers[-1].last is not None:
        raise _Invalid(_TIERS_FORM, "the last tier must be open-ended (such as 501-)")


def _vat_rate_ok(rate: Decimal) -> bool:
    # Order lines store the rate with 4 decimals: a finer one would be rounded silently.
    return Decimal(0) <= rate < Decimal(1) and rate == rate.quantize(Decimal("0.0001"))


def _parser_for(hint: Any) -> Callable[[str], Any] | None:
    """How to read a raw environment string into a field of type `hint`; None if unsupported."""
    if hint in _SCALARS:
        return _SCALARS[hint]
    origin, args = get_origin(hint), get_args(hint)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        if args[0] is Tier:
            return _tiers
        if args[0] in _SCALARS:
            item = _SCALARS[args[0]]
            return lambda raw: _tuple(item, raw)
    if origin is dict and len(args) == 2 and args[0] is str and args[1] in _SCALARS:
        value_of = _SCALARS[args[1]]
        return lambda raw: _dict(value_of, raw)
    return None


def _read(name: str, hint: Any, raw: str) -> Any:
    parse = _parser_for(hint)
    if parse is None:
        # A programming error, not a deploy error: the field's type needs a parser here.
        raise TypeError(f"{name}: no environment parser for {hint!r}")
    try:
        return parse(raw)
    except _Invalid as exc:
        detail = f" ({exc.reason})" if exc.reason else ""
        raise ConfigError(f"{name} must be {exc.expected}{detail}, got {raw!r}") from None


@dataclass
class Config:
    #: "development", "production" or "testing".
    ENV: str = "development"
    SECRET_KEY: str = DEV_SECRET_KEY
    #: Empty means the SQLite file in instance/.
    DATABASE_URL: str = ""
    #: Empty means in-memory rate limits (one process only).
    REDIS_URL: str = ""
    #: The site's public address: email links are built from it, never from the request's Host
    #: header (which a client can forge to get reset links pointing at their own site).
    PUBLIC_URL: str = "http://127.0.0.1:5000"
    UPLOAD_DIR: str = str(PROJECT_ROOT / "uploads")
    #: An S3-compatible bucket for uploads instead of UPLOAD_DIR (credentials: the AWS_* variables).
    S3_BUCKET: str = ""
    S3_ENDPOINT_URL: str = ""
    S3_REGION: str = ""
    #: `flask storage gc` keeps unreferenced files younger than this: uploads write their files
    #: before their transaction commits, so a young unreferenced file may be about to be used.
    STORAGE_GC_GRACE_HOURS: int = 24
    MAX_CONTENT_LENGTH: int = 25 * 1024 * 1024
    MAIL_FROM: str = "cocreate <no-reply@cocreate.localhost>"
    SMTP_HOST: str = ""
    SMTP_PORT: int = 587
    SMTP_USERNAME: str = ""
    SMTP_PASSWORD: str = ""
    SMTP_STARTTLS: bool = True
    #: Attempts at delivering an outbox message (email) before it is marked failed.
    OUTBOX_MAX_ATTEMPTS: int = 8
    # --- Payments (cocreate/payments) ---
    #: "demo" (the default: an in-app page, no money moves; refused in production) or "stripe"
    #: (Stripe Checkout, orders marked paid by verified webhooks; needs both secrets below).
    PAYMENT_GATEWAY: str = "demo"
    STRIPE_SECRET_KEY: str = ""
    #: The signing secret of the `/webhooks/stripe` endpoint (whsec_…), from Stripe's dashboard.
    STRIPE_WEBHOOK_SECRET: str = ""
    #: Where the Stripe API is reached; empty means Stripe's own. Tests point it at a fake on
    #: 127.0.0.1.
    STRIPE_API_BASE: str = ""
    CURRENCY: str = "EUR"
    LOCALES: tuple[str, ...] = ("en", "fr")
    DEFAULT_LOCALE: str = "en"
    DEFAULT_TIMEZONE: str = "Europe/Paris"
    #: Submitted designs wait for staff screening before voting opens.
    SCREENING: bool = True
    #: Length of a design's voting window.
    VOTING_DAYS: int = 7
    #: Seconds each app process keeps the gallery's popular tags (a GROUP BY over every tagged
    #: design) before counting again; 0 counts on every page. A change made by the same process
    #: shows at once; other processes show it within this delay.
    GALLERY_TAGS_CACHE_SECONDS: int = 60
    #: Prior weight C of the Bayesian average (DESIGN.md "Votes and ranking"): a design's rank
    #: counts as C extra votes at the mean score of all designs.
    VOTING_PRIOR_WEIGHT: int = 20
    #: Herding: a voter sees a design's average only after voting or once its window closes.
    VOTING_HIDE_SCORE_UNTIL_VOTED: bool = True
    #: Votes (new or changed) per member account, and per client address.
    RATELIMIT_VOTE: str = "30 per minute;600 per hour"
    RATELIMIT_VOTE_ADDRESS: str = "120 per minute;2000 per hour"
    #: Client addresses are stored only as a keyed hash whose key changes every this many days:
    #: votes from one address can be linked within a period, never traced back to the address.
    VOTING_ADDRESS_HASH_DAYS: int = 30
    #: Comments (and replies) per member account.
    RATELIMIT_COMMENT: str = "10 per minute;100 per day"
    #: Minutes during which a comment's author may still edit it.
    COMMENT_EDIT_MINUTES: int = 15
    #: Artwork limits: pixel count (decompression bombs) and aspect ratio.
    ARTWORK_MAX_PIXELS: int = 60_000_000
    ARTWORK_MAX_ASPECT: int = 4
    #: Per-product overrides of the catalogue (cocreate/catalogue/products.py), by product key:
    #: smallest long side of the artwork in pixels, and price in minor units of CURRENCY. A
    #: product missing here uses the catalogue's value.
    PRODUCT_MIN_LONG_SIDE: dict[str, int] = field(default_factory=dict)
    PRODUCT_PRICES: dict[str, int] = field(default_factory=dict)
    #: Production runs (DESIGN.md "Production runs"). Suggested quantity of a product in a
    #: size = ceil(counted "I'd buy it" votes for it × this factor): not every voter who says so
    #: buys, but non-voters do, and a print partner's reorder costs more than a spare shirt.
    PRODUCTION_CONVERSION_FACTOR: Decimal = Decimal("1.5")
    #: Smallest run worth printing, in units per product key (a print partner's minimum order);
    #: suggestions are raised to it. A product missing here has no minimum.
    PRODUCTION_MIN_RUN: dict[str, int] = field(
        default_factory=lambda: {"tee": 24, "poster": 10, "tote": 20}
    )
    #: Relative weights of sizes for a minimum-run top-up when a product has no buy intent at
    #: all (a common retail curve for tees); a size missing here weighs 1.
    PRODUCTION_SIZE_CURVE: dict[str, int] = field(
        default_factory=lambda: {"XS": 1, "S": 3, "M": 6, "L": 6, "XL": 3, "XXL": 1}
    )
    #: Largest quantity staff may enter for one variant of a run (a typo guard).
    PRODUCTION_MAX_QUANTITY: int = 10_000
    #: The shop's catalogue and cart. Most of one variant a cart line may hold (each add is
    #: 1 to this many, and a line is capped at it).
    CART_MAX_QUANTITY: int = 10
    #: From this many units left down to 1, a product page says "only N left".
    SHOP_LOW_STOCK: int = 5
    #: Anonymous carts untouched this many days are deleted by `cart.purge_abandoned`.
    CART_ABANDONED_DAYS: int = 30
    #: A closed design waiting for review longer than this many days is highlighted in the
    #: review queue and counted on the staff desk: a closed design should not wait unseen.
    REVIEW_WAIT_DAYS: int = 7
    # --- Shop: checkout, shipping, VAT (DESIGN.md "Shop and payments") ---------------------
    #: Minutes a checkout holds its reserved stock before it expires (30 is the shortest a
    #: Stripe Checkout Session allows, 1440 the longest).
    CHECKOUT_MINUTES: int = 30
    #: Shipping cost per destination country (ISO 3166 code → minor units of CURRENCY, tax
    #: included). The shop ships only to the countries listed here.
    SHIPPING_RATES: dict[str, int] = field(
        default_factory=lambda: {
            "FR": 490,
            "BE": 690,
            "LU": 690,
            "DE": 690,
            "NL": 690,
            "AT": 890,
            "ES": 890,
            "IT": 890,
            "PT": 890,
            "IE": 990,
        }
    )
    #: VAT rate per destination country (a fraction: 0.20 is 20 %). Prices are shown tax
    #: included; each order line records its net amount, this rate and the tax.
    VAT_RATES: dict[str, Decimal] = field(
        default_factory=lambda: {
            "FR": Decimal("0.20"),
            "BE": Decimal("0.21"),
            "LU": Decimal("0.17"),
            "DE": Decimal("0.19"),
            "NL": Decimal("0.21"),
            "AT": Decimal("0.20"),
            "ES": Decimal("0.21"),
            "IT": Decimal("0.22"),
            "PT": Decimal("0.23"),
            "IE": Decimal("0.23"),
        }
    )
    # --- Royalties (cocreate/royalties; DESIGN.md "Royalties") ---------------------------
    #: The default royalty schedule, used until staff save one: the first unit of each tier →
    #: its share of the line's net revenue (VAT and shipping excluded).
    ROYALTY_TIERS: dict[str, Decimal] = field(
        default_factory=lambda: {
            "1": Decimal("0.10"),
            "101": Decimal("0.12"),
            "501": Decimal("0.15"),
        }
    )
    #: Credited to the creator when a design is approved (minor units; 0 for none).
    ROYALTY_APPROVAL_AWARD: int = 0
    #: Days after an order ships during which a return is accepted: its royalties stay pending
    #: until then, and clear (become payable) after.
    ROYALTY_RETURN_DAYS: int = 30
    #: The smallest payout threshold a creator may choose (minor units).
    ROYALTY_PAYOUT_MINIMUM: int = 2500
    #: Hours a password-reset link stays valid; email verification links last longer.
    PASSWORD_RESET_HOURS: int = 2
    EMAIL_VERIFY_DAYS: int = 7
    #: A log-in unused this long ends: with "keep me logged in" (days), without it (hours).
    SESSION_IDLE_DAYS: int = 14
    SESSION_IDLE_HOURS: int = 12
    #: Every log-in ends this many days after it began, however active.
    SESSION_MAX_DAYS: int = 30
    RATELIMIT_LOGIN: str = "10 per minute"
    RATELIMIT_SIGNUP: str = "5 per minute;30 per hour"
    RATELIMIT_RESET: str = "5 per minute;20 per hour"
    #: Artwork uploads per member account (new designs and replaced artwork together): each
    #: one decodes up to ARTWORK_MAX_PIXELS and draws every mockup.
    RATELIMIT_UPLOAD: str = "20 per hour;100 per day"
    #: Number of proxies in front of the app whose X-Forwarded-* headers are trusted.
    PROXY_COUNT: int = 0
    LOG_LEVEL: str = "INFO"
    #: "json" (one JSON object per line, for a log collector) or "text"; empty means json in
    #: production and text elsewhere.
    LOG_FORMAT: str = ""
    #: The bearer token a Prometheus scraper sends to /metrics. When set it is required; in
    #: production /metrics answers 404 until one is set.
    METRICS_TOKEN: str = ""
    #: Seconds added to the clock business rules read (voting windows, expiries, periods), so a
    #: smoke test can move time in server processes. Refused in production.
    CLOCK_OFFSET_SECONDS: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def production(self) -> bool:
        return self.ENV == "production"

    @property
    def testing(self) -> bool:
        return self.ENV == "testing"

    @property
    def log_format(self) -> str:
        """LOG_FORMAT, or its default for ENV: json in production, text elsewhere."""
        return self.LOG_FORMAT or ("json" if self.production else "text")

    @property
    def SHIP_TO_COUNTRIES(self) -> tuple[str, ...]:
        """The countries the shop ships to, in the order SHIPPING_RATES lists them."""
        return tuple(self.SHIPPING_RATES)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Self:
        """Defaults, then environment variables parsed by each field's annotation, then
        `overrides` (already typed, not parsed)."""
        environ = os.environ if environ is None else environ
        # Annotations are strings (`from __future__ import annotations`); resolve them.
        hints = get_type_hints(cls)
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "extra" or not f.init or f.name not in environ:
                continue
            values[f.name] = _read(f.name, hints[f.name], environ[f.name])
        values.update(overrides)
        return cls(**values)

    def database_url(self, instance_path: str) -> str:
        if self.DATABASE_URL:
            url = self.DATABASE_URL
            # Heroku-style URLs name the driver "postgres"; SQLAlchemy wants the psycopg 3 dialect.
            for prefix in ("postgres://", "postgresql://"):
                if url.startswith(prefix):
                    return "postgresql+psycopg://" + url[len(prefix) :]
            return url
        return f"sqlite:///{Path(instance_path) / 'cocreate.sqlite3'}"

    def validate(self) -> None:
        problems: list[str] = []
        if self.ENV not in {"development", "production", "testing"}:
            problems.append(f"ENV must be development, production or testing, not {self.ENV!r}")
        if self.PAYMENT_GATEWAY not in {"demo", "stripe"}:
            problems.append("PAYMENT_GATEWAY must be 'demo' or 'stripe'")
        if self.PAYMENT_GATEWAY == "stripe" and not self.STRIPE_SECRET_KEY:
            problems.append("PAYMENT_GATEWAY=stripe needs STRIPE_SECRET_KEY")
        if self.PAYMENT_GATEWAY == "stripe" and not self.STRIPE_WEBHOOK_SECRET:
            # Without it no webhook can be verified, and only a webhook marks an order paid.
            problems.append("PAYMENT_GATEWAY=stripe needs STRIPE_WEBHOOK_SECRET")
        if self.STRIPE_API_BASE and not self.STRIPE_API_BASE.startswith(("http://", "https://")):
            problems.append("STRIPE_API_BASE must be an http:// or https:// address")
        if self.DEFAULT_LOCALE not in self.LOCALES:
            problems.append("DEFAULT_LOCALE must be one of LOCALES")
        if self.GALLERY_TAGS_CACHE_SECONDS < 0:
            problems.append("GALLERY_TAGS_CACHE_SECONDS must be 0 or more")
        if len(self.CURRENCY) != 3 or not self.CURRENCY.isupper():
            problems.append("CURRENCY must be an ISO 4217 code such as EUR")
        # C = 0 would divide by zero in the rank of a design without counted votes.
        if self.VOTING_PRIOR_WEIGHT < 1:
            problems.append("VOTING_PRIOR_WEIGHT must be at least 1")
        if self.VOTING_DAYS < 1 or self.VOTING_ADDRESS_HASH_DAYS < 1:
            problems.append("VOTING_DAYS and VOTING_ADDRESS_HASH_DAYS must be at least 1")
        if self.PRODUCTION_CONVERSION_FACTOR <= 0:
            problems.append("PRODUCTION_CONVERSION_FACTOR must be above 0")
        if any(n < 0 for n in self.PRODUCTION_MIN_RUN.values()):
            problems.append("PRODUCTION_MIN_RUN values cannot be negative")
        if any(w < 0 for w in self.PRODUCTION_SIZE_CURVE.values()):
            problems.append("PRODUCTION_SIZE_CURVE weights cannot be negative")
        if self.PRODUCTION_MAX_QUANTITY < 1:
            problems.append("PRODUCTION_MAX_QUANTITY must be at least 1")
        if self.CART_MAX_QUANTITY < 1:
            problems.append("CART_MAX_QUANTITY must be at least 1")
        if self.SHOP_LOW_STOCK < 0:
            problems.append("SHOP_LOW_STOCK cannot be negative")
        if self.CART_ABANDONED_DAYS < 1:
            problems.append("CART_ABANDONED_DAYS must be at least 1")
        if self.REVIEW_WAIT_DAYS < 1:
            problems.append("REVIEW_WAIT_DAYS must be at least 1")
        if not 30 <= self.CHECKOUT_MINUTES <= 1440:
            problems.append("CHECKOUT_MINUTES must be between 30 and 1440 (Stripe's limits)")
        if not self.SHIPPING_RATES:
            problems.append("SHIPPING_RATES must list at least one country")
        if any(rate < 0 for rate in self.SHIPPING_RATES.values()):
            problems.append("SHIPPING_RATES values cannot be negative")
        unrated = sorted(set(self.SHIPPING_RATES) - set(self.VAT_RATES))
        if unrated:
            problems.append(f"VAT_RATES has no rate for {', '.join(unrated)}")
        if any(not _vat_rate_ok(rate) for rate in self.VAT_RATES.values()):
            problems.append(
                "VAT_RATES must be fractions from 0 up to (not including) 1, "
                "with at most 4 decimals (0.055 for 5.5 %)"
            )
        if not self.ROYALTY_TIERS or "1" not in self.ROYALTY_TIERS:
            problems.append("ROYALTY_TIERS must have a tier starting at unit 1")
        if any(not k.isdigit() or int(k) < 1 for k in self.ROYALTY_TIERS) or any(
            not Decimal(0) <= rate <= 1 for rate in self.ROYALTY_TIERS.values()
        ):
            problems.append("ROYALTY_TIERS maps first units (1, 101…) to rates from 0 to 1")
        if self.ROYALTY_APPROVAL_AWARD < 0 or self.ROYALTY_PAYOUT_MINIMUM < 1:
            problems.append(
                "ROYALTY_APPROVAL_AWARD cannot be negative, ROYALTY_PAYOUT_MINIMUM must be positive"
            )
        if self.ROYALTY_RETURN_DAYS < 0:
            problems.append("ROYALTY_RETURN_DAYS cannot be negative")
        if self.LOG_FORMAT not in {"", "json", "text"}:
            problems.append("LOG_FORMAT must be json or text (empty: json in production)")
        if self.production:
            if self.CLOCK_OFFSET_SECONDS:
                problems.append("production refuses CLOCK_OFFSET_SECONDS (a test setting)")
            if self.SECRET_KEY == DEV_SECRET_KEY or len(self.SECRET_KEY) < 32:
                problems.append("production needs a random SECRET_KEY of 32+ characters")
            if self.PAYMENT_GATEWAY == "demo":
                problems.append("production refuses the demo payment gateway")
            if self.STRIPE_API_BASE and not self.STRIPE_API_BASE.startswith("https://"):
                problems.append("production needs STRIPE_API_BASE empty or an https:// address")
            if not self.DATABASE_URL:
                problems.append("production needs DATABASE_URL")
            if not self.REDIS_URL:
                problems.append("production needs REDIS_URL (rate limits shared by all workers)")
            if not self.SMTP_HOST:
                problems.append("production needs SMTP_HOST (emails would only be logged)")
            if not self.PUBLIC_URL.startswith("https://"):
                problems.append("production needs PUBLIC_URL, the site's https:// address")
        if problems:
            raise ConfigError("; ".join(problems))

    def flask_settings(self) -> dict[str, Any]:
        """The subset Flask and its extensions read from `app.config`."""
        settings = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        settings.update(
            TESTING=self.testing,
            SESSION_COOKIE_HTTPONLY=True,
            SESSION_COOKIE_SAMESITE="Lax",
            SESSION_COOKIE_SECURE=self.production,
            REMEMBER_COOKIE_NAME="remember_token",
            REMEMBER_COOKIE_HTTPONLY=True,
            REMEMBER_COOKIE_SAMESITE="Lax",
            REMEMBER_COOKIE_SECURE=self.production,
            PREFERRED_URL_SCHEME="https" if self.production else "http",
            BABEL_DEFAULT_LOCALE=self.DEFAULT_LOCALE,
            BABEL_DEFAULT_TIMEZONE="UTC",
            BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
            RATELIMIT_STORAGE_URI=self.REDIS_URL or "memory://",
            RATELIMIT_HEADERS_ENABLED=True,
            WTF_CSRF_TIME_LIMIT=None,
            # Requests for any other host are refused (400) in production.
            TRUSTED_HOSTS=[urlsplit(self.PUBLIC_URL).hostname] if self.production else None,
        )
        settings.update(self.extra)
        return settings


def settings(app: Flask | None = None) -> Config:
    """The typed settings of `app` (default: the current app). Services read these, not the
    string-keyed `app.config`, which stays filled for Flask and its extensions."""
    if app is None:
        from flask import current_app

        app = current_app
    return cast(Config, app.extensions["cocreate.config"])


def override(app: Flask, **changes: Any) -> Config:
    """Change settings of a built app (tests, a live test server): the typed object and
    `app.config` move together, so what services read and what Flask reads never disagree."""
    updated = replace(settings(app), **changes)
    app.extensions["cocreate.config"] = updated
    app.config.update(changes)
    return updated

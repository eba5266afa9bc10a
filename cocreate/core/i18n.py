"""Language and timezone choice, and locale-aware formatting of money, numbers and dates.

Order of preference for the language: the member's saved choice, then the cookie set by the
language switcher, then the browser's Accept-Language, then DEFAULT_LOCALE.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask import Flask, has_app_context, has_request_context, request
from flask_babel import Babel, format_date, format_datetime, get_locale, gettext
from flask_login import current_user

from cocreate.config import settings
from cocreate.core import money
from cocreate.core.money import Money

LOCALE_COOKIE = "locale"
babel = Babel()

#: Names shown in the switcher, each in its own language (never translated).
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}


def select_locale() -> str:
    locales = settings().LOCALES
    if not has_request_context():  # CLI commands and jobs
        return settings().DEFAULT_LOCALE
    user = current_user
    if user and user.is_authenticated and user.locale in locales:
        return user.locale
    cookie = request.cookies.get(LOCALE_COOKIE)
    if cookie in locales:
        return cookie
    return request.accept_languages.best_match(locales) or settings().DEFAULT_LOCALE


def select_timezone() -> str:
    if not has_request_context():
        return settings().DEFAULT_TIMEZONE
    user = current_user
    if user and user.is_authenticated and user.timezone and is_timezone(user.timezone):
        return user.timezone
    return settings().DEFAULT_TIMEZONE


def is_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def current_locale() -> Locale:
    """The reader's locale; outside any app (benchmarks, scripts) English, the source language."""
    if not has_app_context():
        return Locale.parse("en")
    return get_locale() or Locale.parse(settings().DEFAULT_LOCALE)


def format_money(value: Money | int, currency: str | None = None) -> str:
    """`€12.50` in English, `12,50 €` in French (with the non-breaking spaces CLDR asks for).

    The `money` template filter: a `Money`, or a whole number of minor units of `currency`
    (default: the shop's)."""
    if not isinstance(value, Money):
        value = Money(value, currency or settings().CURRENCY)
    return money.format_money(value, current_locale())


def format_number(value: int | Decimal) -> str:
    return babel_numbers.format_decimal(value, locale=current_locale())


def format_megabytes(size: int) -> str:
    """A byte count in megabytes (MiB, as upload limits are counted), one decimal."""
    return babel_numbers.format_decimal(
        size / (1024 * 1024), format="#,##0.0", locale=current_locale()
    )


def format_percent(value: Decimal | float, digits: int = 0) -> str:
    """`12.5%` in English, `12,5 %` in French: the locale's own pattern, with `digits` decimals."""
    locale = current_locale()
    pattern = locale.percent_formats[None].pattern
    if digits:
        pattern = pattern.replace("#,##0", "#,##0." + "0" * digits, 1)
    return babel_numbers.format_percent(value, format=pattern, locale=locale)


def format_when(value: datetime | None, fmt: str = "medium", tz: str | None = None) -> str:
    """A UTC datetime in the reader's timezone (or `tz`: an email's recipient) and language."""
    if value is None:
        return ""
    if tz and is_timezone(tz):
        return babel_dates.format_datetime(value, fmt, tzinfo=ZoneInfo(tz), locale=current_locale())
    return format_datetime(value, fmt)


def format_long_when(value: datetime | None, tz: str | None = None) -> str:
    """For emails and other text read by people, not machines: "December 9, 2026 at 3:49 AM
    (Paris time)" — long date, time without seconds, the zone by its city, in the reader's
    language and in `tz` (the recipient's zone; the reader's own when not given)."""
    if value is None:
        return ""
    name = tz if tz and is_timezone(tz) else select_timezone()
    zone = ZoneInfo(name)
    locale = current_locale()
    local = value.astimezone(zone)
    return gettext(
        "%(date)s at %(time)s (%(zone)s time)",
        date=babel_dates.format_date(local.date(), "long", locale=locale),
        time=babel_dates.format_time(local, "short", tzinfo=zone, locale=locale),
        zone=zone_city(name, locale),
    )


def zone_city(name: str, locale: Locale) -> str:
    """The city a timezone is named after, in the reader's language ("Londres" in French).
    Babel's own lookup would follow aliases (America/Montreal would read "Toronto")."""
    city = locale.time_zones.get(name, {}).get("city")
    return str(city) if city else name.rsplit("/", 1)[-1].replace("_", " ")


def format_day(value: datetime | None, fmt: str = "medium") -> str:
    """The calendar day of a UTC datetime, in the reader's timezone."""
    return "" if value is None else format_date(value, fmt)


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.filters.update(
        money=format_money,
        number=format_number,
        percent=format_percent,
        when=format_when,
        long_when=format_long_when,
        day=format_day,
    )
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.globals.update(LANGUAGE_NAMES=LANGUAGE_NAMES, current_locale=current_locale)

"""Staff actions on royalties: close a month, adjust a creator's earnings, version the rules."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select

from cocreate.accounts.auth import staff_required
from cocreate.accounts.models import User
from cocreate.config import settings
from cocreate.core import db
from cocreate.core.clock import clock
from cocreate.core.i18n import format_money
from cocreate.core.inputs import MAX_ID
from cocreate.core.money import Money
from cocreate.core.responses import FAILED, failed_page, form_page
from cocreate.royalties import adjustments, ledger, periods, rules
from cocreate.royalties.models import LedgerEntry, ScheduleBasis
from cocreate.royalties.rules import Tier

bp = Blueprint(
    "royalty_admin", __name__, template_folder="templates", url_prefix="/staff/royalties"
)

#: What is kept of a submitted field: a single value, or a reason or tier list.
MAX_FIELD = 200
#: The largest amount staff may enter (minor units): 10,000,000.00 in EUR, a typo guard that
#: also keeps every sum far inside a BIGINT.
MAX_AMOUNT = 10**9
#: A rate's precision: the rate columns are NUMERIC(7, 6).
RATE_STEP = Decimal("0.000001")
MAX_TEXT = adjustments.MAX_REASON + 1


# -- months ---------------------------------------------------------------------------------------


def _months() -> list[dict[str, Any]]:
    """Every month from the first with ledger activity to the current one, newest first:
    closed or not, and whether it has ended (only an ended month can be closed)."""
    session = db.session()
    current = ledger.period_of(clock().now())
    closed = set(periods.closed_periods(session))
    first = session.scalar(select(func.min(LedgerEntry.period)))
    candidates = [p for p in (first, *closed) if p is not None]
    if not candidates:
        return []
    months = periods.months(min(candidates), max([current, *closed]))
    return [
        {"period": month, "closed": month in closed, "ended": month < current}
        for month in reversed(months)
    ]


@bp.route("/periods")
@staff_required
def period_list() -> ResponseReturnValue:
    return form_page("royalties/admin/periods.html", months=_months())


@bp.route("/periods/<period>/close", methods=["POST"])
@staff_required
def close(period: str) -> ResponseReturnValue:
    try:
        result = periods.close_period(
            db.session(), period[:7], actor_id=current_user.id, now=clock().now()
        )
    except periods.PeriodError as error:
        return failed_page("royalties/admin/periods.html", message=str(error), months=_months())
    if result.already_closed:
        flash(_("%(period)s was already closed.", period=result.period), "success")
    else:
        flash(
            ngettext(
                "%(period)s is closed: %(num)d statement written.",
                "%(period)s is closed: %(num)d statements written.",
                result.statements,
                period=result.period,
            ),
            "success",
        )
    return redirect(url_for(".period_list"))


# -- adjustments ----------------------------------------------------------------------------------


def _amount(raw: str) -> Money:
    """A signed amount in major units of the shop's currency ("-3.50"); ValueError if not."""
    currency = settings().CURRENCY
    try:
        amount = Money.from_decimal(Decimal(raw.strip().replace(",", ".")), currency)
    except (InvalidOperation, ValueError) as error:
        raise ValueError(_("Enter the amount as a number, for example -3.50.")) from error
    if abs(amount.amount) > MAX_AMOUNT:
        raise ValueError(_("This amount is too large."))
    return amount


def _whole(text: str) -> bool:
    # "²".isdigit() is true too: only ASCII digits are a number here.
    return text.isascii() and text.isdigit()


def _currency() -> str:
    return settings().CURRENCY


def _creator(raw: str) -> User | None:
    value = raw.strip()
    session = db.session()
    if _whole(value):
        return session.get(User, int(value)) if int(value) <= MAX_ID else None
    return session.scalar(select(User).where(User.email == value.lower()))


@bp.route("/adjustments/new", methods=["GET", "POST"])
@staff_required
def adjustment() -> ResponseReturnValue:
    values = {key: request.form.get(key, "")[:MAX_TEXT] for key in ("creator", "amount", "reason")}
    if request.method == "GET":
        return form_page("royalties/admin/adjustment.html", values=values, currency=_currency())
    creator = _creator(values["creator"][:MAX_FIELD])
    try:
        amount = _amount(values["amount"][:MAX_FIELD])
        if creator is None:
            raise adjustments.AdjustmentError(_("There is no member with that email or id."))
        adjustments.adjust(
            db.session(),
            creator_id=creator.id,
            amount=amount,
            reason=values["reason"],
            actor=current_user,
            at=clock().now(),
        )
    except ValueError as error:  # AdjustmentError is one
        return failed_page(
            "royalties/admin/adjustment.html",
            status=FAILED,
            message=str(error),
            values=values,
            currency=_currency(),
        )
    flash(
        _(
            "%(amount)s recorded for %(name)s.",
            amount=format_money(amount),
            name=creator.display_name,
        ),
        "success",
    )
    return redirect(url_for(".adjustment"))


# -- the schedule ----------------------------------------------------------------------------------


def _tiers(raw: str, basis: ScheduleBasis) -> list[Tier]:
    """Tiers from lines "first unit, value": a percentage, or an amount per unit."""
    tiers = []
    currency = settings().CURRENCY
    for line in raw.strip().splitlines():
        parts = line.replace(";", " ").replace("\t", " ").split()
        if not line.strip():
            continue
        if len(parts) != 2 or not _whole(parts[0]) or int(parts[0]) > MAX_ID:
            raise ValueError(
                _("Write one tier a line: its first unit and its value, for example 101 12.")
            )
        first = int(parts[0])
        try:
            value = Decimal(parts[1].replace(",", "."))
            if basis is ScheduleBasis.PERCENT:
                rate, per_unit = value / 100, None
                exact = rate.is_finite() and rate == rate.quantize(RATE_STEP)
            else:
                rate, per_unit = None, Money.from_decimal(value, currency).amount
                exact = True
        except (InvalidOperation, ValueError) as error:
            raise ValueError(
                _("“%(value)s” is not a number.", value=parts[1][:MAX_FIELD])
            ) from error
        # The rate column keeps 6 decimals (a percentage 4): refuse what it would round.
        if not exact:
            raise ValueError(_("A percentage has at most 4 decimals."))
        if per_unit is not None and per_unit > MAX_AMOUNT:
            raise ValueError(_("This amount is too large."))
        tiers.append(Tier(first, rate, per_unit))
    return tiers


def _schedule_page(values: dict[str, str], **extra: Any) -> dict[str, Any]:
    session = db.session()
    return {
        "values": values,
        "versions": rules.schedules(session),
        "default": rules.default_rules(settings()),
        "bases": list(ScheduleBasis),
        **extra,
    }


@bp.route("/schedule", methods=["GET", "POST"])
@staff_required
def schedule() -> ResponseReturnValue:
    values = {
        key: request.form.get(key, "")[:MAX_TEXT]
        for key in ("effective_from", "basis", "tiers", "award")
    }
    if request.method == "GET":
        values.update(basis=ScheduleBasis.PERCENT.value, tiers="1 10\n101 12\n501 15", award="0")
        return form_page("royalties/admin/schedule.html", **_schedule_page(values))
    try:
        try:
            day = datetime.strptime(values["effective_from"].strip(), "%Y-%m-%d").replace(
                tzinfo=UTC
            )
        except ValueError as error:
            raise ValueError(_("Enter the start date as YYYY-MM-DD.")) from error
        if values["basis"] not in {b.value for b in ScheduleBasis}:
            raise ValueError(_("Choose percentages or amounts per unit."))
        basis = ScheduleBasis(values["basis"])
        rules.save_schedule(
            db.session(),
            effective_from=day,
            basis=basis,
            tiers=_tiers(values["tiers"], basis),
            award=_amount(values["award"] or "0"),
            actor_id=current_user.id,
            now=clock().now(),
        )
    except ValueError as error:  # ScheduleError is one
        return failed_page(
            "royalties/admin/schedule.html", message=str(error), **_schedule_page(values)
        )
    flash(_("The new schedule applies from %(day)s.", day=day.date().isoformat()), "success")
    return redirect(url_for(".schedule"))

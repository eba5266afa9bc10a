"""The staff overview of royalties: what is owed per creator, what moved per month, what each
design earned. Every figure is a SQL aggregate (GROUP BY), never a sum over rows in Python."""

from __future__ import annotations

import io
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.core import spreadsheet
from cocreate.core.money import Money
from cocreate.royalties.models import (
    CREATOR_ACCOUNTS,
    ENTRY,
    Account,
    Kind,
    LedgerEntry,
    LedgerTransaction,
)
from cocreate.royalties.statements import design_totals

T = TypeVar("T")
PER_PAGE = 50
#: Deeper pages than this are refused (the page number is read from the URL).
MAX_PAGE = 10_000


class View(StrEnum):
    CREATORS = "creators"
    MONTHS = "months"
    DESIGNS = "designs"


@dataclass(frozen=True, slots=True)
class CreatorOwed:
    creator_id: int
    name: str
    pending: Money
    cleared: Money

    @property
    def total(self) -> Money:
        return self.pending + self.cleared


@dataclass(frozen=True, slots=True)
class MonthTotals:
    period: str
    accrued: Money
    reversed: Money
    awarded: Money
    adjusted: Money
    cleared: Money
    paid_out: Money


@dataclass(frozen=True, slots=True)
class DesignTotals:
    design_id: int
    title: str
    creator_id: int
    creator_name: str
    units: int
    net: Money
    royalties: Money


@dataclass(frozen=True, slots=True)
class Listing(Generic[T]):
    items: list[T]
    page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def _sum_where(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, ENTRY.amount_amount), else_=0)), 0)


def owed_by_creator(
    session: Session, currency: str, *, page: int | None = 1, per_page: int = PER_PAGE
) -> Listing[CreatorOwed]:
    """What the shop owes each creator (pending, cleared), most owed first; `page=None` for
    every creator (the CSV)."""
    pending = _sum_where(LedgerEntry.account == Account.CREATOR_PENDING)
    cleared = _sum_where(LedgerEntry.account == Account.CREATOR_CLEARED)
    total = func.sum(ENTRY.amount_amount)
    query = (
        select(User.id, User.display_name, pending, cleared)
        .join(LedgerEntry, LedgerEntry.creator_id == User.id)
        .where(LedgerEntry.account.in_(CREATOR_ACCOUNTS))
        .group_by(User.id, User.display_name)
        .order_by(total.desc(), User.id)
    )
    rows, has_next = _page(session, query, page, per_page)
    items = [
        CreatorOwed(creator_id, name, Money(int(p), currency), Money(int(c), currency))
        for creator_id, name, p, c in rows
    ]
    return Listing(items, page or 1, has_next)


def by_month(session: Session, currency: str) -> list[MonthTotals]:
    """Per period, newest first: what creators' balances gained and lost, by kind."""
    kind = LedgerTransaction.kind
    creator_legs = LedgerEntry.account.in_(CREATOR_ACCOUNTS)
    rows = session.execute(
        select(
            LedgerEntry.period,
            _sum_where(creator_legs & (kind == Kind.ACCRUAL)),
            _sum_where(creator_legs & (kind == Kind.REVERSAL)),
            _sum_where(creator_legs & (kind == Kind.AWARD)),
            _sum_where(creator_legs & (kind == Kind.ADJUSTMENT)),
            _sum_where((LedgerEntry.account == Account.CREATOR_CLEARED) & (kind == Kind.CLEARING)),
            _sum_where(creator_legs & (kind == Kind.PAYOUT)),
        )
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .group_by(LedgerEntry.period)
        .order_by(LedgerEntry.period.desc())
    ).all()
    return [
        MonthTotals(period, *(Money(int(value), currency) for value in values))
        for period, *values in rows
    ]


def by_design(
    session: Session, currency: str, *, page: int | None = 1, per_page: int = PER_PAGE
) -> Listing[DesignTotals]:
    """Per design: units sold net of refunds, net revenue, royalties; most earning first."""
    query = design_totals(User.id, User.display_name).join(
        User, User.id == LedgerTransaction.creator_id
    )
    rows, has_next = _page(session, query, page, per_page)
    items = [
        DesignTotals(
            design_id,
            title,
            creator_id,
            name,
            int(units),
            Money(int(net), currency),
            Money(int(amount), currency),
        )
        for design_id, title, creator_id, name, units, net, amount in rows
    ]
    return Listing(items, page or 1, has_next)


def _page(
    session: Session, query: Select[*tuple[Any, ...]], page: int | None, per_page: int
) -> tuple[list[Any], bool]:
    if page is None:
        return list(session.execute(query).all()), False
    rows = list(session.execute(query.offset((page - 1) * per_page).limit(per_page + 1)).all())
    return rows[:per_page], len(rows) > per_page


def page_number(text: str | None) -> int:
    """A page number from the URL: 1 for anything that is not a whole number in range."""
    if text and text.isascii() and text.isdigit() and len(text) <= 5:
        return min(max(int(text), 1), MAX_PAGE)
    return 1


# -- CSV -----------------------------------------------------------------------------------------


def _plain(money: Money) -> str:
    return str(money.to_decimal())


def overview_csv(session: Session, view: View, currency: str) -> bytes:
    """The whole table of one view (not one page), plain decimals, UTF-8 with a BOM."""
    text = io.StringIO()
    writer = spreadsheet.writer(text)
    if view == View.CREATORS:
        writer.writerow([_("Creator id"), _("Creator"), _("Pending"), _("Cleared"), _("Total")])
        for c in owed_by_creator(session, currency, page=None).items:
            writer.writerow(
                [c.creator_id, c.name, _plain(c.pending), _plain(c.cleared), _plain(c.total)]
            )
    elif view == View.MONTHS:
        writer.writerow(
            [
                _("Month"),
                _("Royalties on sales"),
                _("Reversed by refunds"),
                _("Awards"),
                _("Adjustments"),
                _("Cleared"),
                _("Payouts"),
            ]
        )
        for m in by_month(session, currency):
            writer.writerow(
                [
                    m.period,
                    _plain(m.accrued),
                    _plain(m.reversed),
                    _plain(m.awarded),
                    _plain(m.adjusted),
                    _plain(m.cleared),
                    _plain(m.paid_out),
                ]
            )
    else:
        writer.writerow(
            [
                _("Design id"),
                _("Design"),
                _("Creator"),
                _("Units"),
                _("Net revenue"),
                _("Royalties"),
            ]
        )
        for d in by_design(session, currency, page=None).items:
            writer.writerow(
                [d.design_id, d.title, d.creator_name, d.units, _plain(d.net), _plain(d.royalties)]
            )
    return ("\ufeff" + text.getvalue()).encode("utf-8")

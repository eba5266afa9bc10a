"""A statement as a CSV file and as a PDF (fpdf2), with the page's lines and totals.

The CSV is for spreadsheets in any language: ISO dates, plain decimal amounts ("12.34", a dot,
no currency sign), UTF-8. The PDF is for people: amounts and dates in the reader's language,
drawn with the PDF's built-in fonts (characters they lack are replaced, see core.pdf.text).
Both list the same rows as the page: `summary()` is the one list of totals all three show.
"""

from __future__ import annotations

import io
from decimal import Decimal

from flask_babel import format_date
from flask_babel import gettext as _

from cocreate.core import pdf, spreadsheet
from cocreate.core.i18n import format_money, format_number, format_percent
from cocreate.core.money import Money
from cocreate.royalties.chart import month_long
from cocreate.royalties.models import Kind
from cocreate.royalties.statements import EarningLine, Movement, StatementReport
from cocreate.shop.items import variant_words


def kind_label(kind: Kind) -> str:
    labels = {
        Kind.ACCRUAL: _("Sale"),
        Kind.REVERSAL: _("Refund"),
        Kind.AWARD: _("Award"),
        Kind.ADJUSTMENT: _("Adjustment"),
        Kind.CLEARING: _("Cleared"),
        Kind.PAYOUT: _("Payout"),
    }
    return labels[kind]


def variant_text(line: EarningLine) -> str:
    """ "T-shirt, black, M" in the reader's language ("" without an order line)."""
    return ", ".join(variant_words(line.product, line.colour, line.size)) if line.product else ""


def rate_text(line: EarningLine) -> str:
    """ "10 %" for a percentage tier, "€0.50 per unit" for a per-unit one, in the reader's
    language."""
    if line.rate is not None:
        return format_percent(line.rate, digits=_rate_digits(line.rate))
    assert line.per_unit is not None  # the schema's rate_or_per_unit check
    return _("%(amount)s per unit", amount=format_money(line.per_unit))


def _rate_digits(rate: Decimal) -> int:
    exponent = (rate * 100).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def movement_text(movement: Movement) -> str:
    """What a movement is, for a reader: an adjustment's reason, an award's design, a
    payout's reference, a clearing's direction."""
    if movement.kind == Kind.ADJUSTMENT:
        return movement.memo
    if movement.kind == Kind.AWARD:
        if movement.design_title:
            return _("Design “%(title)s” approved", title=movement.design_title)
        return movement.memo
    if movement.kind == Kind.CLEARING:
        return _("Moved from pending to cleared after the return window")
    if movement.kind == Kind.PAYOUT:
        if movement.amount.amount > 0:
            return _(
                "Payout failed: amount returned (%(reference)s)",
                reference=movement.payout_reference or "-",
            )
        return _("Payout %(reference)s", reference=movement.payout_reference or "-")
    return movement.memo


def movement_amount(movement: Movement) -> Money:
    """The amount a movement shows: what it moved to the cleared balance for a clearing (its
    total is zero), its effect on the whole balance otherwise."""
    return movement.cleared if movement.kind == Kind.CLEARING else movement.amount


def summary(report: StatementReport) -> list[tuple[str, str, Money]]:
    """(key, label, amount): the statement's totals, in the order every format shows them."""
    return [
        ("opening_pending", _("Opening balance, pending"), report.opening.pending),
        ("opening_cleared", _("Opening balance, cleared"), report.opening.cleared),
        ("opening", _("Opening balance"), report.opening.total),
        ("accrued", _("Royalties on sales"), report.accrued),
        ("reversed", _("Royalties reversed by refunds"), report.reversed),
        ("awarded", _("Awards"), report.awarded),
        ("adjusted", _("Adjustments"), report.adjusted),
        ("cleared", _("Cleared this month"), report.cleared_in_month),
        ("paid_out", _("Payouts"), report.paid_out),
        ("closing_pending", _("Closing balance, pending"), report.closing.pending),
        ("closing_cleared", _("Closing balance, cleared"), report.closing.cleared),
        ("closing", _("Closing balance"), report.closing.total),
    ]


def file_name(report: StatementReport, extension: str, *, creator_id: int | None = None) -> str:
    who = f"-{creator_id}" if creator_id is not None else ""
    return f"cocreate-statement-{report.period}{who}.{extension}"


# -- CSV -----------------------------------------------------------------------------------------


def _plain(money: Money | None) -> str:
    return "" if money is None else str(money.to_decimal())


def _rate_plain(line: EarningLine) -> str:
    """A percentage rate as a plain number: "10", "12.5" ("" for a per-unit tier)."""
    return "" if line.rate is None else f"{(line.rate * 100).normalize():f}"


def csv_header() -> list[str]:
    return [
        _("Date"),
        _("Type"),
        _("Order"),
        _("Design"),
        _("Variant"),
        _("Units"),
        _("Unit net price"),
        _("Net revenue"),
        _("Tier"),
        _("Rate (%)"),
        _("Per unit"),
        _("Amount"),
        _("Note"),
    ]


def statement_csv(report: StatementReport) -> bytes:
    """One row per line, then the movements, the per-design subtotals and the totals. UTF-8
    with a byte-order mark (spreadsheets then read accents right), CRLF line ends."""
    text = io.StringIO()
    writer = spreadsheet.writer(text)
    writer.writerow(csv_header())
    for line in report.lines:
        writer.writerow(
            [
                line.day.isoformat(),
                kind_label(line.kind),
                line.order_number,
                line.title,
                variant_text(line),
                line.units,
                _plain(line.unit_net),
                _plain(line.net),
                line.tier,
                _rate_plain(line),
                _plain(line.per_unit),
                _plain(line.amount),
                "",
            ]
        )
    for movement in report.movements:
        writer.writerow(
            [
                movement.day.isoformat(),
                kind_label(movement.kind),
                "",
                movement.design_title,
                *([""] * 7),
                _plain(movement_amount(movement)),
                movement_text(movement),
            ]
        )
    for design in report.designs:
        writer.writerow(
            [
                "",
                _("Subtotal"),
                "",
                design.title,
                "",
                design.units,
                "",
                _plain(design.net),
                "",
                "",
                "",
                _plain(design.royalties),
                "",
            ]
        )
    total = ["", _("Total"), "", "", "", report.units, "", _plain(report.net), "", "", ""]
    writer.writerow([*total, _plain(report.royalties), ""])
    for _key, label, amount in summary(report):
        writer.writerow(["", label, *([""] * 9), _plain(amount), ""])
    return ("\ufeff" + text.getvalue()).encode("utf-8")


# -- PDF -----------------------------------------------------------------------------------------


def statement_title(report: StatementReport) -> str:
    return _("Royalty statement, %(month)s", month=month_long(report.period))


def statement_pdf(report: StatementReport, creator_name: str, *, compress: bool = True) -> bytes:
    """The statement as PDF bytes, in the reader's language (`compress=False` for tests that
    read its text)."""
    title = statement_title(report)
    document = pdf.Document(title, compress=compress, orientation="landscape", table_size=9)
    document.heading(title)
    document.paragraph(creator_name)
    if not report.closed:
        document.paragraph(_("Running statement: this month is not closed yet."))
    if report.lines:
        document.heading(_("Sales and refunds"), size=12)
        rows = [
            (
                format_date(line.day),
                kind_label(line.kind),
                line.order_number,
                line.title,
                variant_text(line),
                format_number(line.units),
                format_money(line.unit_net),
                format_money(line.net),
                f"{line.tier}: {rate_text(line)}",
                format_money(line.amount),
            )
            for line in report.lines
        ]
        header = (
            _("Date"),
            _("Type"),
            _("Order"),
            _("Design"),
            _("Variant"),
            _("Units"),
            _("Unit net price"),
            _("Net revenue"),
            _("Tier and rate"),
            _("Amount"),
        )
        document.table(header, rows, (24, 18, 28, 40, 42, 14, 24, 24, 35, 28))
    if report.movements:
        document.heading(_("Awards, adjustments, clearings and payouts"), size=12)
        movement_rows = [
            (
                format_date(m.day),
                kind_label(m.kind),
                movement_text(m),
                format_money(movement_amount(m)),
            )
            for m in report.movements
        ]
        document.table(
            (_("Date"), _("Type"), _("Details"), _("Amount")), movement_rows, (30, 30, 177, 40)
        )
    if report.designs:
        document.heading(_("By design"), size=12)
        design_rows = [
            (d.title, format_number(d.units), format_money(d.net), format_money(d.royalties))
            for d in report.designs
        ]
        document.table(
            (_("Design"), _("Units"), _("Net revenue"), _("Royalties")),
            design_rows,
            (127, 30, 60, 60),
        )
    document.heading(_("Totals"), size=12)
    document.table(
        (_("Total"), _("Amount")),
        [(label, format_money(amount)) for _key, label, amount in summary(report)],
        (197, 80),
    )
    return document.output()

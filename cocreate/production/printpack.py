"""A run's print pack: one zip for the print partner with the print master, the mockups, a spec
sheet (PDF, made with fpdf2) and a CSV of variants and quantities for their order form.

The zip is written to a file the caller gives (a temporary file, for the download), not built
in memory: a print master can weigh a hundred megabytes. Images are stored as they are (PNG
and WebP are compressed already); the PDF and the CSV are deflated.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from decimal import Decimal
from typing import IO

from flask_babel import gettext as _

from cocreate.catalogue import products as catalogue
from cocreate.core import pdf, spreadsheet
from cocreate.core.i18n import format_day, format_money, format_number
from cocreate.core.storage import Storage
from cocreate.designs.models import Design
from cocreate.designs.services import PRINT_DPI, print_size, product_label
from cocreate.production.lifecycle import state_label
from cocreate.production.models import ProductionRun, RunLine
from cocreate.production.stock import sku

CSV_HEADER = ("sku", "product", "colour", "size", "quantity")


def file_name(run: ProductionRun) -> str:
    return f"run-{run.id}-print-pack.zip"


def colour_label(product: str, colour: str) -> str:
    """The colour's name in the reader's language ("" for a product without colours)."""
    if not colour:
        return ""
    if catalogue.is_product(product):
        try:
            return str(catalogue.get(product).colour(colour).name)
        except KeyError:
            pass
    return colour


def mockup_name(product: str, colour: str, suffix: str) -> str:
    return f"mockups/{product}{'-' + colour if colour else ''}{suffix}"


def _suffix(key: str) -> str:
    return key[key.rfind(".") :] if "." in key else ""


def variants_csv(run: ProductionRun) -> bytes:
    """sku, product, colour, size, quantity: catalogue keys (stable, in no language), one line
    per variant in catalogue order. UTF-8, CRLF line ends, as spreadsheets expect."""
    text = io.StringIO()
    writer = spreadsheet.writer(text)
    writer.writerow(CSV_HEADER)
    for line in run.lines:
        code = sku(run.design_id, line.product, line.colour, line.size)
        writer.writerow((code, line.product, line.colour, line.size, line.quantity))
    return text.getvalue().encode("utf-8")


def spec_title(run: ProductionRun, design: Design) -> str:
    return _("Print spec: “%(title)s”, run %(run)d", title=design.title, run=run.id)


def spec_sheet(run: ProductionRun, *, compress: bool = True) -> bytes:
    """The spec sheet as PDF bytes, in the reader's language (`compress=False` for tests that
    read its text)."""
    design = run.design
    sheet = pdf.Document(spec_title(run, design), compress=compress, orientation="portrait")
    sheet.heading(spec_title(run, design))
    sheet.fact(_("Design"), f"{design.title} (D{design.id:05d})")
    sheet.fact(_("Designer"), design.designer.display_name)
    sheet.fact(_("Run"), f"{run.id}, {state_label(run.state)}")
    sheet.fact(_("Planned on"), format_day(run.created_at))
    sheet.fact(
        _("Print master"),
        _(
            "%(width)d×%(height)d px, that is %(size)s at %(dpi)d dpi",
            width=design.width,
            height=design.height,
            size=print_size(design.width, design.height),
            dpi=PRINT_DPI,
        ),
    )
    sheet.fact(_("Total units"), format_number(run.total_quantity))
    if run.note:
        sheet.fact(_("Note"), run.note)
    sheet.space(4)
    for product in _products(run):
        _product_section(sheet, run, product)
    return sheet.output()


def _products(run: ProductionRun) -> list[str]:
    seen: list[str] = []
    for line in run.lines:
        if line.product not in seen:
            seen.append(line.product)
    return seen


def _product_section(sheet: pdf.Document, run: ProductionRun, product: str) -> None:
    lines: list[RunLine] = [line for line in run.lines if line.product == product]
    total = sum(line.quantity for line in lines)
    sheet.heading(
        _(
            "%(product)s: %(units)s units at %(price)s",
            product=product_label(product),
            units=format_number(total),
            price=format_money(run.price_of(product)),
        ),
        size=13,
    )
    if catalogue.is_product(product):
        width_mm, height_mm = catalogue.get(product).print_area_mm
        sheet.fact(
            _("Print area"),
            _(
                "%(width)s × %(height)s cm",
                width=format_number(Decimal(width_mm) / 10),
                height=format_number(Decimal(height_mm) / 10),
            ),
        )
    colours = []
    for line in lines:
        name = colour_label(product, line.colour)
        if name and name not in colours:
            colours.append(name)
    if colours:
        sheet.fact(_("Garment colours"), ", ".join(colours))
    sheet.space(2)
    rows = [
        (
            sku(run.design_id, line.product, line.colour, line.size),
            colour_label(product, line.colour) or "-",
            line.size,
            format_number(line.quantity),
        )
        for line in lines
    ]
    sheet.table((_("SKU"), _("Colour"), _("Size"), _("Quantity")), rows, (50, 30, 20, 20))


def write_print_pack(
    out: IO[bytes], run: ProductionRun, storage: Storage, *, at: datetime, compress: bool = True
) -> list[str]:
    """Write the run's zip to `out`; returns the member names, in order."""
    design = run.design
    stamp = at.timetuple()[:6]
    names: list[str] = []

    def add(name: str, data: bytes, method: int) -> None:
        info = zipfile.ZipInfo(name, date_time=stamp)
        info.compress_type = method
        archive.writestr(info, data)
        names.append(name)

    printed = {(line.product, line.colour) for line in run.lines}
    with zipfile.ZipFile(out, "w") as archive:
        add(
            f"print-master{_suffix(design.original_key)}",
            storage.open(design.original_key),
            zipfile.ZIP_STORED,
        )
        for mockup in design.mockups:
            if (mockup.product, mockup.colour) in printed:
                name = mockup_name(mockup.product, mockup.colour, _suffix(mockup.key))
                add(name, storage.open(mockup.key), zipfile.ZIP_STORED)
        add("spec-sheet.pdf", spec_sheet(run, compress=compress), zipfile.ZIP_DEFLATED)
        add("variants.csv", variants_csv(run), zipfile.ZIP_DEFLATED)
    return names

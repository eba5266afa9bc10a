"""A run's print pack: one zip for the print partner with the print master, the mockups, a spec
sheet (PDF, made with fpdf2) and a CSV of variants and quantities for their order form.

The zip is written to a file the caller gives (a temporary file, for the download), not built
in memory: a print master can weigh a hundred megabytes. Images are stored as they are (PNG
and WebP are compressed already); the PDF and the CSV are deflated.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import IO

from flask_babel import gettext as _
from fpdf import FPDF

from cocreate.catalogue import products as catalogue
from cocreate.core import spreadsheet
from cocreate.core.i18n import format_day, format_money, format_number
from cocreate.core.storage import Storage
from cocreate.designs.models import Design
from cocreate.designs.services import PRINT_DPI, print_size, product_label
from cocreate.production.lifecycle import state_label
from cocreate.production.models import ProductionRun, RunLine
from cocreate.production.stock import sku

CSV_HEADER = ("sku", "product", "colour", "size", "quantity")
#: The PDF's built-in fonts cover Windows-1252 (Western European, with “ ” ’ – €): enough for
#: the sheet's own words in English and French, without shipping a font file.
PDF_ENCODING = "windows-1252"


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


def pdf_text(text: str) -> str:
    """`text` as the PDF's built-in fonts can draw it: a character outside Windows-1252 becomes
    its base letter ("Ō" → "O", a narrow no-break space → a space) or, failing that, "?"."""
    out = []
    for char in text:
        try:
            char.encode(PDF_ENCODING)
            out.append(char)
            continue
        except UnicodeEncodeError:
            pass
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        try:
            base.encode(PDF_ENCODING)
            out.append(base or "?")
        except UnicodeEncodeError:
            out.append("?")
    return "".join(out)


def spec_title(run: ProductionRun, design: Design) -> str:
    return _("Print spec: “%(title)s”, run %(run)d", title=design.title, run=run.id)


class _Sheet:
    def __init__(self, compress: bool) -> None:
        self.pdf = FPDF(format="A4")
        self.pdf.core_fonts_encoding = PDF_ENCODING
        self.pdf.set_compression(compress)
        self.pdf.set_auto_page_break(auto=True, margin=15)
        self.pdf.add_page()

    def heading(self, text: str, size: int = 16) -> None:
        self.pdf.set_font("Helvetica", "B", size)
        self.pdf.multi_cell(0, size * 0.5, pdf_text(text), new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(2)

    def fact(self, label: str, value: str) -> None:
        self.pdf.set_font("Helvetica", "B", 10)
        self.pdf.cell(45, 6, pdf_text(label))
        self.pdf.set_font("Helvetica", "", 10)
        self.pdf.multi_cell(0, 6, pdf_text(value), new_x="LMARGIN", new_y="NEXT")

    def table(self, header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
        self.pdf.set_font("Helvetica", "", 10)
        with self.pdf.table(col_widths=(50, 30, 20, 20), text_align="LEFT") as table:
            for values in [header, *rows]:
                row = table.row()
                for value in values:
                    row.cell(pdf_text(value))
        self.pdf.ln(4)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def spec_sheet(run: ProductionRun, *, compress: bool = True) -> bytes:
    """The spec sheet as PDF bytes, in the reader's language (`compress=False` for tests that
    read its text)."""
    design = run.design
    sheet = _Sheet(compress)
    sheet.pdf.set_title(pdf_text(spec_title(run, design)))
    sheet.pdf.set_creator("cocreate")
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
    sheet.pdf.ln(4)
    for product in _products(run):
        _product_section(sheet, run, product)
    return sheet.output()


def _products(run: ProductionRun) -> list[str]:
    seen: list[str] = []
    for line in run.lines:
        if line.product not in seen:
            seen.append(line.product)
    return seen


def _product_section(sheet: _Sheet, run: ProductionRun, product: str) -> None:
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
    sheet.pdf.ln(2)
    rows = [
        (
            sku(run.design_id, line.product, line.colour, line.size),
            colour_label(product, line.colour) or "-",
            line.size,
            format_number(line.quantity),
        )
        for line in lines
    ]
    sheet.table((_("SKU"), _("Colour"), _("Size"), _("Quantity")), rows)


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

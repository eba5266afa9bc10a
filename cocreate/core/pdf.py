"""Small PDF documents (a run's spec sheet, a royalty statement) with fpdf2's built-in fonts.

The built-in fonts need no font file on the server, and draw Windows-1252 only: `text()` maps
every string onto it first. A name in another script prints as "?" (a known limit: embedding a
Unicode TrueType font would lift it).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Literal

from fpdf import FPDF

ENCODING = "windows-1252"


def text(value: str) -> str:
    """`value` as the PDF's built-in fonts can draw it: a character outside Windows-1252
    becomes its base letter ("Ō" → "O", a narrow no-break space → a space) or, failing that,
    "?"."""
    out = []
    for char in value:
        try:
            char.encode(ENCODING)
            out.append(char)
            continue
        except UnicodeEncodeError:
            pass
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        try:
            base.encode(ENCODING)
            out.append(base or "?")
        except UnicodeEncodeError:
            out.append("?")
    return "".join(out)


class Document:
    """An A4 document written top to bottom: headings, paragraphs, label/value facts, tables.
    `compress=False` leaves the text readable in the bytes, for tests."""

    def __init__(
        self,
        title: str,
        *,
        compress: bool,
        orientation: Literal["portrait", "landscape"],
        table_size: int = 10,
    ) -> None:
        self.table_size = table_size
        self.pdf = FPDF(orientation=orientation, format="A4")
        self.pdf.core_fonts_encoding = ENCODING
        self.pdf.set_compression(compress)
        self.pdf.set_auto_page_break(auto=True, margin=15)
        self.pdf.set_title(text(title))
        self.pdf.set_creator("cocreate")
        self.pdf.add_page()

    def heading(self, words: str, size: int = 16) -> None:
        self.pdf.set_font("Helvetica", "B", size)
        self.pdf.multi_cell(0, size * 0.5, text(words), new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(2)

    def paragraph(self, words: str) -> None:
        self.pdf.set_font("Helvetica", "", 10)
        self.pdf.multi_cell(0, 6, text(words), new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(2)

    def fact(self, label: str, value: str) -> None:
        self.pdf.set_font("Helvetica", "B", 10)
        self.pdf.cell(45, 6, text(label))
        self.pdf.set_font("Helvetica", "", 10)
        self.pdf.multi_cell(0, 6, text(value), new_x="LMARGIN", new_y="NEXT")

    def space(self, height: float) -> None:
        self.pdf.ln(height)

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[int],
    ) -> None:
        self.pdf.set_font("Helvetica", "", self.table_size)
        with self.pdf.table(col_widths=tuple(widths), text_align="LEFT") as table:
            for values in [header, *rows]:
                row = table.row()
                for value in values:
                    row.cell(text(value))
        self.pdf.ln(4)

    def output(self) -> bytes:
        return bytes(self.pdf.output())

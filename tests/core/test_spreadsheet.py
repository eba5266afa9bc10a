"""CSV cells that a spreadsheet would run as formulas are written as text."""

from __future__ import annotations

import io

import pytest

from cocreate.core import spreadsheet


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil.test","Click")', '\'=HYPERLINK("http://evil.test","Click")'),
        ("+33 1 23", "'+33 1 23"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("-2.08", "-2.08"),
        ("-12", "-12"),
        ("Harbour = Sunset", "Harbour = Sunset"),
        (12, 12),
        ("", ""),
    ],
)
def test_cells(value: object, written: object) -> None:
    assert spreadsheet.cell(value) == written


def test_writer_uses_crlf_and_escapes_each_cell() -> None:
    out = io.StringIO()
    spreadsheet.writer(out).writerow(["=1+1", "-4.17", "Zoë"])
    assert out.getvalue() == "'=1+1,-4.17,Zoë\r\n"

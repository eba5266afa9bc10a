"""CSV for spreadsheets, safe against formula injection.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula by
Excel, LibreOffice and Google Sheets: a design titled `=HYPERLINK("http://evil", "Click")`
would become a live link in a staff member's export. Such text cells get a leading apostrophe
(OWASP's advice), which spreadsheets show as text. Numbers stay numbers: "-2.08" is an amount,
not a formula.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, TextIO

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def cell(value: Any) -> Any:
    formula = isinstance(value, str) and value.startswith(_FORMULA_START)
    if formula and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


class Writer:
    """`csv.writer` with CRLF line ends (RFC 4180) whose rows go through `cell`."""

    def __init__(self, stream: TextIO) -> None:
        self._writer = csv.writer(stream, lineterminator="\r\n")

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(stream: TextIO) -> Writer:
    return Writer(stream)

"""Checks that a translation catalogue covers every message the code can show.

Used by the test suite (and `flask i18n check`), so a change that adds a string without its
French translation fails CI.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

#: The same extraction as `make i18n` (babel.cfg plus the lazy keywords).
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
METHOD_MAP = [
    ("**/templates/**.html", "jinja2"),
    ("**/templates/**.txt", "jinja2"),
    ("**.py", "python"),
]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


@dataclass(frozen=True)
class Problem:
    msgid: str
    reason: str  # "missing", "empty" or "fuzzy"
    where: str

    def __str__(self) -> str:
        return f"{self.reason}: {self.msgid!r} ({self.where})"


def extract(root: Path) -> dict[str, str]:
    """Every msgid under `root`, mapped to one place it comes from."""
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        root, METHOD_MAP, OPTIONS, KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def problems(messages: dict[str, str], po_path: Path) -> list[Problem]:
    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    found = []
    for msgid, where in sorted(messages.items()):
        entry = catalog.get(msgid)
        if entry is None:
            found.append(Problem(msgid, "missing", where))
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if not all(strings):
            found.append(Problem(msgid, "empty", where))
        elif entry.fuzzy:
            found.append(Problem(msgid, "fuzzy", where))
    return found

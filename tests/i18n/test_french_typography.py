"""French translations follow French typography and keep every placeholder of their msgid.

Rules (see the translation brief in the catalogue's history):

- a no-break space U+00A0 before ``:``, a narrow no-break space U+202F before ``;`` ``!`` ``?``;
- « guillemets » with U+00A0 inside, never ASCII ``"`` (nor English “curly” quotes);
- the typographic apostrophe U+2019, never the typewriter ``'``;
- the same ``%(name)s`` / ``%(count)d`` placeholders as the msgid (order may change).

Parts of a string where these rules do not apply are masked before checking, keeping their
length so positions still point into the original text: placeholders (a ``?`` or ``:`` can only
appear there through a typo, which the placeholder comparison reports), URLs (``https://…?a=b``),
HTML tags (``<a href="…">``) and ``%%``. A colon between two digits (``23:09``, ``16:9``, or a
numeric placeholder next to one) is a time or a ratio, not punctuation.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

PO_PATH = Path(__file__).resolve().parents[2] / "cocreate/translations/fr/LC_MESSAGES/messages.po"

NBSP = "\u00a0"
NNBSP = "\u202f"
#: The character each punctuation mark must follow.
SPACE_BEFORE = {":": NBSP, ";": NNBSP, "!": NNBSP, "?": NNBSP}
SPACE_NAMES = {NBSP: "U+00A0 no-break space", NNBSP: "U+202F narrow no-break space"}

#: A named placeholder: name, optional flags/width/precision, conversion type.
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0+]*\d*(?:\.\d+)?([diouxXeEfFgGcrsa])")
#: Anything that looks like the start of a named placeholder, even a broken one (`%(na me)s`).
PLACEHOLDER_LIKE = re.compile(r"%\([^)]*\)[-#0+]*\d*(?:\.\d+)?[a-zA-Z]?")
NUMERIC_TYPES = frozenset("diouxXeEfFgG")
URL = re.compile(r"\b(?:[a-zA-Z][a-zA-Z0-9+.-]*://|mailto:|tel:)[^\s<>«»\"]*")
HTML_TAG = re.compile(r"</?[a-zA-Z!?][^<>]*>")


def _mask(text: str) -> str:
    """`text` with the spans the rules do not apply to blanked out, at the same length."""

    def blank(match: re.Match[str]) -> str:
        return "_" * len(match.group())

    def placeholder(match: re.Match[str]) -> str:
        # A numeric placeholder stands for digits, so `%(h)d:%(m)02d` reads as a time.
        digit = match.group()[-1:] in NUMERIC_TYPES
        return ("0" if digit else "_") * len(match.group())

    masked = text.replace("%%", "__")
    masked = PLACEHOLDER_LIKE.sub(placeholder, masked)
    masked = URL.sub(blank, masked)
    return HTML_TAG.sub(blank, masked)


def _where(text: str, index: int) -> str:
    return repr(text[max(0, index - 12) : index + 2])


def typography_problems(text: str) -> list[str]:
    """What breaks the French typography rules in one translated string (empty when fine)."""
    masked = _mask(text)
    found = []
    for index, char in enumerate(masked):
        if char in SPACE_BEFORE and index > 0:
            before = masked[index - 1]
            after = masked[index + 1 : index + 2]
            if char == ":" and before.isdigit() and after.isdigit():
                continue  # 23:09, 16:9
            if char != ":" and before in "?!":
                continue  # ?! and !! follow their first mark directly
            wanted = SPACE_BEFORE[char]
            if before != wanted:
                problem = "no space" if not before.isspace() else f"{before!r}"
                use = SPACE_NAMES[wanted]
                found.append(f"{problem} before {char!r} (use {use}) at {_where(text, index)}")
        elif char == '"':
            found.append(f"ASCII double quote (use « ») at {_where(text, index)}")
        elif char in "“”":
            found.append(f"English quotation mark {char!r} (use « ») at {_where(text, index)}")
        elif char == "'":
            found.append(f"typewriter apostrophe (use U+2019) at {_where(text, index)}")
        elif char == "«" and masked[index + 1 : index + 2] != NBSP:
            found.append(f"« not followed by U+00A0 at {_where(text, index)}")
        elif char == "»" and (index == 0 or masked[index - 1] != NBSP):
            found.append(f"» not preceded by U+00A0 at {_where(text, index)}")
    return found


def placeholders(text: str) -> set[str]:
    """Every named placeholder, as written (`%(num)d`), so names and types are both compared."""
    return {match.group() for match in PLACEHOLDER.finditer(text)}


def placeholder_problems(source: str, translation: str) -> list[str]:
    expected, got = placeholders(source), placeholders(translation)
    found = []
    if missing := sorted(expected - got):
        found.append(f"placeholders missing: {', '.join(missing)}")
    if extra := sorted(got - expected):
        found.append(f"placeholders not in the msgid: {', '.join(extra)}")
    if source.count("%%") != translation.count("%%"):
        found.append("'%%' count differs from the msgid")
    return found


def _forms(
    message_id: str | tuple[str, ...], string: str | tuple[str, ...]
) -> list[tuple[str, str]]:
    """(source, translation) pairs: msgstr[0] against the singular, later forms the plural."""
    if isinstance(string, str):
        return [(message_id if isinstance(message_id, str) else message_id[0], string)]
    ids = (message_id,) if isinstance(message_id, str) else tuple(message_id)
    return [(ids[0] if index == 0 else ids[-1], form) for index, form in enumerate(string)]


def catalogue_problems(catalog: Catalog) -> list[str]:
    """One line per broken translation: the msgid, the msgstr index and what is wrong."""
    found = []
    for message in catalog:
        if not message.id:
            continue  # the header
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        for index, (source, translation) in enumerate(_forms(message.id, message.string)):
            if not translation:
                continue  # missing translations are test_catalogue_complete's business
            label = f"msgstr[{index}]" if isinstance(message.string, tuple) else "msgstr"
            for problem in typography_problems(translation) + placeholder_problems(
                source, translation
            ):
                found.append(f"{msgid!r} ({label}): {problem}")
    return found


def test_french_catalogue_typography() -> None:
    with PO_PATH.open("rb") as handle:
        catalog = read_po(handle)
    assert len(catalog) > 100  # the catalogue was read
    found = catalogue_problems(catalog)
    assert not found, "French typography or placeholder problems:\n" + "\n".join(found)


# --- The checker itself -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Déjà membre\u202f?",
        "Bienvenue, %(name)s\u202f! Nous avons envoyé un lien.",
        "Veuillez vérifier\u00a0: c\u2019est important\u202f; merci.",
        "%(name)s a désormais le rôle «\u00a0%(role)s\u00a0».",
        "Vraiment\u202f?!",
        "Ouvrez https://cocreate.example/reset?token=a:b&x=1 pour continuer.",
        "Écrivez à mailto:team@cocreate.example dès que possible.",
        "Envoyé à 23:09, format 16:9.",
        "Le %(day)d à %(hour)d:%(minute)02d.",
        'Lisez <a href="https://cocreate.example/aide">l\u2019aide</a>.',
        "Une remise de 10\u00a0%% aujourd\u2019hui.",
        "Aucune ponctuation ici",
        "",
    ],
)
def test_checker_accepts_good_typography(text: str) -> None:
    assert typography_problems(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Déjà membre ?", "' ' before '?'"),
        ("Déjà membre?", "no space before '?'"),
        ("Merci !", "' ' before '!'"),
        ("Attention ; vraiment", "' ' before ';'"),
        ("Adresse e-mail :", "' ' before ':'"),
        ("Adresse e-mail:", "no space before ':'"),
        ("Adresse e-mail\u202f:", "'\\u202f' before ':'"),
        ("Déjà membre\u00a0?", "'\\xa0' before '?'"),
        ("Bienvenue, %(name)s!", "no space before '!'"),
        ("Ouvrez https://cocreate.example/ maintenant!", "no space before '!'"),
        ('Le rôle "Équipe"', "ASCII double quote"),
        ("Le rôle “Équipe”", "English quotation mark"),
        ("L'équipe cocreate", "typewriter apostrophe"),
        ("Le rôle « Équipe\u00a0»", "« not followed by U+00A0"),
        ("Le rôle «\u00a0Équipe »", "» not preceded by U+00A0"),
    ],
)
def test_checker_rejects_bad_typography(text: str, expected: str) -> None:
    found = typography_problems(text)
    assert found
    assert all(expected in problem for problem in found), found


def test_checker_compares_placeholders() -> None:
    assert placeholder_problems("Hello %(name)s!", "Bonjour %(name)s\u202f!") == []
    assert placeholder_problems("%(a)s and %(b)d", "%(b)d et %(a)s") == []  # reordered
    assert placeholder_problems("%(ratio).1f times", "%(ratio).1f fois") == []
    assert placeholder_problems("Hello %(name)s", "Bonjour %(nom)s") == [
        "placeholders missing: %(name)s",
        "placeholders not in the msgid: %(nom)s",
    ]
    assert placeholder_problems("%(num)d hours", "%(num)s heures") == [
        "placeholders missing: %(num)d",
        "placeholders not in the msgid: %(num)s",
    ]
    assert placeholder_problems("Hello %(name)s", "Bonjour %(name)") == [
        "placeholders missing: %(name)s"
    ]
    assert placeholder_problems("100%% sure", "sûr à 100\u00a0%") == [
        "'%%' count differs from the msgid"
    ]


def test_checker_reads_plural_forms_and_lists_msgids() -> None:
    catalog = Catalog(locale="fr")
    catalog.add("Fine: %(name)s", "Bien\u00a0: %(name)s")
    catalog.add("Hello %(name)s!", "Bonjour %(name)s !")
    catalog.add(
        ("%(num)d hour", "%(num)d hours"),
        ("%(num)d heure", "%(count)d heures"),
    )
    catalog.add("Not translated yet", "")
    assert catalogue_problems(catalog) == [
        "'Hello %(name)s!' (msgstr): ' ' before '!' (use U+202F narrow no-break space) at "
        "'ur %(name)s !'",
        "'%(num)d hour' (msgstr[1]): placeholders missing: %(num)d",
        "'%(num)d hour' (msgstr[1]): placeholders not in the msgid: %(count)d",
    ]

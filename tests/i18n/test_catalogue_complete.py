"""Every message in the code has a French translation: missing, empty or fuzzy fails."""

from __future__ import annotations

from pathlib import Path

from cocreate.core import catalogs

PACKAGE = Path(__file__).resolve().parents[2] / "cocreate"


def test_french_catalogue_is_complete() -> None:
    messages = catalogs.extract(PACKAGE)
    assert len(messages) > 100  # the extraction itself works
    found = catalogs.problems(messages, PACKAGE / "translations/fr/LC_MESSAGES/messages.po")
    assert not found, "French translations needed (run `make i18n`, then translate):\n" + "\n".join(
        map(str, found)
    )


FIXTURE_PO = r"""
msgid ""
msgstr ""
"Language: fr\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\n"

msgid "Hello"
msgstr "Bonjour"

msgid "Empty"
msgstr ""

#, fuzzy
msgid "Fuzzy"
msgstr "Flou"

msgid "%(num)d vote"
msgid_plural "%(num)d votes"
msgstr[0] "%(num)d vote"
msgstr[1] ""
"""

FIXTURE_TEMPLATE = """{{ _("Hello") }} {{ _("Empty") }} {{ _("Fuzzy") }} {{ _("Brand new") }}
{{ ngettext("%(num)d vote", "%(num)d votes", 3) }}"""


def test_checker_finds_each_kind_of_problem(tmp_path: Path) -> None:
    templates = tmp_path / "pkg" / "templates"
    templates.mkdir(parents=True)
    (templates / "page.html").write_text(FIXTURE_TEMPLATE)
    (tmp_path / "pkg" / "views.py").write_text('from flask_babel import gettext as _\n_("Hello")\n')
    po = tmp_path / "messages.po"
    po.write_text(FIXTURE_PO)

    messages = catalogs.extract(tmp_path / "pkg")
    assert set(messages) == {"Hello", "Empty", "Fuzzy", "Brand new", "%(num)d vote"}
    found = {(p.msgid, p.reason) for p in catalogs.problems(messages, po)}
    assert found == {
        ("Empty", "empty"),
        ("Fuzzy", "fuzzy"),
        ("Brand new", "missing"),
        ("%(num)d vote", "empty"),
    }

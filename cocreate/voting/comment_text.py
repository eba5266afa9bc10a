"""A comment's text: cleaned when stored, turned into safe HTML when shown.

Comments are plain text. Showing one escapes every character the author typed; the only markup
is ours: paragraphs, line breaks, and links for http(s) addresses. A link's address comes from
the text by a pattern that starts with `http://` or `https://`, so no other scheme (no
`javascript:`, no `data:`) can ever become a link, and the address is escaped into the
attribute like any other text.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from cocreate.core.inputs import clean_text

#: An address runs from its scheme to the first space, angle bracket or quotation mark: the
#: characters that end an address in running text (and that are never left unescaped in one).
_URL = re.compile(r"(?<![\w/])https?://[^\s<>\"`“”«»]+", re.IGNORECASE)
#: Punctuation that ends a sentence rather than the address ("see https://x.test/a.").
_TRAILING = ".,;:!?'’*"
#: Closing brackets kept only when the address opened them (Wikipedia's `Foo_(bar)`).
_PAIRS = {")": "(", "]": "[", "}": "{"}
_BLANK_LINES = re.compile(r"\n\s*\n")
#: Three or more line breaks in a row read as one paragraph break.
_EXTRA_BREAKS = re.compile(r"\n{3,}")
LINK_REL = "nofollow ugc noopener"


def clean_body(text: str) -> str:
    """What is stored: NFC without bidi controls (core.inputs.clean_text), Windows and old Mac
    line ends as `\\n`, no other control characters (a tab becomes a space), no spaces at the
    ends of lines, at most one blank line in a row, and nothing blank around it."""
    text = clean_text(text.replace("\r\n", "\n").replace("\r", "\n"))
    text = "".join(
        " " if ch == "\t" else ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc"
    )
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _EXTRA_BREAKS.sub("\n\n", text).strip()


def _trim(url: str) -> str:
    """The address without the sentence's punctuation after it."""
    while url and (url[-1] in _TRAILING or _unopened(url)):
        url = url[:-1]
    return url


def _unopened(url: str) -> bool:
    """Ends with a closing bracket the address did not open: the sentence's, not the URL's."""
    last = url[-1]
    return last in _PAIRS and url.count(last) > url.count(_PAIRS[last])


def _has_host(url: str) -> bool:
    try:
        return bool(urlsplit(url).hostname)
    except ValueError:  # e.g. an unclosed IPv6 bracket: "http://[::1"
        return False


_ANCHOR = Markup('<a href="{0}" rel="{1}" target="_blank">{0}</a>')


def _link(url: str) -> Markup:
    # Markup.format escapes its arguments: quotes and ampersands in the address too.
    return _ANCHOR.format(url, LINK_REL)


def _line(text: str) -> Markup:
    """One line: escaped text, with its http(s) addresses as links."""
    parts: list[Markup] = []
    position = 0
    for match in _URL.finditer(text):
        url = _trim(match.group())
        if not _has_host(url):
            continue
        parts.append(escape(text[position : match.start()]))
        parts.append(_link(url))
        position = match.start() + len(url)
    parts.append(escape(text[position:]))
    return Markup("").join(parts)


def render_body(text: str) -> Markup:
    """Safe HTML for a comment's text: `<p>` per paragraph (a blank line between), `<br>` for a
    single line break, escaped text, links for http(s) addresses."""
    paragraphs = [p for p in _BLANK_LINES.split(text.strip()) if p.strip()]
    return Markup("").join(
        Markup("<p>%s</p>") % Markup("<br>").join(_line(line) for line in paragraph.split("\n"))
        for paragraph in paragraphs
    )

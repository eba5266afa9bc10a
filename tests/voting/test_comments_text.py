"""A comment's text: what is stored (clean_body) and the safe HTML it is shown as (render_body)."""

from __future__ import annotations

import html5lib  # type: ignore[import-untyped]
import pytest

from cocreate.voting.comment_text import clean_body, render_body

REL = 'rel="nofollow ugc noopener" target="_blank"'


def link(url: str, text: str | None = None) -> str:
    return f'<a href="{url}" {REL}>{text if text is not None else url}</a>'


# --- Plain text is escaped -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("Nice lines", "<p>Nice lines</p>"),
        ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
        ('<img src=x onerror="alert(1)">', "<p>&lt;img src=x onerror=&#34;alert(1)&#34;&gt;</p>"),
        ("Tom & Jerry's", "<p>Tom &amp; Jerry&#39;s</p>"),
        ("&lt;b&gt; stays text", "<p>&amp;lt;b&amp;gt; stays text</p>"),
        ("{{ 7*7 }} {% raw %}", "<p>{{ 7*7 }} {% raw %}</p>"),
    ],
)
def test_everything_typed_is_escaped(text: str, html: str) -> None:
    assert render_body(text) == html


@pytest.mark.parametrize(
    "text",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(document.cookie)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "ftp://files.example.test/a",
        "//evil.example.test/path",
        "www.example.test",
        "http://",
        "https:///no-host",
        "http://[::1",
    ],
)
def test_only_http_addresses_with_a_host_become_links(text: str) -> None:
    assert "<a" not in render_body(text)


# --- Links ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("https://example.test", f"<p>{link('https://example.test')}</p>"),
        (
            "See http://example.test/a?b=1&c=2 now",
            f"<p>See {link('http://example.test/a?b=1&amp;c=2')} now</p>",
        ),
        ("HTTPS://EXAMPLE.TEST/X", f"<p>{link('HTTPS://EXAMPLE.TEST/X')}</p>"),
        # Sentence punctuation after an address is not part of it.
        ("Look: https://example.test/a.", f"<p>Look: {link('https://example.test/a')}.</p>"),
        ("https://example.test/a, b", f"<p>{link('https://example.test/a')}, b</p>"),
        ("Really https://example.test?!", f"<p>Really {link('https://example.test')}?!</p>"),
        ("(https://example.test/a)", f"<p>({link('https://example.test/a')})</p>"),
        ("[https://example.test/a]", f"<p>[{link('https://example.test/a')}]</p>"),
        (
            "https://en.wikipedia.test/wiki/Foo_(bar)",
            f"<p>{link('https://en.wikipedia.test/wiki/Foo_(bar)')}</p>",
        ),
        (
            "(see https://en.wikipedia.test/wiki/Foo_(bar)).",
            f"<p>(see {link('https://en.wikipedia.test/wiki/Foo_(bar)')}).</p>",
        ),
        ("'https://example.test/a'", f"<p>&#39;{link('https://example.test/a')}&#39;</p>"),
        ("«https://example.test/a»", f"<p>«{link('https://example.test/a')}»</p>"),
        (
            "https://a.test and https://b.test/x",
            f"<p>{link('https://a.test')} and {link('https://b.test/x')}</p>",
        ),
    ],
)
def test_http_addresses_become_safe_links(text: str, html: str) -> None:
    assert render_body(text) == html


@pytest.mark.parametrize(
    ("text", "html"),
    [
        # A quotation mark or an angle bracket ends the address: it cannot close the attribute.
        (
            'https://example.test/"onmouseover="alert(1)',
            f"<p>{link('https://example.test/')}&#34;onmouseover=&#34;alert(1)</p>",
        ),
        (
            "https://example.test/<script>alert(1)</script>",
            f"<p>{link('https://example.test/')}&lt;script&gt;alert(1)&lt;/script&gt;</p>",
        ),
        (
            "<https://example.test/a>",
            f"<p>&lt;{link('https://example.test/a')}&gt;</p>",
        ),
        # A single quote may sit inside an address; it is escaped in the attribute.
        (
            "https://example.test/it's'onclick=alert(1)",
            f"<p>{link('https://example.test/it&#39;s&#39;onclick=alert(1)')}</p>",
        ),
        # An address hidden after "javascript:" is only the http part.
        (
            "javascript:https://example.test",
            f"<p>javascript:{link('https://example.test')}</p>",
        ),
    ],
)
def test_addresses_cannot_break_out_of_the_link(text: str, html: str) -> None:
    assert render_body(text) == html


def test_rendered_links_parse_as_one_anchor_with_the_exact_address() -> None:
    text = 'a https://example.test/x?q="<b>" b'
    document = html5lib.parseFragment(str(render_body(text)), namespaceHTMLElements=False)
    anchors = document.findall(".//a")
    assert len(anchors) == 1
    assert anchors[0].get("href") == "https://example.test/x?q="
    assert anchors[0].get("rel") == "nofollow ugc noopener"
    assert anchors[0].get("target") == "_blank"
    assert document.findall(".//b") == []


# --- Lines and paragraphs ------------------------------------------------------------------------


def test_line_breaks_and_paragraphs() -> None:
    assert render_body("one\ntwo") == "<p>one<br>two</p>"
    assert render_body("one\n\ntwo") == "<p>one</p><p>two</p>"
    assert render_body("one\n \n\ntwo\nthree") == "<p>one</p><p>two<br>three</p>"
    assert render_body("https://a.test\nhttps://b.test") == (
        f"<p>{link('https://a.test')}<br>{link('https://b.test')}</p>"
    )
    assert render_body("") == ""


# --- What is stored ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  Nice work  ", "Nice work"),
        ("a\r\nb\rc", "a\nb\nc"),
        ("a   \nb", "a\nb"),
        ("a\n\n\n\n\nb", "a\n\nb"),
        ("\n\n  a  \n\n", "a"),
        ("tab\there", "tab here"),
        ("bell\x07 and escape\x1b[31m", "bell and escape[31m"),
        ("right\u202eto left", "rightto left"),
        ("cafe\u0301", "café"),
        ("   \n\t  ", ""),
    ],
)
def test_clean_body(typed: str, stored: str) -> None:
    assert clean_body(typed) == stored

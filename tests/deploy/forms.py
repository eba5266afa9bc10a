"""Just enough of a browser for the smoke test: read a page's forms and submit one with
`requests`, CSRF token and pre-filled values included, as a user's browser would."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests

Value = str | list[str] | None


@dataclass
class Button:
    text: str
    name: str | None
    value: str


@dataclass
class Form:
    action: str
    method: str
    enctype: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    file_fields: list[str] = field(default_factory=list)
    text: str = ""

    def path(self) -> str:
        return urlsplit(self.action).path


class _FormParser(HTMLParser):
    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self.current: Form | None = None
        self.select: str | None = None
        self.select_first: str | None = None
        self.select_chosen = False
        self.option_selected = False
        self.option_value: str | None = None
        self.option_text = ""
        self.textarea: str | None = None
        self.textarea_text = ""
        self.button: Button | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = urljoin(self.page_url, a.get("action") or self.page_url)
            self.current = Form(
                action,
                (a.get("method") or "get").lower(),
                a.get("enctype") or "application/x-www-form-urlencoded",
            )
            self.forms.append(self.current)
            return
        form = self.current
        if form is None:
            return
        name = a.get("name")
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind == "file" and name:
                form.file_fields.append(name)
            elif kind in {"submit", "image"}:
                form.buttons.append(Button(a.get("value", ""), name, a.get("value", "")))
            elif kind in {"checkbox", "radio"}:
                if name and "checked" in a:
                    form.fields.append((name, a.get("value", "on")))
            elif name and kind not in {"button", "reset"}:
                form.fields.append((name, a.get("value", "")))
        elif tag == "button" and (a.get("type") or "submit").lower() == "submit":
            self.button = Button("", name, a.get("value", ""))
            form.buttons.append(self.button)
        elif tag == "select" and name:
            self.select, self.select_first, self.select_chosen = name, None, False
        elif tag == "option" and self.select is not None:
            self.option_value = a.get("value")
            self.option_text = ""
            self.option_selected = "selected" in a
        elif tag == "textarea" and name:
            self.textarea, self.textarea_text = name, ""

    def handle_data(self, data: str) -> None:
        if self.current is not None:
            self.current.text += data
        if self.button is not None:
            self.button.text += data
        if self.option_value is not None or self.select is not None:
            self.option_text += data
        if self.textarea is not None:
            self.textarea_text += data

    def handle_endtag(self, tag: str) -> None:
        form = self.current
        if tag == "form":
            self.current = None
        elif tag == "button" and self.button is not None:
            self.button.text = " ".join(self.button.text.split())
            self.button = None
        elif tag == "option" and self.select is not None and form is not None:
            value = self.option_value if self.option_value is not None else self.option_text
            value = value.strip() if self.option_value is None else value
            if self.select_first is None:
                self.select_first = value
            if self.option_selected and not self.select_chosen:
                form.fields.append((self.select, value))
                self.select_chosen = True
            self.option_value = None
        elif tag == "select" and self.select is not None and form is not None:
            if not self.select_chosen and self.select_first is not None:
                form.fields.append((self.select, self.select_first))
            self.select = None
        elif tag == "textarea" and self.textarea is not None and form is not None:
            form.fields.append((self.textarea, self.textarea_text))
            self.textarea = None


def forms_of(html: str, page_url: str) -> list[Form]:
    parser = _FormParser(page_url)
    parser.feed(html)
    return parser.forms


def find_form(
    html: str, page_url: str, *, action: str | None = None, button: str | None = None
) -> Form:
    """The form posting to `action` (a path) and/or having a submit button labelled `button`."""
    candidates = [
        form
        for form in forms_of(html, page_url)
        if (action is None or form.path() == action)
        and (button is None or any(b.text == button for b in form.buttons))
    ]
    if not candidates:
        found = [(f.path(), [b.text for b in f.buttons]) for f in forms_of(html, page_url)]
        raise AssertionError(f"no form {action=} {button=} on {page_url}; forms: {found}")
    return candidates[0]


def submit(
    http: requests.Session,
    form: Form,
    data: dict[str, Value] | None = None,
    *,
    button: str | None = None,
    files: dict[str, tuple[str, bytes, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    """Post `form` with its pre-filled values, `data` replacing (None: removing) fields."""
    overrides = data or {}
    pairs = [(k, v) for k, v in form.fields if k not in overrides]
    for key, value in overrides.items():
        if value is None:
            continue
        pairs.extend((key, v) for v in ([value] if isinstance(value, str) else value))
    if button is not None:
        chosen = next(b for b in form.buttons if b.text == button)
        if chosen.name:
            pairs.append((chosen.name, chosen.value))
    if form.method == "get":
        return http.get(form.action, params=pairs, headers=headers, timeout=60)
    return http.post(form.action, data=pairs, files=files, headers=headers, timeout=60)

"""The screening queue: products and print size per item, a quiet "Reject", and a confirmation
before a design opens to votes (issue 14, item 17)."""

from __future__ import annotations

import re
from typing import Any
from xml.etree.ElementTree import Element

import html5lib
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from cocreate.designs import services
from cocreate.designs.models import DesignProduct, DesignState
from tests.accounts.factories import StaffFactory
from tests.designs.factories import DesignFactory


@pytest.fixture
def staff(db_session: Session, auth: Any) -> Any:
    user = StaffFactory(email="staff@example.test", locale="en")
    auth.login("staff@example.test")
    return user


def _queue(client: FlaskClient) -> Element:
    response = client.get("/staff/screening")
    assert response.status_code == 200
    return html5lib.parse(response.get_data(as_text=True), namespaceHTMLElements=False)


def _text(element: Element) -> str:
    # Only ASCII white space: the no-break spaces of French typography are part of the text.
    return re.sub(r"[ \t\r\n]+", " ", "".join(element.itertext())).strip()


def _item(tree: Element, title: str) -> Element:
    for article in tree.iter("article"):
        if title in _text(article):
            return article
    raise AssertionError(f"no queue item for {title!r}")


def _facts(item: Element) -> dict[str, str]:
    dl = item.find(".//dl")
    assert dl is not None
    terms = [_text(dt) for dt in dl.findall("dt")]
    values = [_text(dd) for dd in dl.findall("dd")]
    return dict(zip(terms, values, strict=True))


def test_item_shows_products_and_print_size(
    client: FlaskClient, db_session: Session, staff: Any
) -> None:
    DesignFactory(
        state=DesignState.SUBMITTED,
        title="Harbour",
        width=4800,
        height=3600,
        products=[DesignProduct(product="tote"), DesignProduct(product="poster")],
    )
    facts = _facts(_item(_queue(client), "Harbour"))
    assert facts == {
        "Products": "Poster, Tote bag",
        "Print size": "4800×3600 px, that is 40.6 × 30.5 cm at 300 dpi",
    }


def test_products_in_catalogue_order(client: FlaskClient, db_session: Session, staff: Any) -> None:
    DesignFactory(
        state=DesignState.SUBMITTED,
        title="All Three",
        products=[
            DesignProduct(product="tote"),
            DesignProduct(product="poster"),
            DesignProduct(product="tee"),
        ],
    )
    assert _facts(_item(_queue(client), "All Three"))["Products"] == "T-shirt, Poster, Tote bag"


def test_french_print_size(client: FlaskClient, auth: Any, db_session: Session) -> None:
    StaffFactory(email="equipe@example.test", locale="fr")
    DesignFactory(
        state=DesignState.SUBMITTED,
        title="Port",
        width=4800,
        height=3600,
        products=[DesignProduct(product="tee")],
    )
    auth.login("equipe@example.test")
    facts = _facts(_item(_queue(client), "Port"))
    assert facts == {
        "Produits": "T-shirt",
        "Taille d’impression": "4800×3600 px, soit 40,6 × 30,5\u00a0cm à 300 ppp",
    }


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (3000, 3000, "25.4 × 25.4 cm"),  # exactly 10 inches
        (2400, 1, "20.3 × 0.0 cm"),  # 20.32 rounds down; one pixel is under 0.1 mm
        # 2250 px is exactly 19.05 cm: half up gives 19.1 (half even, or a float, 19.0).
        (2250, 750, "19.1 × 6.4 cm"),
        (12000, 300, "101.6 × 2.5 cm"),
    ],
)
def test_print_size_rounding(app: Flask, width: int, height: int, expected: str) -> None:
    with app.test_request_context():
        assert services.print_size(width, height) == expected


def test_reject_is_secondary_inside_a_disclosure(
    client: FlaskClient, db_session: Session, staff: Any
) -> None:
    design = DesignFactory(state=DesignState.SUBMITTED, title="Quiet")
    item = _item(_queue(client), "Quiet")
    disclosures = item.findall(".//details")
    assert len(disclosures) == 2
    accept_box, reject_box = disclosures

    summary = accept_box.find("summary")
    assert summary is not None and _text(summary) == "Open to votes"
    assert summary.get("class") == "button"
    reject_summary = reject_box.find("summary")
    assert reject_summary is not None and _text(reject_summary) == "Reject…"
    assert reject_summary.get("class") == "button secondary"

    reject_form = reject_box.find("form")
    assert reject_form is not None
    assert reject_form.get("action") == f"/staff/designs/{design.id}/reject"
    assert reject_form.find(".//textarea[@name='reason']") is not None
    button = reject_form.find(".//button")
    assert button is not None and button.get("class") == "button secondary"
    # Nothing outside the two disclosures submits anything.
    actions = item.find(".//div[@class='screening-actions']")
    assert actions is not None
    assert [child.tag for child in actions] == ["details", "details"]


def test_opening_asks_for_confirmation(
    client: FlaskClient, db_session: Session, staff: Any
) -> None:
    design = DesignFactory(state=DesignState.SUBMITTED, title="Sure Thing")
    accept_box = _item(_queue(client), "Sure Thing").findall(".//details")[0]
    form = accept_box.find("form")
    assert form is not None
    assert form.get("action") == f"/staff/designs/{design.id}/accept"
    assert _text(form) == (
        "Voting opens now for 7 days and the designer is told. This cannot be undone. "
        "Yes, open “Sure Thing” to votes"
    )
    response = client.post(f"/staff/designs/{design.id}/accept")
    assert response.status_code == 302
    db_session.refresh(design)
    assert design.state is DesignState.VOTING


@pytest.mark.parametrize("app_overrides", [{"VOTING_DAYS": 1}])
def test_confirmation_for_a_one_day_window(
    client: FlaskClient, db_session: Session, staff: Any
) -> None:
    DesignFactory(state=DesignState.SUBMITTED, title="Short")
    accept_box = _item(_queue(client), "Short").findall(".//details")[0]
    assert "Voting opens now for 1 day and the designer is told." in _text(accept_box)


def test_refused_accept_keeps_the_queue(
    client: FlaskClient, db_session: Session, staff: Any
) -> None:
    design = DesignFactory(
        state=DesignState.VOTING, title="Already Open", products=[DesignProduct(product="tee")]
    )
    DesignFactory(state=DesignState.SUBMITTED, title="Still Waiting", width=3000, height=3000)
    response = client.post(f"/staff/designs/{design.id}/accept")
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "Only submitted designs can be opened to voting." in text
    assert "3000×3000 px, that is 25.4 × 25.4 cm at 300 dpi" in text

"""Every page that shows a design's image works for a design whose images are not drawn: the
web-size keys are NULL until the derivatives job drew them (designs/derivatives.py), and a
media address cannot be made without a key. Submitting needs the images, so staff pages see
such a design only through data made otherwise (an import, a hand edit): a placeholder then,
never a 500."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from cocreate.core.clock import TestClock
from cocreate.designs.models import Design, DesignState, DesignTransition
from tests.accounts.factories import StaffFactory
from tests.conftest import TEST_START
from tests.designs.factories import DesignFactory
from tests.shop.catalog_factories import OnSaleDesignFactory, variant

#: What the upload leaves until the job ran: no web sizes, no mockups.
UNDRAWN: dict[str, Any] = {
    "thumb_webp_key": None,
    "thumb_jpeg_key": None,
    "gallery_webp_key": None,
    "gallery_jpeg_key": None,
    "mockups": [],
}
MEDIA_SRC = re.compile(r'src="/media/[^"]*"')


@pytest.fixture
def staff(db_session: Session, auth: Any, clock: TestClock) -> Any:
    user = StaffFactory(email="staff@example.test")
    auth.login("staff@example.test")
    return user


def _closed(db_session: Session, title: str) -> Design:
    """A design whose voting closed a day ago (the review queue reads when from its audit row)."""
    closed_at = TEST_START - timedelta(days=1)
    design = DesignFactory(
        state=DesignState.CLOSED, title=title, voting_ends_at=closed_at, **UNDRAWN
    )
    db_session.add(
        DesignTransition(
            design_id=design.id,
            from_state=DesignState.VOTING,
            to_state=DesignState.CLOSED,
            created_at=closed_at,
        )
    )
    db_session.flush()
    return design


def _page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("/staff/screening", "Waiting Art"),
        ("/staff/production/review", "Closed Art"),
        ("/staff/production/designs/{closed}/plan", "Closed Art"),
    ],
)
def test_staff_pages_show_the_placeholder(
    client: FlaskClient, db_session: Session, staff: Any, url: str, title: str
) -> None:
    DesignFactory(
        state=DesignState.SUBMITTED, title="Waiting Art", submitted_at=TEST_START, **UNDRAWN
    )
    closed = _closed(db_session, "Closed Art")
    page = _page(client, url.format(closed=closed.id))
    assert title in page
    assert "Mockups being drawn" in page and MEDIA_SRC.findall(page) == []


def test_the_design_page_to_staff(client: FlaskClient, db_session: Session, staff: Any) -> None:
    closed = _closed(db_session, "Closed Art")
    page = _page(client, f"/designs/{closed.id}")
    assert "The mockups of this design are being drawn — refresh in a moment." in page
    assert MEDIA_SRC.findall(page) == []


@pytest.mark.parametrize("url", ["/shop", "/shop/{design}"])
def test_shop_pages_show_the_placeholder(
    client: FlaskClient, db_session: Session, url: str
) -> None:
    design = OnSaleDesignFactory(title="Sold Art", **UNDRAWN)
    variant(design.id, "tee", "white", "M")
    page = _page(client, url.format(design=design.id))
    assert "Sold Art" in page
    assert "Mockups being drawn" in page and MEDIA_SRC.findall(page) == []

"""Real races on PostgreSQL between an upload and the images job of the upload before it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from cocreate.accounts.models import User
from cocreate.designs import derivatives, queries, services
from cocreate.designs.models import Design, Mockup
from cocreate.designs.services import DesignFields
from tests.accounts.factories import UserFactory
from tests.concurrency import Concurrent
from tests.designs.test_design_pages import SMALL, artwork_png

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return SMALL


def test_an_upload_clears_the_images_the_job_drew_while_it_checked_the_file(
    concurrent: Concurrent,
) -> None:
    """The second upload loaded the draft before the first upload's job committed its images;
    it must not leave those images beside its own print master (the job of the second upload
    would then find images drawn and keep them)."""
    storage = concurrent.app.extensions["cocreate.storage"]
    fields = DesignFields(title="Sun", products={"tee"})
    with concurrent.setup() as session:
        designer = UserFactory()
        first = services.create_design(session, storage, designer, fields, artwork_png())
        design_id, designer_id, first_key = first.id, designer.id, first.original_key

    upload = concurrent.session()
    with concurrent.request(upload):
        design = queries.get_design(upload, design_id)
        assert design is not None and not design.images_ready
        # Meanwhile the first upload's job draws its images and commits.
        with concurrent.request(concurrent.session()):
            derivatives.send(design_id, first_key, storage)
        services.update_design(
            upload, storage, design, upload.get_one(User, designer_id), fields,
            artwork_png((520, 520)),
        )  # fmt: skip
        upload.commit()

    check = concurrent.session()
    try:
        _check(concurrent, check, design_id, first_key, storage)
    finally:
        check.close()  # also when an assertion fails: an open transaction blocks the cleanup


def _check(
    concurrent: Concurrent, check: Any, design_id: int, first_key: str, storage: Any
) -> None:
    stored = check.get_one(Design, design_id)
    mockups = select(func.count()).select_from(Mockup).where(Mockup.design_id == design_id)
    assert stored.original_key != first_key
    assert (stored.width, stored.thumb_webp_key, stored.gallery_jpeg_key) == (520, None, None)
    assert check.scalar(mockups) == 0
    # The second upload's job then draws the new artwork's images.
    with concurrent.request(check):
        derivatives.send(design_id, stored.original_key, storage)
    check.expire_all()
    assert check.get_one(Design, design_id).thumb_webp_key is not None
    assert check.scalar(mockups) == 9

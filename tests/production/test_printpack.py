"""The print pack: a zip with the print master, the run's mockups, a PDF spec sheet and a CSV."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from cocreate.core import pdf
from cocreate.core.money import Money
from cocreate.core.storage import Storage
from cocreate.designs.models import Design, DesignProduct, DesignState, Mockup
from cocreate.production import printpack, queries
from cocreate.production.models import RunLine, RunPrice
from tests.accounts.factories import StaffFactory, UserFactory
from tests.designs.factories import DesignFactory
from tests.production.factories import RunFactory

MASTER = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64


@pytest.fixture
def staff(db_session: Session, auth: Any) -> Any:
    user = StaffFactory(email="staff@example.test", locale="en")
    auth.login("staff@example.test")
    return user


def _storage(app: Flask) -> Storage:
    return app.extensions["cocreate.storage"]


def _design(app: Flask, db_session: Session) -> Design:
    storage = _storage(app)
    designer = UserFactory(display_name="Inès Moreau")
    design = DesignFactory(
        designer=designer,
        title="Dune",
        state=DesignState.APPROVED,
        width=3000,
        height=4200,
        original_key=storage.put(MASTER, suffix=".png"),
        products=[DesignProduct(product="tee"), DesignProduct(product="poster")],
    )
    for position, (product, colour) in enumerate(
        [("tee", "white"), ("tee", "black"), ("tee", "navy"), ("poster", "")]
    ):
        key = storage.put(f"mockup {product} {colour}".encode(), suffix=".webp")
        design.mockups.append(Mockup(product=product, colour=colour, key=key, position=position))
    db_session.flush()
    return design


def _run(app: Flask, db_session: Session) -> Any:
    design = _design(app, db_session)
    return RunFactory(
        design=design,
        note="Water-based inks",
        lines=[
            RunLine(product="tee", colour="white", size="M", quantity=10, position=2),
            RunLine(product="tee", colour="black", size="L", quantity=4, position=9),
            RunLine(product="poster", colour="", size="50x70", quantity=12, position=37),
        ],
        prices=[
            RunPrice(product="poster", price=Money(1900, "EUR")),
            RunPrice(product="tee", price=Money(2500, "EUR")),
        ],
    )


def test_the_pack_holds_master_mockups_sheet_and_csv(
    app: Flask, client: FlaskClient, db_session: Session, staff: Any
) -> None:
    run = _run(app, db_session)
    response = client.get(f"/staff/production/runs/{run.id}/print-pack.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=run-{run.id}-print-pack.zip"
    )
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.namelist() == [
        "print-master.png",
        "mockups/tee-white.webp",
        "mockups/tee-black.webp",  # navy is not printed in this run: left out
        "mockups/poster.webp",
        "spec-sheet.pdf",
        "variants.csv",
    ]
    assert archive.testzip() is None
    assert archive.read("print-master.png") == MASTER
    assert archive.read("mockups/tee-black.webp") == b"mockup tee black"
    assert archive.read("mockups/poster.webp") == b"mockup poster "
    d = run.design_id
    assert archive.read("variants.csv").decode("utf-8").splitlines() == [
        "sku,product,colour,size,quantity",
        f"D{d:05d}-TEE-WHITE-M,tee,white,M,10",
        f"D{d:05d}-TEE-BLACK-L,tee,black,L,4",
        f"D{d:05d}-POSTER-50X70,poster,,50x70,12",
    ]
    assert archive.read("variants.csv").endswith(b"\r\n")
    pdf = archive.read("spec-sheet.pdf")
    assert pdf.startswith(b"%PDF-")
    assert b"/Count 1" in pdf  # one page
    assert archive.getinfo("print-master.png").compress_type == zipfile.ZIP_STORED
    assert archive.getinfo("variants.csv").compress_type == zipfile.ZIP_DEFLATED


@pytest.mark.usefixtures("request_ctx")
def test_the_spec_sheet_says_what_the_print_partner_needs(app: Flask, db_session: Session) -> None:
    run = queries.get_run(db_session, _run(app, db_session).id)
    assert run is not None
    pdf = printpack.spec_sheet(run, compress=False)
    assert pdf.startswith(b"%PDF-")
    d = run.design_id
    expected = [
        f"Print spec: “Dune”, run {run.id}",
        f"Dune (D{d:05d})",
        "Inès Moreau",
        f"{run.id}, planned",
        # 3000 / 300 × 2.54 = 25.4; 4200 / 300 × 2.54 = 35.56 → 35.6
        "3000×4200 px, that is 25.4 × 35.6 cm at 300 dpi",
        "Water-based inks",
        "T-shirt: 14 units at €25.00",
        "Print area",
        "30 × 40 cm",
        "white, black",
        f"D{d:05d}-TEE-WHITE-M",
        "Poster: 12 units at €19.00",
        "50 × 70 cm",
        f"D{d:05d}-POSTER-50X70",
    ]
    for text in expected:
        # As the page draws it: Windows-1252 bytes, parentheses escaped in PDF strings.
        drawn = text.encode("windows-1252").replace(b"(", b"\\(").replace(b")", b"\\)")
        assert drawn in pdf, text


def test_pdf_text_keeps_what_the_fonts_can_draw() -> None:
    assert pdf.text("“Été” – 25,00\u202f€") == "“Été” – 25,00 €"
    assert pdf.text("Ōsaka 日本") == "Osaka ??"


def test_a_missing_print_master_is_refused_with_a_message(
    app: Flask, client: FlaskClient, db_session: Session, staff: Any
) -> None:
    run = RunFactory(design=DesignFactory(original_key="ab/cd/" + "ab" + "cd" + "0" * 60 + ".png"))
    response = client.get(f"/staff/production/runs/{run.id}/print-pack.zip")
    assert response.status_code == 409
    assert "A file of this design is missing from storage" in response.get_data(as_text=True)

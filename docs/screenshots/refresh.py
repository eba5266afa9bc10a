"""Copy the README's screenshots from the journey test's latest run, made smaller.

    pytest -m e2e tests/e2e/test_journey_browser.py   # saves every step in tests/e2e/screenshots/
    python docs/screenshots/refresh.py                # picks the README's, quantised to 256 colours

Each picture is the 1280×800 viewport of one step; 256 colours halve the size of the PNG with no
visible change on these flat pages, so each stays well under 250 KB.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

HERE = Path(__file__).parent
STEPS = HERE.parent.parent / "tests" / "e2e" / "screenshots"

#: The journey's step screenshot → the README's picture.
PICKED = {
    "03-designer-draft-mockups": "designer-mockups",
    "05-gallery": "gallery",
    "06-member-votes": "member-vote",
    "08-voting-results": "voting-results",
    "04-staff-screening": "staff-screening",
    "09-staff-approve-run": "staff-approve-run",
    "12-product": "customer-product",
    "14-checkout": "customer-checkout",
    "16-staff-refund": "staff-refund",
    "17-creator-dashboard": "creator-dashboard",
    "18-creator-statement": "creator-statement",
}


def main() -> None:
    for step, name in PICKED.items():
        image = Image.open(STEPS / f"{step}.png").convert("RGB")
        small = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        target = HERE / f"{name}.png"
        small.save(target, optimize=True)
        print(f"{target.relative_to(HERE.parent.parent)}: {target.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()

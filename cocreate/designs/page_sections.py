"""Sections that domains above designs add to a design's page (the vote panel, the discussion).

Designs cannot import voting (dependencies point inward), so voting registers renderers here, as
domains register media guards in core. Each renderer returns HTML for one slot of the page:
"aside" (beside the description, for the vote panel and results) or "discussion" (below the
design).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app
from markupsafe import Markup

from cocreate.designs.models import Design

SLOTS = ("aside", "discussion")
Renderer = Callable[[Design], str]
EXTENSION = "cocreate.design_sections"


def register(app: Flask, slot: str, renderer: Renderer) -> None:
    if slot not in SLOTS:
        raise ValueError(f"unknown design page slot {slot!r}")
    app.extensions.setdefault(EXTENSION, {s: [] for s in SLOTS})[slot].append(renderer)


def render(slot: str, design: Design) -> Markup:
    """The registered sections of `slot`, in registration order (template global)."""
    # Each renderer returns a rendered template (escaped by Jinja), not raw user text.
    renderers = current_app.extensions.get(EXTENSION, {}).get(slot, [])
    return Markup("").join(Markup(renderer(design)) for renderer in renderers)  # noqa: S704

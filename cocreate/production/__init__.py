"""Production: the review queue, approving closed designs into print runs, a run's life to
stock, print packs, reprint requests, and the sellable variants (with their stock) the shop
sells from."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported here, not at the top: importing the models must not pull in the views.
    from cocreate.designs import page_sections
    from cocreate.production import (
        design_section,
        lifecycle,
        queue_views,  # noqa: F401  (the review queue's routes, on production's blueprint)
        reprint_models,  # noqa: F401  (tables known to the metadata)
    )
    from cocreate.production.reprint_views import bp as reprints_bp
    from cocreate.production.reprint_views import render_section as reprint_section
    from cocreate.production.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(reprints_bp)
    page_sections.register(app, "aside", design_section.render)
    page_sections.register(app, "aside", reprint_section)
    app.jinja_env.globals.update(run_state_label=lifecycle.state_label)

"""Production: approving closed designs into print runs, a run's life to stock, print packs,
and the sellable variants (with their stock) the shop sells from."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported here, not at the top: importing the models must not pull in the views.
    from cocreate.designs import page_sections
    from cocreate.production import design_section, lifecycle
    from cocreate.production.views import bp

    app.register_blueprint(bp)
    page_sections.register(app, "aside", design_section.render)
    app.jinja_env.globals.update(run_state_label=lifecycle.state_label)

"""Designs: artwork uploads, their derivatives and product mockups."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported here, not at the top: importing `cocreate.designs.models` must stay cheap and
    # must not pull in the views.
    from cocreate.core import media, storage_gc
    from cocreate.designs import artwork_errors, derivatives, lifecycle, page_sections, services
    from cocreate.designs.media_access import design_file_access
    from cocreate.designs.models import Design, Mockup
    from cocreate.designs.staff_views import bp as design_staff_bp
    from cocreate.designs.views import bp as designs_bp

    app.register_blueprint(designs_bp)
    app.register_blueprint(design_staff_bp)
    media.register_guard(app, design_file_access)
    derivatives.init_app(app)
    storage_gc.register_key_columns(
        app,
        Design.original_key,
        Design.thumb_webp_key,
        Design.thumb_jpeg_key,
        Design.gallery_webp_key,
        Design.gallery_jpeg_key,
        Mockup.key,
    )
    app.jinja_env.globals.update(
        state_label=lifecycle.state_label,
        product_label=services.product_label,
        print_size_check=artwork_errors.print_size_check,
        DesignState=lifecycle.DesignState,
        design_section=page_sections.render,
    )

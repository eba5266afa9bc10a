"""Site: the pages that combine domains (home, designer profile, staff desk).

It sits above every domain and nothing imports it, so a domain never needs another's pages.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from cocreate.site.views import bp

    app.register_blueprint(bp)

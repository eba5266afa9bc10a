"""Demo data for `make run`: a living marketplace with known logins."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from cocreate.demo.cli import demo_cli

    app.cli.add_command(demo_cli)

"""Voting: votes and ranking, vote integrity, critique comments, following, notifications."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported here, not at the top: importing the models must not pull in the views.
    from cocreate.voting import models  # noqa: F401  (tables known to the metadata)

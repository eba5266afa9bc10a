"""The app bench/voting.py serves with gunicorn: the real app plus three bench-only routes.

    gunicorn 'bench.voting_app:create_bench_app()'   (settings from the BENCH_* variables)

Settings are the test suite's (ENV=testing: emails delivered synchronously after the commit),
with these differences, each because one machine plays thousands of members:

* CSRF is off (WTF_CSRF_ENABLED=False), as in the test suite: the load driver posts forms
  without first fetching a page for its token.
* PROXY_COUNT=1: each simulated member sends its own X-Forwarded-For address, so the per-address
  rate limit and the address hash see distinct clients rather than 127.0.0.1 for everyone.
* The vote rate limits are raised (still checked on every vote, in memory per worker): a member
  of the bench votes far faster than a person.

Bench-only routes (registered here only, never in the real app):

* POST /_bench/login/<user_id>: logs that member in (a real server-side session, as the log-in
  page makes), so the driver need not hash passwords for hundreds of members;
* POST /_bench/insert: the vote's baseline, one INSERT into `bench_inserts`, committed by the
  same once-per-request commit as every view;
* GET /_bench/gallery?view=…&tag=…&q=…: the gallery template rendered from pages loaded once
  per worker (the in-memory baseline of each gallery view).
"""

from __future__ import annotations

import os
import threading
from typing import Any

from flask import Blueprint, Flask, abort, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.orm import Session

from cocreate import create_app
from cocreate.accounts import auth
from cocreate.accounts.models import User
from cocreate.config import Config
from cocreate.core import db
from cocreate.core.clock import clock
from cocreate.designs import queries, tag_cloud

bench_metadata = MetaData()
#: The bare insert's table: created by bench/voting.py, not by the migrations.
bench_inserts = Table(
    "bench_inserts",
    bench_metadata,
    Column("id", Integer, primary_key=True),
    Column("member", Integer, nullable=False),
    Column("value", String(16), nullable=False),
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
)

bp = Blueprint("bench", __name__)
_pages: dict[tuple[str, str, str], dict[str, Any]] = {}
_pages_lock = threading.Lock()


def bench_config(database_url: str, secret_key: str, upload_dir: str) -> Config:
    return Config(
        ENV="testing",
        SECRET_KEY=secret_key,
        DATABASE_URL=database_url,
        UPLOAD_DIR=upload_dir,
        PUBLIC_URL="http://127.0.0.1",
        PROXY_COUNT=1,
        RATELIMIT_VOTE="100000 per minute",
        RATELIMIT_VOTE_ADDRESS="100000 per minute",
        extra={"WTF_CSRF_ENABLED": False},
    )


def create_bench_app() -> Flask:
    app = create_app(
        bench_config(
            os.environ["BENCH_DATABASE_URL"],
            os.environ["BENCH_SECRET_KEY"],
            os.environ["BENCH_UPLOAD_DIR"],
        )
    )
    app.register_blueprint(bp)
    return app


@bp.post("/_bench/login/<int:user_id>")
def login(user_id: int) -> ResponseReturnValue:
    user = db.session().get(User, user_id)
    if user is None or not auth.log_in(user):
        abort(404)
    return "", 204


@bp.post("/_bench/insert")
def bare_insert() -> ResponseReturnValue:
    db.session().execute(
        insert(bench_inserts).values(
            member=request.form.get("member", 0, type=int), value=request.form.get("score", "")
        )
    )
    return jsonify(ok=True)


def _key(view: str, tag: str, q: str) -> tuple[str, str, str]:
    return (view, tag, q)


def gallery_context(session: Session, view: str, tag: str, q: str) -> dict[str, Any]:
    """What designs.views._gallery_page hands its template, for these arguments."""
    gallery_view = queries.GalleryView(view)
    page = queries.gallery(session, gallery_view, search=q, tag=tag or None, now=clock().now())
    tag_row = queries.tag_by_slug(session, tag) if tag else None
    return dict(
        page=page,
        view=gallery_view,
        views=queries.GalleryView,
        q=q,
        searching=bool(queries.search_terms(q)),
        tag=tag or None,
        tag_name=tag_row.name if tag_row else None,
        tags=tag_cloud.popular_tags(session),
    )


@bp.get("/_bench/gallery")
def memory_gallery() -> ResponseReturnValue:
    key = _key(
        request.args.get("view", "voting"), request.args.get("tag", ""), request.args.get("q", "")
    )
    context = _pages.get(key)
    if context is None:
        with _pages_lock:
            # Loaded once per worker, then detached: every later render reads Python objects.
            with Session(db.engine(), expire_on_commit=False) as session:
                context = gallery_context(session, *key)
                session.expunge_all()
            _pages[key] = context
    return render_template("designs/gallery.html", **context)


def count_rows(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(bench_inserts)) or 0

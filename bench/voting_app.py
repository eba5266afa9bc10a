"""The app bench/voting.py serves with gunicorn: the real app plus three bench-only routes.

    gunicorn 'bench.voting_app:create_bench_app()'   (settings from the BENCH_* variables)

Settings are the test suite's (ENV=testing: emails delivered synchronously after the commit),
with these differences, each because one machine plays thousands of members:

* CSRF is off (WTF_CSRF_ENABLED=False), as in the test suite: the load driver posts forms
  without first fetching a page for its token.
* PROXY_COUNT=1: each simulated member sends its own X-Forwarded-For address, so the per-address
  rate limit and the address hash see distinct clients rather than 127.0.0.1 for everyone.
* The vote rate limits are raised, with the same two windows each as the defaults (per minute
  and per hour, so every vote still checks four windows): a member of the bench votes far
  faster than a person.
* The rate limits are counted where BENCH_LIMITS_STORAGE says: bench/voting.py starts a Redis
  of its own, as production counts them in Redis (REDIS_URL) so that all workers share them;
  "memory://" (the default here) counts them per worker; "none" turns the limiter off. Only
  the limiter's settings change, not REDIS_URL: emails still go synchronously (a vote sends
  none).

Bench-only routes (registered here only, never in the real app):

* POST /_bench/login/<user_id>: logs that member in (a real server-side session, as the log-in
  page makes), so the driver need not hash passwords for hundreds of members;
* POST /_bench/insert: the vote's baseline, one INSERT into `bench_inserts`, committed by the
  same once-per-request commit as every view. It goes through the per-request machinery a vote
  pays for that is not voting work, in the same order: the vote's rate limits (the same limits
  and keys, per account and per client address, each a window per minute and per hour, in the
  same storage, with the same response headers; under scopes of their own, so the two routes
  do not share budgets), then member_required with the same members' session cookies (the
  member's server-side session and user loaded: one SELECT, in the request's write
  transaction, which on SQLite any POST begins with BEGIN IMMEDIATE), CSRF off for both, the
  one commit and a JSON answer. What it skips is voting work only: the design, the rules, the
  address hash, the counters, the fraud signals and the answer's texts;
* GET /_bench/gallery?view=…&tag=…&q=…: the gallery template rendered from pages loaded once
  per worker (the in-memory baseline of each gallery view).
"""

from __future__ import annotations

import os
import threading
from typing import Any

from flask import Blueprint, Flask, abort, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_limiter.util import get_remote_address
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.orm import Session

from cocreate import create_app
from cocreate.accounts import auth
from cocreate.accounts.models import User
from cocreate.config import Config
from cocreate.core import db
from cocreate.core.clock import clock
from cocreate.core.ratelimit import limiter
from cocreate.designs import queries, tag_cloud
from cocreate.voting.views import vote_account_key, vote_address_limit, vote_limit

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


def bench_config(
    database_url: str, secret_key: str, upload_dir: str, limits_storage: str = "memory://"
) -> Config:
    return Config(
        ENV="testing",
        SECRET_KEY=secret_key,
        DATABASE_URL=database_url,
        UPLOAD_DIR=upload_dir,
        PUBLIC_URL="http://127.0.0.1",
        PROXY_COUNT=1,
        RATELIMIT_VOTE="100000 per minute;1000000 per hour",
        RATELIMIT_VOTE_ADDRESS="100000 per minute;1000000 per hour",
        extra={
            "WTF_CSRF_ENABLED": False,
            # "none": the limiter off, on both sides (to see what the limits cost a vote).
            "RATELIMIT_ENABLED": limits_storage != "none",
            "RATELIMIT_STORAGE_URI": "memory://" if limits_storage == "none" else limits_storage,
        },
    )


def create_bench_app() -> Flask:
    app = create_app(
        bench_config(
            os.environ["BENCH_DATABASE_URL"],
            os.environ["BENCH_SECRET_KEY"],
            os.environ["BENCH_UPLOAD_DIR"],
            os.environ.get("BENCH_LIMITS_STORAGE", "memory://"),
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


# The vote's limits (cocreate/voting/views.py), counted apart from the votes' own.
_account_limit = limiter.shared_limit(
    vote_limit, scope="bench-insert-account", key_func=vote_account_key
)
_address_limit = limiter.shared_limit(
    vote_address_limit, scope="bench-insert-address", key_func=get_remote_address
)


@bp.post("/_bench/insert")
@_account_limit
@_address_limit
@auth.member_required
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

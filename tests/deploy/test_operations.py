"""What operators rely on: /healthz, request ids in logs, /metrics and its protection, versioned
static URLs with long caching, and the clock offset kept out of production."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient

from cocreate import create_app
from cocreate.config import Config, ConfigError
from cocreate.core import logs
from cocreate.core.clock import OffsetClock, clock
from tests.conftest import TEST_SECRET, make_test_app
from tests.redis_check import redis_up

LOCAL_REDIS = "redis://127.0.0.1:6379/15"
#: Nothing listens on port 1: Redis "down".
DEAD_REDIS = "redis://127.0.0.1:1/0"
IMMUTABLE = "public, max-age=31536000, immutable"


#: Apps a test built on their own engine: disposed after each test (no connection left open).
_BUILT: list[Flask] = []


@pytest.fixture(autouse=True)
def _dispose_engines() -> Iterator[None]:
    yield
    while _BUILT:
        engine = _BUILT.pop().extensions["cocreate.db"]["engine"]
        if engine is not None:
            engine.dispose()


def _app(database_url: str, tmp_path: Path, **settings: object) -> Flask:
    app = make_test_app(database_url, tmp_path / "uploads", **settings)
    _BUILT.append(app)
    return app


# /healthz -------------------------------------------------------------------------------------


def test_healthz_without_redis_checks_the_database(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


@pytest.mark.skipif(not redis_up(LOCAL_REDIS), reason="needs the local Redis")
def test_healthz_with_redis_up(engine: object, database_url: str, tmp_path: Path) -> None:
    app = _app(database_url, tmp_path, REDIS_URL=LOCAL_REDIS)
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_healthz_names_redis_when_it_is_down(
    engine: object, database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = _app(database_url, tmp_path, REDIS_URL=DEAD_REDIS)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "failed", "database": "ok", "redis": "failed"}
    assert "health check: Redis did not answer" in caplog.text


def test_healthz_names_the_database_when_it_is_down(tmp_path: Path) -> None:
    # A SQLite file in a directory that does not exist cannot be opened.
    app = _app(f"sqlite:///{tmp_path / 'missing' / 'db.sqlite3'}", tmp_path)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "failed", "database": "failed"}


# Request ids and logs -------------------------------------------------------------------------


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """What the production handler writes, captured."""
    handler = logs.make_handler("json")
    stream = io.StringIO()
    handler.setStream(stream)  # type: ignore[attr-defined]
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def _logging_app(app: Flask) -> Flask:
    @app.get("/test-logs/<int:number>")
    def noisy(number: int) -> str:
        logging.getLogger("cocreate.test").warning("working on %s", number)
        return "done"

    return app


def test_incoming_request_id_is_kept_returned_and_on_every_record(
    app: Flask, json_log: io.StringIO
) -> None:
    client = _logging_app(app).test_client()
    response = client.get("/test-logs/7?token=s3cret", headers={"X-Request-ID": "edge-42.a_b"})
    assert response.headers["X-Request-ID"] == "edge-42.a_b"
    records = [json.loads(line) for line in json_log.getvalue().splitlines()]
    mine = [r for r in records if r["request_id"] == "edge-42.a_b"]
    assert [r["logger"] for r in mine] == ["cocreate.test", "cocreate.access"]
    assert mine[0]["message"] == "working on 7"
    access = mine[1]
    assert access["message"].startswith("GET /test-logs/<int:number> 200 ")
    assert (access["method"], access["route"], access["status"]) == (
        "GET",
        "/test-logs/<int:number>",
        200,
    )
    assert isinstance(access["duration_ms"], float)
    assert access["level"] == "INFO"
    # Neither the raw path nor its query string is logged.
    assert "s3cret" not in json_log.getvalue()
    assert "/test-logs/7" not in json_log.getvalue()


@pytest.mark.parametrize(
    "incoming",
    [None, "", "has space", "semi;colon", "tab\there", "x" * 65, "é", "a/b"],
)
def test_unsafe_or_missing_request_id_is_replaced(app: Flask, incoming: str | None) -> None:
    headers = {} if incoming is None else {"X-Request-ID": incoming}
    response = app.test_client().get("/healthz", headers=headers)
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_longest_accepted_request_id_is_64_characters(app: Flask) -> None:
    response = app.test_client().get("/healthz", headers={"X-Request-ID": "y" * 64})
    assert response.headers["X-Request-ID"] == "y" * 64


def test_each_request_gets_its_own_id(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=logs.ACCESS_LOGGER)
    client = app.test_client()
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert first != second
    ids = [r.request_id for r in caplog.records if r.name == logs.ACCESS_LOGGER]  # type: ignore[attr-defined]
    assert ids == [first, second]


def test_records_outside_a_request_have_a_dash(json_log: io.StringIO) -> None:
    logging.getLogger("cocreate.test").warning("from a command")
    assert json.loads(json_log.getvalue())["request_id"] == "-"


def test_text_format_carries_the_request_id(app: Flask) -> None:
    handler = logs.make_handler("text")
    stream = io.StringIO()
    handler.setStream(stream)  # type: ignore[attr-defined]
    access = logging.getLogger(logs.ACCESS_LOGGER)
    access.addHandler(handler)
    try:
        app.test_client().get("/healthz", headers={"X-Request-ID": "abc"})
    finally:
        access.removeHandler(handler)
    assert re.fullmatch(
        r"\S+ \S+ INFO \[abc\] cocreate\.access: GET /healthz 200 \d+\.\dms\n", stream.getvalue()
    )


def test_log_format_defaults_json_in_production_only() -> None:
    assert Config(ENV="production").log_format == "json"
    assert Config(ENV="development").log_format == "text"
    assert Config(ENV="development", LOG_FORMAT="json").log_format == "json"
    with pytest.raises(ConfigError, match="LOG_FORMAT must be json or text"):
        Config(LOG_FORMAT="xml").validate()


# /metrics -------------------------------------------------------------------------------------


def test_metrics_label_latency_by_route_not_path(client: FlaskClient) -> None:
    client.get("/healthz")
    client.get("/designs/987654")  # a rule that matched, answering 404
    client.get("/no/such/page/123")
    body = client.get("/metrics").get_data(as_text=True)
    assert re.search(
        r'cocreate_request_duration_seconds_count\{method="GET",route="/healthz",status="200"\} '
        r"[1-9]",
        body,
    )
    assert 'route="/designs/<id:design_id>",status="404"' in body
    assert 'route="<unmatched>",status="404"' in body
    assert "987654" not in body
    assert "/no/such/page" not in body


def test_metrics_gauges_read_at_scrape_time(client: FlaskClient) -> None:
    body = client.get("/metrics").get_data(as_text=True)
    # Every outbox kind with a sender has a sample, 0 when nothing waits.
    assert 'cocreate_outbox_pending{kind="email"} 0.0' in body
    assert 'cocreate_outbox_failed{kind="email"} 0.0' in body
    # No REDIS_URL: no RQ queue to measure.
    assert "cocreate_jobs_queue_depth" not in body


@pytest.mark.skipif(not redis_up(LOCAL_REDIS), reason="needs the local Redis")
def test_metrics_report_the_queue_depth(engine: object, database_url: str, tmp_path: Path) -> None:
    app = _app(database_url, tmp_path, REDIS_URL=LOCAL_REDIS)
    body = app.test_client().get("/metrics").get_data(as_text=True)
    assert re.search(r'cocreate_jobs_queue_depth\{queue="cocreate"\} \d', body)


def test_metrics_token_is_required_when_set(
    engine: object, database_url: str, tmp_path: Path
) -> None:
    app = _app(database_url, tmp_path, METRICS_TOKEN="scrape-me")
    client = app.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "scrape-me"}).status_code == 401
    good = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert good.status_code == 200
    assert good.headers["Content-Type"].startswith("text/plain; version=")
    assert good.headers["Cache-Control"] == "no-store"


def _production(database_url: str, tmp_path: Path, **settings: object) -> Flask:
    config = Config(
        ENV="production",
        SECRET_KEY=TEST_SECRET,
        DATABASE_URL=database_url,
        REDIS_URL=DEAD_REDIS,
        SMTP_HOST="smtp.example.org",
        PUBLIC_URL="https://shop.example.org",
        PAYMENT_GATEWAY="stripe",
        STRIPE_SECRET_KEY="sk_test_x",
        STRIPE_WEBHOOK_SECRET="whsec_x",
        UPLOAD_DIR=str(tmp_path / "uploads"),
        **settings,  # type: ignore[arg-type]
    )
    app = create_app(config)
    _BUILT.append(app)
    return app


@pytest.fixture
def restore_root_logger() -> Iterator[None]:
    """A production app installs its handler on the root logger: put things back after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("restore_root_logger")
def test_production_refuses_metrics_without_a_token(database_url: str, tmp_path: Path) -> None:
    client = _production(database_url, tmp_path).test_client()
    response = client.get("/metrics", base_url="https://shop.example.org")
    assert response.status_code == 404


@pytest.mark.usefixtures("restore_root_logger")
def test_production_serves_metrics_with_the_token(
    engine: object, database_url: str, tmp_path: Path
) -> None:
    client = _production(database_url, tmp_path, METRICS_TOKEN="scrape-me").test_client()
    base = "https://shop.example.org"
    assert client.get("/metrics", base_url=base).status_code == 401
    auth = {"Authorization": "Bearer scrape-me"}
    assert client.get("/metrics", base_url=base, headers=auth).status_code == 200


# Static files ---------------------------------------------------------------------------------


def test_static_urls_carry_the_content_hash(app: Flask) -> None:
    with app.test_request_context():
        css = url_for("static", filename="css/site.css")
        missing = url_for("static", filename="css/missing.css")
    assert re.fullmatch(r"/static/css/site\.css\?v=[0-9a-f]{12}", css)
    assert missing == "/static/css/missing.css"


def test_the_version_changes_with_the_content(tmp_path: Path, app: Flask) -> None:
    static = tmp_path / "static"
    static.mkdir()
    (static / "a.css").write_text("body { color: red }")
    app.static_folder = str(static)
    with app.test_request_context():
        before = url_for("static", filename="a.css")
        (static / "a.css").write_text("body { color: blue }")
        after = url_for("static", filename="a.css")
    assert before != after


def test_versioned_static_files_are_immutable(client: FlaskClient, app: Flask) -> None:
    with app.test_request_context():
        css = url_for("static", filename="css/site.css")
    response = client.get(css)
    response.close()
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == IMMUTABLE


def test_unversioned_or_stale_static_urls_are_revalidated(client: FlaskClient) -> None:
    plain = client.get("/static/css/site.css")
    stale = client.get("/static/css/site.css?v=000000000000")
    plain.close()
    stale.close()
    assert plain.status_code == stale.status_code == 200
    assert "immutable" not in plain.headers["Cache-Control"]
    assert "immutable" not in stale.headers["Cache-Control"]


def test_pages_link_versioned_static_files(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert re.search(r'href="/static/css/site\.css\?v=[0-9a-f]{12}"', page)


# The clock offset -----------------------------------------------------------------------------


def test_clock_offset_moves_the_apps_clock(
    engine: object, database_url: str, tmp_path: Path
) -> None:
    app = _app(database_url, tmp_path, CLOCK_OFFSET_SECONDS=8 * 24 * 3600)
    app_clock = clock(app)
    assert isinstance(app_clock, OffsetClock)
    expected = datetime.now(UTC) + timedelta(days=8)
    assert abs(app_clock.now() - expected) < timedelta(seconds=5)


def test_production_refuses_a_clock_offset() -> None:
    with pytest.raises(ConfigError, match="production refuses CLOCK_OFFSET_SECONDS"):
        Config(ENV="production", CLOCK_OFFSET_SECONDS=60).validate()

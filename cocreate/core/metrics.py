"""Prometheus metrics: request latency by route, the jobs queue depth and the outbox backlog.

Latency is a histogram labelled by method, route (the URL rule such as
`/designs/<id:design_id>`, never the raw path, so the label set stays bounded) and status,
observed after each request. The queue depth and the outbox backlog are gauges read from Redis
and the database when Prometheus scrapes `/metrics`, so every process reports the same truth.

Under gunicorn each worker is its own process: set `PROMETHEUS_MULTIPROC_DIR` (an empty
directory, wiped when gunicorn starts; see gunicorn.conf.py) before the workers import this
module, and each worker writes its samples there; a scrape, whichever worker answers it,
adds them all up.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator

from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from redis import Redis
from rq import Queue
from sqlalchemy import func, select

from cocreate.config import settings
from cocreate.core import db, jobs
from cocreate.core.logs import route
from cocreate.core.outbox import OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# `_created` series (one per label set) are not kept in multiprocess mode either: same output.
disable_created_metrics()

REQUEST_LATENCY = Histogram(
    "cocreate_request_duration_seconds",
    "Time from the start of a request to its response, by route, method and status.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)


def _observe(response: Response) -> Response:
    started = g.get("request_started")
    if started is not None:
        REQUEST_LATENCY.labels(route(), request.method, str(response.status_code)).observe(
            time.perf_counter() - started
        )
    return response


class BacklogCollector(Collector):
    """Gauges read at scrape time: pending and failed outbox rows, and the RQ queue's length."""

    def __init__(self, app: Flask, redis: Redis | None) -> None:
        self.app = app
        self.redis = redis

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(())  # read at scrape time only; nothing to check for clashes

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self._outbox()
        if self.redis is not None:
            yield from self._queue(self.redis)

    def _outbox(self) -> Iterator[GaugeMetricFamily]:
        by_status = {
            OutboxStatus.PENDING: GaugeMetricFamily(
                "cocreate_outbox_pending",
                "Outbox rows (emails, refunds, payouts …) waiting to be delivered, by kind.",
                labels=["kind"],
            ),
            OutboxStatus.FAILED: GaugeMetricFamily(
                "cocreate_outbox_failed",
                "Outbox rows that failed every delivery attempt, by kind.",
                labels=["kind"],
            ),
        }
        query = (
            select(OutboxMessage.status, OutboxMessage.kind, func.count())
            .where(OutboxMessage.status.in_(list(by_status)))
            .group_by(OutboxMessage.status, OutboxMessage.kind)
        )
        try:
            rows = db.session().execute(query).all()
        except Exception:  # a scrape must not fail because the database did; /healthz says so
            logger.exception("metrics: the outbox backlog could not be read")
            db.rollback()
            return
        # Every kind with a sender has a sample, 0 included: a series that vanishes when the
        # backlog is empty would make alerts and graphs guess.
        counts = {
            (status, kind): 0 for status in by_status for kind in jobs.state(self.app).senders
        }
        counts.update({(status, kind): count for status, kind, count in rows})
        for (status, kind), count in sorted(counts.items()):
            by_status[status].add_metric([kind], count)
        yield from by_status.values()

    def _queue(self, redis: Redis) -> Iterator[GaugeMetricFamily]:
        name = jobs.state(self.app).queue_name
        try:
            depth = Queue(name, connection=redis).count
        except Exception:
            logger.exception("metrics: the jobs queue length could not be read")
            return
        gauge = GaugeMetricFamily(
            "cocreate_jobs_queue_depth", "Jobs waiting in the RQ queue.", labels=["queue"]
        )
        gauge.add_metric([name], depth)
        yield gauge


def exposition(redis: Redis | None = None) -> bytes:
    """The text a scrape returns: every worker's samples, then the scrape-time gauges."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    scrape = CollectorRegistry()
    scrape.register(BacklogCollector(app, redis))
    if os.environ.get(MULTIPROC_ENV):
        merged = CollectorRegistry()
        MultiProcessCollector(merged)
        processes = generate_latest(merged)
    else:
        processes = generate_latest(REGISTRY)
    return processes + generate_latest(scrape)


def redis_client(app: Flask) -> Redis | None:
    """A Redis client with short timeouts for probes (health, metrics); None without Redis."""
    url = settings(app).REDIS_URL
    if not url:
        return None
    client = app.extensions.get("cocreate.probe_redis")
    if client is None:
        client = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        app.extensions["cocreate.probe_redis"] = client
    return client


def init_app(app: Flask) -> None:
    app.after_request(_observe)

"""The smoke test's production-like services on 127.0.0.1: a fresh PostgreSQL database, its own
Redis server, gunicorn "machines" (gunicorn.conf.py, several workers each) and an RQ worker.

Everything is started from the repository root with the current Python's environment, logs go
to files in a temporary directory, and `close()` stops every process and drops the database,
whatever happened.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SECRET_KEY = "smoke-test-secret-key-not-for-production-0123456789"
METRICS_TOKEN = "smoke-metrics-token"
STAFF_PASSWORD = "harbour lights at midnight 42"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(
    check: Callable[[], bool], what: str, timeout: float = 30.0, process: Process | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.popen.poll() is not None:
            raise RuntimeError(f"{process.name} exited while starting:\n{process.output()[-3000:]}")
        try:
            if check():
                return
        except (requests.RequestException, OSError):
            pass
        time.sleep(0.1)
    raise TimeoutError(f"gave up waiting for {what} after {timeout:.0f} s")


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.popen.poll() is None:
            # Its own process group: gunicorn's workers (or anything it spawned) go too.
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=5)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class Machine:
    """One app server: gunicorn with gunicorn.conf.py and its own metrics directory."""

    name: str
    port: int
    metrics_dir: Path
    process: Process | None = None
    #: /healthz requests made since this gunicorn started (its metrics start from zero).
    health_hits: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def healthz(self) -> requests.Response:
        # A long timeout: a request the client gave up on may still be answered (and counted).
        response = requests.get(self.url + "/healthz", timeout=60)
        self.health_hits += 1  # counted once answered: a refused connection reached no worker
        return response


@dataclass
class Cluster:
    workdir: Path
    database_base: str
    database_name: str
    redis_port: int
    #: How far the app's clock is moved forward (CLOCK_OFFSET_SECONDS of every process).
    clock_offset: int = 0
    machines: dict[str, Machine] = field(default_factory=dict)
    processes: list[Process] = field(default_factory=list)
    redis: Process | None = None
    worker: Process | None = None
    engine: Engine | None = None

    # Set-up ----------------------------------------------------------------------------------

    @classmethod
    def create(cls) -> Cluster:
        workdir = Path(tempfile.mkdtemp(prefix="cocreate-smoke-"))
        base = os.environ.get("SMOKE_DATABASE_URL", DEFAULT_POSTGRES)
        name = f"cocreate_smoke_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        cluster = cls(workdir, base, name, free_port())
        admin = create_engine(make_url(base), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return cluster

    @property
    def database_url(self) -> str:
        url = make_url(self.database_base).set(database=self.database_name)
        return url.render_as_string(hide_password=False)

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def db(self) -> Engine:
        if self.engine is None:
            self.engine = create_engine(self.database_url)
        return self.engine

    def env(self, machine: Machine | None = None) -> dict[str, str]:
        """The app's settings: ENV=development (production needs TLS for its Secure cookies,
        SMTP and Stripe), but the production services and logging."""
        public = self.machines["a"].url if "a" in self.machines else "http://127.0.0.1"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PROMETHEUS_", "FLASK_"))}
        env.update(
            ENV="development",
            SECRET_KEY=SECRET_KEY,
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            UPLOAD_DIR=str(self.workdir / "uploads"),
            PUBLIC_URL=public,
            LOG_FORMAT="json",
            LOG_LEVEL="INFO",
            METRICS_TOKEN=METRICS_TOKEN,
            CLOCK_OFFSET_SECONDS=str(self.clock_offset),
            # Requests may carry X-Forwarded-For (the rate-limit step plays other clients).
            PROXY_COUNT="1",
            # The journey's artwork is small; every actor signs up from 127.0.0.1.
            PRODUCT_MIN_LONG_SIDE="tee=300",
            RATELIMIT_SIGNUP="100 per minute",
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
        )
        if machine is not None:
            env["PROMETHEUS_MULTIPROC_DIR"] = str(machine.metrics_dir)
        return env

    def spawn(self, name: str, argv: list[str], env: dict[str, str]) -> Process:
        log = self.workdir / f"{name}.log"
        with log.open("ab") as out:
            popen = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def flask(self, *args: str, check: bool = True) -> str:
        """Run `flask --app cocreate …` as an operator would; its output."""
        done = subprocess.run(
            [str(BIN / "flask"), "--app", "cocreate", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout + done.stderr

    def start_redis(self) -> None:
        self.redis = self.spawn(
            "redis",
            [
                shutil.which("redis-server") or "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.redis_port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            dict(os.environ),
        )
        wait_until(lambda: _redis_ping(self.redis_port), "redis-server", 10, self.redis)

    def start_machine(self, name: str, workers: int = 2, wait: bool = True) -> Machine:
        machine = self.machines.get(name)
        if machine is None:
            machine = Machine(name, free_port(), self.workdir / f"metrics-{name}")
            self.machines[name] = machine
        machine.health_hits = 0
        argv = [
            str(BIN / "gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{machine.port}",
            "--workers",
            str(workers),
            "wsgi:app",
        ]
        machine.process = self.spawn(f"gunicorn-{name}", argv, self.env(machine))
        if wait:
            self.wait_ready(machine)
        return machine

    def wait_ready(self, machine: Machine) -> None:
        wait_until(
            lambda: machine.healthz().status_code == 200,
            f"gunicorn {machine.name}",
            90,
            machine.process,
        )

    def start_worker(self, wait: bool = True) -> None:
        self.worker = self.spawn(
            "rq-worker", [str(BIN / "flask"), "--app", "cocreate", "jobs", "worker"], self.env()
        )
        if wait:
            self.wait_worker()

    def wait_worker(self) -> None:
        wait_until(lambda: "Listening on" in self.worker_log(), "the RQ worker", 90, self.worker)

    def worker_log(self) -> str:
        return self.worker.output() if self.worker else ""

    def move_clock(self, seconds: int) -> None:
        """Move every process's clock forward: restart the app servers and the worker with the
        new CLOCK_OFFSET_SECONDS (as one would restart them after changing the settings)."""
        self.clock_offset += seconds
        running = [m for m in self.machines.values() if m.process is not None]
        for machine in running:
            assert machine.process is not None
            machine.process.stop()
        if self.worker is not None:
            self.worker.stop()
            self.start_worker(wait=False)
        # Started together, then waited for: boots overlap.
        for machine in running:
            self.start_machine(machine.name, wait=False)
        for machine in running:
            self.wait_ready(machine)
        if self.worker is not None:
            self.wait_worker()

    # Tear-down -------------------------------------------------------------------------------

    def close(self, keep_logs: bool = False) -> None:
        for process in reversed(self.processes):
            with contextlib.suppress(ProcessLookupError):
                process.stop()
        if self.engine is not None:
            self.engine.dispose()
        admin = create_engine(make_url(self.database_base), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)'))
        admin.dispose()
        if not keep_logs:
            shutil.rmtree(self.workdir, ignore_errors=True)


def _redis_ping(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
        conn.sendall(b"PING\r\n")
        return conn.recv(16).startswith(b"+PONG")

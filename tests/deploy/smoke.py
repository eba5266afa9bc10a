"""The deployment smoke test (`make test-smoke`, part of `make ci`).

Starts what production runs, on 127.0.0.1 only: gunicorn with gunicorn.conf.py and 2 workers,
an RQ worker (`flask jobs worker`), a fresh PostgreSQL database migrated with `flask db upgrade`
and a Redis server of its own. Then it plays the journey's HTTP steps with `requests`, as the
users' browsers would (forms read from the pages, CSRF tokens included), and checks the
operations side: /healthz, /metrics aggregated over the workers, emails queued by a request and
delivered by the RQ worker, JSON logs with request ids, and a rate limit spent on one machine
being enforced by another.

The app runs with ENV=development: production requires TLS (its cookies are Secure, so
`requests` over plain http would drop them), SMTP and Stripe. Everything else is as in
production: PostgreSQL, Redis, RQ, gunicorn, JSON logs, a metrics token.

Each step is a function of the `Journey` listed in STEPS: add steps by appending to the list.
Run `python tests/deploy/smoke.py --keep-logs` to keep the processes' logs for a failure.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import requests
from PIL import Image, ImageDraw
from sqlalchemy import text

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.deploy.cluster import METRICS_TOKEN, STAFF_PASSWORD, Cluster, wait_until
from tests.deploy.forms import find_form, submit

PASSWORD = "a long enough passphrase"
DAY = 24 * 3600
STAFF_EMAIL = "staff@smoke.test"
DESIGNER_EMAIL = "dana@smoke.test"
CUSTOMER_EMAIL = "cleo@smoke.test"
MEMBERS = [f"member{n}@smoke.test" for n in range(1, 6)]
#: Score and "I'd buy it" size of each member's vote (None: no buy intent).
VOTES = [(5, "M"), (4, "M"), (5, "L"), (3, None), (4, None)]


class StepFailed(AssertionError):
    pass


def expect(condition: object, message: str) -> None:
    if not condition:
        raise StepFailed(message)


def artwork_png() -> bytes:
    """A small PNG made with Pillow (PRODUCT_MIN_LONG_SIDE lets a 480 px tee print)."""
    image = Image.new("RGBA", (480, 480), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 60, 420, 420), fill=(30, 90, 200, 255))
    draw.ellipse((150, 150, 330, 330), fill=(250, 200, 40, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@dataclass
class Journey:
    cluster: Cluster
    users: dict[str, requests.Session] = field(default_factory=dict)
    design_id: int = 0
    run_url: str = ""
    order_number: str = ""
    #: One-time links the journey used: they must never appear in a log.
    secrets: list[str] = field(default_factory=list)
    timings: list[tuple[str, float]] = field(default_factory=list)

    # Helpers ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.cluster.machines["a"].url

    def browser(self, email: str) -> requests.Session:
        if email not in self.users:
            self.users[email] = requests.Session()
        return self.users[email]

    def page(self, email: str, path: str, status: int = 200) -> requests.Response:
        response = self.browser(email).get(self.url + path, timeout=60)
        expect(response.status_code == status, f"GET {path}: {response.status_code}")
        return response

    def post_form(
        self,
        email: str,
        page: str,
        *,
        action: str | None = None,
        button: str | None = None,
        data: dict[str, str | list[str] | None] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        status: int = 200,
    ) -> requests.Response:
        """Open `page`, fill in the form and submit it (following the redirect)."""
        shown = self.page(email, page)
        form = find_form(shown.text, shown.url, action=action, button=button)
        response = submit(self.browser(email), form, data, button=button, files=files)
        expect(
            response.status_code == status,
            f"{button or action} on {page}: {response.status_code}\n{_flash(response.text)}",
        )
        return response

    def sql(self, query: str, **params: object) -> list[tuple[object, ...]]:
        with self.cluster.db().connect() as conn:
            return [tuple(row) for row in conn.execute(text(query), params)]

    def outbox_row(self, to: str, subject_part: str) -> tuple[int, str, str]:
        """(id, status, body) of the newest email to `to` whose subject has `subject_part`."""
        rows = self.sql(
            "SELECT id, status, payload FROM outbox WHERE kind = 'email' ORDER BY id DESC"
        )
        for row_id, status, payload in rows:
            data = payload if isinstance(payload, dict) else json.loads(str(payload))
            if data["to"] == to and subject_part in data["subject"]:
                return int(str(row_id)), str(status), str(data["body"])
        raise StepFailed(f"no email to {to} about {subject_part!r}")

    def delivered_email(self, to: str, subject_part: str) -> str:
        """Wait until the RQ worker has sent the email; its body."""
        found: dict[str, str] = {}

        def sent() -> bool:
            _id, status, body = self.outbox_row(to, subject_part)
            found["body"] = body
            return status == "sent"

        wait_until(sent, f"the email to {to} to be delivered", 20)
        return found["body"]

    def sign_up(self, email: str, name: str) -> None:
        response = self.post_form(
            email,
            "/signup",
            action="/signup",
            data={"email": email, "display_name": name, "password": PASSWORD},
        )
        expect(f"Welcome, {name}!" in response.text, f"sign-up of {email}: {_flash(response.text)}")

    def verify(self, email: str) -> None:
        body = self.delivered_email(email, "onfirm")
        match = re.search(r"https?://\S+(/verify/\S+)", body)
        expect(match, f"no confirmation link in the email to {email}")
        assert match is not None
        self.secrets.append(match.group(1))
        response = self.page(email, match.group(1))
        expect(f"{email} is confirmed" in response.text, f"verifying {email}")

    def log_in(self, email: str, password: str = PASSWORD) -> None:
        self.users.pop(email, None)  # a fresh browser: the old session may have expired
        response = self.post_form(
            email, "/login", action="/login", data={"email": email, "password": password}
        )
        expect("You are logged in." in response.text, f"log-in of {email}")


def _flash(html: str) -> str:
    """The page's messages and errors, for failure reports."""
    found = re.findall(r'class="[^"]*(?:flash|error|alert)[^"]*"[^>]*>(.*?)<', html, re.S)
    return " | ".join(" ".join(f.split()) for f in found if f.strip())[:500]


# Operations checks ---------------------------------------------------------------------------


def health_answers(j: Journey) -> None:
    machine = j.cluster.machines["a"]
    response = machine.healthz()
    expect(response.status_code == 200, f"/healthz: {response.status_code}")
    expect(
        response.json() == {"status": "ok", "database": "ok", "redis": "ok"},
        f"/healthz: {response.text}",
    )
    expect("Set-Cookie" not in response.headers, "/healthz wrote a cookie")
    given = "smoke-req-0001"
    echoed = requests.get(j.url + "/healthz", headers={"X-Request-ID": given}, timeout=10)
    machine.health_hits += 1
    expect(echoed.headers.get("X-Request-ID") == given, "X-Request-ID not echoed")
    wait_until(
        lambda: _access_line(j, given) is not None, "the access line of the probe in the log", 10
    )
    line = _access_line(j, given)
    assert line is not None
    expect(
        line["route"] == "/healthz" and line["status"] == 200 and line["method"] == "GET",
        f"access line: {line}",
    )


def _access_line(j: Journey, request_id: str) -> dict[str, object] | None:
    machine = j.cluster.machines["a"]
    assert machine.process is not None
    for raw in machine.process.output().splitlines():
        if not raw.startswith("{"):
            continue
        record = json.loads(raw)
        if record.get("request_id") == request_id and record.get("logger") == "cocreate.access":
            return dict(record)
    return None


def designer_signs_up(j: Journey) -> None:
    j.sign_up(DESIGNER_EMAIL, "Dana Designer")


def email_delivered_by_the_worker(j: Journey) -> None:
    """The sign-up request queued the confirmation email; the RQ worker sent it."""
    j.delivered_email(DESIGNER_EMAIL, "onfirm")
    log = j.cluster.worker_log()
    expect(f"email to {DESIGNER_EMAIL}" in log, "the worker's log does not show the email")
    expect("delivery_job" in log, "the worker's log does not show the delivery job")


def designer_verifies_email(j: Journey) -> None:
    j.verify(DESIGNER_EMAIL)


def designer_uploads_a_design(j: Journey) -> None:
    response = j.post_form(
        DESIGNER_EMAIL,
        "/designs/new",
        action="/designs/new",
        data={"title": "Harbour Lights", "tags": "sea, night", "products": "tee"},
        files={"artwork": ("harbour.png", artwork_png(), "image/png")},
    )
    match = re.search(r"/designs/(\d+)", response.url)
    expect(match and "is saved" in response.text, f"upload: {_flash(response.text)}")
    assert match is not None
    j.design_id = int(match.group(1))
    # The mockups are drawn by the RQ worker after the upload's commit (designs.images); the
    # draft can be submitted once they are.

    def drawn() -> bool:
        query = "SELECT thumb_webp_key IS NOT NULL FROM designs WHERE id = :id"
        return j.sql(query, id=j.design_id) == [(True,)]

    wait_until(drawn, "the worker to draw the mockups", 60)
    log = j.cluster.worker_log()
    expect(f"drew the images of design {j.design_id}" in log, "the worker drew no mockups")
    response = j.post_form(
        DESIGNER_EMAIL, f"/designs/{j.design_id}", action=f"/designs/{j.design_id}/submit"
    )
    expect("screening" in response.text.lower(), f"submit: {_flash(response.text)}")


def staff_screens_it_into_voting(j: Journey) -> None:
    j.cluster.flask(
        "users", "create-admin", STAFF_EMAIL, "--name", "Sam Staff", "--password", STAFF_PASSWORD
    )
    j.log_in(STAFF_EMAIL, STAFF_PASSWORD)
    j.post_form(STAFF_EMAIL, "/staff/screening", action=f"/staff/designs/{j.design_id}/accept")
    state = j.sql("SELECT state FROM designs WHERE id = :id", id=j.design_id)
    expect(state == [("voting",)], f"design state after screening: {state}")


def members_vote_and_comment(j: Journey) -> None:
    for n, email in enumerate(MEMBERS, start=1):
        j.sign_up(email, f"Member {n}")
    for email in MEMBERS:
        j.verify(email)
    design = f"/designs/{j.design_id}"
    for n, (email, (score, size)) in enumerate(zip(MEMBERS, VOTES, strict=True), start=1):
        vote: dict[str, str | list[str] | None] = {"score": str(score)}
        if size is not None:
            vote.update(buy="y", size=f"tee:{size}")
        response = j.post_form(email, design, action=f"{design}/vote", data=vote)
        expect("Your vote is saved." in response.text, f"vote {n}: {_flash(response.text)}")
        j.post_form(
            email, design, action=f"{design}/comments", data={"body": f"Comment {n}: lovely."}
        )
    votes = j.sql("SELECT count(*) FROM votes WHERE design_id = :id", id=j.design_id)
    comments = j.sql("SELECT count(*) FROM comments WHERE design_id = :id", id=j.design_id)
    expect(votes == [(5,)] and comments == [(5,)], f"votes {votes}, comments {comments}")


def voting_window_closes(j: Journey) -> None:
    """Eight days later (VOTING_DAYS is 7): every process restarts with its clock moved."""
    j.cluster.move_clock(8 * DAY)
    output = j.cluster.flask("voting", "close-expired")
    # Machine B, for the rate-limit step, boots meanwhile (on the moved clock too).
    j.cluster.start_machine("b", workers=2, wait=False)
    state = j.sql("SELECT state FROM designs WHERE id = :id", id=j.design_id)
    expect(state == [("closed",)], f"design state after close-expired: {state}; {output}")


def staff_approve_a_run_and_stock_it(j: Journey) -> None:
    j.log_in(STAFF_EMAIL, STAFF_PASSWORD)  # the 8 days ended the old session
    plan = f"/staff/production/designs/{j.design_id}/plan"
    shown = j.page(STAFF_EMAIL, plan)
    # Buy intent: M twice and L once; × 1.5 rounded up: 3 M and 2 L, topped up to the tee's
    # minimum run of 24.
    expect("Total: 24 units" in shown.text, "the suggested run is not 24 units")
    response = j.post_form(STAFF_EMAIL, plan, button="Approve and plan the run")
    expect("is approved: run" in response.text, f"approve: {_flash(response.text)}")
    j.run_url = response.url.removeprefix(j.url)
    response = j.post_form(STAFF_EMAIL, j.run_url, button="Mark as printing")
    expect("is printing." in response.text, f"printing: {_flash(response.text)}")
    response = j.post_form(STAFF_EMAIL, j.run_url, button="Mark as in stock")
    expect("is in stock." in response.text, f"in stock: {_flash(response.text)}")
    stock = j.sql(
        "SELECT size, stock_on_hand FROM variants WHERE design_id = :id AND size IN ('M', 'L')"
        " ORDER BY size",
        id=j.design_id,
    )
    expect(
        [size for size, units in stock] == ["L", "M"] and all(int(str(u)) >= 2 for _, u in stock),
        f"stock: {stock}",
    )


def customer_buys_two_units(j: Journey) -> None:
    j.sign_up(CUSTOMER_EMAIL, "Cleo Customer")
    j.verify(CUSTOMER_EMAIL)
    (variant,) = j.sql(
        "SELECT id FROM variants WHERE design_id = :id AND size = 'M' ORDER BY id LIMIT 1",
        id=j.design_id,
    )
    response = j.post_form(
        CUSTOMER_EMAIL,
        f"/shop/{j.design_id}",
        action="/cart/add",
        data={"variant_id": str(variant[0]), "quantity": "2"},
    )
    expect("Your cart" in response.text, f"add to cart: {_flash(response.text)}")
    response = j.post_form(
        CUSTOMER_EMAIL,
        "/checkout",
        action="/checkout",
        data={
            "name": "Cleo Customer",
            "line1": "12 rue des Lilas",
            "city": "Lyon",
            "postcode": "69003",
            "country": "FR",
        },
    )
    expect("/pay/demo/" in response.url, f"checkout: {response.url} {_flash(response.text)}")
    form = find_form(response.text, response.url, button="Pay (succeeds)")
    paid = submit(j.browser(CUSTOMER_EMAIL), form, button="Pay (succeeds)")
    match = re.search(r"<h1>Order ([^<]+)</h1>", paid.text)
    expect(match and "paid" in paid.text, f"payment: {paid.status_code} {_flash(paid.text)}")
    assert match is not None
    j.order_number = match.group(1).strip()
    lines = j.sql(
        "SELECT sum(l.quantity) FROM order_lines l JOIN orders o ON o.id = l.order_id"
        " WHERE o.number = :n",
        n=j.order_number,
    )
    expect(lines == [(2,)], f"order lines: {lines}")


def staff_fulfil_and_refund_one_unit(j: Journey) -> None:
    desk = f"/staff/orders/{j.order_number}"
    response = j.post_form(
        STAFF_EMAIL, desk, button="Mark as shipped", data={"tracking_number": "6A12345678901"}
    )
    expect("is marked shipped" in response.text, f"fulfil: {_flash(response.text)}")
    (line,) = j.sql(
        "SELECT l.id FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.number = :n",
        n=j.order_number,
    )
    j.post_form(
        STAFF_EMAIL,
        desk,
        button="Refund these units",
        data={f"qty-{line[0]}": "1", "reason": "Seam came undone"},
    )

    # The refund is an outbox row the RQ worker delivers (through the demo gateway).
    def refunded() -> bool:
        page = j.page(CUSTOMER_EMAIL, f"/orders/{j.order_number}")
        return "partially refunded" in page.text

    wait_until(refunded, "the refund to be delivered", 20)


def metrics_add_up_every_worker(j: Journey) -> None:
    """Probes spread over both workers (sync workers take one request each at a time): the
    scrape, answered by either worker, counts all of them."""
    machine = j.cluster.machines["a"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _n: machine.healthz().status_code, range(60)))
    expect(answers == [200] * 60, f"/healthz under load: {sorted(set(answers))}")
    pids = {p.name.split("_")[-1] for p in machine.metrics_dir.glob("histogram_*.db")}
    expect(len(pids) >= 2, f"only worker(s) {pids} wrote metrics: not spread over 2 workers")

    refused = requests.get(j.url + "/metrics", timeout=10)
    expect(refused.status_code == 401, f"/metrics without the token: {refused.status_code}")
    scrape = requests.get(
        j.url + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10
    )
    expect(scrape.status_code == 200, f"/metrics: {scrape.status_code}")
    body = scrape.text
    health = _sample(body, "cocreate_request_duration_seconds_count", route="/healthz")
    expect(
        health == machine.health_hits,
        f"/healthz counted {health} times, {machine.health_hits} made since the restart",
    )
    # Labelled by the URL rule, not the path (the clock move restarted the servers: only the
    # steps after it are counted).
    product_page = "/shop/<int:design_id>"
    expect(
        _sample(body, "cocreate_request_duration_seconds_count", route=product_page) > 0,
        f"no latency samples for {product_page}",
    )
    pending = j.sql("SELECT kind, count(*) FROM outbox WHERE status = 'pending' GROUP BY kind")
    expect(
        _sample(body, "cocreate_outbox_pending") == sum(int(str(n)) for _k, n in pending),
        f"outbox backlog {_sample(body, 'cocreate_outbox_pending')}, in the database {pending}",
    )
    expect(_sample(body, "cocreate_jobs_queue_depth", queue="cocreate") == 0, "queue not empty")


def _sample(body: str, name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels` (-1: no such sample)."""
    total, found = 0.0, False
    for line in body.splitlines():
        metric, _, value = line.rpartition(" ")
        if not (metric == name or metric.startswith(name + "{")):
            continue
        if all(f'{key}="{wanted}"' in metric for key, wanted in labels.items()):
            total += float(value)
            found = True
    return total if found else -1


def logs_are_json_and_keep_secrets_out(j: Journey) -> None:
    machine = j.cluster.machines["a"]
    assert machine.process is not None
    records = [json.loads(line) for line in machine.process.output().splitlines() if line]
    access = [r for r in records if r.get("logger") == "cocreate.access"]
    expect(access, "no access lines")
    expect(
        all(len(r["request_id"]) == 32 or r["request_id"].startswith("smoke-") for r in access),
        "an access line without a request id",
    )
    everything = machine.process.output() + j.cluster.worker_log()
    expect(j.secrets, "no secret links were used")
    leaked = [secret for secret in j.secrets if secret in everything]
    expect(not leaked, f"one-time links were logged: {leaked}")
    expect(PASSWORD not in everything, "a password was logged")


def rate_limits_are_shared_between_machines(j: Journey) -> None:
    """Machine B (another gunicorn on the same Redis) refuses a client that spent its log-in
    attempts on machine A (RATELIMIT_LOGIN: 10 failed log-ins per minute and address)."""
    b = j.cluster.machines["b"]
    j.cluster.wait_ready(b)
    client = {"X-Forwarded-For": "203.0.113.7"}  # one client address, behind the proxy
    attacker = requests.Session()
    for attempt in range(1, 11):
        shown = attacker.get(j.url + "/login", headers=client, timeout=10)
        form = find_form(shown.text, shown.url, action="/login")
        answer = submit(
            attacker, form, {"email": DESIGNER_EMAIL, "password": "wrong"}, headers=client
        )
        expect(answer.status_code == 422, f"failed log-in {attempt} on A: {answer.status_code}")
    shown = attacker.get(b.url + "/login", headers=client, timeout=10)
    form = find_form(shown.text, shown.url, action="/login")
    answer = submit(attacker, form, {"email": DESIGNER_EMAIL, "password": "wrong"}, headers=client)
    expect(answer.status_code == 429, f"the 11th log-in, on B: {answer.status_code}")
    # Another address is not affected.
    other = {"X-Forwarded-For": "203.0.113.8"}
    answer = submit(attacker, form, {"email": DESIGNER_EMAIL, "password": "wrong"}, headers=other)
    expect(answer.status_code == 422, f"another address on B: {answer.status_code}")


def royalties_clear_and_the_month_closes(j: Journey) -> None:
    """The return window passes (30 days after shipping: every process restarts with the clock
    32 days on), the royalty of the tee kept clears, its month is closed, and the designer
    downloads the statement's CSV. One line of 2 tees at 25.00 incl. 20 % VAT: net 41.67,
    10 % = 4.17 accrued; one tee refunded reverses half of it, 4.17 / 2 = 2.085 → 2.08
    (half-even); 2.09 is kept."""
    ((paid_at,),) = j.sql("SELECT paid_at FROM orders WHERE number = :n", n=j.order_number)
    assert isinstance(paid_at, datetime)
    period = paid_at.astimezone(UTC).strftime("%Y-%m")
    j.cluster.move_clock(32 * DAY)
    cleared = j.cluster.flask("royalties", "clear-earnings")
    expect("Cleared 1 accrual(s)." in cleared, f"clear-earnings: {cleared}")
    closed = j.cluster.flask("royalties", "close-period", period)
    expect(f"Closed {period}: 1 statement(s)." in closed, f"close-period: {closed}")
    verified = j.cluster.flask("royalties", "verify")
    expect("ledger OK" in verified, f"verify: {verified}")
    j.log_in(DESIGNER_EMAIL)
    answer = j.page(DESIGNER_EMAIL, f"/royalties/statements/{period}.csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    total = [row for row in rows if row[1] == "Total"]
    expect(total and total[0][-2] == "2.09", f"the statement's total: {total}")


STEPS: list[Callable[[Journey], None]] = [
    health_answers,
    designer_signs_up,
    email_delivered_by_the_worker,
    designer_verifies_email,
    designer_uploads_a_design,
    staff_screens_it_into_voting,
    members_vote_and_comment,
    voting_window_closes,
    staff_approve_a_run_and_stock_it,
    customer_buys_two_units,
    staff_fulfil_and_refund_one_unit,
    metrics_add_up_every_worker,
    logs_are_json_and_keep_secrets_out,
    rate_limits_are_shared_between_machines,
    royalties_clear_and_the_month_closes,
]


def main(argv: list[str]) -> int:
    keep_logs = "--keep-logs" in argv
    started = time.monotonic()
    cluster = Cluster.create()
    failed = True
    try:
        print(f"smoke: database {cluster.database_name}, logs in {cluster.workdir}", flush=True)
        cluster.flask("db", "upgrade")
        cluster.start_redis()
        cluster.start_worker(wait=False)
        cluster.start_machine("a", workers=2)
        cluster.wait_worker()
        journey = Journey(cluster)
        for step in STEPS:
            began = time.monotonic()
            step(journey)
            took = time.monotonic() - began
            journey.timings.append((step.__name__, took))
            print(f"smoke: ok  {step.__name__} ({took:.1f} s)", flush=True)
        failed = False
    except Exception:
        keep_logs = True
        raise
    finally:
        cluster.close(keep_logs=keep_logs)
        outcome = "FAILED (logs kept in " + str(cluster.workdir) + ")" if failed else "passed"
        print(f"smoke: {outcome} in {time.monotonic() - started:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

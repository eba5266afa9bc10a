"""Mutation testing, one module at a time against its own tests (`make mutation`).

mutmut 3 reads its settings from ./pyproject.toml and works in ./mutants. To run each module
against only its own tests, every module gets a scratch copy of the project under
mutants/<label>/ whose pyproject.toml says which file to mutate and which tests to run; the
shared settings stay in [tool.mutmut] of the real pyproject.toml.

The score of a module is killed / (mutants - accepted equivalents). Equivalent mutants (a
change no test can observe) are listed with their reason in .ci/mutation-equivalent.txt:
one `<mutant name>  # <reason>` a line. The run fails if a module scores below THRESHOLD, or
if an accepted equivalent no longer exists or is now killed (so the list cannot go stale).

Usage: .venv/bin/python .ci/mutation.py [--report-only] [label ...]   (no label: every module)
--report-only re-reads the last run's results (e.g. after editing the equivalents list).
Each module's tests start from one SQLite schema migrated once per module (TEST_SQLITE_SCHEMA, see
tests/conftest.py), not from migrations run again for every mutant.
MUTATION_CHILDREN=n runs n mutants at once (mutmut's --max-children; its default is one per CPU).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "mutants"
EQUIVALENTS = ROOT / ".ci" / "mutation-equivalent.txt"
THRESHOLD = 90.0


@dataclass(frozen=True)
class Target:
    label: str
    module: str  # the file mutated
    tests: tuple[str, ...]  # the tests run against it


# One line per module: adding a rule-heavy module to `make mutation` is adding its line here.
TARGETS = [
    Target("money", "cocreate/core/money.py", ("tests/core/test_money.py",)),
    Target(
        "security",
        "cocreate/core/security.py",
        ("tests/core/test_security_unit.py", "tests/core/test_site.py"),
    ),
    Target("tokens", "cocreate/accounts/tokens.py", ("tests/accounts/test_tokens.py",)),
    Target(
        "lifecycle",
        "cocreate/core/lifecycle.py",
        ("tests/core/test_lifecycle.py", "tests/designs/test_lifecycle.py"),
    ),
    Target(
        "integrity",
        "cocreate/voting/integrity.py",
        ("tests/voting/test_integrity_signals.py", "tests/voting/test_integrity_moderation.py"),
    ),
    Target("votes", "cocreate/voting/services.py", ("tests/voting/test_votes.py",)),
    Target(
        "counters",
        "cocreate/voting/counters.py",
        ("tests/voting/test_ranking.py", "tests/voting/test_votes.py"),
    ),
    Target(
        "ranking",
        "cocreate/voting/ranking.py",
        ("tests/voting/test_ranking.py", "tests/voting/test_results.py"),
    ),
    Target(
        "webhooks",
        "cocreate/payments/webhooks.py",
        (
            "tests/payments/test_webhook_verify.py",
            "tests/payments/test_webhook_dispatch.py",
            "tests/payments/test_webhook_endpoint.py",
        ),
    ),
    Target("reservations", "cocreate/shop/reservations.py", ("tests/shop/test_reservation.py",)),
    Target(
        "checkout",
        "cocreate/shop/checkout.py",
        ("tests/shop/test_checkout_pricing.py", "tests/shop/test_checkout_pages.py"),
    ),
    Target(
        "payment_events",
        "cocreate/shop/payment_events.py",
        ("tests/shop/test_payment_events.py", "tests/shop/test_desk_refunds.py"),
    ),
    Target(
        "payouts",
        "cocreate/royalties/payouts.py",
        ("tests/royalties/test_payouts.py", "tests/royalties/test_payout_rules.py"),
    ),
    # Royalties: the ledger, its rules and the services that write and check it.
    Target(
        "royalty_ledger",
        "cocreate/royalties/ledger.py",
        ("tests/royalties/test_ledger.py", "tests/royalties/test_accruals.py"),
    ),
    Target(
        "royalty_rules",
        "cocreate/royalties/rules.py",
        ("tests/royalties/test_rules.py", "tests/royalties/test_accruals.py"),
    ),
    Target(
        "royalty_accruals",
        "cocreate/royalties/accruals.py",
        ("tests/royalties/test_accruals.py", "tests/royalties/test_properties.py"),
    ),
    Target(
        "royalty_clearing", "cocreate/royalties/clearing.py", ("tests/royalties/test_clearing.py",)
    ),
    Target(
        "royalty_periods",
        "cocreate/royalties/periods.py",
        ("tests/royalties/test_periods.py", "tests/royalties/test_verify.py"),
    ),
    Target("royalty_verify", "cocreate/royalties/verify.py", ("tests/royalties/test_verify.py",)),
    Target(
        "royalty_adjustments",
        "cocreate/royalties/adjustments.py",
        ("tests/royalties/test_adjustments.py", "tests/royalties/test_admin_pages.py"),
    ),
]

# What the scratch copy leaves out: version control, caches, and mutmut's own output.
SKIP = shutil.ignore_patterns(
    ".git", ".venv", "mutants", "instance", ".hypothesis", ".pytest_cache", ".ruff_cache",
    ".mypy_cache", "__pycache__", "node_modules", "test-results",
)  # fmt: skip

KILLED = {"killed", "timeout", "caught by type check"}
LINE = re.compile(r"^\s+(?P<name>\S+): (?P<status>.+)$")


def mutmut_bin() -> str:
    local = Path(sys.executable).with_name("mutmut")
    return str(local) if local.exists() else "mutmut"


def read_equivalents() -> dict[str, str]:
    accepted: dict[str, str] = {}
    if not EQUIVALENTS.exists():
        return accepted
    for raw in EQUIVALENTS.read_text("utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, _, reason = line.partition("#")
        if not reason.strip():
            sys.exit(f"{EQUIVALENTS.name}: {name.strip()} needs a reason after '#'")
        accepted[name.strip()] = reason.strip()
    return accepted


def prepare(target: Target) -> Path:
    """A fresh copy of the project whose mutmut settings name this module and its tests."""
    copy = WORK / target.label
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(ROOT, copy, ignore=SKIP, symlinks=True)
    pyproject = copy / "pyproject.toml"
    text = pyproject.read_text("utf-8")
    settings = tomllib.loads(text).get("tool", {}).get("mutmut")
    if settings is None:
        sys.exit("pyproject.toml has no [tool.mutmut] section")
    extra = (
        "\n# Written by .ci/mutation.py for this module only.\n"
        f"only_mutate = [{target.module!r}]\n"
        f"pytest_add_cli_args_test_selection = {list(target.tests)!r}\n"
    )
    marker = "[tool.mutmut]\n"
    pyproject.write_text(text.replace(marker, marker + extra, 1), "utf-8")
    return copy


def migrated_schema(copy: Path) -> Path:
    """A SQLite database of the copy's migrations at head, for every test run of its mutants."""
    schema = copy / "schema.sqlite3"
    upgrade = (
        "import sys; from alembic import command; from cocreate.core.cli import alembic_config;"
        " command.upgrade(alembic_config(sys.argv[1]), 'head')"
    )
    subprocess.run(  # noqa: S603 (our own tool, fixed arguments)
        [sys.executable, "-c", upgrade, f"sqlite:///{schema}"],
        cwd=copy,
        env={**os.environ, "PYTHONPATH": str(copy)},
        check=True,
    )
    return schema


def run(target: Target, *, again: bool = True) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": ""}  # mutmut puts its mutated copy first on sys.path
    copy = WORK / target.label
    log = copy / "mutmut-run.log"
    if again or not log.exists():
        copy = prepare(target)
        env["TEST_SQLITE_SCHEMA"] = str(migrated_schema(copy))
        command = [mutmut_bin(), "run"]
        if os.environ.get("MUTATION_CHILDREN"):
            command += ["--max-children", str(int(os.environ["MUTATION_CHILDREN"]))]
        with log.open("w") as out:
            done = subprocess.run(  # noqa: S603 (our own tool, fixed arguments)
                command, cwd=copy, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        if done.returncode != 0:
            print(log.read_text("utf-8", errors="replace")[-4000:])
            sys.exit(f"{target.label}: mutmut run failed (exit {done.returncode}); log: {log}")
    listing = subprocess.run(  # noqa: S603
        [mutmut_bin(), "results", "--all", "true"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    results = {}
    for line in listing.splitlines():
        match = LINE.match(line)
        if match:
            results[match["name"]] = match["status"].strip()
    if not results:
        sys.exit(f"{target.label}: mutmut produced no mutants; log: {log}")
    return results


def report(target: Target, results: dict[str, str], accepted: dict[str, str]) -> bool:
    killed = [name for name, status in results.items() if status in KILLED]
    survivors = sorted(name for name, status in results.items() if status not in KILLED)
    equivalent = [name for name in survivors if name in accepted]
    open_survivors = [name for name in survivors if name not in accepted]
    counted = len(results) - len(equivalent)
    score = 100.0 * len(killed) / counted if counted else 100.0
    ok = score >= THRESHOLD
    print(
        f"{target.label:<10} {target.module:<32} killed {len(killed)}/{counted}"
        f" = {score:5.1f} %  (mutants {len(results)}, accepted equivalent {len(equivalent)})"
        f"  {'ok' if ok else f'BELOW {THRESHOLD:.0f} %'}"
    )
    prefix = target.module.removesuffix(".py").replace("/", ".") + "."
    stale = [n for n in accepted if n.startswith(prefix) and n not in survivors]
    for name in open_survivors:
        print(f"    survived: {name} ({results[name]})   see: mutmut show {name}")
    for name in stale:
        print(f"    listed as equivalent but not a survivor any more: {name}")
    return ok and not stale


def main(args: list[str]) -> int:
    again = "--report-only" not in args
    labels = [a for a in args if a != "--report-only"]
    unknown = set(labels) - {t.label for t in TARGETS}
    if unknown:
        sys.exit(f"unknown module label(s): {', '.join(sorted(unknown))}")
    chosen = [t for t in TARGETS if not labels or t.label in labels]
    accepted = read_equivalents()
    WORK.mkdir(exist_ok=True)
    outcomes = []
    for target in chosen:
        verb = "mutating" if again else "last results for"
        print(f"{verb} {target.module} against {' '.join(target.tests)} …", flush=True)
        outcomes.append((target, run(target, again=again)))
    print()
    all_ok = True
    for target, results in outcomes:
        all_ok &= report(target, results, accepted)
    prefixes = tuple(t.module.removesuffix(".py").replace("/", ".") + "." for t in chosen)
    shown = {name: reason for name, reason in accepted.items() if name.startswith(prefixes)}
    if shown:
        print("\naccepted as equivalent:")
        for name, reason in shown.items():
            print(f"    {name}: {reason}")
    print(f"\n(per-module copies and logs in {WORK.relative_to(ROOT)}/<label>/; ")
    print(" inspect one with: cd mutants/<label> && mutmut show <name>)")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""`bench/royalties.py` runs end to end at a small size on SQLite: its seeder writes what the
app's schema now requires (a new NOT NULL column once broke it unnoticed), and the ledger it
seeds passes `verify`, quick and full."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_royalty_benchmark_seeds_a_ledger_that_verifies() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "bench/royalties.py",
            "--sqlite",
            "--lines",
            "2000",
            "--creators",
            "20",
            "--repeat",
            "1",
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    (run,) = report["runs"]
    assert (run["backend"], run["rows"]["order_lines"], run["creators"]) == ("sqlite", 2000, 20)
    assert (run["verify_problem_count"], run["verify_full_problems"]) == (0, 0)
    assert run["statements"] == 20
    assert report["close_month_ratio"] > 0 and report["verify_ratio"] > 0

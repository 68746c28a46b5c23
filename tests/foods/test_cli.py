"""`nexfitra parse` works offline: no database server, no network."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT


def run_cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    # An unroutable database proves the command never touches one.
    env["DATABASE_URL"] = "postgresql://nobody@127.0.0.1:1/none"
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "parse", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )


def test_parse_jsonl_reads_lines_and_writes_objects():
    out = run_cli("--jsonl", stdin="2 eggs n wheat toast\na medium apple\n")
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    assert [obj["text"] for obj in lines] == ["2 eggs n wheat toast", "a medium apple"]
    first = lines[0]
    assert set(first) >= {"text", "items", "totals"}
    assert set(first["totals"]) == {"kcal", "protein_g", "carbs_g", "fat_g"}
    keys = {
        "food_id",
        "food",
        "quantity",
        "unit",
        "grams",
        "kcal",
        "protein_g",
        "carbs_g",
        "fat_g",
        "confidence",
    }
    assert all(keys <= set(item) for item in first["items"])
    assert len(first["items"]) == 2
    apple = lines[1]["items"][0]
    assert "apple" in apple["food"].lower() and apple["grams"] > 100


def test_parse_table_output():
    out = run_cli("2 eggs n toast")
    assert out.returncode == 0, out.stderr
    assert "egg" in out.stdout.lower() and "kcal" in out.stdout.lower()

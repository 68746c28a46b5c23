"""The `nexfitra` API-client commands against a real server: rendered tables, charts, JSON,
the stored token pair and its refresh."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import json
import stat

import pytest

from app.cli import main
from tests.conftest import live_server

TODAY = dt.datetime.now(dt.UTC).date().isoformat()


@pytest.fixture
async def cli(app, client, user, tmp_path, monkeypatch, capsys):
    """run("log", "list", ...) -> (exit code, stdout, stderr), logged in as `user`."""
    monkeypatch.setenv("NEXFITRA_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("COLUMNS", "140")
    async with live_server(app) as base:

        async def run(*args: str) -> tuple[int, str, str]:
            capsys.readouterr()
            code = await asyncio.to_thread(main, ["--api", base, *args])
            out, err = capsys.readouterr()
            return code, out, err

        code, out, _ = await run("login", "--email", user.email, "--password", user.password)
        assert code == 0 and f"Logged in to {base} as {user.email}" in out
        run.base = base  # type: ignore[attr-defined]
        yield run


async def test_login_stores_the_pair_owner_only(cli, tmp_path, user):
    path = tmp_path / "config" / "tokens.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    entry = json.loads(path.read_text())[cli.base]
    assert entry["email"] == user.email and entry["access_token"] and entry["refresh_token"]


async def test_expired_access_token_is_refreshed(cli, tmp_path):
    path = tmp_path / "config" / "tokens.json"
    data = json.loads(path.read_text())
    old_refresh = data[cli.base]["refresh_token"]
    data[cli.base]["access_token"] = "expired.or.garbage"
    path.write_text(json.dumps(data))
    code, out, err = await cli(
        "goals",
        "set",
        "--kcal",
        "2000",
        "--protein",
        "150",
        "--carbs",
        "200",
        "--fat",
        "60",
        "--json",
    )
    assert code == 0, err
    assert json.loads(out)["kcal"] == 2000
    entry = json.loads(path.read_text())[cli.base]
    assert entry["refresh_token"] != old_refresh and entry["access_token"] != "expired.or.garbage"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_not_logged_in(cli, tmp_path):
    code, _, _ = await cli("logout")
    assert code == 0
    code, _, err = await cli("log", "list")
    assert code == 1 and "not logged in" in err and "nexfitra login" in err


async def test_goals_table_and_json(cli):
    code, out, _ = await cli(
        "goals",
        "set",
        "--kcal",
        "2200",
        "--protein",
        "140",
        "--carbs",
        "250",
        "--fat",
        "70",
        "--from",
        "2024-01-01",
    )
    assert code == 0
    assert "Goal set from 2024-01-01" in out
    code, out, _ = await cli("goals", "show")
    lines = {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in out.splitlines()
        if line.count("│") == 3
    }
    assert lines == {
        "kcal": "2,200.0",
        "protein_g": "140.0",
        "carbs_g": "250.0",
        "fat_g": "70.0",
    }
    code, out, _ = await cli("goals", "show", "--json")
    assert json.loads(out)["protein_g"] == 140


async def test_log_text_shows_parsed_items_then_saves(cli):
    code, out, err = await cli(
        "log", "add", "2 eggs n wheat toast", "--meal", "breakfast", "--date", TODAY, "--yes"
    )
    assert code == 0, err
    assert "Parsed items" in out and "Saved 2 entries" in out
    parsed_part = out.split("Saved")[0]
    assert "egg" in parsed_part.lower() and "toast" in parsed_part.lower()
    code, out, _ = await cli("log", "list", "--date", TODAY, "--json")
    page = json.loads(out)
    assert page["total"] == 2
    assert {e["meal_type"] for e in page["items"]} == {"breakfast"}
    code, out, _ = await cli("log", "add", "2 eggs n wheat toast", "--yes", "--json")
    saved = json.loads(out)
    assert len(saved["entries"]) == 2
    assert sum(e["kcal"] for e in saved["entries"]) == pytest.approx(
        saved["totals"]["kcal"], abs=0.5
    )


async def test_macros_summary_compare_export_and_rm(cli, tmp_path):
    await cli(
        "goals",
        "set",
        "--kcal",
        "2000",
        "--protein",
        "100",
        "--carbs",
        "250",
        "--fat",
        "70",
        "--from",
        "2024-01-01",
    )
    code, out, err = await cli(
        "log",
        "add",
        "--kcal",
        "1200",
        "--protein",
        "150",
        "--carbs",
        "100",
        "--fat",
        "40",
        "--meal",
        "lunch",
        "--description",
        "big lunch",
        "--date",
        "2024-05-08",
        "--json",
    )
    assert code == 0, err
    entry = json.loads(out)
    assert (entry["kcal"], entry["protein_g"], entry["date"]) == (1200, 150, "2024-05-08")
    await cli(
        "log",
        "add",
        "--kcal",
        "800",
        "--protein",
        "10",
        "--carbs",
        "150",
        "--fat",
        "30",
        "--meal",
        "dinner",
        "--date",
        "2024-05-08",
    )

    code, out, _ = await cli("summary", "--date", "2024-05-08")
    assert "2024-05-08: 2 entries" in out
    total = next(line for line in out.splitlines() if "total" in line)
    assert [c.strip() for c in total.split("│")[1:-1]] == [
        "total",
        "2",
        "2,000.0",
        "160.0",
        "250.0",
        "70.0",
    ]

    code, out, _ = await cli("compare", "--date", "2024-05-08")
    status = {
        cells[0]: cells[-1]
        for cells in ([c.strip() for c in line.split("│")[1:-1]] for line in out.splitlines())
        if cells and cells[0] in ("kcal", "protein_g", "carbs_g", "fat_g")
    }
    assert status == {"kcal": "on", "protein_g": "over", "carbs_g": "on", "fat_g": "on"}
    code, out, _ = await cli("compare", "--date", "2024-05-08", "--json")
    assert json.loads(out)["comparison"]["protein_g"]["status"] == "over"

    code, out, _ = await cli("summary", "--week", "--date", "2024-05-06", "--json")
    week = json.loads(out)
    assert week["totals"]["kcal"] == 2000 and week["days_logged"] == 1

    code, out, _ = await cli("chart", "kcal", "--days", "7", "--to", "2024-05-10")
    assert code == 0 and "kcal per day (2024-05-04 to 2024-05-10)" in out
    code, out, _ = await cli("chart", "macros", "--days", "7", "--to", "2024-05-10", "--json")
    series = {d["date"]: d for d in json.loads(out)}
    assert len(series) == 7 and series["2024-05-08"]["protein_g"] == 160

    target = tmp_path / "log.csv"
    code, out, _ = await cli("export", str(target))
    assert code == 0 and "Wrote 2 entries" in out
    rows = list(csv.DictReader(target.open()))
    assert sorted(float(r["kcal"]) for r in rows) == [800, 1200]

    code, _, _ = await cli("log", "rm", entry["id"])
    assert code == 0
    code, out, _ = await cli("log", "list", "--from", "2024-05-01", "--to", "2024-05-31", "--json")
    assert [e["kcal"] for e in json.loads(out)["items"]] == [800]
    code, _, err = await cli("log", "rm", entry["id"])
    assert code == 1 and "HTTP 404" in err


async def test_weight_add_list_chart(cli):
    for day, kg in (("2024-05-01", 81.0), ("2024-05-03", 80.4), ("2024-05-05", 79.9)):
        code, out, _ = await cli("weight", "add", str(kg), "--date", day)
        assert code == 0 and f"{day}: {kg:.1f} kg" in out
    code, out, _ = await cli("weight", "add", "176", "--lb", "--date", "2024-05-06", "--json")
    assert json.loads(out)["weight_kg"] == pytest.approx(79.83, abs=0.01)
    code, out, _ = await cli("weight", "list", "--json")
    assert [w["date"] for w in json.loads(out)["items"]][:2] == ["2024-05-06", "2024-05-05"]
    code, out, _ = await cli("weight", "list")
    assert "Weight (4 entries)" in out and "79.9" in out
    code, out, _ = await cli("chart", "weight", "--days", "10", "--to", "2024-05-07")
    assert "Weight, kg (2024-05-01 to 2024-05-06)" in out
    code, out, _ = await cli("chart", "weight", "--days", "10", "--to", "2024-05-07", "--json")
    assert [p["weight_kg"] for p in json.loads(out)][:3] == [81.0, 80.4, 79.9]

"""Typer commands of the API client. Every command takes `--json` for scripts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, BinaryIO

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    Task,
    TaskProgressColumn,
    TextColumn,
)
from rich.text import Text

from app.cli_client import render
from app.cli_client.session import DEFAULT_API, Api, CliError

app = typer.Typer(
    name="nexfitra",
    help="NexFitra from the terminal, as a client of a running API.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
log_app = typer.Typer(help="Food log entries.", no_args_is_help=True)
goals_app = typer.Typer(help="Daily goals.", no_args_is_help=True)
weight_app = typer.Typer(help="Body weight.", no_args_is_help=True)
app.add_typer(log_app, name="log")
app.add_typer(goals_app, name="goals")
app.add_typer(weight_app, name="weight")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the API's JSON instead of a table.")]
DateOpt = Annotated[dt.date | None, typer.Option("--date", formats=["%Y-%m-%d"], help="YYYY-MM-DD")]
FromOpt = Annotated[dt.date | None, typer.Option("--from", formats=["%Y-%m-%d"])]
ToOpt = Annotated[dt.date | None, typer.Option("--to", formats=["%Y-%m-%d"])]
MEALS = ("breakfast", "lunch", "dinner", "snack")


def console() -> Console:
    # Colour only on a terminal; pipes and tests get plain text.
    return Console(highlight=False, soft_wrap=False)


def _api(ctx: typer.Context) -> Api:
    obj = ctx.find_root().obj or {}
    api = Api(obj.get("api", DEFAULT_API), transport=obj.get("transport"))
    ctx.call_on_close(api.close)
    return api


def _emit(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


@app.callback()
def root(
    ctx: typer.Context,
    api: Annotated[
        str, typer.Option("--api", envvar="NEXFITRA_API", help="Base URL of the NexFitra API.")
    ] = DEFAULT_API,
) -> None:
    ctx.obj = {**(ctx.obj or {}), "api": api}


@app.command()
def login(
    ctx: typer.Context,
    email: Annotated[str, typer.Option(prompt=True)],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    as_json: JsonOpt = False,
) -> None:
    """Sign in; the token pair is kept in your config directory (mode 0600)."""
    out = _api(ctx).login(email, password)
    if as_json:
        _emit(out)
    else:
        console().print(f"Logged in to {out['api']} as {email}")


@app.command()
def logout(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Revoke the refresh token and forget the stored pair."""
    _api(ctx).logout()
    if as_json:
        _emit({"logged_out": True})
    else:
        console().print("Logged out")


@log_app.command("add")
def log_add(
    ctx: typer.Context,
    text: Annotated[str | None, typer.Argument(help='What you ate, e.g. "2 eggs n toast".')] = None,
    meal: Annotated[
        str | None, typer.Option("--meal", help="breakfast, lunch, dinner, snack")
    ] = None,
    date: DateOpt = None,
    kcal: Annotated[float | None, typer.Option()] = None,
    protein: Annotated[float | None, typer.Option("--protein", help="grams")] = None,
    carbs: Annotated[float | None, typer.Option("--carbs", help="grams")] = None,
    fat: Annotated[float | None, typer.Option("--fat", help="grams")] = None,
    description: Annotated[str | None, typer.Option()] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Save without asking.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Log a meal from text (shows the parsed items first) or from typed macros."""
    if meal is not None and meal not in MEALS:
        raise CliError(f"--meal must be one of {', '.join(MEALS)}")
    api = _api(ctx)
    day = date.isoformat() if date else None
    if kcal is not None:
        body = {
            "meal_type": meal or "snack",
            "description": description or text or "quick add",
            "kcal": kcal,
            "protein_g": protein or 0,
            "carbs_g": carbs or 0,
            "fat_g": fat or 0,
        }
        if day:
            body["date"] = day
        entry = api.call("POST", "/logs", json=body)
        if as_json:
            _emit(entry)
        else:
            console().print(render.logs([entry], "Saved"))
        return
    if not text:
        raise CliError('give the meal as text ("2 eggs n toast") or --kcal with the macros')
    parsed = api.call("POST", "/logs/parse", json={"text": text})
    if not parsed["items"]:
        raise CliError(f"nothing in {text!r} matched a food; try other words or --kcal")
    if not as_json:
        out = console()
        out.print(render.parsed_items(parsed))
        if parsed["unmatched"]:
            out.print(f"Not understood: {', '.join(map(str, parsed['unmatched']))}")
    if not yes and not typer.confirm("Save these items?", default=True):
        raise typer.Exit(1)
    body = {"text": text, "meal_type": meal, "date": day}
    saved = api.call("POST", "/logs/natural", json={k: v for k, v in body.items() if v})
    if as_json:
        _emit(saved)
    else:
        console().print(render.logs(saved["entries"], f"Saved {len(saved['entries'])} entries"))


@log_app.command("list")
def log_list(
    ctx: typer.Context,
    date: DateOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Entries of a day (--date), a range (--from/--to), or the latest."""
    params: dict[str, Any] = {"limit": limit}
    if date:
        params["start"] = params["end"] = date.isoformat()
    if start:
        params["start"] = start.isoformat()
    if end:
        params["end"] = end.isoformat()
    page = _api(ctx).call("GET", "/logs", params=params)
    if as_json:
        _emit(page)
        return
    c = console()
    c.print(render.logs(page["items"], f"Food log ({page['total']} entries)"))


@log_app.command("rm")
def log_rm(ctx: typer.Context, entry_id: str, as_json: JsonOpt = False) -> None:
    """Delete an entry by its id."""
    _api(ctx).call("DELETE", f"/logs/{entry_id}")
    if as_json:
        _emit({"deleted": entry_id})
    else:
        console().print(f"Deleted {entry_id}")


@goals_app.command("show")
def goals_show(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """The goal in force today."""
    goal = _api(ctx).call("GET", "/goals")
    if as_json:
        _emit(goal)
        return
    rows = [(m, goal[m]) for m in render.MACROS]
    console().print(
        render.table(f"Daily goal (from {goal['effective_from']})", ("nutrient", "goal"), rows)
    )


@goals_app.command("set")
def goals_set(
    ctx: typer.Context,
    kcal: Annotated[float, typer.Option()],
    protein: Annotated[float, typer.Option("--protein", help="grams")],
    carbs: Annotated[float, typer.Option("--carbs", help="grams")],
    fat: Annotated[float, typer.Option("--fat", help="grams")],
    start: Annotated[dt.date | None, typer.Option("--from", formats=["%Y-%m-%d"])] = None,
    as_json: JsonOpt = False,
) -> None:
    """Set the daily goal (from today, or --from a date)."""
    body: dict[str, Any] = {"kcal": kcal, "protein_g": protein, "carbs_g": carbs, "fat_g": fat}
    if start:
        body["effective_from"] = start.isoformat()
    goal = _api(ctx).call("PUT", "/goals", json=body)
    if as_json:
        _emit(goal)
    else:
        rows = [(m, goal[m]) for m in render.MACROS]
        console().print(
            render.table(f"Goal set from {goal['effective_from']}", ("nutrient", "goal"), rows)
        )


@app.command()
def summary(
    ctx: typer.Context,
    date: DateOpt = None,
    week: Annotated[
        bool, typer.Option("--week", help="The 7 days from --date (default: this week's Monday).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Totals of a day, or of a week with --week."""
    api = _api(ctx)
    if week:
        first = date or (dt.date.today() - dt.timedelta(days=dt.date.today().weekday()))
        data = api.call("GET", "/summaries/weekly", params={"start": first.isoformat()})
        if as_json:
            _emit(data)
            return
        rows = [
            (d["date"], d["entries"], *(d["totals"][m] for m in render.MACROS), _day_status(d))
            for d in data["days"]
        ]
        t = render.table(
            f"Week {data['start']} to {data['end']}",
            ("date", "entries", *render.MACROS, "kcal status"),
            rows,
        )
        t.add_section()
        t.add_row(
            "average", "", *(render.num(data["daily_averages"][m]) for m in render.MACROS), ""
        )
        console().print(t)
        return
    params = {"date": date.isoformat()} if date else {}
    data = api.call("GET", "/summaries/daily", params=params)
    if as_json:
        _emit(data)
        return
    rows = [
        (m["meal_type"], m["entries"], *(m["totals"][k] for k in render.MACROS))
        for m in data["meals"]
    ]
    t = render.table(
        f"{data['date']}: {data['entries']} entries", ("meal", "entries", *render.MACROS), rows
    )
    t.add_section()
    t.add_row(
        "total", str(data["entries"]), *(render.num(data["totals"][k]) for k in render.MACROS)
    )
    if data.get("goal"):
        t.add_row("goal", "", *(render.num(data["goal"][k]) for k in render.MACROS))
    console().print(t)


def _day_status(day: dict[str, Any]) -> str:
    comp = (day.get("comparison") or {}).get("kcal")
    return render.STATUS_WORD.get(comp["status"], comp["status"]) if comp else "-"


@app.command()
def compare(ctx: typer.Context, date: DateOpt = None, as_json: JsonOpt = False) -> None:
    """Each nutrient against its goal: under (yellow), on (green), over (red)."""
    params = {"date": date.isoformat()} if date else {}
    data = _api(ctx).call("GET", "/summaries/daily", params=params)
    if as_json:
        _emit({"date": data["date"], "comparison": data.get("comparison")})
        return
    if not data.get("comparison"):
        raise CliError("no goal in force for that day: set one with `nexfitra goals set`")
    console().print(render.comparison(data))


@weight_app.command("add")
def weight_add(
    ctx: typer.Context,
    weight: Annotated[float, typer.Argument(help="kg (or lb with --lb)")],
    lb: Annotated[bool, typer.Option("--lb", help="The weight is in pounds.")] = False,
    date: DateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record the day's weight."""
    body: dict[str, Any] = {"weight_lb" if lb else "weight_kg": weight}
    if date:
        body["date"] = date.isoformat()
    out = _api(ctx).call("POST", "/weights", json=body)
    if as_json:
        _emit(out)
    else:
        console().print(f"{out['date']}: {out['weight_kg']:.1f} kg ({out['weight_lb']:.1f} lb)")


@weight_app.command("list")
def weight_list(
    ctx: typer.Context, start: FromOpt = None, end: ToOpt = None, as_json: JsonOpt = False
) -> None:
    """Recorded weights, newest first."""
    params: dict[str, Any] = {"limit": 366}
    if start:
        params["start"] = start.isoformat()
    if end:
        params["end"] = end.isoformat()
    page = _api(ctx).call("GET", "/weights", params=params)
    if as_json:
        _emit(page)
        return
    rows = [(w["date"], w["weight_kg"], w["weight_lb"]) for w in page["items"]]
    console().print(
        render.table(f"Weight ({page['total']} entries)", ("date", "weight_kg", "weight_lb"), rows)
    )


def _daily_series(api: Api, days: int, end: dt.date) -> list[dict[str, Any]]:
    """Per-day summaries of the last `days` days, a week per request."""
    first = end - dt.timedelta(days=days - 1)
    out: list[dict[str, Any]] = []
    start = first
    while start <= end:
        week = api.call("GET", "/summaries/weekly", params={"start": start.isoformat()})
        out += [d for d in week["days"] if first.isoformat() <= d["date"] <= end.isoformat()]
        start += dt.timedelta(days=7)
    return out


@app.command()
def chart(
    ctx: typer.Context,
    what: Annotated[str, typer.Argument(help="kcal, macros or weight")],
    days: Annotated[int, typer.Option(min=2, max=366)] = 30,
    end: ToOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A terminal chart of the last --days days."""
    if what not in ("kcal", "macros", "weight"):
        raise CliError("chart what? kcal, macros or weight")
    api = _api(ctx)
    last = end or dt.date.today()
    width = min(int(os.environ.get("COLUMNS", "100")), 120)
    if what == "weight":
        first = last - dt.timedelta(days=days - 1)
        page = api.call(
            "GET",
            "/weights",
            params={"start": first.isoformat(), "end": last.isoformat(), "limit": 366},
        )
        points = sorted((w["date"], w["weight_kg"]) for w in page["items"])
        series = {"weight_kg": [w for _, w in points]}
        x = [d for d, _ in points]
        if as_json:
            _emit([{"date": d, "weight_kg": w} for d, w in points])
            return
        if not points:
            raise CliError("no weights recorded in that period")
        typer.echo(render.chart(f"Weight, kg ({x[0]} to {x[-1]})", x, series, width=width))
        return
    rows = _daily_series(api, days, last)
    x = [d["date"] for d in rows]
    if what == "kcal":
        series = {"kcal": [d["totals"]["kcal"] for d in rows]}
        title = f"kcal per day ({x[0]} to {x[-1]})"
    else:
        series = {m: [d["totals"][m] for d in rows] for m in ("protein_g", "carbs_g", "fat_g")}
        title = f"Macros per day, g ({x[0]} to {x[-1]})"
    if as_json:
        _emit([{"date": d, **{k: v[i] for k, v in series.items()}} for i, d in enumerate(x)])
        return
    typer.echo(render.chart(title, x, series, width=width, bars=True))


@app.command()
def export(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Where to write; .json for JSON, otherwise CSV.")],
    start: FromOpt = None,
    end: ToOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every food log entry (or those in --from/--to) to a CSV or JSON file."""
    api = _api(ctx)
    params: dict[str, Any] = {"limit": 200, "offset": 0}
    if start:
        params["start"] = start.isoformat()
    if end:
        params["end"] = end.isoformat()
    items: list[dict[str, Any]] = []
    with Progress(console=Console(stderr=True), transient=True, disable=as_json) as progress:
        task = progress.add_task("Exporting", total=None)
        while True:
            page = api.call("GET", "/logs", params=params)
            items += page["items"]
            progress.update(task, total=page["total"], completed=len(items))
            if page.get("next_offset") is None:
                break
            params["offset"] = page["next_offset"]
    if file.suffix.lower() == ".json":
        file.write_text(json.dumps(items, indent=2))
    else:
        with file.open("w", newline="") as f:
            columns = (
                list(items[0])
                if items
                else ["id", "date", "meal_type", "description", *render.MACROS]
            )
            w = csv.DictWriter(f, fieldnames=columns)
            w.writeheader()
            w.writerows(items)
    if as_json:
        _emit({"file": str(file), "entries": len(items)})
    else:
        console().print(f"Wrote {len(items)} entries to {file}")


IMPORT_PROVIDERS = ("apple_health", "fitbit", "google_fit", "garmin_fit")


class _ReadProgress(io.RawIOBase):
    """A binary file that reports each read, so the upload of a large export shows a bar.
    httpx reads the multipart body from it in chunks, and seeks back to its start when a
    request is sent again (after a token refresh): the bar then starts over."""

    def __init__(self, file: BinaryIO, report: Callable[[int], None]) -> None:
        self.file = file
        self.report = report
        self.done = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.file.fileno()

    def tell(self) -> int:
        return self.file.tell()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        pos = self.file.seek(offset, whence)
        if pos == 0:
            self.done = 0
            self.report(0)
        return pos

    def read(self, size: int | None = -1) -> bytes:
        data = self.file.read(-1 if size is None else size)
        self.done += len(data)
        self.report(self.done)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _SizeColumn(DownloadColumn):
    """Bytes sent of the file's; nothing on the spinner of the server's part."""

    def render(self, task: Task) -> Text:
        return Text("") if task.total is None else super().render(task)


@app.command("import")
def import_activities(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, readable=True, help="The exported file."),
    ],
    provider: Annotated[
        str,
        typer.Option(
            "--provider",
            "-p",
            help="apple_health (export.zip or export.xml), fitbit (account export zip), "
            "google_fit (Takeout zip or Daily activity metrics.csv), garmin_fit (.fit or zip).",
        ),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Import workouts, steps and sleep from a tracker's export file; safe to repeat."""
    if provider not in IMPORT_PROVIDERS:
        raise CliError(f"unknown provider {provider!r}: one of {', '.join(IMPORT_PROVIDERS)}")
    api = _api(ctx)
    size = file.stat().st_size
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        _SizeColumn(),
    )
    # Not transient: the finished bar stays above the result, also where stderr is no terminal.
    with Progress(*columns, console=Console(stderr=True), disable=as_json) as progress:
        upload = progress.add_task(f"Uploading {file.name}", total=size)
        processing: list[Any] = []

        def report(done: int) -> None:
            progress.update(upload, completed=done)
            if done >= size and not processing:
                # The server parses and stores once the last byte is in: a spinner meanwhile.
                processing.append(progress.add_task(f"Importing ({provider})", total=None))
            progress.refresh()

        with file.open("rb") as raw:
            body = _ReadProgress(raw, report)
            result = api.call(
                "POST",
                f"/activities/import/{provider}",
                files={"file": (file.name, body, "application/octet-stream")},
            )
        for task in processing:
            progress.remove_task(task)
    if as_json:
        _emit(result)
        return
    console().print(
        render.table(
            f"Imported from {file.name} ({result['provider']})",
            ["rows in the file", "new", "updated", "unchanged"],
            [[str(result[k]) for k in ("total", "imported", "updated", "skipped")]],
        )
    )


def main(argv: list[str], obj: dict[str, Any] | None = None) -> int:
    try:
        app(args=argv, prog_name="nexfitra", obj=obj or {}, standalone_mode=False)
    except CliError as exc:
        Console(stderr=True, highlight=False).print(f"[red]error:[/red] {exc}")
        return 1
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        return 1
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            return exc.exit_code
        raise
    return 0

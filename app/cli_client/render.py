"""Tables and charts for the terminal (rich, plotext)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.table import Table

MACROS = ("kcal", "protein_g", "carbs_g", "fat_g")
STATUS_STYLE = {"under": "yellow", "on_target": "green", "over": "red"}
STATUS_WORD = {"under": "under", "on_target": "on", "over": "over"}


def num(v: Any, digits: int = 1) -> str:
    if v is None:
        return "-"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.0f}" if digits == 0 else f"{v:,.{digits}f}"
    return str(v)


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    # Wide enough for the title on one line (rich wraps it to the table width otherwise).
    t = Table(title=title, title_justify="left", min_width=len(title))
    for c in columns:
        numeric = c.endswith(("_g", "_mg", "kcal", "_kg", "grams", "%")) or c in ("goal", "actual")
        t.add_column(c, justify="right" if numeric else "left")
    for row in rows:
        t.add_row(*(r if isinstance(r, str) else num(r) for r in row))
    return t


def parsed_items(parsed: dict[str, Any]) -> Table:
    rows = [
        (i["text"], i["food"], f"{num(i['grams'], 0)} g", *(i[m] for m in MACROS))
        for i in parsed["items"]
    ]
    t = table("Parsed items", ("said", "food", "grams", *MACROS), rows)
    tot = parsed["totals"]
    t.add_section()
    t.add_row("total", "", "", *(num(tot[m]) for m in MACROS))
    return t


def logs(items: list[dict[str, Any]], title: str) -> Table:
    rows = [
        (e["date"], e["meal_type"], e["description"], *(e[m] for m in MACROS), e["id"])
        for e in items
    ]
    return table(title, ("date", "meal", "description", *MACROS, "id"), rows)


def comparison(day: dict[str, Any]) -> Table:
    comp = day.get("comparison") or {}
    title = f"{day['date']}: intake against goal (±{day['tolerance_pct']:g}% is on target)"
    t = Table(title=title, title_justify="left", min_width=len(title))
    for col, j in (
        ("nutrient", "left"),
        ("actual", "right"),
        ("goal", "right"),
        ("difference", "right"),
        ("%", "right"),
        ("status", "left"),
    ):
        t.add_column(col, justify=j)  # type: ignore[arg-type]
    for name in MACROS:
        c = comp.get(name)
        if not c:
            continue
        style = STATUS_STYLE.get(c["status"], "")
        t.add_row(
            name,
            num(c["actual"]),
            num(c["goal"]),
            f"{c['difference']:+,.1f}",
            num(c.get("percent"), 0),
            f"[{style}]{STATUS_WORD.get(c['status'], c['status'])}[/{style}]",
        )
    return t


def chart(
    title: str,
    x: list[str],
    series: dict[str, list[float]],
    width: int = 80,
    height: int = 20,
    bars: bool = False,
    color: bool = False,
) -> str:
    import plotext as plt

    plt.clear_figure()
    plt.plotsize(width, height)
    if not color:
        plt.theme("clear")
    plt.date_form("Y-m-d", "d/m")
    plt.title(title)
    if bars and len(series) == 1:
        ((label, ys),) = series.items()
        plt.bar(x, ys, label=label, width=0.6)
    elif bars:
        plt.stacked_bar(x, list(series.values()), labels=list(series), width=0.6)
    else:
        for label, ys in series.items():
            plt.plot(x, ys, label=label, marker="braille")
    out: str = plt.build()
    plt.clear_figure()
    return out

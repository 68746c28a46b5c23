"""`nexfitra foods load` reports progress: the loader calls back with rows done out of all."""

from __future__ import annotations

from app.foods.loader import load_usda


async def test_load_usda_reports_progress_to_the_total(app, client):
    calls: list[tuple[int, int]] = []
    loaded = await load_usda(
        app.state.resources.engine, force=True, progress=lambda d, t: calls.append((d, t))
    )
    foods = sum(f for f, _ in loaded.values())
    portions = sum(p for _, p in loaded.values())
    assert calls, "no progress reported"
    assert all(t == foods + portions for _, t in calls)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert calls[-1][0] == foods + portions
    assert loaded["sr28"][0] > 8000 and loaded["fndds"][0] > 7000 and portions > 40000

"""Weekly facts kept by the insights consumer, the narrative, streaks."""

from __future__ import annotations

import datetime as dt

import pytest

from app.events import insights, narrative
from tests.conftest import assert_problem, create_user
from tests.events.helpers import fresh_runtime
from tests.llm.fake_openai import FakeOpenAI
from tests.logs.helpers import add_log, local_today, set_goal

WEEK = "2024-03-04"  # a Monday

MEALS = [
    # date, meal, description, kcal, protein, sodium, sugars, saturated fat
    ("2024-03-04", "breakfast", "oatmeal", 400, 20, 100, 10, 2),
    ("2024-03-04", "lunch", "ham sandwich", 600, 30, 1200, 3, 6),
    ("2024-03-05", "dinner", "pizza", 900, 35, 1500, 8, 14),
    ("2024-03-09", "lunch", "Ham sandwich", 600, 30, 1200, 3, 6),
    ("2024-03-10", "snack", "cola", 200, 0, 20, 50, 0),
]


async def log_week(client, user):
    await set_goal(client, user, effective_from="2024-01-01")
    entries = []
    for day, meal, desc, kcal, protein, sodium, sugars, sat in MEALS:
        entries.append(
            await add_log(
                client,
                user,
                date=day,
                meal_type=meal,
                description=desc,
                kcal=kcal,
                protein_g=protein,
                carbs_g=10,
                fat_g=10,
                sodium_mg=sodium,
                sugars_g=sugars,
                sat_fat_g=sat,
            )
        )
    return entries


async def consume(client):
    rt = fresh_runtime(client)
    try:
        await rt.bus.ensure_group("insights")
        await rt.relay_now()
        runner = rt.runner(insights.CONSUMER, name="t")
        await runner.drain()
    finally:
        await rt.bus.close()


async def test_the_consumer_keeps_the_weeks_facts(client, user):
    entries = await log_week(client, user)
    r = await client.get(f"/api/v1/insights?start={WEEK}", headers=user.headers)
    assert r.status_code == 200, r.text
    assert r.json()["source"] == "computed"  # nothing consumed yet: worked out on the spot
    await consume(client)
    r = await client.get(f"/api/v1/insights?start={WEEK}", headers=user.headers)
    body = r.json()
    assert body["source"] == "consumer" and body["updated_at"]
    f = body["facts"]
    assert (f["start"], f["end"]) == ("2024-03-04", "2024-03-10")
    assert (f["days_logged"], f["entries"], f["avg_kcal"]) == (4, 5, 675)
    assert (f["weekday_avg_kcal"], f["weekend_avg_kcal"]) == (950, 400)
    assert (f["weekday_days"], f["weekend_days"]) == (2, 2)
    assert f["streak_days"] == 2  # Saturday and Sunday
    assert f["targets"]["kcal"] == {"under": 4, "on_target": 0, "over": 0}
    assert f["top_sources"]["sodium_mg"] == [
        {"food": "Ham sandwich", "amount": 2400.0, "share_pct": 60},
        {"food": "pizza", "amount": 1500.0, "share_pct": 37},
        {"food": "oatmeal", "amount": 100.0, "share_pct": 2},
    ]
    assert [s["food"] for s in f["top_sources"]["sugars_g"]] == ["cola", "oatmeal", "pizza"]
    assert [s["food"] for s in f["top_sources"]["sat_fat_g"]] == [
        "pizza",
        "Ham sandwich",
        "oatmeal",
    ]
    p = f["protein_by_meal"]
    assert p["grams"] == {"breakfast": 20.0, "lunch": 60.0, "dinner": 35.0, "snack": 0.0}
    assert p["share_pct"] == {"breakfast": 17, "lunch": 52, "dinner": 30, "snack": 0}
    assert p["largest_meal"] == "lunch" and p["balanced"] is False

    # The weekly summary carries the same facts.
    r = await client.get(f"/api/v1/summaries/weekly?start={WEEK}", headers=user.headers)
    assert r.json()["insights"] == f

    # A deletion is an event too: the facts follow it.
    pizza = next(e for e in entries if e["description"] == "pizza")
    r = await client.delete(f"/api/v1/logs/{pizza['id']}", headers=user.headers)
    assert r.status_code == 204
    await consume(client)
    f = (await client.get(f"/api/v1/insights?start={WEEK}", headers=user.headers)).json()
    assert (f["facts"]["days_logged"], f["facts"]["weekday_avg_kcal"]) == (3, 1000)
    r = await client.get(f"/api/v1/summaries/weekly?start={WEEK}", headers=user.headers)
    assert r.json()["insights"]["days_logged"] == 3  # the consumer dropped the cached summary


async def test_insights_are_per_user(client, user, make_user):
    await log_week(client, user)
    await consume(client)
    other = await make_user()
    r = await client.get(f"/api/v1/insights?start={WEEK}", headers=other.headers)
    f = r.json()["facts"]
    assert (f["days_logged"], f["entries"], f["avg_kcal"]) == (0, 0, None)
    assert f["top_sources"]["sodium_mg"] == []


async def test_insights_validate_the_start(client, user):
    r = await client.get("/api/v1/insights?start=soon", headers=user.headers)
    assert_problem(r, 422)
    r = await client.get("/api/v1/insights")
    assert_problem(r, 401)


async def test_template_narrative_states_the_facts(client, user):
    await log_week(client, user)
    r = await client.get(f"/api/v1/summaries/weekly/narrative?start={WEEK}", headers=user.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["source"] == "template"
    text = body["text"]
    assert text.startswith(
        "In the week of March 4 you logged food on 4 of 7 days (5 entries), "
        "averaging 675 kcal a day."
    )
    assert "Weekends ran lower: 400 kcal a day against 950 on weekdays." in text
    assert "Most of your sodium came from Ham sandwich, pizza and oatmeal." in text
    assert "Lunch carried 52% of your protein." in text
    assert "Calories were under on 4 days and over on 0 days." in text
    assert not narrative.unfounded_numbers(text, (await insights_facts(client, user)))


async def insights_facts(client, user):
    r = await client.get(f"/api/v1/insights?start={WEEK}", headers=user.headers)
    return r.json()["facts"]


async def test_narrative_is_cached_until_a_write(client, user):
    await log_week(client, user)
    url = f"/api/v1/summaries/weekly/narrative?start={WEEK}"
    first = (await client.get(url, headers=user.headers)).json()["text"]
    assert "4 of 7 days" in first
    await add_log(client, user, date="2024-03-06", meal_type="lunch", description="salad")
    second = (await client.get(url, headers=user.headers)).json()["text"]
    assert "5 of 7 days" in second


@pytest.mark.parametrize(
    ("prose", "source"),
    [
        ("A steady week: 4 logged days at about 675 kcal, lighter at weekends (400).", "llm"),
        # 3000 is not a fact: the model's text is refused and the template answers.
        ("You ate 3000 kcal a day. Try more vegetables.", "template"),
    ],
)
async def test_llm_narrative_only_with_numbers_from_the_facts(client_factory, prose, source):
    fake = FakeOpenAI(content=prose)
    await fake.start()
    try:
        async with client_factory(
            llm_base_url=fake.base_url, llm_model="fake-model", llm_max_retries=0
        ) as c:
            user = await create_user(c)
            await log_week(c, user)
            r = await c.get(
                f"/api/v1/summaries/weekly/narrative?start={WEEK}", headers=user.headers
            )
    finally:
        await fake.close()
    body = r.json()
    assert body["source"] == source
    if source == "llm":
        assert body["text"] == prose
    else:
        assert "3000" not in body["text"] and body["text"].startswith("In the week of March 4")
    assert len(fake.requests) == 1
    sent = fake.requests[0].body["messages"][1]["content"]
    assert '"avg_kcal": 675' in sent


def test_streaks_from_days():
    today = dt.date(2024, 3, 20)
    days = [today - dt.timedelta(days=n) for n in (0, 1, 2, 6, 7, 8, 9, 10)]
    assert insights.streaks(days, today) == {
        "current_days": 3,
        "longest_days": 5,
        "last_logged": today,
    }
    # Today not logged yet does not break a streak that reached yesterday ...
    assert insights.streaks(days[1:], today)["current_days"] == 2
    # ... but a day without a log does.
    assert insights.streaks(days[3:], today)["current_days"] == 0
    assert insights.streaks([], today) == {
        "current_days": 0,
        "longest_days": 0,
        "last_logged": None,
    }


async def test_streaks_route_in_the_users_zone(client, make_user):
    user = await make_user(tz="Pacific/Kiritimati")  # UTC+14: local today differs from UTC's
    today = local_today("Pacific/Kiritimati")
    for n in (0, 1, 2, 5, 6, 7, 8):
        await add_log(client, user, date=(today - dt.timedelta(days=n)).isoformat())
    r = await client.get("/api/v1/streaks", headers=user.headers)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "today": today.isoformat(),
        "current_days": 3,
        "longest_days": 4,
        "last_logged": today.isoformat(),
    }

"""The optional LLM client, the parse policy and plan text, against a local fake server."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from app.core.config import Settings
from app.foods.parser import ExtractedItem, parse, resolve_items
from app.llm.client import (
    LLMClient,
    LLMError,
    LLMInvalidOutput,
    LLMTimeout,
    load_prompt,
    parse_json_content,
)
from app.llm.nl_parse import CONFIDENT, is_complete, is_grounded, parse_text, score
from app.llm.plan_text import describe_plan, strip_nutrition_figures, template_text
from tests.conftest import create_user
from tests.llm.fake_openai import FakeOpenAI

TIMEOUT = 0.6
# Scheduling slack on a busy CI machine; the point is "about the timeout", not "the slow answer".
MARGIN = 0.6

# Complete for the deterministic parser: the LLM must not be asked.
COMPLETE_TEXT = "2 eggs and 1 banana"
# Slang the deterministic parser cannot read, so the policy asks the LLM; the LLM's food words
# are in it, misspelt ("eggz", "coffe"), so its items are grounded.
INCOMPLETE_TEXT = "brekkie: 2 eggz w/ a cuppa coffe"
LLM_ITEMS = [
    {"food": "eggs", "quantity": 2, "unit": None},
    {"food": "coffee", "quantity": 1, "unit": "cup"},
]

PLAN: dict[str, Any] = {
    "meals": [
        {"meal_type": "breakfast", "recipe": {"name": "Overnight oats"}, "kcal": 420},
        {"meal_type": "lunch", "recipe": "Chicken quinoa bowl", "kcal": 650},
        {"meal_type": "dinner", "recipes": [{"name": "Baked salmon"}, {"name": "Broccoli"}]},
    ],
    "totals": {"kcal": 2012.6, "protein_g": 151.2, "carbs_g": 198, "fat_g": 70.4},
    "targets": {"kcal": 2100, "protein_g": 140, "carbs_g": 220, "fat_g": 70},
}
PLAN_SUMMARY = (
    "This day gives you about 2,013 kcal (target 2,100 kcal), 151 g protein (target 140 g), "
    "198 g carbs (target 220 g), 70 g fat (target 70 g).\n"
    "Breakfast: Overnight oats; Lunch: Chicken quinoa bowl; Dinner: Baked salmon, Broccoli."
)


def llm_settings(base_url: str | None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "test",
        "llm_base_url": base_url,
        "llm_api_key": None,
        "llm_model": "fake-model",
        "llm_timeout_seconds": TIMEOUT,
        "llm_max_retries": 0,
        **overrides,
    }
    return Settings(_env_file=None, **values)


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    server = FakeOpenAI(content=json.dumps({"items": LLM_ITEMS}))
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def make_llm(fake: FakeOpenAI) -> AsyncIterator[Callable[..., LLMClient]]:
    clients: list[LLMClient] = []

    def factory(**overrides: Any) -> LLMClient:
        client = LLMClient.from_settings(llm_settings(fake.base_url, **overrides))
        assert client is not None
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.aclose()


@pytest.fixture
def llm(make_llm: Callable[..., LLMClient]) -> LLMClient:
    return make_llm()


# --- configuration ----------------------------------------------------------------------------


def test_off_unless_configured() -> None:
    assert LLMClient.from_settings(llm_settings(None)) is None
    assert LLMClient.from_settings(llm_settings("http://127.0.0.1:9/v1")) is not None
    assert LLMClient.from_settings(llm_settings(None, llm_api_key="sk-test")) is not None


def test_prompts_are_packaged() -> None:
    extract = load_prompt("extract_items.txt")
    assert '{"items": [{"food":' in extract
    assert "Never give grams" in extract
    assert "Do not write any calorie" in load_prompt("plan_description.txt")


# --- extract_items ----------------------------------------------------------------------------


async def test_extract_items_valid(fake: FakeOpenAI, llm: LLMClient) -> None:
    items = await llm.extract_items(INCOMPLETE_TEXT)
    assert items == [
        ExtractedItem(food="eggs", quantity=2.0, unit=None),
        ExtractedItem(food="coffee", quantity=1.0, unit="cup"),
    ]
    assert len(fake.requests) == 1
    sent = fake.requests[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer not-needed"
    assert sent.body["model"] == "fake-model"
    assert sent.body["response_format"] == {"type": "json_object"}
    assert sent.body["temperature"] == 0.0
    assert [m["role"] for m in sent.body["messages"]] == ["system", "user"]
    assert sent.body["messages"][0]["content"] == load_prompt("extract_items.txt")
    assert sent.body["messages"][1]["content"] == INCOMPLETE_TEXT


async def test_api_key_is_sent(fake: FakeOpenAI, make_llm: Callable[..., LLMClient]) -> None:
    await make_llm(llm_api_key="sk-local").extract_items("eggs")
    assert fake.requests[0].headers["authorization"] == "Bearer sk-local"


async def test_json_in_a_fence_is_accepted(fake: FakeOpenAI, llm: LLMClient) -> None:
    fake.mode = "fenced"
    items = await llm.extract_items("2 eggs")
    assert [(i.food, i.quantity, i.unit) for i in items] == [
        ("eggs", 2.0, None),
        ("coffee", 1.0, "cup"),
    ]


async def test_server_without_json_mode_still_works(fake: FakeOpenAI, llm: LLMClient) -> None:
    fake.mode = "reject_json_mode"
    items = await llm.extract_items("2 eggs")
    assert [i.food for i in items] == ["eggs", "coffee"]
    assert [("response_format" in r.body) for r in fake.requests] == [True, False]
    # Once a bare request has worked, later calls skip the rejected one.
    await llm.extract_items("2 eggs")
    assert [("response_format" in r.body) for r in fake.requests] == [True, False, False]


@pytest.mark.parametrize(
    "content",
    [
        '{"items": [{"food": "", "quantity": 1, "unit": null}]}',
        '{"items": [{"food": "eggs", "quantity": 0, "unit": null}]}',
        '{"items": [{"food": "eggs", "quantity": -2, "unit": null}]}',
        '{"items": [{"food": "eggs", "quantity": 10001, "unit": null}]}',
        '{"items": [{"food": "eggs", "quantity": "lots", "unit": null}]}',
        '{"items": [{"food": "eggs", "quantity": 1, "unit": 5}]}',
        json.dumps({"items": [{"food": "x" * 121}]}),
        json.dumps({"items": [{"food": f"food {n}"} for n in range(31)]}),
        '{"foods": [{"food": "eggs"}]}',
        '{"items": "eggs"}',
        '"eggs"',
    ],
)
async def test_schema_violations_raise(fake: FakeOpenAI, llm: LLMClient, content: str) -> None:
    fake.content = content
    with pytest.raises(LLMInvalidOutput) as err:
        await llm.extract_items("eggs")
    assert err.value.reason == "invalid_output"


async def test_limits_are_inclusive(fake: FakeOpenAI, llm: LLMClient) -> None:
    fake.content = json.dumps(
        {"items": [{"food": "y" * 120, "quantity": 10000, "unit": "g"}] * 30, "kcal": 999}
    )
    items = await llm.extract_items("lots")
    assert len(items) == 30
    assert items[0] == ExtractedItem(food="y" * 120, quantity=10000.0, unit="g")


async def test_invalid_json_raises(fake: FakeOpenAI, llm: LLMClient) -> None:
    fake.mode = "invalid_json"
    with pytest.raises(LLMInvalidOutput):
        await llm.extract_items("eggs")


async def test_http_500_raises_after_the_sdk_retries(
    fake: FakeOpenAI, make_llm: Callable[..., LLMClient]
) -> None:
    fake.mode = "http_500"
    with pytest.raises(LLMError) as err:
        await make_llm(llm_max_retries=1, llm_timeout_seconds=5).extract_items("eggs")
    assert err.value.reason == "error"
    assert "500" in str(err.value)
    assert len(fake.requests) == 2


async def test_slow_server_times_out_within_the_deadline(
    fake: FakeOpenAI, make_llm: Callable[..., LLMClient]
) -> None:
    fake.mode = "slow"
    # SDK retries would double the wait; the overall deadline must still hold.
    client = make_llm(llm_max_retries=2)
    started = time.monotonic()
    with pytest.raises(LLMTimeout) as err:
        await client.extract_items("eggs")
    elapsed = time.monotonic() - started
    assert err.value.reason == "timeout"
    assert TIMEOUT * 0.9 <= elapsed < TIMEOUT + MARGIN


def test_parse_json_content_variants() -> None:
    assert parse_json_content('{"items": []}') == {"items": []}
    assert parse_json_content('<think>hmm {"x"}</think>\n{"items": [1]}') == {"items": [1]}
    assert parse_json_content('Here you go: {"items": [2]} hope it helps') == {"items": [2]}
    assert parse_json_content('```\n[{"food": "egg"}]\n```') == [{"food": "egg"}]
    with pytest.raises(LLMInvalidOutput):
        parse_json_content("{not json}")


# --- parse policy -----------------------------------------------------------------------------


def test_fixture_texts_split_the_parser_as_intended() -> None:
    assert is_complete(parse(COMPLETE_TEXT))
    assert not is_complete(parse(INCOMPLETE_TEXT))


async def test_no_llm_configured_makes_no_request(fake: FakeOpenAI) -> None:
    llm = LLMClient.from_settings(llm_settings(None))
    result, path, reason = await parse_text(INCOMPLETE_TEXT, llm=llm)
    assert (path, reason) == ("deterministic", None)
    assert result == parse(INCOMPLETE_TEXT)
    assert fake.requests == []


async def test_complete_text_skips_the_llm(fake: FakeOpenAI, llm: LLMClient) -> None:
    result, path, reason = await parse_text(COMPLETE_TEXT, llm=llm)
    assert (path, reason) == ("deterministic", None)
    assert [round(i.grams) for i in result.items] == [
        round(i.grams) for i in parse(COMPLETE_TEXT).items
    ]
    assert fake.requests == []


async def test_llm_fills_in_what_the_parser_missed(fake: FakeOpenAI, llm: LLMClient) -> None:
    deterministic = parse(INCOMPLETE_TEXT)
    result, path, reason = await parse_text(INCOMPLETE_TEXT, llm=llm)
    assert (path, reason) == ("llm", None)
    assert len(fake.requests) == 1
    assert score(result) >= score(deterministic)
    assert result.text == INCOMPLETE_TEXT
    assert result.unmatched == []
    assert all(i.confidence >= CONFIDENT for i in result.items)
    # Grams and nutrients come from our data via the same matcher, never from the model.
    expected = resolve_items(
        [ExtractedItem("eggs", 2, None), ExtractedItem("coffee", 1, "cup")], text=INCOMPLETE_TEXT
    )
    assert [i.food.id for i in result.items] == [i.food.id for i in expected.items]
    assert [i.grams for i in result.items] == [i.grams for i in expected.items]
    assert result.totals == expected.totals
    egg, coffee = result.items
    assert "egg" in egg.food.name.lower()
    assert egg.grams == pytest.approx(100, abs=15)  # two USDA large eggs, 50 g each
    assert "coffee" in coffee.food.name.lower()
    assert coffee.grams == pytest.approx(237, abs=15)  # one cup
    assert result.totals["kcal"] == pytest.approx(
        sum(float(i.nutrients.get("kcal") or 0) for i in result.items), rel=1e-6
    )


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("invalid_json", "invalid_output"),
        ("schema_violation", "invalid_output"),
        ("http_500", "error"),
    ],
)
async def test_bad_llm_answers_keep_the_deterministic_result(
    fake: FakeOpenAI, llm: LLMClient, mode: Any, reason: str
) -> None:
    fake.mode = mode
    result, path, got = await parse_text(INCOMPLETE_TEXT, llm=llm)
    assert (path, got) == ("deterministic", reason)
    assert result == parse(INCOMPLETE_TEXT)
    assert len(fake.requests) == 1


async def test_slow_llm_returns_the_deterministic_result_in_time(
    fake: FakeOpenAI, make_llm: Callable[..., LLMClient]
) -> None:
    fake.mode = "slow"
    llm = make_llm(llm_max_retries=1)
    started = time.monotonic()
    result, path, reason = await parse_text(INCOMPLETE_TEXT, llm=llm)
    elapsed = time.monotonic() - started
    assert (path, reason) == ("deterministic", "timeout")
    assert result == parse(INCOMPLETE_TEXT)
    assert elapsed < TIMEOUT + MARGIN


async def test_worse_llm_answer_is_not_used(fake: FakeOpenAI, llm: LLMClient) -> None:
    fake.content = json.dumps({"items": [{"food": "2 eggz", "quantity": 1, "unit": "pallet"}]})
    result, path, reason = await parse_text(INCOMPLETE_TEXT, llm=llm)
    assert (path, reason) == ("deterministic", "not_better")
    assert result == parse(INCOMPLETE_TEXT)


async def test_llm_items_not_in_the_text_are_dropped(fake: FakeOpenAI, llm: LLMClient) -> None:
    fake.content = json.dumps({"items": [{"food": "qwxzv plorkh", "quantity": 1, "unit": None}]})
    result, path, reason = await parse_text(INCOMPLETE_TEXT, llm=llm)
    assert (path, reason) == ("deterministic", "not_grounded")
    assert result == parse(INCOMPLETE_TEXT)
    # One grounded item survives; the invented one is gone.
    fake.content = json.dumps({"items": [{"food": "sourdough bread", "quantity": 1}, *LLM_ITEMS]})
    result, path, reason = await parse_text(INCOMPLETE_TEXT, llm=llm)
    assert path == "llm" and reason is None
    assert len(result.items) == 2
    assert not any("bread" in i.food.name.lower() for i in result.items)


@pytest.mark.parametrize(
    ("food", "text", "grounded"),
    [
        ("chicken breast", "chiken brest", True),
        ("eggs", "2 eggz", True),
        ("ice cream", "a bowl of icecream", True),
        ("eggs", "zzzz qqqq", False),
        ("sourdough bread", "zzzz qqqq", False),
        ("peanut butter sandwich", "a pb sandwich", False),
        ("2", "2 things", False),
    ],
)
def test_grounding(food: str, text: str, grounded: bool) -> None:
    assert is_grounded(food, text) is grounded


async def test_ungrounded_llm_never_logs_food(client_factory: Callable[..., Any]) -> None:
    """A model that always answers "eggs and sourdough" once logged eggs and bread for
    "zzzz qqqq"; now the offline reading (nothing) stands."""
    fake = FakeOpenAI(
        content=json.dumps({"items": [{"food": "eggs", "quantity": 2}, {"food": "sourdough"}]})
    )
    await fake.start()
    try:
        async with client_factory(llm_base_url=fake.base_url, llm_timeout_seconds=TIMEOUT) as c:
            user = await create_user(c)
            r = await c.post(
                "/api/v1/logs/natural", json={"text": "zzzz qqqq"}, headers=user.headers
            )
            assert r.status_code == 422, r.text
            assert r.json()["type"].endswith("nothing-recognised")
            r = await c.post("/api/v1/logs/parse", json={"text": "zzzz qqqq"}, headers=user.headers)
            body = r.json()
            assert (body["items"], body["path"], body["fallback_reason"]) == (
                [],
                "deterministic",
                "not_grounded",
            )
            logs = await c.get("/api/v1/logs", headers=user.headers)
            assert logs.json()["total"] == 0
    finally:
        await fake.close()
    assert len(fake.requests) == 2  # it was asked, and its answer was refused


async def test_same_items_with_fewer_unmatched_prefer_the_llm(
    fake: FakeOpenAI, llm: LLMClient
) -> None:
    text = "brekkie: 2 eggs n wheat toast"
    deterministic = parse(text)
    assert len(deterministic.items) == 2 and deterministic.unmatched == ["brekkie"]
    fake.content = json.dumps(
        {"items": [{"food": "eggs", "quantity": 2, "unit": None}, {"food": "wheat toast"}]}
    )
    result, path, reason = await parse_text(text, llm=llm)
    assert (path, reason) == ("llm", None)
    assert result.unmatched == []
    assert [i.food.id for i in result.items] == [i.food.id for i in deterministic.items]
    assert [i.grams for i in result.items] == [i.grams for i in deterministic.items]


async def test_empty_llm_answer_is_not_used(fake: FakeOpenAI, llm: LLMClient) -> None:
    fake.content = '{"items": []}'
    result, path, reason = await parse_text(INCOMPLETE_TEXT, llm=llm)
    assert (path, reason) == ("deterministic", "not_better")
    assert result == parse(INCOMPLETE_TEXT)


async def test_parse_endpoint_reports_the_llm_path(
    fake: FakeOpenAI, client_factory: Callable[..., Any]
) -> None:
    async with client_factory(llm_base_url=fake.base_url, llm_timeout_seconds=TIMEOUT) as c:
        user = await create_user(c)
        r = await c.post("/api/v1/logs/parse", json={"text": INCOMPLETE_TEXT}, headers=user.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["path"] == "llm"
    assert body["fallback_reason"] is None
    assert len(body["items"]) == 2
    assert body["items"][0]["grams"] == pytest.approx(100, abs=15)
    assert len(fake.requests) == 1


async def test_parse_endpoint_without_llm_makes_no_request(
    fake: FakeOpenAI, client_factory: Callable[..., Any]
) -> None:
    async with client_factory() as c:
        assert c.app.state.llm is None
        user = await create_user(c)
        r = await c.post("/api/v1/logs/parse", json={"text": INCOMPLETE_TEXT}, headers=user.headers)
    assert r.status_code == 200, r.text
    assert (r.json()["path"], r.json()["fallback_reason"]) == ("deterministic", None)
    assert fake.requests == []


# --- plan text --------------------------------------------------------------------------------


async def test_plan_text_template_without_llm(fake: FakeOpenAI) -> None:
    text, source = await describe_plan(PLAN, None)
    assert (text, source) == (PLAN_SUMMARY, "template")
    assert fake.requests == []


async def test_plan_text_from_llm_keeps_plan_numbers(fake: FakeOpenAI, llm: LLMClient) -> None:
    fake.content = (
        "A hearty, protein-rich day that sits close to your targets. "
        "It has 3,500 kcal and 300 g of protein.\n"
        "Soak the oats the night before.\n"
        "Roast the salmon and broccoli on one tray."
    )
    text, source = await describe_plan(PLAN, llm)
    assert source == "llm"
    assert text == (
        PLAN_SUMMARY + "\n\nA hearty, protein-rich day that sits close to your targets.\n"
        "Soak the oats the night before.\nRoast the salmon and broccoli on one tray."
    )
    assert "3,500" not in text and "300 g" not in text
    sent = fake.requests[0].body
    assert "response_format" not in sent
    assert json.loads(sent["messages"][1]["content"]) == PLAN


@pytest.mark.parametrize("mode", ["http_500", "invalid_json_plan", "slow"])
async def test_plan_text_falls_back_to_template(
    fake: FakeOpenAI, llm: LLMClient, mode: str
) -> None:
    if mode == "invalid_json_plan":
        fake.content = "Total: 2500 kcal."  # nothing left once the figure is dropped
    else:
        fake.mode = mode  # type: ignore[assignment]
    started = time.monotonic()
    text, source = await describe_plan(PLAN, llm)
    assert (text, source) == (PLAN_SUMMARY, "template")
    assert time.monotonic() - started < TIMEOUT + MARGIN


async def test_plan_text_is_length_capped(fake: FakeOpenAI, llm: LLMClient) -> None:
    fake.content = "Cook the oats slowly and stir them often. " * 100
    text = await llm.write_plan_text(PLAN)
    assert 600 <= len(text) <= 1200
    assert text.endswith("often.")


def test_template_handles_several_days_and_missing_totals() -> None:
    plan = {
        "days": [
            {"meals": [{"meal": "lunch", "name": "Lentil soup", "kcal": 300, "protein_g": 18}]},
            {"meals": [{"slot": "snack", "items": [{"food": "apple"}], "totals": {"kcal": 95}}]},
        ]
    }
    assert template_text(plan) == (
        "Day 1: This day gives you about 300 kcal, 18 g protein. Lunch: Lentil soup.\n"
        "Day 2: This day gives you about 95 kcal. Snack: apple."
    )
    assert template_text({}) == "Your meal plan is ready."


def test_strip_nutrition_figures() -> None:
    assert (
        strip_nutrition_figures(
            "Bake at 200°C for 12 minutes. You get 150 g of protein! Protein: 40g. Enjoy."
        )
        == "Bake at 200°C for 12 minutes. Enjoy."
    )

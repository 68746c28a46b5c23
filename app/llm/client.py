"""Optional LLM client for any OpenAI-compatible server (OpenAI, Ollama, vLLM, llama.cpp).

The model only ever reads text: it names the foods and amounts a user typed, or words a plan
description. Grams and nutrients always come from the deterministic matcher and USDA data.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
from functools import lru_cache
from importlib import resources
from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from app.core import metrics
from app.core.config import Settings
from app.foods.parser import ExtractedItem

log = logging.getLogger("nexfitra.llm")

MAX_INPUT_CHARS = 2000
MAX_PLAN_JSON_CHARS = 8000
MAX_PLAN_TEXT_CHARS = 1200
# A well-behaved answer is a few hundred characters; anything far bigger is runaway output.
MAX_CONTENT_CHARS = 20_000
MAX_ITEMS = 30
EXTRACT_MAX_TOKENS = 800
PLAN_MAX_TOKENS = 600
RECEIPT_MAX_TOKENS = 1500


class LLMError(Exception):
    """The LLM could not give a usable answer. `reason` is what callers report."""

    reason = "error"


class LLMTimeout(LLMError):
    reason = "timeout"


class LLMInvalidOutput(LLMError):
    reason = "invalid_output"


FoodPhrase = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Unit = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


class _Item(BaseModel):
    # Extra keys (a model volunteering "calories") are dropped: we never read numbers it invents.
    model_config = ConfigDict(extra="ignore")

    food: FoodPhrase
    quantity: Annotated[float, Field(gt=0, le=10_000, allow_inf_nan=False)] | None = None
    unit: Unit | None = None


class _Extraction(BaseModel):
    model_config = ConfigDict(extra="ignore")

    items: Annotated[list[_Item], Field(max_length=MAX_ITEMS)]


@lru_cache
def load_prompt(name: str) -> str:
    return resources.files("app.llm").joinpath("prompts", name).read_text(encoding="utf-8")


_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)


def _strip_reasoning(content: str) -> str:
    # Reasoning models served by Ollama/vLLM often prepend their chain of thought.
    return _THINK.sub("", content).strip()


def parse_json_content(content: str) -> Any:
    """Reads JSON from a reply that may wrap it in a ```json fence or a sentence, as servers
    without JSON mode tend to do."""
    text = _strip_reasoning(content)
    candidates = [text]
    candidates += [m.group(1).strip() for m in _FENCE.finditer(text)]
    starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    if starts:
        start = min(starts)
        end = max(text.rfind("}"), text.rfind("]"))
        if end > start:
            candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except ValueError:
            continue
    raise LLMInvalidOutput("the answer is not JSON")


def validate_extraction(data: Any) -> list[ExtractedItem]:
    if isinstance(data, list):  # a bare list is what some models send despite the prompt
        data = {"items": data}
    if not isinstance(data, dict) or "items" not in data:
        raise LLMInvalidOutput('the answer has no "items" list')
    try:
        parsed = _Extraction.model_validate(data)
    except ValidationError as exc:
        raise LLMInvalidOutput(f"the answer does not fit the schema: {exc.errors()[:3]}") from exc
    return [ExtractedItem(food=i.food, quantity=i.quantity, unit=i.unit) for i in parsed.items]


def _cap_text(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    # End on a whole sentence when one is reasonably close, else on a whole word.
    sentence_end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("\n"))
    if sentence_end >= limit // 2:
        return cut[: sentence_end + 1].rstrip()
    return cut.rsplit(" ", 1)[0].rstrip() + "…"


class LLMClient:
    def __init__(
        self,
        *,
        base_url: str | None,
        api_key: str | None,
        model: str,
        timeout: float,
        max_retries: int,
    ) -> None:
        self.model = model
        self.timeout = timeout
        # A placeholder key keeps the SDK from picking up OPENAI_API_KEY from the environment and
        # sending it to an unrelated local server; Ollama and llama.cpp ignore the header.
        # Imported here, not at module level: the SDK costs about a second of every start, and
        # most installs run without an LLM.
        import openai

        self._client = openai.AsyncOpenAI(
            base_url=base_url,
            api_key=api_key or "not-needed",
            timeout=timeout,
            max_retries=max_retries,
        )
        # Turned off once a server has rejected our optional parameters (JSON mode, max_tokens,
        # temperature) and accepted the bare request, so later calls skip the doomed attempt.
        self._full_params = True

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMClient | None:
        if not settings.llm_enabled:
            return None
        return cls(
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key,
            model=settings.llm_model,
            timeout=settings.llm_timeout_seconds,
            max_retries=settings.llm_max_retries,
        )

    async def aclose(self) -> None:
        await self._client.close()

    async def _complete(
        self, system: str, user: str, *, json_mode: bool, max_tokens: int, temperature: float
    ) -> str:
        """One chat completion within the overall deadline; answers the message content."""
        try:
            content = await self._complete_once(
                system, user, json_mode=json_mode, max_tokens=max_tokens, temperature=temperature
            )
        except LLMError as exc:
            metrics.LLM_CALLS.labels(exc.reason).inc()
            raise
        metrics.LLM_CALLS.labels("ok").inc()
        return content

    async def _complete_once(
        self, system: str, user: str, *, json_mode: bool, max_tokens: int, temperature: float
    ) -> str:
        import openai  # loaded by __init__

        messages: list[Any] = [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ]
        try:
            # The SDK timeout is per attempt and it retries, and it honours Retry-After headers
            # of up to two minutes; this deadline bounds the whole call.
            async with asyncio.timeout(self.timeout):
                completion = await self._create(messages, json_mode, max_tokens, temperature)
        except (TimeoutError, openai.APITimeoutError) as exc:
            raise LLMTimeout(f"no answer within {self.timeout:g} s") from exc
        except openai.APIResponseValidationError as exc:
            raise LLMInvalidOutput(f"malformed response: {exc}") from exc
        except openai.APIStatusError as exc:
            raise LLMError(f"LLM server answered HTTP {exc.status_code}") from exc
        except openai.OpenAIError as exc:
            raise LLMError(f"LLM request failed: {exc}") from exc
        try:
            content = completion.choices[0].message.content
        except (AttributeError, IndexError, TypeError) as exc:
            raise LLMInvalidOutput("the response has no message") from exc
        if not isinstance(content, str) or not content.strip():
            raise LLMInvalidOutput("the answer is empty")
        if len(content) > MAX_CONTENT_CHARS:
            raise LLMInvalidOutput(f"the answer is too long ({len(content)} characters)")
        return content

    async def _create(
        self, messages: list[Any], json_mode: bool, max_tokens: int, temperature: float
    ) -> Any:
        import openai  # loaded by __init__

        if not self._full_params:
            return await self._bare_create(messages)
        extra: dict[str, Any] = {"max_tokens": max_tokens, "temperature": temperature}
        if json_mode:
            extra["response_format"] = {"type": "json_object"}
        try:
            return await self._client.chat.completions.create(
                model=self.model, messages=messages, **extra
            )
        except openai.BadRequestError as exc:
            # Older llama.cpp/vLLM builds reject JSON mode, reasoning models reject temperature
            # and max_tokens: retry once with the bare request.
            log.info("LLM server rejected the request (%s); retrying without options", exc)
        completion = await self._bare_create(messages)
        # Only a bare request that works proves the options were the problem.
        self._full_params = False
        return completion

    async def _bare_create(self, messages: list[Any]) -> Any:
        return await self._client.chat.completions.create(model=self.model, messages=messages)

    async def extract_items(self, text: str) -> list[ExtractedItem]:
        """The food phrases, amounts and units said in `text`; never nutrients."""
        content = await self._complete(
            load_prompt("extract_items.txt"),
            text[:MAX_INPUT_CHARS],
            json_mode=True,
            max_tokens=EXTRACT_MAX_TOKENS,
            temperature=0.0,
        )
        return validate_extraction(parse_json_content(content))

    async def _write_prose(
        self, prompt: str, data: dict[str, Any], what: str, temperature: float
    ) -> str:
        """Plain-text prose about `data` (sent as JSON) written to the prompt file `prompt`."""
        data_json = json.dumps(data, default=str, ensure_ascii=False)
        if len(data_json) > MAX_PLAN_JSON_CHARS:
            raise LLMError(f"the {what} is too large to describe")
        content = await self._complete(
            load_prompt(prompt),
            data_json,
            json_mode=False,
            max_tokens=PLAN_MAX_TOKENS,
            temperature=temperature,
        )
        text = _strip_reasoning(content)
        fenced = _FENCE.fullmatch(text)
        if fenced:
            text = fenced.group(1).strip()
        if not text:
            raise LLMInvalidOutput("the answer is empty")
        return _cap_text(text, MAX_PLAN_TEXT_CHARS)

    async def write_plan_text(self, plan: dict[str, Any]) -> str:
        """A short friendly description of a meal plan with cooking tips, as plain text."""
        return await self._write_prose("plan_description.txt", plan, "plan", 0.4)

    async def write_week_text(self, facts: dict[str, Any]) -> str:
        """A few sentences about a week of eating, from its facts, as plain text."""
        return await self._write_prose("week_narrative.txt", facts, "week", 0.3)

    async def write_program_text(self, program: dict[str, Any]) -> str:
        """A short description of a training program with tips, as plain text."""
        return await self._write_prose("program_description.txt", program, "program", 0.4)

    async def read_receipt_image(self, png: bytes) -> str:
        """The item lines of a receipt photo (PNG bytes), read with the model's vision input;
        the text then goes through the deterministic receipt parser like typed text."""
        import openai  # loaded by __init__

        url = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        messages: list[Any] = [
            {"role": "system", "content": load_prompt("receipt_image.txt")},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "The receipt:"},
                    {"type": "image_url", "image_url": {"url": url}},
                ],
            },
        ]
        try:
            async with asyncio.timeout(self.timeout):
                completion = await self._client.chat.completions.create(
                    model=self.model, messages=messages, max_tokens=RECEIPT_MAX_TOKENS
                )
        except (TimeoutError, openai.APITimeoutError) as exc:
            raise LLMTimeout(f"no answer within {self.timeout:g} s") from exc
        except openai.OpenAIError as exc:
            raise LLMError(f"LLM request failed: {exc}") from exc
        try:
            content = completion.choices[0].message.content
        except (AttributeError, IndexError, TypeError) as exc:
            raise LLMInvalidOutput("the response has no message") from exc
        if not isinstance(content, str) or not content.strip():
            raise LLMInvalidOutput("the answer is empty")
        return _strip_reasoning(content)[:MAX_CONTENT_CHARS]


async def get_llm(request: Request) -> LLMClient | None:
    """The app's optional LLM client (None when none is configured)."""
    llm: LLMClient | None = getattr(request.app.state, "llm", None)
    return llm


LLMDep = Annotated[LLMClient | None, Depends(get_llm)]

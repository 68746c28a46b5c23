"""Meal text to foods: the deterministic parser always, the LLM only when it can help.

The LLM is an optional extra that must never make a result worse or much later:

1. The deterministic parser runs first (about a millisecond).
2. Without an LLM, or when that result is complete (something matched, no unmatched words and
   every item at least `CONFIDENT` sure), it is the answer and no LLM request is made.
3. Otherwise the LLM lists the food phrases, amounts and units it reads in the text, bounded by
   the client's timeout. Those go through the same matcher and portion logic
   (`resolve_items`), so grams and nutrients still come from USDA data, never from the model.
4. Items whose food words are not in the user's text (allowing spelling fixes) are dropped: a
   model that answers "eggs and sourdough" to "zzzz qqqq" logs nothing of its own. With no
   grounded item left the deterministic result stands ("not_grounded").
5. The LLM result is used only when its `score` is at least the deterministic one (ties go to
   the LLM: it matched as much, and read the text as a whole); on a
   timeout, an error or invalid output the deterministic result is returned with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from app.core import metrics
from app.foods.dataset import FoodRecord
from app.foods.matcher import FoodIndex
from app.foods.parser import ParseResult, parse, resolve_items
from app.foods.search import edit_distance, tokens
from app.llm.client import LLMClient, LLMError

log = logging.getLogger("nexfitra.llm")

DETERMINISTIC = "deterministic"
LLM = "llm"
# Items the matcher is at least this sure of need no second opinion.
CONFIDENT = 0.75


def is_complete(result: ParseResult) -> bool:
    return (
        bool(result.items)
        and not result.unmatched
        and all(item.confidence >= CONFIDENT for item in result.items)
    )


def score(result: ParseResult) -> tuple[int, int, float]:
    """Compared in order: more matched items, then fewer unmatched phrases, then a higher mean
    confidence.

    Matched items come first because a food missing from the log is the worst outcome; the
    unmatched counts are not on the same scale (the parser reports leftover words, the LLM path
    whole phrases), so they only break ties between equally many items.
    """
    items = result.items
    mean = sum(item.confidence for item in items) / len(items) if items else 0.0
    # Rounded so that the same matches summed in another order still tie.
    return len(items), -len(result.unmatched), round(mean, 6)


def _close(word: str, said: str) -> bool:
    if word == said:
        return True
    if min(len(word), len(said)) >= 3 and (word in said or said in word):
        return True  # "ice cream" / "icecream"; never the two letters of "pb"
    limit = 1 if len(word) <= 5 else 2
    return len(word) >= 3 and edit_distance(word, said, limit) <= limit


def is_grounded(food: str, text: str) -> bool:
    """At least half of the item's food words (and one) occur in the text, spelling fixes
    allowed ("chicken breast" for "chiken brest")."""
    said = set(tokens(text))
    words = [w for w in dict.fromkeys(tokens(food)) if not w.isdigit()]
    if not words:
        return False
    found = sum(any(_close(w, s) for s in said) for w in words)
    return found >= 1 and 2 * found >= len(words)


async def parse_text(
    text: str,
    *,
    llm: LLMClient | None,
    index: FoodIndex | None = None,
    extra: Sequence[FoodRecord] = (),
) -> tuple[ParseResult, str, str | None]:
    """(result, path, fallback_reason). `path` is "deterministic" or "llm"; `fallback_reason`
    says why an LLM that was asked did not produce the answer: "timeout", "error",
    "invalid_output" or "not_better"."""
    result, path, reason = await _parse_text(text, llm=llm, index=index, extra=extra)
    if reason is not None:
        metrics.LLM_FALLBACKS.labels("parse", reason).inc()
    return result, path, reason


async def _parse_text(
    text: str,
    *,
    llm: LLMClient | None,
    index: FoodIndex | None = None,
    extra: Sequence[FoodRecord] = (),
) -> tuple[ParseResult, str, str | None]:
    """(result, path, fallback_reason). `path` is "deterministic" or "llm"; `fallback_reason`
    says why an LLM that was asked did not produce the answer: "timeout", "error",
    "invalid_output" or "not_better"."""
    deterministic = parse(text, index=index, extra=extra)
    if llm is None or is_complete(deterministic):
        return deterministic, DETERMINISTIC, None
    try:
        extracted = await llm.extract_items(text)
    except LLMError as exc:
        log.warning("LLM extraction failed (%s): %s", exc.reason, exc)
        return deterministic, DETERMINISTIC, exc.reason
    if not extracted:
        return deterministic, DETERMINISTIC, "not_better"
    extracted = [item for item in extracted if is_grounded(item.food, text)]
    if not extracted:
        return deterministic, DETERMINISTIC, "not_grounded"
    try:
        from_llm = resolve_items(extracted, index=index, extra=extra, text=text)
    except Exception:
        # Model output is untrusted input to the matcher; a failure there must not fail the
        # request when a deterministic answer is at hand.
        log.exception("resolving LLM items failed")
        return deterministic, DETERMINISTIC, "error"
    if score(from_llm) >= score(deterministic):
        return from_llm, LLM, None
    return deterministic, DETERMINISTIC, "not_better"

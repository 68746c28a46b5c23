"""Schemathesis hooks for scripts/contract.sh (loaded through SCHEMATHESIS_HOOKS).

Two checks replace built-in ones (excluded in the script); `negative_data_rejection_except_
sent_body` is documented below. `positive_data_acceptance_except_documented_rules` replaces
`positive_data_acceptance`: a request that matches the schema may still break
a business rule no JSON Schema can state (a start date after the end date, a date in the future,
a food id that does not exist, fields that exclude each other). The API answers those with 422,
and every operation's documented 422 response says so. This check accepts such a 422 only when
the operation documents business rules on its 422 AND the problem shows it was one: a problem
`type` other than `validation-error`, or a `validation-error` whose every entry came from a
cross-field validator (`value_error`/`assertion_error`), never from a type, range, pattern,
null or required-field check. Everything else fails exactly as the built-in check does.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

_RULE_ERRORS = {"value_error", "assertion_error"}


def _documents_rules(case: Any) -> bool:
    responses = (case.operation.definition.raw or {}).get("responses", {})
    return "business rule" in str(responses.get("422", {}).get("description", ""))


def _is_business_rule(response: Any) -> bool:
    try:
        body = response.json()
    except Exception:
        return False
    if not isinstance(body, dict) or body.get("status") != 422:
        return False
    if not str(body.get("type", "")).endswith("/validation-error"):
        return True
    errors = body.get("errors") or []
    return bool(errors) and all(
        isinstance(e, dict) and e.get("type") in _RULE_ERRORS for e in errors
    )


def _only_undeclared_properties(response: Any) -> bool:
    try:
        body = response.json()
    except Exception:
        return False
    errors = body.get("errors") if isinstance(body, dict) else None
    return bool(errors) and any(
        isinstance(e, dict) and e.get("type") == "extra_forbidden" for e in errors
    )


@schemathesis.check
def positive_data_acceptance_except_documented_rules(ctx: Any, response: Any, case: Any) -> Any:
    """Schema-valid requests are accepted, or refused by a documented business rule."""
    if response.status_code == 422 and _documents_rules(case) and _is_business_rule(response):
        return None
    if response.status_code == 422 and _only_undeclared_properties(response):
        # Schemathesis (4.32) occasionally sends a property such as `body` that the schema
        # forbids (`additionalProperties: false`) while labelling the case positive; refusing
        # it is the documented behaviour, not a rejection of valid data.
        return None
    return positive_data_acceptance(ctx, response, case)


def _missing_body_case_sent_a_body(response: Any, case: Any) -> bool:
    data = getattr(getattr(case.meta, "phase", None), "data", None)
    if getattr(data, "description", None) != "Missing required property: body":
        return False
    request = getattr(response, "request", None)
    return bool(getattr(request, "body", None))


@schemathesis.check
def negative_data_rejection_except_sent_body(ctx: Any, response: Any, case: Any) -> Any:
    """`negative_data_rejection`, except the case schemathesis 4.32 labels "missing required
    body" although it sent the body (the operation's example) on the wire: the server then
    rightly accepts it. Every other negative case is judged exactly as the built-in does."""
    if _missing_body_case_sent_a_body(response, case):
        return None
    return negative_data_rejection(ctx, response, case)

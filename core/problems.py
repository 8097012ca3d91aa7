"""Problem documents (RFC 9457: {type, title, status, detail, errors}) for everything that answers one: the
REST exception handler (core/api/errors.py), the request guards (core/middleware.py) and plain Django views."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import structlog
from django.http import HttpRequest, JsonResponse
from kombu.exceptions import OperationalError as BrokerOperationalError

from core.errors import SafeguardDown

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://paitient.example/problems/"

# RFC 9110's name where Python 3.11's HTTPStatus still has the older one.
TITLES = {422: "Unprocessable Content"}

log = structlog.get_logger(__name__)


def problem(
    status: int, detail: str, *, code: str | None = None, errors: dict[str, Any] | None = None
) -> dict[str, Any]:
    title = TITLES.get(status) or HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + (code or title.lower().replace(" ", "-")),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return body


def problem_response(request: HttpRequest, status: int, detail: str) -> JsonResponse:
    """A problem document from plain Django views (404/500 handlers, health checks)."""
    return JsonResponse(problem(status, detail), status=status, content_type=PROBLEM_CONTENT_TYPE)


def safeguard_refusal(exc: Exception) -> tuple[str, str] | None:
    """(detail, code) of the 503 for a safeguard that failed closed, or None for any other exception; the
    detail names the safeguard and never echoes data."""
    if isinstance(exc, SafeguardDown):
        detail, code = exc.problem_detail or str(exc), exc.problem_code
    elif isinstance(exc, BrokerOperationalError):  # a task sent outside `core.queueing`
        detail, code = "The task queue is unavailable. Try again later.", "queue-unavailable"
    else:
        return None
    log.error("api.safeguard_unavailable", code=code, exception_type=type(exc).__name__)
    return detail, code

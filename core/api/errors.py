"""Every API error as an RFC 9457 problem document: {type, title, status, detail, errors}."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import structlog
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from core.errors import FieldError, Forbidden, NotFound, ProblemError, StateConflict, TooLarge
from core.problems import PROBLEM_CONTENT_TYPE, problem, safeguard_refusal
from core.uploads import request_limit, size_text

log = structlog.get_logger(__name__)


def _field_errors(detail: Any) -> dict[str, list[str]]:
    """Flatten DRF's nested error detail into {"field.sub": ["message", ...]}."""
    flat: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), sub)
        elif isinstance(value, list) and value and all(isinstance(v, (str, exceptions.ErrorDetail)) for v in value):
            flat.setdefault(prefix or "non_field_errors", []).extend(str(v) for v in value)
        elif isinstance(value, list):
            for index, sub in enumerate(value):
                walk(f"{prefix}.{index}" if prefix else str(index), sub)
        else:
            flat.setdefault(prefix or "non_field_errors", []).append(str(value))

    walk("", detail)
    return flat


class SafeguardUnavailable(exceptions.APIException):
    """A safeguard (audit log, encryption master key, task queue) is down: the request is refused, not run."""

    status_code = 503
    default_code = "safeguard-unavailable"


def safeguard_unavailable(exc: Exception) -> SafeguardUnavailable | None:
    """The 503 for a safeguard that failed closed; its detail names the safeguard and never echoes data."""
    refusal = safeguard_refusal(exc)
    return SafeguardUnavailable(refusal[0], code=refusal[1]) if refusal is not None else None


def _too_large(exc: Exception) -> Response | None:
    """413 for input over a size limit: an upload or prompt a service measured (naming the field), or a body
    Django refused to read past DATA_UPLOAD_MAX_MEMORY_SIZE (PAITIENT_MAX_REQUEST_BYTES)."""
    if isinstance(exc, TooLarge):
        body = problem(413, str(exc), code="payload-too-large", errors={exc.field: [str(exc)]})
    elif isinstance(exc, RequestDataTooBig):
        body = problem(413, f"The request body is over {size_text(request_limit())}.", code="payload-too-large")
    else:
        return None
    return Response(body, status=413, content_type=PROBLEM_CONTENT_TYPE)


def _policy_denied(exc: Exception) -> exceptions.PermissionDenied | None:
    """The 403 for a policy refusal a service raised (already audited where it was decided)."""
    return exceptions.PermissionDenied(exc.problem_detail) if isinstance(exc, Forbidden) else None


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    too_large = _too_large(exc)
    if too_large is not None:
        return too_large
    if isinstance(exc, ProblemError):  # an app's own refusal: its status and code, plus its extra members
        body = {**problem(exc.status, str(exc), code=exc.code), **exc.extra}
        return Response(body, status=exc.status, content_type=PROBLEM_CONTENT_TYPE)
    if isinstance(exc, NotFound):  # a selector found nothing the caller may see
        exc = exceptions.NotFound(exc.problem_detail)
    if isinstance(exc, StateConflict):  # the change would break an invariant of the current state
        body = problem(409, str(exc), code="conflict", errors={exc.field: [str(exc)]})
        return Response(body, status=409, content_type=PROBLEM_CONTENT_TYPE)
    if isinstance(exc, FieldError):  # a service refused an input: a 400 naming it, like a serializer's
        exc = exceptions.ValidationError({exc.field: [str(exc)]})
    exc = _policy_denied(exc) or exc
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        exc = exceptions.ParseError("The form has too many fields or files.")
    if isinstance(exc, exceptions.ParseError):  # malformed JSON or form: the body is the field that is wrong
        exc = exceptions.ValidationError({"body": [str(exc.detail)]})
    exc = safeguard_unavailable(exc) or exc
    response = exception_handler(exc, context)
    if response is None:
        # Log the type only: exception messages may carry request data.
        log.error("api.unhandled_exception", exception_type=type(exc).__name__)
        return Response(
            problem(500, "The server could not complete the request.", code="internal-error"),
            status=500,
            content_type=PROBLEM_CONTENT_TYPE,
        )
    status = response.status_code
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        fields = ", ".join(sorted(errors))
        body = problem(status, f"Invalid input: {fields}.", code="validation-error", errors=errors)
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        body = problem(status, detail, code=str(exc.get_codes()) if isinstance(exc.get_codes(), str) else None)
    elif isinstance(exc, Http404):
        body = problem(404, "Not found.")
    elif isinstance(exc, PermissionDenied):
        body = problem(403, "You do not have permission to perform this action.")
    else:
        body = problem(status, HTTPStatus(status).phrase)
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response

"""Request plumbing: a request id for every request (a well-formed `X-Request-ID` or generated, echoed back), and
the input guard that refuses oversized bodies and NUL bytes before any view runs."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import structlog
from django.http import HttpRequest, HttpResponse, JsonResponse

from core.problems import PROBLEM_CONTENT_TYPE, problem, safeguard_refusal
from core.uploads import request_limit, size_text, upload_limit

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


def request_id_of(request: HttpRequest) -> str:
    return str(getattr(request, "request_id", ""))


class InputGuardMiddleware:
    """Refuses malformed input before anything reads it or a view runs.

    - A body whose Content-Length is over its limit is a 413: a multipart body may hold one upload plus its form
      fields, any other body the request limit (core/uploads.py).
    - A NUL character in the path names nothing (404), in a query parameter it is a 400 naming the parameter:
      PostgreSQL cannot hold NUL in text, so it would otherwise reach the database as an error (a 500)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:

        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads an unparsable length as an empty body
        multipart = request.META.get("CONTENT_TYPE", "").lower().startswith("multipart/")
        limit = request_limit() + (upload_limit() if multipart else 0)
        if length > limit:
            detail = f"The request body is {size_text(length)}; at most {size_text(limit)} is accepted."
            return _refuse(request, 413, detail)
        if "\x00" in request.path:
            return _refuse(request, 404, "Not found.")
        with_nul = sorted({key for key, values in request.GET.lists() if "\x00" in key + "".join(values)})
        if with_nul:
            errors = {key: ["Null characters are not allowed."] for key in with_nul}
            return _refuse(request, 400, f"Invalid input: {', '.join(with_nul)}.", errors)
        return self.get_response(request)


def _refuse(request: HttpRequest, status: int, detail: str, errors: dict[str, list[str]] | None = None) -> HttpResponse:
    """A problem document for the API, plain text for the console."""
    if request.path.startswith("/api/"):
        body = problem(status, detail, code="validation-error" if errors else None, errors=errors)
        return JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)
    return HttpResponse(detail, status=status, content_type="text/plain; charset=utf-8")


class SafeguardPageMiddleware:
    """Console pages: a safeguard that failed closed (audit log, master key, task queue) gets a styled 503
    page naming it, not a 500. The services' transactions have already rolled back, so nothing was written;
    the API answers the same refusal as a problem document through its own exception handler."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.path.startswith("/api/"):
            return None
        from django.shortcuts import render

        refused = safeguard_refusal(exception)
        if refused is None:
            return None
        response = render(request, "503.html", {"detail": refused[0]}, status=503)
        response["Retry-After"] = "30"
        return response

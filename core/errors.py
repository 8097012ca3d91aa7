"""The error types every app raises (or subclasses), each mapped to an HTTP answer in one place,
`core.api.errors.problem_exception_handler`: bad input names its field (400, 413 over a size limit, 409 for a
state conflict), `Forbidden` is a 403, `NotFound` a 404, `SafeguardDown` a 503, `ProblemError` its own status.
Views and serializers do not catch them."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404


class FieldError(ValueError):
    """Input refused by a service; `field` is its (dotted) name in the request, the message is safe to show."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class TooLarge(FieldError):
    """Input over a configured size limit (an upload, a prompt): the API answers 413, naming the field."""


class StateConflict(FieldError):
    """The change conflicts with the current state (it would leave no administrator, say): the API answers 409,
    naming the field."""


class Forbidden(PermissionDenied):
    """A policy refused the action (and has audited the refusal where it decided): the API answers 403 with
    `problem_detail`, which names the permission or rule and never data; the console shows its 403 page."""

    @property
    def problem_detail(self) -> str:
        return str(self)


class SafeguardDown(Exception):
    """A safeguard (audit log, encryption master key, task queue) failed closed: the request is refused with
    a 503 (a problem document for the API, a page for the console) and nothing was changed.

    `problem_code` names the safeguard; `problem_detail` is the fixed text shown, or None to show the
    exception's own message (which must then be safe to show)."""

    problem_code = "safeguard-unavailable"
    problem_detail: str | None = None


class NotFound(Http404):
    """Nothing with that id that the caller may see: the API answers 404 with `problem_detail` (each app's
    subclass names the kind of thing, never the id), the console shows its 404 page."""

    problem_detail = "Not found."


class ProblemError(Exception):
    """A refusal with its own status and problem `code` (e.g. the gateway's `phi-rejected`); the message and
    the `extra` members added to the problem document are safe to show (types and counts, never data)."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.extra = status, code, extra

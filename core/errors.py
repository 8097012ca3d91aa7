"""The error types services raise for bad input: they name the field, and the API turns them into a 400 (or a
413 for input over a size limit)."""

from __future__ import annotations


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


class Forbidden(Exception):
    """A policy refused the action (and has audited the refusal where it decided): the API answers 403 with
    `problem_detail`, which names the permission or rule and never data."""

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

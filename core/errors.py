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

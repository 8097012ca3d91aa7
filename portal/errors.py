"""The one error type services raise for bad input: it names the field, and the API turns it into a 400."""

from __future__ import annotations


class FieldError(ValueError):
    """Input refused by a service; `field` is its (dotted) name in the request, the message is safe to show."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field

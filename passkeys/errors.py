"""What a passkey ceremony or change refuses, as the console's JSON endpoints answer it: a status, a stable
`code` for the audit log and the page's script, a message safe to show, and the request field at fault."""

from __future__ import annotations

from core.problems import problem


class PasskeyError(Exception):
    def __init__(self, status: int, code: str, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.field = field

    def as_problem(self) -> dict[str, object]:
        """An RFC 9457 problem document; a fault in one request field is listed under `errors`."""
        errors = {self.field: [self.detail]} if self.field else None
        return problem(self.status, self.detail, code=self.code, errors=errors)

"""Typed errors raised by the SDK; each carries the server's problem document."""

from __future__ import annotations

from typing import Any


class PaiTIENTError(Exception):
    """Any error from the service or the transport."""

    def __init__(self, message: str, *, status: int | None = None, problem: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.problem = problem or {}
        self.errors: dict[str, list[str]] = dict(self.problem.get("errors") or {})


class ConfigurationError(PaiTIENTError):
    """The client is missing its base URL or API key."""


class AuthenticationError(PaiTIENTError):
    """401: the API key is missing, wrong, expired or revoked."""


class PermissionDeniedError(PaiTIENTError):
    """403: the key's roles lack the permission, or the address is not allowed."""


class NotFoundError(PaiTIENTError):
    """404."""


class ValidationError(PaiTIENTError):
    """400/422: `errors` maps each offending field to messages."""


class PHIRejectedError(ValidationError):
    """422 in reject mode: the prompt holds PHI; `entity_types` names the types found (never the values)."""

    @property
    def entity_types(self) -> list[str]:
        return [str(t) for t in self.problem.get("entity_types") or []]


class ConflictError(PaiTIENTError):
    """409: the resource is not in a state that allows the call (e.g. a deployment that is not ready)."""


class RateLimitError(PaiTIENTError):
    """429 after the retries were used up."""


class ServiceUnavailableError(PaiTIENTError):
    """5xx or a transport failure after the retries were used up."""


class DeploymentFailedError(PaiTIENTError):
    """A deployment being waited for failed or was stopped."""


class ReportFailedError(PaiTIENTError):
    """A compliance report being waited for failed to render; `report_id` names it."""

    def __init__(self, message: str, *, report_id: str = "") -> None:
        super().__init__(message)
        self.report_id = report_id


def error_for(status: int, problem: dict[str, Any]) -> PaiTIENTError:
    detail = str(problem.get("detail") or problem.get("title") or f"HTTP {status}")
    kind: type[PaiTIENTError] = {
        400: ValidationError,
        401: AuthenticationError,
        403: PermissionDeniedError,
        404: NotFoundError,
        409: ConflictError,
        422: PHIRejectedError if problem.get("entity_types") is not None else ValidationError,
        429: RateLimitError,
    }.get(status, ServiceUnavailableError if status >= 500 else PaiTIENTError)
    return kind(detail, status=status, problem=problem)

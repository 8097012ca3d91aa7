"""Python SDK for the PaiTIENT Secure Model Service."""

from paitient_secure_model.client import AuditLogs, Client
from paitient_secure_model.errors import (
    AuthenticationError,
    ConfigurationError,
    NotFoundError,
    PaiTIENTError,
    PermissionDeniedError,
    RateLimitError,
    ServiceUnavailableError,
    ValidationError,
)
from paitient_secure_model.models import AuditLog, Role, RoleAssignment

__all__ = [
    "AuditLog",
    "AuditLogs",
    "AuthenticationError",
    "Client",
    "ConfigurationError",
    "NotFoundError",
    "PaiTIENTError",
    "PermissionDeniedError",
    "RateLimitError",
    "Role",
    "RoleAssignment",
    "ServiceUnavailableError",
    "ValidationError",
]

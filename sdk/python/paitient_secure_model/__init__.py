"""Python SDK for the PaiTIENT Secure Model Service."""

from paitient_secure_model.client import AuditLogs, Client
from paitient_secure_model.errors import (
    AuthenticationError,
    ConfigurationError,
    DeploymentFailedError,
    NotFoundError,
    PaiTIENTError,
    PermissionDeniedError,
    RateLimitError,
    ServiceUnavailableError,
    ValidationError,
)
from paitient_secure_model.models import AuditLog, Deployment, Role, RoleAssignment

__all__ = [
    "AuditLog",
    "AuditLogs",
    "AuthenticationError",
    "Client",
    "ConfigurationError",
    "Deployment",
    "DeploymentFailedError",
    "NotFoundError",
    "PaiTIENTError",
    "PermissionDeniedError",
    "RateLimitError",
    "Role",
    "RoleAssignment",
    "ServiceUnavailableError",
    "ValidationError",
]

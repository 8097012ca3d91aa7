"""Python SDK for the PaiTIENT Secure Model Service."""

from paitient_secure_model.client import AuditLogs, Client
from paitient_secure_model.errors import (
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    DeploymentFailedError,
    NotFoundError,
    PaiTIENTError,
    PermissionDeniedError,
    PHIRejectedError,
    RateLimitError,
    ServiceUnavailableError,
    ValidationError,
)
from paitient_secure_model.models import AuditLog, Deployment, PHIEntity, Role, RoleAssignment, TextGeneration

__all__ = [
    "AuditLog",
    "AuditLogs",
    "AuthenticationError",
    "Client",
    "ConfigurationError",
    "ConflictError",
    "Deployment",
    "DeploymentFailedError",
    "NotFoundError",
    "PHIEntity",
    "PHIRejectedError",
    "PaiTIENTError",
    "PermissionDeniedError",
    "RateLimitError",
    "Role",
    "RoleAssignment",
    "ServiceUnavailableError",
    "TextGeneration",
    "ValidationError",
]

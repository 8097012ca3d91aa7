"""Python SDK for the PaiTIENT Secure Model Service."""

from paitient_secure_model.access_reviews import AccessReview, AccessReviewItem
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
    ReportFailedError,
    ServiceUnavailableError,
    ValidationError,
)
from paitient_secure_model.models import (
    AuditLog,
    ComplianceReport,
    Deployment,
    PHIEntity,
    Role,
    RoleAssignment,
    StreamedGeneration,
    TextGeneration,
)
from paitient_secure_model.users import Invitation, Offboarding, User

__all__ = [
    "AccessReview",
    "AccessReviewItem",
    "AuditLog",
    "AuditLogs",
    "AuthenticationError",
    "Client",
    "ComplianceReport",
    "ConfigurationError",
    "ConflictError",
    "Deployment",
    "DeploymentFailedError",
    "Invitation",
    "NotFoundError",
    "Offboarding",
    "PHIEntity",
    "PHIRejectedError",
    "PaiTIENTError",
    "PermissionDeniedError",
    "RateLimitError",
    "ReportFailedError",
    "Role",
    "RoleAssignment",
    "ServiceUnavailableError",
    "StreamedGeneration",
    "TextGeneration",
    "User",
    "ValidationError",
]

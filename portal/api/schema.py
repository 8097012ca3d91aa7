"""OpenAPI descriptions for our authentication classes (drf-spectacular extensions)."""

from typing import Any

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class PortalSessionScheme(SessionScheme):  # type: ignore[no-untyped-call]  # untyped __init_subclass__ upstream
    target_class = "portal.api.authentication.SessionAuthentication"


class ApiKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]  # untyped __init_subclass__ upstream
    target_class = "accessctl.api_keys.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "psk_<prefix>_<secret>"}

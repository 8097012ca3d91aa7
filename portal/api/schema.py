"""OpenAPI descriptions for our authentication classes (drf-spectacular extensions)."""

from drf_spectacular.authentication import SessionScheme


class PortalSessionScheme(SessionScheme):  # type: ignore[no-untyped-call]  # untyped __init_subclass__ upstream
    target_class = "portal.api.authentication.SessionAuthentication"

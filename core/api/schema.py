"""OpenAPI: descriptions of our authentication classes (drf-spectacular extensions), the problem responses every
operation can give (a post-processing hook), and the `{"results", "next"}` envelope of single-page lists."""

from __future__ import annotations

from typing import Any

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An RFC 9457 problem document.",
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "description": "Each invalid field (dotted path) with its messages.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["type", "title", "status", "detail"],
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_CONTENT_TYPE = "application/problem+json"

_ANY_CALL = {
    "400": "Invalid input; `errors` names each field (a query parameter with a NUL byte, on any operation).",
    "401": "No valid credentials: a missing, invalid, expired or revoked API key, or no session.",
    "403": "Not a member of an organisation, or lacking the permission.",
}
_WITH_PATH = {
    "404": "No such object in your organisation.",
    # Clients normalise dot segments: `/users/./deactivate` is sent as `/users/deactivate`, user "deactivate".
    "405": "The method does not apply to what the path names (an id of `.` or `..` leaves the path shorter).",
}
_WITH_BODY = {
    "413": "The request body is over the configured size limit.",
    "415": "The request body is not of a supported media type.",
}
_WRITES = {"503": "A control the request depends on is unavailable: refused, nothing written."}


class PortalSessionScheme(SessionScheme):  # type: ignore[no-untyped-call]  # untyped __init_subclass__ upstream
    target_class = "core.api.authentication.SessionAuthentication"


class ApiKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]  # untyped __init_subclass__ upstream
    target_class = "accessctl.api_keys.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "psk_<prefix>_<secret>"}


def list_envelope(
    name: str,
    item: serializers.BaseSerializer[Any],
    **extra: serializers.Field[Any, Any, Any, Any],
) -> Any:
    """The schema of a list answered in one page: `{"results": [...], "next": null}` (plus `extra` fields)."""
    fields: dict[str, Any] = {"results": item, **extra}
    if not extra:
        fields["next"] = serializers.CharField(allow_null=True, help_text="always null: the list is one page")
    return inline_serializer(name, fields)


def document_problems(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Every error status the API can answer, as a problem document, on each operation that can answer it; and
    path parameters as the non-empty strings they are."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    problem_content = {PROBLEM_CONTENT_TYPE: {"schema": PROBLEM_REF}}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "put", "post", "patch", "delete"}:
                continue
            parameters = operation.get("parameters", [])
            for parameter in parameters:  # an id in a path is never empty (`/requests//revoke` names nothing)
                if parameter.get("in") == "path" and parameter.get("schema", {}).get("type") == "string":
                    parameter["schema"].setdefault("minLength", 1)
            statuses = dict(_ANY_CALL)
            if operation.get("security") == [{}]:  # public (the API root): no credentials to refuse
                statuses = {"400": _ANY_CALL["400"]}
            if any(p.get("in") == "path" for p in parameters):
                statuses.update(_WITH_PATH)
            if "requestBody" in operation:
                statuses.update(_WITH_BODY)
            if method != "get":
                statuses.update(_WRITES)
            responses = operation.setdefault("responses", {})
            for status, description in statuses.items():
                responses.setdefault(status, {"description": description})
            for status, response in responses.items():
                if status[0] in "45" and not response.get("content"):
                    response["content"] = problem_content
    return result

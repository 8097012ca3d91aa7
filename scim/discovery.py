"""What the service provider supports (RFC 7643 §5-7): ServiceProviderConfig, ResourceTypes and the Schemas of
the attributes this server keeps (a subset of the core User and Group schemas, so that a client never sends an
attribute that would be silently dropped)."""

from __future__ import annotations

from typing import Any

from scim.groups import GROUP_SCHEMA
from scim.protocol import MAX_RESULTS
from scim.users import USER_SCHEMA

SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"


def attribute(
    name: str,
    kind: str = "string",
    *,
    required: bool = False,
    mutability: str = "readWrite",
    returned: str = "default",
    uniqueness: str = "none",
    multi: bool = False,
    case_exact: bool = False,
    description: str = "",
    sub: list[dict[str, Any]] | None = None,
    references: list[str] | None = None,
    canonical: list[str] | None = None,
) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "name": name,
        "type": kind,
        "multiValued": multi,
        "description": description or name,
        "required": required,
        "caseExact": case_exact,
        "mutability": mutability,
        "returned": returned,
        "uniqueness": uniqueness,
    }
    if sub is not None:
        definition["subAttributes"] = sub
    if references is not None:
        definition["referenceTypes"] = references
    if canonical is not None:
        definition["canonicalValues"] = canonical
    return definition


def _user_attributes() -> list[dict[str, Any]]:
    return [
        attribute("userName", required=True, uniqueness="server",
                  description="Unique identifier for the member, typically the sign-in e-mail address"),
        attribute("name", "complex", description="The member's name", sub=[
            attribute("familyName"),
            attribute("givenName"),
        ]),
        attribute("displayName", mutability="readOnly", description="The name shown in the console"),
        attribute("active", "boolean", required=True, description="False: deactivated (offboarded)"),
        attribute("emails", "complex", multi=True, required=True, description="The work address", sub=[
            attribute("value", required=True),
            attribute("type", description="Kept as work: one address per member", canonical=["work"]),
            attribute("primary", "boolean"),
        ]),
        attribute("groups", "complex", multi=True, mutability="readOnly",
                  description="The member's roles (change them through Groups)", sub=[
            attribute("value", mutability="readOnly"),
            attribute("$ref", "reference", mutability="readOnly", references=["Group"]),
            attribute("display", mutability="readOnly"),
            attribute("type", mutability="readOnly"),
        ]),
    ]  # fmt: skip


def _group_attributes() -> list[dict[str, Any]]:
    return [
        attribute("displayName", required=True, uniqueness="server", mutability="immutable",
                  description="The role's name"),
        attribute("externalId", case_exact=True, description="The identity provider's id of the group"),
        attribute("members", "complex", multi=True, description="The role's holders", sub=[
            attribute("value", mutability="immutable"),
            attribute("$ref", "reference", mutability="immutable", references=["User"]),
            attribute("type", mutability="immutable", canonical=["User"]),
        ]),
    ]  # fmt: skip


def schemas(base_url: str) -> list[dict[str, Any]]:
    return [
        {
            "schemas": [SCHEMA_SCHEMA],
            "id": USER_SCHEMA,
            "name": "User",
            "description": "A member of the organisation",
            "attributes": _user_attributes(),
            "meta": {"resourceType": "Schema", "location": f"{base_url}/Schemas/{USER_SCHEMA}"},
        },
        {
            "schemas": [SCHEMA_SCHEMA],
            "id": GROUP_SCHEMA,
            "name": "Group",
            "description": "A role of the organisation",
            "attributes": _group_attributes(),
            "meta": {"resourceType": "Schema", "location": f"{base_url}/Schemas/{GROUP_SCHEMA}"},
        },
    ]


def resource_types(base_url: str) -> list[dict[str, Any]]:
    return [
        {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": name,
            "name": name,
            "endpoint": f"/{name}s",
            "description": description,
            "schema": schema,
            "schemaExtensions": [],
            "meta": {"resourceType": "ResourceType", "location": f"{base_url}/ResourceTypes/{name}"},
        }
        for name, schema, description in (
            ("User", USER_SCHEMA, "Members of the organisation"),
            ("Group", GROUP_SCHEMA, "Roles of the organisation"),
        )
    ]


def service_provider_config(base_url: str) -> dict[str, Any]:
    return {
        "schemas": [SPC_SCHEMA],
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": True},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "A per-organisation SCIM token issued under Access > SCIM provisioning",
                "primary": True,
            }
        ],
        "meta": {"resourceType": "ServiceProviderConfig", "location": f"{base_url}/ServiceProviderConfig"},
    }

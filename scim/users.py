"""SCIM User resources (RFC 7643 §4.1) over the organisation's members: representation, parsing, lookups."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Exists, OuterRef, Q, QuerySet

from accessctl.models import Membership, MemberStatus, Organization, Role, RoleAssignment, User
from scim.models import ScimIdentity
from scim.protocol import Filter, ScimError

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
USER_FILTERS = ("username", "externalid", "emails", "emails.value", "active", "id")
_TEXT_LIMITS = {"userName": 150, "givenName": 150, "familyName": 150, "externalId": 200}


@dataclass(frozen=True)
class UserState:
    """What the identity provider says a member should be."""

    user_name: str
    given_name: str
    family_name: str
    email: str
    external_id: str
    active: bool
    email_primary: bool = True


def member_queryset(organization: Organization) -> QuerySet[Membership]:
    """Every membership of the organisation the IdP may see: all but those it deleted."""
    deleted = ScimIdentity.objects.filter(organization=organization, user=OuterRef("user_id"), deleted_at__isnull=False)
    return (
        Membership.objects.filter(organization=organization)
        .exclude(Exists(deleted))
        .select_related("user")
        .order_by("created_at", "id")
    )


def member_by_id(organization: Organization, user_id: str) -> Membership:
    membership = member_queryset(organization).filter(user__public_id=user_id).first()
    if membership is None:
        raise ScimError(404, "No such User.")
    return membership


def filtered_members(organization: Organization, condition: Filter | None) -> QuerySet[Membership]:
    members = member_queryset(organization)
    if condition is None:
        return members
    value = condition.value
    if condition.attribute == "active":
        if not isinstance(value, bool):
            raise ScimError(400, "filter: active compares with true or false.", "invalidFilter")
        deactivated = Q(is_active=False, joined_at__isnull=False)
        return members.exclude(deactivated) if value else members.filter(deactivated)
    if isinstance(value, bool):
        raise ScimError(400, f"filter: {condition.attribute} compares with a string.", "invalidFilter")
    lookup = {"eq": "iexact", "sw": "istartswith", "co": "icontains"}[condition.operator]
    if condition.attribute == "externalid":  # caseExact (RFC 7643 §3.1)
        exact = "exact" if condition.operator == "eq" else lookup.removeprefix("i")
        identities = ScimIdentity.objects.filter(organization=organization, **{f"external_id__{exact}": value})
        return members.filter(user_id__in=identities.values("user_id"))
    column = {"username": "user__username", "emails": "user__email", "emails.value": "user__email",
              "id": "user__public_id"}[condition.attribute]  # fmt: skip
    return members.filter(**{f"{column}__{lookup}": value})


def identities_of(organization: Organization, users: list[User]) -> dict[int, ScimIdentity]:
    rows = ScimIdentity.objects.filter(organization=organization, user__in=users)
    return {row.user_id: row for row in rows}


def roles_of(organization: Organization, users: list[User]) -> dict[int, list[Role]]:
    held: dict[int, list[Role]] = {user.pk: [] for user in users}
    for assignment in RoleAssignment.objects.filter(organization=organization, user__in=users).select_related("role"):
        held.setdefault(assignment.user_id, []).append(assignment.role)
    return held


def user_resource(
    membership: Membership, identity: ScimIdentity | None, roles: list[Role], base_url: str
) -> dict[str, Any]:
    user = membership.user
    location = f"{base_url}/Users/{user.public_id}"
    modified = max(t for t in (membership.created_at, membership.joined_at, membership.deactivated_at,
                               identity.updated_at if identity else None) if t is not None)  # fmt: skip
    name = {key: value for key, value in (("givenName", user.first_name), ("familyName", user.last_name)) if value}
    resource: dict[str, Any] = {
        "schemas": [USER_SCHEMA],
        "id": user.public_id,
        "userName": user.username,
        "displayName": user.get_full_name() or user.username,
        "active": membership.status != MemberStatus.DEACTIVATED,
        "meta": {
            "resourceType": "User",
            "created": membership.created_at.isoformat(),
            "lastModified": modified.isoformat(),
            "location": location,
        },
    }
    # Unassigned attributes are left out (RFC 7643 §2.5), empty lists included.
    if name:
        resource["name"] = name
    if user.email:
        primary = identity.email_primary if identity is not None else True
        resource["emails"] = [{"value": user.email, "type": "work", "primary": primary}]
    if roles:
        resource["groups"] = [
            {"value": role.name, "display": role.name, "$ref": f"{base_url}/Groups/{role.name}", "type": "direct"}
            for role in roles
        ]
    if identity is not None and identity.external_id:
        resource["externalId"] = identity.external_id
    return resource


def _text(body: dict[str, Any], key: str, name: str, *, required: bool = False) -> str:
    value = body.get(key)
    if value is None or value == "":
        if required:
            raise ScimError(400, f"{name}: is required.", "invalidValue")
        return ""
    if not isinstance(value, str):
        raise ScimError(400, f"{name}: must be a string.", "invalidValue")
    limit = _TEXT_LIMITS.get(key, 150)
    if len(value.strip()) > limit:
        raise ScimError(400, f"{name}: use at most {limit} characters.", "invalidValue")
    return value.strip()


def _primary_email(emails: Any) -> tuple[str, bool]:
    """The address kept (the primary one, else the first) and whether the IdP flagged it primary."""
    if emails is None:
        return "", True
    if not isinstance(emails, list) or not all(isinstance(e, dict) for e in emails):
        raise ScimError(400, "emails: must be a list of {value, type, primary} objects.", "invalidValue")
    chosen = next((e for e in emails if e.get("primary") is True), emails[0] if emails else None)
    if chosen is None:
        return "", True
    address = chosen.get("value")
    if not isinstance(address, str):
        raise ScimError(400, "emails.value: must be a string.", "invalidValue")
    try:
        validate_email(address.strip())
    except ValidationError:
        raise ScimError(400, "emails.value: is not a valid e-mail address.", "invalidValue") from None
    return address.strip().lower(), chosen.get("primary") is not False


def user_state_from(body: dict[str, Any], *, active_unless_given: bool = True) -> UserState:
    """The state a POST or PUT body (or a patched representation) describes; readOnly attributes (id, groups,
    meta) are ignored as RFC 7644 §3.5.1 allows. Without `active`, the member keeps `active_unless_given`
    (a PUT that leaves it out never reactivates anyone)."""
    name = body.get("name") or {}
    if not isinstance(name, dict):
        raise ScimError(400, "name: must be an object.", "invalidValue")
    active = body.get("active", active_unless_given)
    if not isinstance(active, bool):
        raise ScimError(400, "active: must be true or false.", "invalidValue")
    user_name = _text(body, "userName", "userName", required=True)
    if any(ch.isspace() for ch in user_name):
        raise ScimError(400, "userName: may not contain spaces.", "invalidValue")
    email, email_primary = _primary_email(body.get("emails"))
    return UserState(
        user_name=user_name,
        given_name=_text(name, "givenName", "name.givenName"),
        family_name=_text(name, "familyName", "name.familyName"),
        email=email,
        external_id=_text(body, "externalId", "externalId"),
        email_primary=email_primary,
        active=active,
    )

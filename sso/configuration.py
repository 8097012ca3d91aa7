"""Reading and changing an organisation's OpenID Connect configuration (validated, audited, secret sealed)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.db import transaction

from accessctl.extensions import record
from accessctl.models import Membership, Organization, Role, RoleAssignment
from accessctl.policy import ADMIN_ROLE, authorize, organization_resource, require_grantable
from core.errors import FieldError
from sso.models import OidcConfiguration

if TYPE_CHECKING:
    from accessctl.actor import Actor

MAX_DOMAINS = 50
MAX_MAPPINGS = 200
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
CLAIM_NAME = re.compile(r"^[A-Za-z0-9_:./-]{1,100}$")
PERMISSION = "settings:manage"


class SsoConfigError(FieldError):
    """A configuration value was refused; `field` is its name in the request."""


@dataclass(frozen=True)
class RoleMapping:
    value: str  # a value of the role claim (an IdP group)
    role: str  # the name of one of the organisation's roles


@dataclass(frozen=True)
class OidcChanges:
    """What a request changes; None leaves a value as it is. An empty `client_secret` keeps the stored one."""

    enabled: bool | None = None
    issuer: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    allowed_domains: list[str] | None = None
    role_claim: str | None = None
    role_mapping: list[RoleMapping] | None = None
    jit_provisioning: bool | None = None
    require_sso: bool | None = None
    break_glass_user_id: str | None = None  # "" clears it


def oidc_configuration_for(organization: Organization) -> OidcConfiguration:
    found = OidcConfiguration.objects.filter(organization=organization).select_related("break_glass_user").first()
    return found if found is not None else OidcConfiguration(organization=organization)


def oidc_configuration_document(config: OidcConfiguration) -> dict[str, Any]:
    """The configuration as the API and the console show it: the secret only as whether one is set."""
    return {
        "enabled": config.enabled,
        "issuer": config.issuer,
        "client_id": config.client_id,
        "client_secret_set": config.has_secret,
        "allowed_domains": list(config.allowed_domains),
        "role_claim": config.role_claim,
        "role_mapping": [dict(item) for item in config.role_mapping],
        "jit_provisioning": config.jit_provisioning,
        "require_sso": config.require_sso,
        "break_glass_user_id": config.break_glass_user.public_id if config.break_glass_user else None,
    }


def valid_issuer(value: str) -> str:
    """An https URL without query or fragment (plain http only on loopback, for a provider run in tests)."""
    try:
        parts = urlsplit(value.strip())
        host = parts.hostname or ""
    except ValueError:  # e.g. an unclosed IPv6 bracket
        raise SsoConfigError("issuer", "Not a URL.") from None
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise SsoConfigError("issuer", "Use an https:// URL (plain http only for a provider on this machine).")
    if not host or parts.query or parts.fragment or parts.username or parts.password:
        raise SsoConfigError("issuer", "Give the issuer URL itself: no query, fragment or credentials.")
    return value.strip().rstrip("/")


def _domains(values: list[str], organization: Organization) -> list[str]:
    if len(values) > MAX_DOMAINS:
        raise SsoConfigError("allowed_domains", f"At most {MAX_DOMAINS} domains.")
    domains = sorted({value.strip().lower().lstrip("@") for value in values if value.strip()})
    for domain in domains:
        if not DOMAIN.match(domain):
            raise SsoConfigError("allowed_domains", f"{domain[:80]} is not a domain name (like example.org).")
    claimed = OidcConfiguration.objects.filter(enabled=True).exclude(organization=organization)
    for other in claimed.values_list("allowed_domains", flat=True):
        taken = sorted(set(domains) & set(other))
        if taken:
            raise SsoConfigError("allowed_domains", f"{taken[0]} signs in to another organisation already.")
    return domains


def _mapping(actor: Actor, items: list[RoleMapping]) -> list[dict[str, str]]:
    if len(items) > MAX_MAPPINGS:
        raise SsoConfigError("role_mapping", f"At most {MAX_MAPPINGS} mappings.")
    roles = {role.name: role for role in Role.objects.filter(organization=actor.organization)}
    mapping: list[dict[str, str]] = []
    for item in items:
        value = item.value.strip()
        if not value or len(value) > 200:
            raise SsoConfigError("role_mapping", "Each mapping needs a claim value of 1 to 200 characters.")
        role = roles.get(item.role)
        if role is None:
            raise SsoConfigError("role_mapping", f"No role named {item.role[:64]}.")
        entry = {"value": value, "role": role.name}
        if entry not in mapping:
            mapping.append(entry)
    return mapping


def _require_grantable(actor: Actor, items: list[RoleMapping]) -> None:
    """Whoever writes the mapping grants its roles to everyone in the group: only roles they could grant
    themselves (403, audited; checked before the write transaction so that the refusal's record stays)."""
    for role in Role.objects.filter(organization=actor.organization, name__in={item.role for item in items}):
        require_grantable(actor, list(role.permissions), role.resource_pattern, f"role/{role.name}")


def _break_glass(organization: Organization, public_id: str) -> Any:
    membership = (
        Membership.objects.filter(organization=organization, user__public_id=public_id, is_active=True)
        .select_related("user")
        .first()
    )
    if membership is None:
        raise SsoConfigError("break_glass_user_id", "No active member with that id.")
    admin = RoleAssignment.objects.filter(organization=organization, user=membership.user, role__name=ADMIN_ROLE)
    if not admin.exists():
        raise SsoConfigError("break_glass_user_id", f"The break-glass account must hold {ADMIN_ROLE}.")
    return membership.user


def _apply(actor: Actor, config: OidcConfiguration, changes: OidcChanges) -> list[str]:
    """Validate and set each given value on `config`; returns the names of the fields that changed."""
    changed: list[str] = []

    def put(name: str, value: Any) -> None:
        if getattr(config, name) != value:
            setattr(config, name, value)
            changed.append(name)

    if changes.issuer is not None:
        put("issuer", valid_issuer(changes.issuer) if changes.issuer.strip() else "")
    if changes.client_id is not None:
        if len(changes.client_id.strip()) > 200:
            raise SsoConfigError("client_id", "At most 200 characters.")
        put("client_id", changes.client_id.strip())
    if changes.client_secret:
        if len(changes.client_secret) > 500:
            raise SsoConfigError("client_secret", "At most 500 characters.")
        config.client_secret = changes.client_secret
        changed.append("client_secret")
    if changes.allowed_domains is not None:
        put("allowed_domains", _domains(changes.allowed_domains, actor.organization))
    if changes.role_claim is not None:
        if not CLAIM_NAME.match(changes.role_claim.strip()):
            raise SsoConfigError("role_claim", "A claim name: letters, digits and _ : . / - (1 to 100).")
        put("role_claim", changes.role_claim.strip())
    if changes.role_mapping is not None:
        put("role_mapping", _mapping(actor, changes.role_mapping))
    if changes.break_glass_user_id is not None:
        user = _break_glass(actor.organization, changes.break_glass_user_id) if changes.break_glass_user_id else None
        if config.break_glass_user_id != (user.pk if user else None):
            config.break_glass_user = user
            changed.append("break_glass_user_id")
    for name in ("enabled", "jit_provisioning", "require_sso"):
        if getattr(changes, name) is not None:
            put(name, getattr(changes, name))
    return changed


def _check_whole(config: OidcConfiguration) -> None:
    """Rules across fields, on the configuration as it would be saved."""
    if config.enabled:
        if not config.issuer:
            raise SsoConfigError("issuer", "Required to turn single sign-on on.")
        if not config.client_id:
            raise SsoConfigError("client_id", "Required to turn single sign-on on.")
        if not config.has_secret:
            raise SsoConfigError("client_secret", "Required to turn single sign-on on.")
        # Domains other organisations claimed while this one was off.
        _domains(list(config.allowed_domains), config.organization)
    if config.jit_provisioning and not config.allowed_domains:
        raise SsoConfigError("allowed_domains", "Just-in-time provisioning needs at least one allowed domain.")
    if config.require_sso:
        if not config.enabled:
            raise SsoConfigError("require_sso", "Turn single sign-on on before requiring it.")
        if config.break_glass_user_id is None:
            raise SsoConfigError(
                "break_glass_user_id", "Name a break-glass administrator who may still sign in with a password."
            )


def oidc_configuration_update(*, actor: Actor, changes: OidcChanges) -> OidcConfiguration:
    """Change the organisation's configuration (settings:manage); audited as `sso.configuration.updated` with
    the names of the fields that changed and never the secret."""
    authorize(actor, PERMISSION, organization_resource(actor))
    if changes.role_mapping is not None:
        _require_grantable(actor, changes.role_mapping)
    with transaction.atomic():
        config = OidcConfiguration.objects.select_for_update().filter(
            organization=actor.organization
        ).first() or OidcConfiguration(organization=actor.organization)
        config.organization = actor.organization
        changed = _apply(actor, config, changes)
        _check_whole(config)
        if changed or config.pk is None:
            config.save()
        if changed:
            record(
                actor=actor,
                event_type="sso.configuration.updated",
                resource=f"organization/{actor.organization.slug}/sso",
                details={
                    "changed": sorted(changed),
                    "enabled": config.enabled,
                    "jit_provisioning": config.jit_provisioning,
                    "require_sso": config.require_sso,
                    "role_mappings": len(config.role_mapping),
                    "allowed_domains": len(config.allowed_domains),
                },
            )
    return config


CHANGE_FIELDS = [field.name for field in fields(OidcChanges)]

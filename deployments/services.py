"""Deployments: create (validated, authorised, audited), state transitions with progress, stop."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.db import transaction

from accessctl.policy import authorize
from accessctl.security import hipaa_mode
from audit.services import record
from core.errors import FieldError
from core.queueing import enqueue_on_commit, require_broker
from deployments import isolation
from deployments.associates import baa_covers, external_vendor
from deployments.models import TRANSITIONS, CatalogModel, Deployment, Provider, State
from deployments.providers import Provisioned, egress
from phi.types import normalize_mode

if TYPE_CHECKING:
    from accessctl.actor import Actor

SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{6,17}$")
SECURITY_GROUP_ID = re.compile(r"^sg-[0-9a-f]{6,17}$")
INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
DEPLOYMENT_NAME = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
GPU_FAMILIES = ("g4dn.", "g4ad.", "g5.", "g5g.", "g6.", "g6e.", "gr6.", "p3.", "p3dn.", "p4d.", "p4de.", "p5.")
SECURITY_KEYS = {"network_isolation", "private_endpoints", "encryption_level", "phi_handling"}
ENCRYPTION_LEVELS = {"standard", "maximum"}
MAX_TAGS = 50


class DeploymentError(FieldError):
    """A deployment request was refused; `field` names the offending input."""


@dataclass(frozen=True)
class DeploymentSpec:
    deployment_name: str
    model_name: str
    compute_type: str = "cpu"
    instance_type: str = ""
    provider: str | None = None
    security_settings: dict[str, Any] = field(default_factory=dict)
    vpc_config: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    endpoint: dict[str, str] = field(default_factory=dict)  # external: url, api_key, model


def _provider_for(spec: DeploymentSpec) -> str:
    if spec.provider:
        if spec.provider not in Provider.values:
            raise DeploymentError("provider", f"Choose one of: {', '.join(Provider.values)}.")
        return spec.provider
    return Provider.AWS if spec.compute_type == "gpu" or spec.vpc_config else Provider.LOCAL


def _validate(spec: DeploymentSpec, provider: str) -> CatalogModel:
    if not DEPLOYMENT_NAME.fullmatch(spec.deployment_name):
        raise DeploymentError("deployment_name", "Use 1-63 lower-case letters, digits and inner hyphens.")
    if spec.compute_type not in {"cpu", "gpu"}:
        raise DeploymentError("compute_type", "Choose cpu or gpu.")
    model = CatalogModel.objects.filter(name=spec.model_name).first()
    servable = sorted(CatalogModel.objects.filter(**{"providers__has_key": provider}).values_list("name", flat=True))
    if model is None or provider not in model.providers:
        raise DeploymentError("model_name", f"The {provider} provider can serve: {', '.join(servable) or 'nothing'}.")
    unknown = set(spec.security_settings) - SECURITY_KEYS
    if unknown:
        raise DeploymentError(f"security_settings.{sorted(unknown)[0]}", "Unknown setting.")
    for flag in ("network_isolation", "private_endpoints"):
        if flag in spec.security_settings and not isinstance(spec.security_settings[flag], bool):
            raise DeploymentError(f"security_settings.{flag}", "Must be true or false.")
    if "phi_handling" in spec.security_settings:
        try:
            spec.security_settings["phi_handling"] = normalize_mode(str(spec.security_settings["phi_handling"]))
        except ValueError:
            raise DeploymentError(
                "security_settings.phi_handling", "The minimum PHI handling: detect, redact, reject or de-identify."
            ) from None
    level = spec.security_settings.get("encryption_level", "maximum")
    if level not in ENCRYPTION_LEVELS:
        raise DeploymentError("security_settings.encryption_level", "Choose standard or maximum.")
    if provider == Provider.AWS:
        if not INSTANCE_TYPE.match(spec.instance_type):
            raise DeploymentError("instance_type", "Give an EC2 instance type, e.g. g4dn.xlarge.")
        if spec.compute_type == "gpu" and not spec.instance_type.startswith(GPU_FAMILIES):
            raise DeploymentError(
                "instance_type", f"{spec.instance_type} has no GPU; use e.g. g4dn.xlarge or g5.xlarge."
            )
        _validate_vpc(spec.vpc_config)
    elif spec.vpc_config:
        raise DeploymentError("vpc_config", f"The {provider} provider runs outside your VPC; leave vpc_config out.")
    if provider == Provider.EXTERNAL:
        _validate_endpoint(spec.endpoint)
    elif spec.endpoint:
        raise DeploymentError("endpoint", "Only the external provider takes an endpoint.")
    if provider == Provider.LOCAL and spec.security_settings.get("private_endpoints"):
        raise DeploymentError("security_settings.private_endpoints", "The local runtime listens on loopback only.")
    if len(spec.tags) > MAX_TAGS:
        raise DeploymentError("tags", f"At most {MAX_TAGS} tags.")
    for key, value in spec.tags.items():
        if not isinstance(key, str) or not isinstance(value, str) or not key or len(key) > 128 or len(value) > 256:
            raise DeploymentError(f"tags.{key}", "Tags are strings: keys up to 128 characters, values up to 256.")
    return model


def _validate_vpc(vpc: dict[str, Any]) -> None:
    unknown = set(vpc) - {"subnet_ids", "security_group_ids"}
    if unknown:
        raise DeploymentError(f"vpc_config.{sorted(unknown)[0]}", "Unknown setting.")
    subnets, groups = vpc.get("subnet_ids"), vpc.get("security_group_ids")
    if (
        not isinstance(subnets, list)
        or not subnets
        or not all(isinstance(s, str) and SUBNET_ID.match(s) for s in subnets)
    ):
        raise DeploymentError("vpc_config.subnet_ids", "Give one or more subnet ids (subnet-…) of your VPC.")
    if (
        not isinstance(groups, list)
        or not groups
        or not all(isinstance(g, str) and SECURITY_GROUP_ID.match(g) for g in groups)
    ):
        raise DeploymentError("vpc_config.security_group_ids", "Give one or more security group ids (sg-…).")


def _validate_endpoint(endpoint: dict[str, Any]) -> None:
    unknown = set(endpoint) - {"url", "api_key", "model"}
    if unknown:
        raise DeploymentError(f"endpoint.{sorted(unknown)[0]}", "Unknown setting.")
    url = endpoint.get("url")
    give_url = "Give the endpoint's base URL, e.g. https://llm.example.org/v1."
    if not isinstance(url, str) or not url:
        raise DeploymentError("endpoint.url", give_url)
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # a port out of range or not a number
        raise DeploymentError("endpoint.url", give_url) from None
    # Plain http only to loopback, which `check_host` refuses unless the operator allows private networks.
    if parts.scheme != "https" and not (parts.scheme == "http" and egress.is_loopback_host(parts.hostname or "")):
        raise DeploymentError("endpoint.url", "Use https://.")
    if not parts.hostname or parts.username or parts.password or parts.query or parts.fragment:
        raise DeploymentError("endpoint.url", "A base URL without credentials, query or fragment.")
    for name in ("api_key", "model"):
        if name in endpoint and (not isinstance(endpoint[name], str) or len(endpoint[name]) > 500):
            raise DeploymentError(f"endpoint.{name}", "A string of at most 500 characters.")
    try:
        egress.check_host(parts.hostname, port)  # and again on every connection, against DNS rebinding
    except egress.EgressRefused as exc:
        raise DeploymentError("endpoint.url", str(exc)) from None


def deployment_create(*, actor: Actor, spec: DeploymentSpec) -> Deployment:
    # Authorise before the transaction: a refusal's audit event must not roll back with it.
    authorize(actor, "deployment:create", f"deployment/{spec.deployment_name}")
    require_broker()  # a deployment no worker can provision is refused before anything is stored
    return _deployment_create(actor=actor, spec=spec)


@transaction.atomic
def _deployment_create(*, actor: Actor, spec: DeploymentSpec) -> Deployment:
    provider = _provider_for(spec)
    model = _validate(spec, provider)
    live = Deployment.objects.filter(organization=actor.organization, name=spec.deployment_name)
    if live.exclude(state=State.STOPPED).exists():
        raise DeploymentError("deployment_name", f"A deployment named {spec.deployment_name} already exists.")
    security = {"private_endpoints": False, "encryption_level": "maximum", **spec.security_settings}
    security["network_isolation"] = _derived_isolation(actor, spec, provider, security)
    deployment = Deployment.objects.create(
        organization=actor.organization,
        name=spec.deployment_name,
        model=model,
        provider=provider,
        compute_type=spec.compute_type,
        instance_type=spec.instance_type,
        security_settings=security,
        vpc_config=spec.vpc_config,
        tags=spec.tags,
        created_by=actor.user,
        endpoint_url=spec.endpoint.get("url", "").rstrip("/"),
        endpoint_secret=spec.endpoint.get("api_key") or None,
        provider_state={"remote_model": spec.endpoint["model"]} if spec.endpoint.get("model") else {},
    )
    record(
        actor=actor,
        event_type="deployment.created",
        resource=deployment.resource,
        resource_id=deployment.public_id,
        details={"provider": provider, "model": model.name, "instance_type": spec.instance_type, **security},
    )
    from deployments import tasks  # here, not at the top: the task module imports this one

    enqueue_on_commit(tasks.provision_deployment, deployment.pk, failed=lambda: _not_queued(deployment.pk))
    return deployment


def _derived_isolation(actor: Actor, spec: DeploymentSpec, provider: str, security: dict[str, Any]) -> bool:
    """Network isolation as the server derives it (`deployments.isolation`); a declared `true` must match, and in
    HIPAA mode a deployment that is not isolated is refused unless it is an external endpoint over https whose
    vendor has a BAA in force."""
    isolated, why = isolation.derive(provider, security)
    if spec.security_settings.get("network_isolation") is True and not isolated:
        raise DeploymentError(
            "security_settings.network_isolation",
            f"Network isolation is derived by the server, and this deployment is not isolated: {why}.",
        )
    if not isolated and hipaa_mode(actor.organization):
        url = spec.endpoint.get("url", "")
        vendor = external_vendor(url)
        if provider != Provider.EXTERNAL or not url.startswith("https://"):
            raise DeploymentError(
                "security_settings.network_isolation", f"HIPAA mode requires network isolation: {why}."
            )
        if not baa_covers(actor.organization, vendor):
            raise DeploymentError(
                "security_settings.network_isolation",
                f"HIPAA mode: {why}; it is allowed only with a Business Associate Agreement in force with its vendor "
                f'(business associate "{vendor}").',
            )
    return isolated


def _not_queued(deployment_id: int) -> None:
    reason = "The provisioning queue was unavailable; delete this deployment and create it again."
    deployment_transition(deployment_id=deployment_id, to=State.FAILED, stage="not queued", reason=reason)


@transaction.atomic
def deployment_transition(
    *, deployment_id: int, to: str, stage: str = "", percent: int | None = None, reason: str = "", **provider_state: Any
) -> Deployment:
    """Move a deployment along its state machine (a worker's progress too); audited when the state changes."""
    deployment = Deployment.objects.select_for_update().get(pk=deployment_id)
    if to != deployment.state and to not in TRANSITIONS[deployment.state]:
        raise DeploymentError("state", f"A {deployment.state} deployment cannot become {to}.")
    changed = to != deployment.state
    previous = deployment.state
    deployment.state = to
    deployment.progress_stage = stage or deployment.progress_stage
    if percent is not None:
        deployment.progress_percent = percent
    if reason:
        deployment.failure_reason = reason[:300]
    if provider_state:
        deployment.provider_state = {**deployment.provider_state, **provider_state}
    deployment.save()
    if changed:
        record(
            actor=None,
            organization=deployment.organization,
            event_type=f"deployment.{to}",
            resource=deployment.resource,
            resource_id=deployment.public_id,
            details={"from": previous, "stage": stage[:100]},
            outcome="error" if to == State.FAILED else "success",
        )
    return deployment


@transaction.atomic
def deployment_provisioned(*, deployment_id: int, provisioned: Provisioned) -> Deployment:
    """A provider finished: keep where the runtime answers and its key (sealed), and mark the deployment ready."""
    deployment = Deployment.objects.select_for_update().select_related("organization").get(pk=deployment_id)
    deployment.endpoint_url = provisioned.endpoint_url or deployment.endpoint_url
    if provisioned.secret:
        deployment.endpoint_secret = provisioned.secret
    deployment.save(update_fields=["endpoint_url", "endpoint_secret", "updated_at"])
    return deployment_transition(deployment_id=deployment_id, to=State.READY, stage="ready", percent=100,
                                 **provisioned.state)  # fmt: skip


def deployment_stop(*, actor: Actor, deployment: Deployment) -> Deployment:
    authorize(actor, "deployment:delete", deployment.resource)  # before the transaction, like create
    if deployment.state in {State.STOPPING, State.STOPPED}:
        return deployment
    require_broker()  # a stop no worker can carry out is refused before anything is stored
    return _deployment_stop(actor=actor, deployment=deployment)


@transaction.atomic
def _deployment_stop(*, actor: Actor, deployment: Deployment) -> Deployment:
    if deployment.state in {State.STOPPING, State.STOPPED}:
        return deployment
    updated = deployment_transition(deployment_id=deployment.pk, to=State.STOPPING, stage="stop requested", percent=0)
    record(actor=actor, event_type="deployment.stop_requested", resource=deployment.resource,
           resource_id=deployment.public_id)  # fmt: skip
    from deployments import tasks  # here, not at the top: the task module imports this one

    enqueue_on_commit(tasks.deprovision_deployment, deployment.pk, failed=lambda: _not_stopped(deployment.pk))
    return updated


def _not_stopped(deployment_id: int) -> None:
    reason = "The queue was unavailable, so the runtime was not stopped; stop the deployment again."
    deployment_transition(deployment_id=deployment_id, to=State.FAILED, stage="not stopped", reason=reason)


def deployment_abandon(deployment_id: int, reason: str) -> None:
    """The recovery sweep gave up on provisioning or stopping (its workers kept stopping): fail it, audited."""
    deployment_transition(deployment_id=deployment_id, to=State.FAILED, stage="failed", reason=reason)

"""Evaluators of the checklist's items: each reads live state and says pass, fail or expiring, and why.

Reasons and facts name settings, counts, deployments and members (usernames) — never PHI or file contents."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accessctl.models import Membership, RoleAssignment, SecuritySettings
from audit.models import AuditEvent, ChainHead
from audit.retention import HIPAA_DOCUMENTATION_DAYS, policy_for, required_retention_days, retention_shortfall
from audit.verify_live import verify_chain
from compliance.baa import baa_in_force
from compliance.models import BaaStatus, BusinessAssociateAgreement, ChecklistSnapshot
from deployments.associates import business_associate, describe
from deployments.isolation import is_isolated
from deployments.models import Deployment, Provider, State
from encryption.master import MasterKeyUnavailable, master_key
from encryption.models import KeyAlgorithm, KeyStatus, OrganizationKey

if TYPE_CHECKING:
    from accessctl.models import Organization

Status = Literal["pass", "fail", "expiring", "not_evaluated"]

WARNING_DAYS = 30  # an expiry this close makes an item "expiring"
YEAR_DAYS = 365
MAX_SESSION_TIMEOUT_MINUTES = 30
ADMIN_SHARE = 0.2  # least privilege: org-admins at most 20% of members (or 2 in a small team)
MIN_ADMIN_ALLOWANCE = 2
LIVE_VERIFY_MAX_EVENTS = 20_000  # bigger chains are verified in full by the daily run, not on page load
DAILY_VERIFICATION_MAX_AGE = timedelta(hours=36)
NAMES_SHOWN = 20

_full_verification: ContextVar[bool] = ContextVar("checklist_full_verification", default=False)


@dataclass(frozen=True)
class ItemResult:
    status: Status
    reasons: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)


@contextmanager
def full_verification() -> Iterator[None]:
    """Within: the audit item verifies the whole chain however long (the daily snapshot run)."""
    token = _full_verification.set(True)
    try:
        yield
    finally:
        _full_verification.reset(token)


def verdict(failures: list[str], warnings: list[str], facts: dict[str, Any]) -> ItemResult:
    if failures:
        return ItemResult("fail", failures + warnings, facts)
    if warnings:
        return ItemResult("expiring", warnings, facts)
    return ItemResult("pass", [], facts)


def _settings(organization: Organization) -> SecuritySettings:
    # Read fresh, not the per-request cached copy: a change made in this request must count.
    return SecuritySettings.objects.get_or_create(organization=organization)[0]


def active_members(organization: Organization) -> list[Membership]:
    active = Membership.objects.filter(organization=organization, is_active=True, user__is_active=True)
    return list(active.select_related("user").order_by("user__username"))


def _uncovered_reasons(organization: Organization, associate: str, names: list[str]) -> list[str]:
    agreements = BusinessAssociateAgreement.objects.filter(organization=organization, business_associate=associate)
    reasons = [
        f"No Business Associate Agreement with {describe(associate)} (business associate “{associate}”) is in "
        f"force, yet deployment(s) {', '.join(names)} send it PHI."
    ]
    pending = agreements.filter(status__in=(BaaStatus.DRAFT, BaaStatus.SENT, BaaStatus.SIGNED)).count()
    if pending:
        reasons.append(f"{pending} agreement(s) with {associate} are drafted, sent or signed but not active.")
    lapsed = agreements.filter(status=BaaStatus.EXPIRED).defer("document").order_by("-expiry_date").first()
    if lapsed is not None:
        reasons.append(f"The agreement with {lapsed.counterparty} expired on {lapsed.expiry_date.isoformat()}.")
    return reasons


def baa(organization: Organization, day: date) -> ItemResult:
    """Every live deployment that sends PHI to a business associate is covered by a BAA in force with it. The
    local runtime on the organisation's own machine sends PHI to nobody and needs none."""
    live = Deployment.objects.filter(organization=organization).exclude(state=State.STOPPED).order_by("name")
    needs: dict[str, list[str]] = {}
    own_machine = []
    for deployment in live.only("name", "provider", "endpoint_url"):
        associate = business_associate(deployment)
        if associate is None:
            own_machine.append(deployment.name)
        else:
            needs.setdefault(associate, []).append(deployment.name)
    facts: dict[str, Any] = {"deployments_needing_a_baa": sum(len(n) for n in needs.values())}
    if own_machine:
        facts["deployments_on_own_machine"] = own_machine[:NAMES_SHOWN]
        facts["own_machine"] = "The local runtime runs on your own machine: no business associate, no BAA needed."
    failures: list[str] = []
    warnings: list[str] = []
    covered: dict[str, str] = {}
    for associate, names in sorted(needs.items()):
        agreement = baa_in_force(organization, associate, on=day)
        if agreement is None:
            failures.extend(_uncovered_reasons(organization, associate, names))
            continue
        covered[associate] = agreement.public_id
        days_left = (agreement.expiry_date - day).days
        if agreement.status == BaaStatus.EXPIRING or days_left <= max(WARNING_DAYS, agreement.reminder_days):
            warnings.append(
                f"The agreement with {agreement.counterparty} ({associate}) expires on "
                f"{agreement.expiry_date.isoformat()} ({days_left} days): renew it."
            )
    facts["covered_by"] = covered
    uncovered = sorted(set(needs) - set(covered))
    if uncovered:
        facts["business_associates_without_baa"] = uncovered
    return verdict(failures, warnings, facts)


def hipaa_mode(organization: Organization, day: date) -> ItemResult:
    current = _settings(organization)
    facts = {
        "hipaa_mode": current.hipaa_mode,
        "require_mfa": current.require_mfa,
        "phi_detection": current.phi_detection,
    }
    if not current.hipaa_mode:
        return ItemResult(
            "fail", ["HIPAA mode is off: turn it on under Security settings (it forces MFA and PHI detection)."], facts
        )
    return ItemResult("pass", [], facts)


def network_security(organization: Organization, day: date) -> ItemResult:
    live = list(
        Deployment.objects.filter(organization=organization)
        .exclude(state=State.STOPPED)
        .only("name", "provider", "state", "security_settings", "endpoint_url")
        .order_by("name")
    )
    open_ = [d.name for d in live if not is_isolated(d)]  # derived from the provider, never a declared flag
    public = [d.name for d in live if d.provider == Provider.AWS and not d.security_settings.get("private_endpoints")]
    facts: dict[str, Any] = {"live_deployments": len(live), "deployments": f"{len(live)} deployments"}
    failures = []
    if open_:
        facts["without_network_isolation"] = open_
        failures.append(f"{len(open_)} live deployment(s) without network isolation: {', '.join(open_)}.")
    if public:
        facts["aws_without_private_endpoints"] = public
        failures.append(f"{len(public)} AWS deployment(s) without private endpoints: {', '.join(public)}.")
    return verdict(failures, [], facts)


def access_controls(organization: Organization, day: date) -> ItemResult:
    current = _settings(organization)
    members = active_members(organization)
    user_ids = [m.user_id for m in members]
    with_app = set(TOTPDevice.objects.filter(user_id__in=user_ids, confirmed=True).values_list("user_id", flat=True))
    with_passkey = set(
        WebAuthnCredential.objects.filter(user_id__in=user_ids, confirmed=True).values_list("user_id", flat=True)
    )
    enrolled = with_app | with_passkey
    without_mfa = [m.user.username for m in members if m.user_id not in enrolled]
    admins = (
        RoleAssignment.objects.filter(organization=organization, role__name="org-admin", user_id__in=user_ids)
        .values("user_id")
        .distinct()
        .count()
    )
    admin_limit = max(MIN_ADMIN_ALLOWANCE, int(len(members) * ADMIN_SHARE))
    facts: dict[str, Any] = {
        "require_mfa": current.require_mfa,
        "members": len(members),
        "members_with_mfa": len(members) - len(without_mfa),
        "members_with_passkey": len(with_passkey),  # phishing-resistant MFA
        "session_timeout_minutes": current.session_timeout_minutes,
        "org_admins": admins,
        "org_admin_limit": admin_limit,
    }
    failures = []
    if not current.require_mfa:
        failures.append("MFA is not required: turn on “Require MFA” (or HIPAA mode) under Security settings.")
    if without_mfa:
        facts["members_without_mfa"] = without_mfa[:NAMES_SHOWN]
        failures.append(f"{len(without_mfa)} of {len(members)} active members have no confirmed MFA device.")
    if current.session_timeout_minutes > MAX_SESSION_TIMEOUT_MINUTES:
        failures.append(
            f"Sessions time out after {current.session_timeout_minutes} minutes: at most "
            f"{MAX_SESSION_TIMEOUT_MINUTES} (automatic logoff)."
        )
    if admins > admin_limit:
        failures.append(
            f"{admins} org-admins among {len(members)} members: at most {admin_limit} (least privilege); "
            "give the others narrower roles."
        )
    return verdict(failures, [], facts)


def encryption(organization: Organization, day: date) -> ItemResult:
    keys = list(
        OrganizationKey.objects.filter(organization=organization, status=KeyStatus.ACTIVE).only(
            "key_id", "algorithm", "created_at", "master_key_id"
        )
    )
    facts: dict[str, Any] = {
        "tls_enforced": True,
        "tls": "TLS 1.2+ with AEAD ciphers only, enforced by the server on every connection",
        "active_keys": [
            {"algorithm": k.algorithm, "key_id": k.key_id[:12], "created": k.created_at.date().isoformat()}
            for k in keys
        ],
    }
    failures: list[str] = []
    warnings: list[str] = []
    try:
        facts["master_key_id"] = master_key().key_id
    except MasterKeyUnavailable:
        failures.append("No master key is configured: nothing can be sealed.")
    hybrid = next((k for k in keys if k.algorithm == KeyAlgorithm.HYBRID), None)
    if not keys:
        failures.append("The organisation has no active encryption keys: rotate keys under Keys to create them.")
    elif hybrid is None:
        failures.append("No active hybrid (X25519 + ML-KEM-768) key: rotate keys under Keys.")
    else:
        age = (day - timezone.localdate(hybrid.created_at)).days
        facts["hybrid_key_age_days"] = age
        if age > YEAR_DAYS:
            failures.append(f"The hybrid key was created or rotated {age} days ago: rotate it at least yearly.")
        elif age > YEAR_DAYS - WARNING_DAYS:
            warnings.append(f"The hybrid key is {age} days old: rotation is due within {YEAR_DAYS - age} days.")
    return verdict(failures, warnings, facts)


def _chain_verification(organization: Organization) -> dict[str, Any] | None:
    """Verify the chain live when that is quick (or in the daily run); else the daily run's recent result."""
    chain = organization.public_id
    head = ChainHead.objects.filter(chain=chain).first()
    pending = AuditEvent.objects.filter(chain=chain, seq__isnull=True).count()
    size = (head.size - head.anchor_seq if head else 0) + pending
    if size <= LIVE_VERIFY_MAX_EVENTS or _full_verification.get():
        report = verify_chain(chain, workers=1)
        return {
            "ok": report.ok,
            "events": report.events,
            "checkpoints": report.checkpoints,
            "failed_seq": report.failed_seq,
            "result": report.line(),
            "verified_at": timezone.now().isoformat(),
            "live": True,
        }
    since = timezone.now() - DAILY_VERIFICATION_MAX_AGE
    latest = (
        ChecklistSnapshot.objects.filter(organization=organization, taken_at__gte=since)
        .exclude(audit_chain={})
        .order_by("-taken_at")
        .values_list("audit_chain", flat=True)
        .first()
    )
    return {**latest, "live": False} if isinstance(latest, dict) else None


def audit_logging(organization: Organization, day: date) -> ItemResult:
    policy = policy_for(organization)
    facts: dict[str, Any] = {
        "log_retention_days": policy.log_retention_days,
        "legal_hold": policy.legal_hold,
        "documentation_retention": f"{HIPAA_DOCUMENTATION_DAYS // 365} years: policies, procedures and checklist "
        "evidence are kept six years (164.316(b)(2)); evidence is revoked, never deleted",
    }
    failures = []
    verification = _chain_verification(organization)
    if verification is None:
        facts["audit_chain"] = "too large to verify on page load; the daily checklist run verifies it in full"
    else:
        facts["audit_chain"] = verification
        if not verification.get("ok"):
            failures.append(f"The audit chain does not verify: {verification.get('result', 'failed')}.")
    facts["required_log_retention_days"] = required_retention_days(organization)  # the audit page asks the same
    shortfall = retention_shortfall(organization, policy.log_retention_days)
    if shortfall:
        failures.append(shortfall)
    result = verdict(failures, [], facts)
    if result.status == "pass" and verification is None:
        return ItemResult("not_evaluated", ["The audit chain has not been verified in the last 36 hours."], facts)
    return result


def phi_protection(organization: Organization, day: date) -> ItemResult:
    current = _settings(organization)
    facts = {"phi_detection": current.phi_detection, "hipaa_mode": current.hipaa_mode}
    if not current.phi_detection:
        return ItemResult("fail", ["PHI detection is off: turn it on under Security settings."], facts)
    return ItemResult("pass", [], facts)

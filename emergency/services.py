"""Break-glass requests: ask (with a reason), M-of-N approval without self-approval, a denial ends it, the
time-boxed grant, early revoke, expiry by the beat task, and the compliance officer's post-use review.
Every change is audited in its transaction; reasons and comments are sealed, never in audit details."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING

import structlog
from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone

from accessctl.models import Membership, Role, User
from accessctl.policy import PERMISSIONS, PolicyDenied, authorize, refuse_grant
from audit.models import AuditEvent
from audit.services import record
from core.errors import FieldError
from emergency.models import (
    Decision,
    EmergencyAccessDecision,
    EmergencyAccessPolicy,
    EmergencyAccessRequest,
    Notification,
    RequestStatus,
    ReviewStatus,
)

if TYPE_CHECKING:
    from accessctl.actor import Actor
    from accessctl.models import Organization

log = structlog.get_logger(__name__)
# Break-glass reaches data, never the controls: these can't be requested.
NEVER_REQUESTABLE = {"role:manage", "settings:manage", "emergency:approve", "emergency:request", "audit:manage",
                     "baa:manage", "user:manage"}  # fmt: skip
REQUESTABLE = sorted(set(PERMISSIONS) - NEVER_REQUESTABLE)
RESOURCE = re.compile(r"^[a-z_-]+/[A-Za-z0-9*?._/-]{1,150}$")
MIN_REASON = 10


def emergency_policy_for(organization: Organization) -> EmergencyAccessPolicy:
    found, _ = EmergencyAccessPolicy.objects.get_or_create(organization=organization)
    return found


def _members_with_permission(organization: Organization, permission: str) -> list[User]:
    roles = [r for r in Role.objects.filter(organization=organization) if permission in r.permissions]
    members = Membership.objects.filter(organization=organization, is_active=True, user__is_active=True,
                                        user__role_assignments__role__in=roles)  # fmt: skip
    return list(User.objects.filter(pk__in=members.values("user_id")).order_by("username"))


def eligible_approvers(request: EmergencyAccessRequest) -> list[User]:
    return [u for u in _members_with_permission(request.organization, "emergency:approve") if u != request.requester]


def _notify(request: EmergencyAccessRequest, users: list[User], text: str) -> None:
    link = f"/emergency/{request.public_id}/"
    Notification.objects.bulk_create(
        [Notification(organization=request.organization, user=u, text=text[:300], link=link) for u in users]
    )
    addresses = [u.email for u in users if u.email]

    def mail() -> None:
        body = f"{text}\n\nOpen the console: {settings.PAITIENT_CONSOLE_URL}{link}"
        try:  # one message per person: approvers don't learn each other's addresses
            send_mass_mail([(f"[PaiTIENT] {text[:120]}", body, None, [address]) for address in addresses])
        except Exception as exc:  # in-console notices stand; mail is best effort
            log.warning("emergency.mail_failed", exception_type=type(exc).__name__)

    if addresses:
        transaction.on_commit(mail)


def request_access(*, actor: Actor, resource: str, permissions: list[str], reason: str) -> EmergencyAccessRequest:
    authorize(actor, "emergency:request", "emergency-access/*")
    policy = emergency_policy_for(actor.organization)
    if not policy.enabled:
        raise FieldError("emergency_access.enabled", "Emergency access is not enabled for this organisation.")
    held = set(Role.objects.filter(organization=actor.organization, assignments__user=actor.user)
               .values_list("name", flat=True))  # fmt: skip
    if not held & set(policy.authorized_roles):
        record(actor=actor, event_type="access.denied", resource="emergency-access/*", outcome="denied",
               details={"permission": "emergency:request", "reason": "role_not_authorized"})  # fmt: skip
        raise PolicyDenied("emergency:request", "emergency-access/*")
    if not RESOURCE.match(resource):
        raise FieldError("resource", "Name a resource as <kind>/<name>, e.g. deployment/icu-assistant (globs allowed).")
    if not permissions or any(p not in REQUESTABLE for p in permissions):
        raise FieldError("permissions", f"Choose from: {', '.join(REQUESTABLE)}.")
    if len(reason.strip()) < MIN_REASON:
        raise FieldError("reason", f"Say why, in at least {MIN_REASON} characters.")
    now = timezone.now()
    with transaction.atomic():
        request = EmergencyAccessRequest(
            organization=actor.organization, requester=actor.user, reason=reason.strip(), resource=resource,
            permissions=sorted(set(permissions)), approvals_needed=policy.approvals_needed,
            duration_hours=policy.access_duration_hours, pending_until=now + timedelta(hours=policy.request_ttl_hours),
        )  # fmt: skip
        approvers = eligible_approvers(request)
        if len(approvers) < request.approvals_needed:
            raise FieldError("approvals", f"This needs {request.approvals_needed} approvers other than you; "
                                          f"the organisation has {len(approvers)}.")  # fmt: skip
        request.save()
        record(actor=actor, event_type="emergency_access.requested", resource=resource, resource_id=request.public_id,
               details={"permissions": request.permissions, "approvals_needed": request.approvals_needed,
                        "duration_hours": request.duration_hours, "approvers": len(approvers)})  # fmt: skip
        who = actor.user.username if actor.user else "someone"
        _notify(request, approvers, f"{who} requests emergency access to {resource} ({', '.join(request.permissions)})")
    return request


def _lock(request: EmergencyAccessRequest) -> EmergencyAccessRequest:
    return (
        EmergencyAccessRequest.objects.select_for_update()
        .select_related("organization", "requester")
        .get(pk=request.pk)
    )


def _end(request: EmergencyAccessRequest, status: str, actor: Actor | None, event: str, **details: object) -> None:
    was_granted = request.granted_at is not None
    request.status = status
    request.ended_at = timezone.now()
    request.ended_by = actor.user if actor else None
    if was_granted:
        request.review_status = ReviewStatus.PENDING
    request.save()
    record(actor=actor, organization=request.organization, event_type=event, resource=request.resource,
           resource_id=request.public_id, details={"granted": was_granted, **details})  # fmt: skip


def decide(*, actor: Actor, request: EmergencyAccessRequest, decision: str, comment: str) -> EmergencyAccessRequest:
    authorize(actor, "emergency:approve", request.resource_label)
    if actor.user is None:
        raise PolicyDenied("emergency:approve", request.resource_label)
    if decision not in Decision.values:
        raise FieldError("decision", "Choose approve or deny.")
    if len(comment.strip()) < 3:
        raise FieldError("comment", "Every decision needs a comment.")
    if actor.user == request.requester:
        refuse_grant(actor, "emergency:approve", request.resource_label, "self_approval",
                     "Nobody approves their own emergency access request.")  # fmt: skip
    with transaction.atomic():  # a request whose time ran out expires for good before the refusal
        locked = _lock(request)
        if locked.status == RequestStatus.PENDING and locked.pending_until <= timezone.now():
            _end(locked, RequestStatus.EXPIRED, None, "emergency_access.expired", stage="pending")
    with transaction.atomic():
        locked = _lock(request)
        if locked.status != RequestStatus.PENDING:
            raise FieldError("decision", f"The request is already {locked.status}.")
        if locked.decisions.filter(approver=actor.user).exists():
            raise FieldError("decision", "You have already decided on this request.")
        EmergencyAccessDecision.objects.create(organization=locked.organization, request=locked, approver=actor.user,
                                               decision=decision, comment=comment.strip())  # fmt: skip
        approvals = locked.decisions.filter(decision=Decision.APPROVE).count()
        record(actor=actor, event_type=f"emergency_access.{'approved' if decision == 'approve' else 'denied'}",
               resource=locked.resource, resource_id=locked.public_id,
               details={"approvals": approvals, "approvals_needed": locked.approvals_needed})  # fmt: skip
        if decision == Decision.DENY:
            _end(locked, RequestStatus.DENIED, actor, "emergency_access.closed", outcome="denied")
            _notify(locked, [locked.requester], f"Your emergency access request to {locked.resource} was denied")
        elif approvals >= locked.approvals_needed:
            now = timezone.now()
            locked.status, locked.granted_at = RequestStatus.APPROVED, now
            locked.grant_expires_at = now + timedelta(hours=locked.duration_hours)
            locked.save()
            window = {"permissions": locked.permissions, "expires_at": locked.grant_expires_at.isoformat()}
            record(actor=actor, event_type="emergency_access.granted", resource=locked.resource,
                   resource_id=locked.public_id, details=window)  # fmt: skip
            _notify(locked, [locked.requester],
                    f"Emergency access to {locked.resource} granted for {locked.duration_hours} h")  # fmt: skip
    return locked


def revoke(*, actor: Actor, request: EmergencyAccessRequest) -> EmergencyAccessRequest:
    """The requester ends their own grant (or cancels a pending request); approvers may revoke any grant."""
    if actor.user != request.requester:
        authorize(actor, "emergency:approve", request.resource_label)
    with transaction.atomic():
        locked = _lock(request)
        if locked.status == RequestStatus.PENDING:
            _end(locked, RequestStatus.CANCELLED, actor, "emergency_access.cancelled")
        elif (
            locked.status == RequestStatus.APPROVED
            and locked.grant_expires_at
            and locked.grant_expires_at > timezone.now()
        ):
            _end(locked, RequestStatus.REVOKED, actor, "emergency_access.revoked")
        else:
            raise FieldError("status", f"The request is {locked.status}; nothing to revoke.")
    return locked


def end_for_offboarded(actor: Actor, user: User) -> dict[str, int]:
    """Offboarding (accessctl's deactivation, in its transaction): cancel the member's pending requests and
    revoke their live grants, each audited as usual; a revoked grant still goes to post-use review."""
    cancelled = revoked = 0
    now = timezone.now()
    mine = EmergencyAccessRequest.objects.filter(organization=actor.organization, requester=user)
    for request in mine.filter(status__in=[RequestStatus.PENDING, RequestStatus.APPROVED]):
        locked = _lock(request)
        if locked.status == RequestStatus.PENDING:
            _end(locked, RequestStatus.CANCELLED, actor, "emergency_access.cancelled", reason="offboarded")
            cancelled += 1
        elif locked.grant_expires_at and locked.grant_expires_at > now:
            _end(locked, RequestStatus.REVOKED, actor, "emergency_access.revoked", reason="offboarded")
            revoked += 1
    return {"emergency_requests_cancelled": cancelled, "emergency_grants_revoked": revoked}


def review(*, actor: Actor, request: EmergencyAccessRequest, notes: str) -> EmergencyAccessRequest:
    """Post-use review by a third person: neither the requester nor anyone who approved the grant."""
    authorize(actor, "emergency:approve", request.resource_label)
    if actor.user is None:
        raise PolicyDenied("emergency:approve", request.resource_label)
    if actor.user == request.requester:
        reason = "self_review"
    elif request.decisions.filter(approver=actor.user, decision=Decision.APPROVE).exists():
        reason = "approver_review"
    else:
        reason = ""
    if reason:
        refuse_grant(actor, "emergency:approve", request.resource_label, reason,
                     "The post-use review is for someone who neither requested nor approved the grant.")  # fmt: skip
    if len(notes.strip()) < 3:
        raise FieldError("notes", "Write what the review found.")
    with transaction.atomic():
        locked = _lock(request)
        if locked.review_status != ReviewStatus.PENDING:
            raise FieldError("review", "Only an ended grant awaits review.")
        locked.review_status, locked.reviewed_by, locked.reviewed_at = ReviewStatus.REVIEWED, actor.user, timezone.now()
        locked.review_notes = notes.strip()
        locked.save()
        actions = grant_activity(locked).count()
        record(actor=actor, event_type="emergency_access.reviewed", resource=locked.resource,
               resource_id=locked.public_id, details={"actions_under_grant": actions})  # fmt: skip
    return locked


def expire_due() -> dict[str, int]:
    """Beat: pending requests past their time and grants past their end become expired (and await review)."""
    counts = {"pending": 0, "grants": 0}
    now = timezone.now()
    due = EmergencyAccessRequest.objects.filter(status=RequestStatus.PENDING, pending_until__lte=now) | (
        EmergencyAccessRequest.objects.filter(status=RequestStatus.APPROVED, grant_expires_at__lte=now)
    )
    for request in due:
        with transaction.atomic():
            locked = _lock(request)
            stage = "grant" if locked.status == RequestStatus.APPROVED else "pending"
            if locked.status not in {RequestStatus.PENDING, RequestStatus.APPROVED}:
                continue
            _end(locked, RequestStatus.EXPIRED, None, "emergency_access.expired", stage=stage)
            if stage == "grant":
                officers = _members_with_permission(locked.organization, "emergency:approve")
                _notify(locked, officers, f"Emergency access to {locked.resource} ended: post-use review needed")
            counts["grants" if stage == "grant" else "pending"] += 1
    return counts


def grant_activity(request: EmergencyAccessRequest):  # type: ignore[no-untyped-def]
    """The audit events written under this grant (tagged with its id), oldest first."""

    tag = f'%"grant_id":"{request.public_id}"%'
    return (
        AuditEvent.objects.filter(chain=request.organization.public_id)
        .extra(where=["details LIKE %s"], params=[tag])
        .order_by("timestamp", "id")
    )

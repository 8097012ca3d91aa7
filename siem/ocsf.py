"""Audit events as OCSF 1.7.0 events (one JSON object a line) for a SIEM.

Four classes: Authentication (3002) for sign-ins, second factors and session ends; Account Change (3001) for what
happens to a user account (created, disabled, passwords, second factors, roles, lock-outs); API Activity (6003)
for the data plane (inference, PHI detection and scans, reads, downloads, searches, denied requests); Entity
Management (3004) for every other change to a managed resource (deployments, keys, roles, BAAs, settings, jobs).

`metadata.uid` is our event id, so a collector that receives an event twice (delivery is at least once) can tell;
`metadata.sequence` is its place in the organisation's chain. Our own fields that OCSF has no attribute for go
under `unmapped.paitient`: details hold types, counts, ids and hashes only (audit.services checks), never PHI.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from audit.models import ActorType, AuditEvent, Outcome

OCSF_VERSION = "1.7.0"
PRODUCT = {"name": "PaiTIENT Secure Model Service", "vendor_name": "PaiTIENT", "uid": "paitient-sms"}


@dataclass(frozen=True)
class OcsfClass:
    uid: int
    name: str
    category_uid: int
    category_name: str
    activities: dict[int, str]  # the class's activity_id enum: id -> caption


AUTHENTICATION = OcsfClass(3002, "Authentication", 3, "Identity & Access Management",
                           {0: "Unknown", 1: "Logon", 2: "Logoff", 99: "Other"})  # fmt: skip
ACCOUNT_CHANGE = OcsfClass(3001, "Account Change", 3, "Identity & Access Management",
                           {0: "Unknown", 1: "Create", 2: "Enable", 3: "Password Change", 4: "Password Reset",
                            5: "Disable", 6: "Delete", 7: "Attach Policy", 8: "Detach Policy", 9: "Lock",
                            10: "MFA Factor Enable", 11: "MFA Factor Disable", 12: "Unlock", 99: "Other"})  # fmt: skip
ENTITY_MANAGEMENT = OcsfClass(3004, "Entity Management", 3, "Identity & Access Management",
                              {0: "Unknown", 1: "Create", 2: "Read", 3: "Update", 4: "Delete", 8: "Enable",
                               9: "Disable", 99: "Other"})  # fmt: skip
API_ACTIVITY = OcsfClass(6003, "API Activity", 6, "Application Activity",
                         {0: "Unknown", 1: "Create", 2: "Read", 3: "Update", 4: "Delete", 99: "Other"})  # fmt: skip
CLASSES = (AUTHENTICATION, ACCOUNT_CHANGE, API_ACTIVITY, ENTITY_MANAGEMENT)

# Exact event types first (the longest matching prefix wins), then families.
_AUTHENTICATION = {
    "auth.login.succeeded": 1, "auth.login.failed": 1, "auth.mfa.succeeded": 1, "auth.mfa.failed": 1,
    "auth.api_key.failed": 1, "auth.session.ended": 2, "auth.session.expired": 2,
}  # fmt: skip
_ACCOUNT_CHANGE = {
    "user.created": 1, "user.reactivated": 2, "user.deactivated": 5, "auth.password_changed": 3,
    "auth.password_reset": 4, "user.password_reset_sent": 4, "auth.mfa.enrolled": 10,
    "auth.mfa.enrolment_failed": 10, "auth.mfa.device_removed": 11, "auth.mfa.removal_refused": 11,
    "auth.mfa.backup_codes_regenerated": 99, "role.assigned": 7, "role.unassigned": 8, "auth.lockout": 9,
    "auth.account_unlocked": 12,
}  # fmt: skip
_API_FAMILIES = ("model.", "phi.", "phi_scan.", "disclosure.", "access.", "report.downloaded", "deployment.read",
                 "audit.exported")  # fmt: skip
_API_VERBS_READ = ("read", "downloaded", "searched", "exported", "detection", "inference", "reidentified")
_VERBS = {  # the last part of an event type -> a CRUD activity (API Activity and Entity Management share 1-4)
    "created": 1, "requested": 1, "opened": 1, "invited": 1, "started": 1, "uploaded": 1, "recorded": 1,
    "generated": 1, "rendered": 1, "added": 1, "granted": 1,
    "read": 2, "downloaded": 2, "searched": 2, "exported": 2,
    "updated": 3, "changed": 3, "renewed": 3, "rotated": 3, "assessed": 3, "reviewed": 3, "assigned": 3,
    "owner_assigned": 3, "status_changed": 3, "thresholds_changed": 3, "stop_requested": 3, "reencrypted": 3,
    "sent": 3, "accepted": 3, "resent": 3, "approved": 3, "denied": 3, "restored": 3, "finished": 3,
    "deleted": 4, "revoked": 4, "destroyed": 4, "purged": 4, "expired": 4, "invitation_revoked": 4,
    "enabled": 8, "disabled": 9,
}  # fmt: skip
_STATUS = {Outcome.SUCCESS: (1, "Success"), Outcome.DENIED: (2, "Failure"), Outcome.ERROR: (2, "Failure"),
           Outcome.CANCELLED: (99, "Other")}  # fmt: skip
_SEVERITY = {1: "Informational", 2: "Low", 3: "Medium", 4: "High"}
_HIGH = ("auth.lockout", "emergency_access.", "encryption.keys.destroyed", "audit.verify_live.failed",
         "audit.retention.refused", "incident.opened")  # fmt: skip


def _match(table: dict[str, int], event_type: str) -> int | None:
    for key in sorted(table, key=len, reverse=True):
        if event_type == key or event_type.startswith(f"{key}."):
            return table[key]
    return None


def classify(event_type: str) -> tuple[OcsfClass, int]:
    """(OCSF class, activity_id) for one of our event types."""
    if (activity := _match(_AUTHENTICATION, event_type)) is not None:
        return AUTHENTICATION, activity
    if (activity := _match(_ACCOUNT_CHANGE, event_type)) is not None:
        return ACCOUNT_CHANGE, activity
    verb = event_type.rsplit(".", 1)[-1]
    compound = event_type.split(".", 1)[-1]
    activity = _VERBS.get(compound, _VERBS.get(verb, 99))
    if event_type.startswith(_API_FAMILIES):
        if event_type.startswith("access."):  # a refused call: what it would have done is not recorded
            return API_ACTIVITY, 99
        if verb in _API_VERBS_READ:
            return API_ACTIVITY, 2
        return API_ACTIVITY, activity if activity in API_ACTIVITY.activities else 99
    return ENTITY_MANAGEMENT, activity if activity in ENTITY_MANAGEMENT.activities else 99


def _severity_id(event: AuditEvent) -> int:
    if event.event_type.startswith(_HIGH) or event.details.get("break_glass"):
        return 4
    if event.outcome == Outcome.DENIED:
        return 3
    if event.outcome == Outcome.ERROR:
        return 2
    return 1


def _actor(event: AuditEvent) -> dict[str, Any]:
    if event.actor_type in (ActorType.USER, ActorType.API_KEY) and event.user_id:
        user: dict[str, Any] = {"uid": event.user_id, "type_id": 1, "type": "User"}
        if event.api_key_id:
            user["credential_uid"] = event.api_key_id
        return {"user": user}
    if event.actor_type == ActorType.API_KEY:
        return {"app_uid": event.api_key_id, "app_name": "API key"}
    return {"app_name": "anonymous" if event.actor_type == ActorType.ANONYMOUS else "PaiTIENT system"}


def _src_endpoint(event: AuditEvent) -> dict[str, Any] | None:
    return {"ip": event.ip} if event.ip else None


def _subject_user(event: AuditEvent) -> dict[str, Any]:
    """The user an authentication or account change concerns: the target, else the acting user."""
    if event.resource.startswith("user/") and event.resource_id:
        return {"uid": event.resource_id, "type_id": 1, "type": "User"}
    if event.user_id:
        return {"uid": event.user_id, "type_id": 1, "type": "User"}
    if event.api_key_id:  # a failed API-key sign-in names the key it tried, not a user
        return {"uid": event.api_key_id, "type_id": 3, "type": "System", "credential_uid": event.api_key_id}
    return {"name": "unknown", "type_id": 0, "type": "Unknown"}


def to_ocsf(event: AuditEvent) -> dict[str, Any]:
    """One sequenced audit event as an OCSF event of its class."""
    cls, activity_id = classify(event.event_type)
    status_id, status = _STATUS.get(Outcome(event.outcome), (0, "Unknown"))
    severity_id = _severity_id(event)
    metadata: dict[str, Any] = {
        "uid": event.event_id,
        "version": OCSF_VERSION,
        "product": PRODUCT,
        "log_name": "audit",
        "event_code": event.event_type,
        "tenant_uid": event.chain,
    }
    if event.seq is not None:
        metadata["sequence"] = event.seq
    if event.request_id:
        metadata["correlation_uid"] = event.request_id
    ocsf: dict[str, Any] = {
        "class_uid": cls.uid,
        "class_name": cls.name,
        "category_uid": cls.category_uid,
        "category_name": cls.category_name,
        "activity_id": activity_id,
        "activity_name": cls.activities[activity_id],
        "type_uid": cls.uid * 100 + activity_id,
        "type_name": f"{cls.name}: {cls.activities[activity_id]}",
        "time": int(event.timestamp.timestamp() * 1000),
        "severity_id": severity_id,
        "severity": _SEVERITY[severity_id],
        "status_id": status_id,
        "status": status,
        "metadata": metadata,
        "message": event.event_type,
        "actor": _actor(event),
        "unmapped": {"paitient": {"outcome": event.outcome, "actor_type": event.actor_type,
                                  "resource": event.resource, "resource_id": event.resource_id,
                                  "hash": event.hash, "details": event.details}},
    }  # fmt: skip
    if event.outcome != Outcome.SUCCESS:
        ocsf["status_detail"] = event.outcome
    if (src := _src_endpoint(event)) is not None:
        ocsf["src_endpoint"] = src
    if event.user_agent:
        ocsf["http_request"] = {"user_agent": event.user_agent}
    if cls is AUTHENTICATION:
        ocsf["user"] = _subject_user(event)
        ocsf["is_mfa"] = event.event_type.startswith("auth.mfa.")
        ocsf["service"] = {"name": PRODUCT["name"]}  # what was signed in to (OCSF: a service or a dst_endpoint)
    elif cls is ACCOUNT_CHANGE:
        ocsf["user"] = _subject_user(event)
    elif cls is API_ACTIVITY:
        api: dict[str, Any] = {"operation": event.event_type,
                               "service": {"name": event.resource.split("/", 1)[0] or "paitient"}}  # fmt: skip
        if event.request_id:
            api["request"] = {"uid": event.request_id}
        ocsf["api"] = api
        ocsf.setdefault("src_endpoint", {"name": "paitient"})  # a job's call: no client address
    else:
        ocsf["entity"] = {"name": event.resource or event.event_type.split(".", 1)[0],
                          "type": event.resource.split("/", 1)[0] or event.event_type.split(".", 1)[0]}  # fmt: skip
        if event.resource_id:
            ocsf["entity"]["uid"] = event.resource_id
    return ocsf


def to_line(ocsf: dict[str, Any]) -> bytes:
    """An OCSF event as one JSON line (UTF-8, no spaces, keys sorted: the same event gives the same bytes)."""
    return json.dumps(ocsf, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"

"""Privilege escalation, tried from every built-in role and from keys narrowed to each: nobody gains a
permission they do not hold (issue keys for self and others, create and assign roles, change security
settings, shorten retention, approve or review their own break-glass). A new endpoint that hands out access
without a row here fails the coverage test."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.test import APIClient

from accessctl.api_keys import api_key_issue
from accessctl.models import ApiKey, LoginFailure, Organization, Role, User
from accessctl.policy import BUILTIN_ROLES, PERMISSIONS
from audit.models import AuditEvent
from emergency.models import EmergencyAccessRequest, RequestStatus, ReviewStatus
from tests.accessctl.test_permission_matrix import api_routes
from tests.conftest import grant
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Routes that hand out or change access: every one needs at least one attempt below.
GRANTING_ROUTE = re.compile(r"role|api-key|security-settings|decisions|review|member|users|invit|scim|audit-polic")


@dataclass
class World:
    organization: Organization
    mallory: User  # the attacker, holding the role under test
    alice: User  # the organisation's administrator
    accomplice: User  # a member with no roles
    client: APIClient
    role: str
    narrowed: bool

    def holds(self, *permissions: str) -> bool:
        return all(p in BUILTIN_ROLES[self.role][1] for p in permissions)


@dataclass(frozen=True)
class Attempt:
    name: str
    routes: tuple[str, ...]
    run: Callable[[World], Response]
    legitimate: Callable[[World], bool]  # when the attempt gains nothing the actor lacks


def _all_permissions_role(w: World) -> Response:
    body = {"name": "everything", "permissions": sorted(PERMISSIONS), "resource_pattern": "*"}
    return w.client.post("/api/v1/roles", body, format="json")


def _assign(user_attr: str, role: str) -> Callable[[World], Response]:
    def run(w: World) -> Response:
        user: User = getattr(w, user_attr)
        body = {"user_id": user.public_id, "role_name": role}
        return w.client.post("/api/v1/role-assignments", body, format="json")

    return run


def _remove_admin_from_alice(w: World) -> Response:
    return w.client.delete(f"/api/v1/users/{w.alice.public_id}/roles/org-admin")


def _unlock_alice(w: World) -> Response:
    """Lift the administrator's sign-in lockout (someone is guessing her password from many addresses)."""
    now = timezone.now()
    LoginFailure.objects.bulk_create(
        LoginFailure(username="alice", ip=f"192.0.2.{n}", attempted_at=now) for n in range(1, 11)
    )
    return w.client.post(f"/api/v1/users/{w.alice.public_id}/unlock")


def _key_for(user_attr: str) -> Callable[[World], Response]:
    def run(w: World) -> Response:
        user: User = getattr(w, user_attr)
        return w.client.post("/api/v1/api-keys", {"name": "mine now", "user_id": user.public_id}, format="json")

    return run


def _key_narrowed_to_admin(w: World) -> Response:
    return w.client.post("/api/v1/api-keys", {"name": "wider", "role_name": "org-admin"}, format="json")


def _revoke_alices_key(w: World) -> Response:
    key, _ = api_key_issue(actor=None, organization=w.organization, user=w.alice, name="alice laptop")
    return w.client.delete(f"/api/v1/api-keys/{key.public_id}")


def _weaken_mfa(w: World) -> Response:
    body = {"access_control": {"require_mfa": False, "session_timeout_minutes": 1440}}
    return w.client.patch("/api/v1/organization/security-settings", body, format="json")


def _shorten_retention(w: World) -> Response:
    body = {"compliance": {"log_retention_days": 30}}
    return w.client.patch("/api/v1/organization/security-settings", body, format="json")


def _own_request(w: World, status: str, review: str) -> EmergencyAccessRequest:
    now = timezone.now()
    return EmergencyAccessRequest.objects.create(
        organization=w.organization,
        requester=w.mallory,
        reason="matrix: own request",
        resource="deployment/*",
        permissions=["text:generate"],
        status=status,
        review_status=review,
        approvals_needed=2,
        duration_hours=1,
        pending_until=now + timedelta(hours=1),
    )


def _approve_own_break_glass(w: World) -> Response:
    request = _own_request(w, RequestStatus.PENDING, ReviewStatus.NOT_NEEDED)
    body = {"decision": "approve", "comment": "it is me, trust me"}
    return w.client.post(f"/api/v1/emergency-access/requests/{request.public_id}/decisions", body, format="json")


def _review_own_break_glass(w: World) -> Response:
    request = _own_request(w, RequestStatus.EXPIRED, ReviewStatus.PENDING)
    body = {"notes": "my own use was fine"}
    return w.client.post(f"/api/v1/emergency-access/requests/{request.public_id}/review", body, format="json")


def _invite_admin(w: World) -> Response:
    body = {"email": "sleeper@example.org", "roles": ["org-admin"]}
    return w.client.post("/api/v1/invitations", body, format="json")


def _pending_admin_invitation(w: World) -> str:
    from accessctl.actor import Actor
    from accessctl.invitations import invitation_create

    admin = Actor(organization=w.organization, user=w.alice)
    return invitation_create(actor=admin, email="newadmin@example.org", roles=["org-admin"]).public_id


def _resend_admin_invitation(w: World) -> Response:
    return w.client.post(f"/api/v1/invitations/{_pending_admin_invitation(w)}/resend")


def _revoke_admin_invitation(w: World) -> Response:
    return w.client.post(f"/api/v1/invitations/{_pending_admin_invitation(w)}/revoke")


def _on_alice(action: str) -> Callable[[World], Response]:
    def run(w: World) -> Response:
        return w.client.post(f"/api/v1/users/{w.alice.public_id}/{action}")

    return run


def _deactivate_self(w: World) -> Response:
    return w.client.post(f"/api/v1/users/{w.mallory.public_id}/deactivate")


def _reactivate_former_admin(w: World) -> Response:
    """Bring back a deactivated administrator (an accomplice who was offboarded)."""
    from accessctl.models import Membership

    former = UserFactory.create(username="former-admin", organization=w.organization)
    grant(former, w.organization, "org-admin")
    Membership.objects.filter(user=former).update(is_active=False, deactivated_at=timezone.now())
    return w.client.post(f"/api/v1/users/{former.public_id}/reactivate")


def _review_item(w: World, user: User, kind: str) -> tuple[str, str]:
    """A fresh access review started by the scheduler, and the id of `user`'s first item of `kind`."""
    from reviews.services import campaign_start

    campaign = campaign_start(actor=None, organization=w.organization)
    item = campaign.items.filter(subject=user, kind=kind).order_by("id").first()
    assert item is not None
    return campaign.public_id, item.public_id


def _decide(user_attr: str, kind: str, decision: str) -> Callable[[World], Response]:
    def run(w: World) -> Response:
        if kind == "api_key":
            api_key_issue(actor=None, organization=w.organization, user=w.alice, name="alice laptop")
        review, item = _review_item(w, getattr(w, user_attr), kind)
        body = {"decision": decision, "comment": "access review attempt"}
        return w.client.post(f"/api/v1/access-reviews/{review}/items/{item}/decision", body, format="json")

    return run


def _start_review(w: World) -> Response:
    return w.client.post("/api/v1/access-reviews", {}, format="json")


def _sign_off_open_review(w: World) -> Response:
    review, _ = _review_item(w, w.alice, "role")
    return w.client.post(f"/api/v1/access-reviews/{review}/sign-off", {}, format="json")


def _sole_reviewer(w: World) -> Response:
    body = {"reviewer_ids": [w.mallory.public_id]}
    return w.client.patch("/api/v1/access-reviews/schedule", body, format="json")


def _issue_scim_token(w: World) -> Response:
    """A SCIM token acts within its issuer's permissions: issuing one is giving oneself nothing new."""
    return w.client.post("/api/v1/scim-tokens", {"name": "idp"}, format="json")


def _revoke_alices_scim_token(w: World) -> Response:
    from accessctl.actor import Actor
    from scim.tokens import scim_token_issue

    token, _ = scim_token_issue(actor=Actor(organization=w.organization, user=w.alice), name="alice idp")
    return w.client.delete(f"/api/v1/scim-tokens/{token.public_id}")


def _never(w: World) -> bool:
    return False


ATTEMPTS = [
    Attempt("create a role with every permission", ("/api/v1/roles",), _all_permissions_role,
            lambda w: w.role == "org-admin"),
    Attempt("assign org-admin to oneself", ("/api/v1/role-assignments",), _assign("mallory", "org-admin"), _never),
    Attempt("assign org-admin to an accomplice", ("/api/v1/role-assignments",), _assign("accomplice", "org-admin"),
            lambda w: w.role == "org-admin"),
    Attempt("assign security-admin to oneself", ("/api/v1/role-assignments",),
            _assign("mallory", "security-admin"), _never),
    Attempt("remove org-admin from the administrator", ("/api/v1/users/<str:user_id>/roles/<str:role_name>",),
            _remove_admin_from_alice, lambda w: w.role == "org-admin"),
    Attempt("unlock the administrator's sign-in", ("/api/v1/users/<str:user_id>/unlock",), _unlock_alice,
            lambda w: w.holds("role:manage")),
    Attempt("issue a key for the administrator", ("/api/v1/api-keys",), _key_for("alice"), _never),
    Attempt("issue a key for an accomplice", ("/api/v1/api-keys",), _key_for("accomplice"), _never),
    Attempt("issue a key narrowed to org-admin", ("/api/v1/api-keys",), _key_narrowed_to_admin,
            lambda w: w.role == "org-admin"),
    Attempt("revoke the administrator's key", ("/api/v1/api-keys/<str:key_id>",), _revoke_alices_key,
            lambda w: w.holds("role:manage")),
    Attempt("turn MFA off", ("/api/v1/organization/security-settings",), _weaken_mfa,
            lambda w: w.holds("settings:manage")),
    Attempt("shorten audit retention", ("/api/v1/organization/security-settings",), _shorten_retention,
            lambda w: w.holds("settings:manage", "audit:manage")),
    Attempt("approve one's own break-glass request",
            ("/api/v1/emergency-access/requests/<str:request_id>/decisions",), _approve_own_break_glass, _never),
    Attempt("invite an administrator", ("/api/v1/invitations",), _invite_admin, lambda w: w.role == "org-admin"),
    Attempt("resend an administrator's invitation", ("/api/v1/invitations/<str:invitation_id>/resend",),
            _resend_admin_invitation, lambda w: w.holds("user:manage")),
    Attempt("revoke an administrator's invitation", ("/api/v1/invitations/<str:invitation_id>/revoke",),
            _revoke_admin_invitation, lambda w: w.holds("user:manage")),
    Attempt("deactivate the administrator", ("/api/v1/users/<str:user_id>/deactivate",), _on_alice("deactivate"),
            lambda w: w.role == "org-admin"),
    Attempt("deactivate oneself", ("/api/v1/users/<str:user_id>/deactivate",), _deactivate_self, _never),
    Attempt("reactivate a former administrator", ("/api/v1/users/<str:user_id>/reactivate",),
            _reactivate_former_admin, lambda w: w.role == "org-admin"),
    Attempt("reset the administrator's password", ("/api/v1/users/<str:user_id>/password-reset",),
            _on_alice("password-reset"), lambda w: w.role == "org-admin"),
    Attempt("review one's own break-glass grant", ("/api/v1/emergency-access/requests/<str:request_id>/review",),
            _review_own_break_glass, _never),
    Attempt("keep one's own access in an access review",
            ("/api/v1/access-reviews/<str:review_id>/items/<str:item_id>/decision",),
            _decide("mallory", "role", "keep"), _never),
    Attempt("revoke the administrator's role through an access review",
            ("/api/v1/access-reviews/<str:review_id>/items/<str:item_id>/decision",),
            _decide("alice", "role", "revoke"), lambda w: w.role == "org-admin"),
    Attempt("revoke the administrator's key through an access review",
            ("/api/v1/access-reviews/<str:review_id>/items/<str:item_id>/decision",),
            _decide("alice", "api_key", "revoke"), lambda w: w.holds("access:review")),
    Attempt("start an access review", ("/api/v1/access-reviews",), _start_review, lambda w: w.holds("access:review")),
    Attempt("sign off an access review with undecided items", ("/api/v1/access-reviews/<str:review_id>/sign-off",),
            _sign_off_open_review, lambda w: w.holds("access:review")),
    Attempt("issue a SCIM token", ("/api/v1/scim-tokens",), _issue_scim_token, lambda w: w.holds("user:manage")),
    Attempt("revoke the administrator's SCIM token", ("/api/v1/scim-tokens/<str:token_id>",),
            _revoke_alices_scim_token, lambda w: w.holds("user:manage")),
    Attempt("name oneself the only access reviewer", ("/api/v1/access-reviews/schedule",), _sole_reviewer,
            lambda w: w.holds("settings:manage")),
]  # fmt: skip

# Read-only routes the pattern above also matches: listing gains nothing.
READ_ONLY = {"/api/v1/organization/members", "/api/v1/users", "/api/v1/users/<str:user_id>",
             "/api/v1/access-reviews/<str:review_id>"}  # fmt: skip


def _routes() -> set[str]:
    return {route for route in api_routes() if GRANTING_ROUTE.search(route)}


def test_every_route_that_hands_out_access_has_an_attempt():
    covered = {route for attempt in ATTEMPTS for route in attempt.routes} | READ_ONLY
    assert _routes() - covered == set(), "add escalation attempts for these routes"


@pytest.fixture(params=[(role, narrowed) for role in BUILTIN_ROLES for narrowed in (False, True)],
                ids=lambda p: f"{p[0]}{'-key' if p[1] else ''}")  # fmt: skip
def world(request, acme, alice) -> World:
    role, narrowed = request.param
    mallory = UserFactory.create(username="mallory", organization=acme)
    grant(mallory, acme, role)
    accomplice = UserFactory.create(username="accomplice", organization=acme)
    client = APIClient()
    if narrowed:  # the user may do everything; the key narrowed to `role` must not
        grant(mallory, acme, "org-admin")
        narrowed_to = Role.objects.get(organization=acme, name=role)
        _, token = api_key_issue(actor=None, organization=acme, user=mallory, name="narrow", role=narrowed_to)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    else:
        client.force_authenticate(mallory)
    return World(acme, mallory, alice, accomplice, client, role, narrowed)


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=lambda a: a.name.replace(" ", "-"))
def test_no_escalation(world: World, attempt: Attempt):
    denials = AuditEvent.objects.filter(event_type="access.denied", outcome="denied").count()
    response = attempt.run(world)
    if attempt.legitimate(world):
        assert response.status_code < 400 or response.status_code == 409, response.content
        return
    assert response.status_code == 403, (attempt.name, response.status_code, response.content)
    assert response["Content-Type"].startswith("application/problem+json")
    assert AuditEvent.objects.filter(event_type="access.denied", outcome="denied").count() == denials + 1


def test_a_narrowed_key_issues_only_keys_as_narrow_and_as_short_lived(acme, alice):
    grant(alice, acme, "auditor")
    auditor = Role.objects.get(organization=acme, name="auditor")
    ends = timezone.now() + timedelta(days=2)
    _, token = api_key_issue(actor=None, organization=acme, user=alice, name="ro", role=auditor, expires_at=ends)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    minted = client.post("/api/v1/api-keys", {"name": "child"}, format="json")
    assert minted.status_code == 201, minted.content
    assert minted.json()["role_name"] == "auditor"  # not every role alice holds
    child = ApiKey.objects.get(public_id=minted.json()["id"])
    assert child.expires_at == ends
    child_client = APIClient()
    child_client.credentials(HTTP_AUTHORIZATION=f"Bearer {minted.json()['token']}")
    assert child_client.get("/api/v1/roles").status_code == 403
    later = (ends + timedelta(days=1)).isoformat()
    outliving = client.post("/api/v1/api-keys", {"name": "later", "expires_at": later}, format="json")
    assert outliving.status_code == 400 and "expires_at" in outliving.json()["errors"]


def test_a_custom_role_may_hold_only_what_its_creator_holds_over_the_same_resources(acme, alice):
    lead = UserFactory.create(username="lead", organization=acme)
    Role.objects.create(organization=acme, name="role-manager", permissions=["role:manage"], resource_pattern="*")
    Role.objects.create(organization=acme, name="icu-lead", permissions=["text:generate"],
                        resource_pattern="deployment/icu-*")  # fmt: skip
    grant(lead, acme, "role-manager")
    grant(lead, acme, "icu-lead")
    client = APIClient()
    client.force_authenticate(lead)
    wider = {"name": "any-nurse", "permissions": ["text:generate"], "resource_pattern": "deployment/*"}
    narrower = {"name": "icu-nurse", "permissions": ["text:generate"], "resource_pattern": "deployment/icu-4*"}
    refused = client.post("/api/v1/roles", wider, format="json")
    assert refused.status_code == 403 and "text:generate" in refused.json()["detail"]
    assert client.post("/api/v1/roles", narrower, format="json").status_code == 201


def test_the_last_administrator_keeps_the_role_until_the_operator_restores_one(api_client, acme, alice):
    from django.core.management import CommandError, call_command

    api_client.force_authenticate(alice)
    refused = api_client.delete(f"/api/v1/users/{alice.public_id}/roles/org-admin")
    assert refused.status_code == 409 and "role_name" in refused.json()["errors"]
    assert Role.objects.get(organization=acme, name="org-admin").assignments.filter(user=alice).exists()
    assert "last_admin" in [e.details.get("reason") for e in AuditEvent.objects.filter(event_type="access.denied")]

    # The operator's recovery: alice was deactivated out of band; the command restores her, audited.
    alice.memberships.update(is_active=False)
    with pytest.raises(CommandError, match="ticket"):
        call_command("restore_org_admin", acme.slug, "alice", "--ticket", "free text with spaces")
    call_command("restore_org_admin", acme.slug, "alice", "--ticket", "OPS-1234")
    assert alice.memberships.get().is_active
    event = AuditEvent.objects.get(event_type="organization.admin_restored")
    assert event.details == {"user_id": alice.public_id, "reactivated": True, "ticket": "OPS-1234"}


def test_the_console_refuses_removing_the_last_administrator(client, acme, alice):
    client.force_login(alice)
    page = client.post(f"/access/roles/org-admin/users/{alice.public_id}/remove", {"confirmed": "yes"}, follow=True)
    assert "last org-admin" in page.content.decode()
    assert Role.objects.get(organization=acme, name="org-admin").assignments.filter(user=alice).exists()


def test_settings_manage_alone_cannot_shorten_audit_retention(acme, alice):
    Role.objects.create(organization=acme, name="settings-only", permissions=["settings:manage"], resource_pattern="*")
    officer = UserFactory.create(username="officer", organization=acme)
    grant(officer, acme, "settings-only")
    client = APIClient()
    client.force_authenticate(officer)
    path = "/api/v1/organization/security-settings"
    refused = client.patch(path, {"compliance": {"log_retention_days": 30}}, format="json")
    assert refused.status_code == 403 and "audit:manage" in refused.json()["detail"]
    assert client.patch(path, {"access_control": {"session_timeout_minutes": 20}}, format="json").status_code == 200
    same = client.patch(path, {"compliance": {"log_retention_days": 365}}, format="json")  # unchanged: no refusal
    assert same.status_code == 200

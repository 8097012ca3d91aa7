"""The emergency access console: the request form, the approver inbox, countdowns, history and visibility."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from accessctl.models import Role
from emergency.models import EmergencyAccessDecision, EmergencyAccessPolicy, EmergencyAccessRequest, Notification
from emergency.services import expire_due
from tests.conftest import grant
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PAGE = "/emergency/"
REASON = "Code blue in ICU bed 4; the assigned clinician is unreachable."


@pytest.fixture
def people(acme, alice):
    """The seed's policy is on; nurse (compliance-officer) asks; two security admins can approve."""
    EmergencyAccessPolicy.objects.update_or_create(
        organization=acme,
        defaults={"enabled": True, "authorized_roles": ["compliance-officer", "security-admin"],
                  "require_multi_approval": True, "approvals_required": 2, "access_duration_hours": 4},
    )  # fmt: skip
    nurse = UserFactory.create(username="nurse", organization=acme)
    grant(nurse, acme, "compliance-officer")
    approvers = []
    for name in ("sec1", "sec2"):
        user = UserFactory.create(username=name, organization=acme)
        grant(user, acme, "security-admin")
        approvers.append(user)
    return nurse, approvers


def ask(client, user, **overrides):
    client.force_login(user)
    body = {"resource": "deployment/icu-assistant", "permissions": ["text:generate", "deployment:read"],
            "reason": REASON, **overrides}  # fmt: skip
    return client.post(PAGE, body)


def asked(client, nurse) -> EmergencyAccessRequest:
    response = ask(client, nurse)
    assert response.status_code == 302 and response["Location"] == PAGE
    return EmergencyAccessRequest.objects.get(requester=nurse)


def decide(client, user, request, decision="approve", comment="verified with the charge nurse", **extra):
    client.force_login(user)
    prefix = request.public_id
    body = {f"{prefix}-decision": decision, f"{prefix}-comment": comment, "return_to": "page", **extra}
    return client.post(f"{PAGE}{request.public_id}/decide", body)


def errors_of(html: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for field, text in re.findall(r'class="(?:field|form)-error" role="alert" data-field="([^"]+)">([^<]*)<', html):
        found.setdefault(field, []).append(text)
    return found


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"resource": "icu"}, "resource"),  # the service's check
        ({"resource": ""}, "resource"),  # the form's
        ({"permissions": []}, "permissions"),
        ({"permissions": ["role:manage"]}, "permissions"),  # a control: never requestable
        ({"reason": "urgent"}, "reason"),  # too short for the service
        ({"reason": ""}, "reason"),
    ],
)
def test_form_errors_name_the_field(client, people, overrides, field):
    nurse, _ = people
    response = ask(client, nurse, **overrides)
    assert response.status_code == 400
    assert list(errors_of(response.content.decode())) == [field]
    assert not EmergencyAccessRequest.objects.exists()


def test_policy_errors_are_shown_above_the_form(client, acme, people):
    nurse, _ = people
    EmergencyAccessPolicy.objects.filter(organization=acme).update(enabled=False)
    disabled = ask(client, nurse)
    assert disabled.status_code == 400
    html = disabled.content.decode()
    assert html.count("Emergency access is not enabled for this organisation") == 1  # said once, not twice
    assert 'name="reason"' not in html  # no request form while it cannot succeed
    assert "is not enabled for this organisation" in client.get(PAGE).content.decode()  # said before asking too

    EmergencyAccessPolicy.objects.filter(organization=acme).update(enabled=True, approvals_required=4)
    too_few = ask(client, nurse)  # alice, sec1 and sec2 may approve: three of the four needed
    assert too_few.status_code == 400
    assert "needs 4 approvers other than you" in errors_of(too_few.content.decode())["__all__"][0]


def test_a_role_outside_the_policy_is_told_so_never_a_500(client, acme, people):
    EmergencyAccessPolicy.objects.filter(organization=acme).update(authorized_roles=["security-admin"])
    nurse, _ = people
    refused = ask(client, nurse)
    assert refused.status_code == 403
    assert "emergency access policy authorises" in refused.content.decode()
    assert not EmergencyAccessRequest.objects.exists()


def test_members_without_emergency_permissions_have_no_page(client, people, bob):
    client.force_login(bob)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"resource": "deployment/x"}).status_code == 403
    assert client.get(f"{PAGE}inbox").status_code == 403
    assert "/emergency/" not in [item["url"] for item in client.get("/").context["nav_items"]]
    nurse, _ = people
    client.force_login(nurse)
    assert "/emergency/" in [item["url"] for item in client.get("/").context["nav_items"]]


def test_an_approver_sees_the_inbox_and_approves_with_a_comment(client, people):
    nurse, (sec1, sec2) = people
    request = asked(client, nurse)
    mine = client.get(PAGE).content.decode()
    assert f'data-testid="my-request" data-request="{request.public_id}"' in mine
    assert "Cancel request" in mine

    client.force_login(sec1)
    inbox = client.get(f"{PAGE}inbox").content.decode()
    assert 'hx-trigger="every 2s"' in inbox
    assert f'data-testid="inbox-item" data-request="{request.public_id}"' in inbox
    assert REASON.replace("'", "&#x27;") in inbox  # approvers read the reason

    no_comment = decide(client, sec1, request, comment="")
    assert no_comment.status_code == 400
    assert errors_of(no_comment.content.decode()) == {"comment": ["Every decision needs a comment."]}
    assert not EmergencyAccessDecision.objects.exists()

    first = decide(client, sec1, request)
    assert first.status_code == 302 and first["Location"] == PAGE
    page = client.get(PAGE).content.decode()
    assert "still needs more approvals" in page
    assert "You approved this request" in page  # no second form for sec1
    assert EmergencyAccessRequest.objects.get(pk=request.pk).status == "pending"

    second = decide(client, sec2, request, comment="confirmed by phone", return_to="detail")
    assert second.status_code == 302 and second["Location"] == f"{PAGE}{request.public_id}/"
    detail = client.get(second["Location"]).content.decode()
    assert "the grant is now active" in detail
    assert 'data-testid="request-status">approved<' in detail
    for who, comment in (("sec1", "verified with the charge nurse"), ("sec2", "confirmed by phone")):
        assert re.search(rf"<td>{who}</td><td>approve</td>\s*<td>{comment}</td>", detail)

    grants = client.get(f"{PAGE}grants").content.decode()
    assert f'data-testid="active-grant" data-request="{request.public_id}"' in grants and "Revoke" in grants
    client.force_login(nurse)
    mine = client.get(f"{PAGE}mine").content.decode()
    assert 'data-testid="request-status">approved<' in mine and "End grant now" in mine
    assert re.search(r'data-testid="countdown"[^>]*data-live="true"[^>]*>3 h 59 min \d\d s left<', mine)


def test_self_approval_is_refused_with_a_message(client, people):
    nurse, _ = people  # a compliance officer: may approve others' requests, never their own
    request = asked(client, nurse)
    refused = decide(client, nurse, request)
    assert refused.status_code == 302 and refused["Location"] == f"{PAGE}{request.public_id}/"
    detail = client.get(refused["Location"]).content.decode()
    assert "You cannot decide on your own request" in detail
    assert "other approvers decide" in detail and "Approve</button>" not in detail
    assert not EmergencyAccessDecision.objects.exists()
    client.force_login(nurse)
    assert request.public_id not in client.get(f"{PAGE}inbox").content.decode()  # not in their own inbox


def test_the_countdown_shows_the_time_left_then_expired(client, people, monkeypatch):
    nurse, (sec1, sec2) = people
    request = asked(client, nurse)
    decide(client, sec1, request)
    decide(client, sec2, request)
    request.refresh_from_db()
    assert request.granted_at is not None

    client.force_login(nurse)
    url = f"{PAGE}{request.public_id}/countdown"
    monkeypatch.setattr("django.utils.timezone.now", lambda: request.granted_at + timedelta(hours=1, seconds=5))
    client.force_login(nurse)  # a fresh session: idle sessions time out across the jump
    live = client.get(url).content.decode()
    assert ">2 h 59 min 55 s left<" in live and 'data-seconds="10795"' in live
    assert 'hx-trigger="every 3s"' in live

    monkeypatch.setattr("django.utils.timezone.now", lambda: request.granted_at + timedelta(hours=4))
    client.force_login(nurse)
    over = client.get(url).content.decode()
    assert ">expired<" in over and "hx-get" not in over  # it stops polling
    assert EmergencyAccessRequest.objects.get(pk=request.pk).status == "approved"  # the beat has not run
    mine = client.get(f"{PAGE}mine").content.decode()
    assert 'data-testid="request-status">expired<' in mine and "End grant now" not in mine
    assert "hx-trigger" not in mine


def test_history_keeps_ended_requests_with_decisions_and_review(client, alice, people, monkeypatch):
    nurse, (sec1, sec2) = people
    request = asked(client, nurse)
    decide(client, sec1, request)
    decide(client, sec2, request)
    granted_at = EmergencyAccessRequest.objects.get(pk=request.pk).granted_at
    assert granted_at is not None
    monkeypatch.setattr("django.utils.timezone.now", lambda: granted_at + timedelta(hours=4))
    assert expire_due() == {"pending": 0, "grants": 1}
    monkeypatch.undo()

    client.force_login(alice)
    page = client.get(PAGE).content.decode()
    row = page[page.index(f'data-testid="history-row" data-request="{request.public_id}"') :]
    row = row[: row.index("</tr>")]
    assert 'data-testid="request-status">expired<' in row
    assert "approved by sec1" in row and "approved by sec2" in row and "awaiting review" in row

    detail = client.get(f"{PAGE}{request.public_id}/").content.decode()
    assert "Post-use review" in detail and "Activity under the grant" in detail
    empty = client.post(f"{PAGE}{request.public_id}/review", {"notes": ""})
    assert empty.status_code == 400 and "notes" in errors_of(empty.content.decode())
    reviewed = client.post(f"{PAGE}{request.public_id}/review", {"notes": "nothing was used; justified"}, follow=True)
    html = reviewed.content.decode()
    assert "Post-use review recorded." in html and "reviewed by alice" in html
    assert "nothing was used; justified" in html

    client.force_login(nurse)  # the requester sees it in their history too
    assert f'data-testid="history-row" data-request="{request.public_id}"' in client.get(PAGE).content.decode()


def test_cancel_and_revoke(client, people):
    nurse, (sec1, sec2) = people
    pending = asked(client, nurse)
    cancelled = client.post(f"{PAGE}{pending.public_id}/revoke", {"return_to": "page"}, follow=True)
    assert "cancelled" in cancelled.content.decode()
    assert EmergencyAccessRequest.objects.get(pk=pending.pk).status == "cancelled"
    again = client.post(f"{PAGE}{pending.public_id}/revoke", {"return_to": "page"}, follow=True)
    assert "nothing to revoke" in again.content.decode()

    response = ask(client, nurse, resource="deployment/icu-*")
    assert response.status_code == 302
    second = EmergencyAccessRequest.objects.get(requester=nurse, status="pending")
    decide(client, sec1, second)
    decide(client, sec2, second)
    revoked = client.post(f"{PAGE}{second.public_id}/revoke", {"return_to": "page"}, follow=True)
    assert "revoked; the access has ended" in revoked.content.decode()
    ended = EmergencyAccessRequest.objects.get(pk=second.pk)
    assert (ended.status, ended.ended_by, ended.review_status) == ("revoked", sec2, "pending")


def test_the_reason_is_hidden_from_members_who_are_neither_requester_nor_approver(client, acme, people, bob):
    nurse, _ = people
    request = asked(client, nurse)
    asker = Role.objects.create(organization=acme, name="on-call", permissions=["emergency:request"])
    bystander = UserFactory.create(username="bystander", organization=acme)
    grant(bystander, acme, asker.name)
    for member in (bystander, bob):
        client.force_login(member)
        for suffix in ("", "countdown"):
            response = client.get(f"{PAGE}{request.public_id}/{suffix}")
            assert response.status_code == 404
            assert "Code blue" not in response.content.decode()
        assert client.post(f"{PAGE}{request.public_id}/revoke").status_code == 404
    client.force_login(bystander)
    page = client.get(PAGE).content.decode()
    assert request.public_id not in page and "Approver inbox" not in page
    assert client.get(f"{PAGE}inbox").status_code == 403


def test_another_organisations_request_is_a_404(client, people, charlie):
    nurse, _ = people
    request = asked(client, nurse)
    client.force_login(charlie)  # Globex's administrator: may approve in Globex, not here
    assert client.get(f"{PAGE}{request.public_id}/").status_code == 404
    assert client.get(f"{PAGE}{request.public_id}/countdown").status_code == 404
    assert decide(client, charlie, request).status_code == 404
    assert client.post(f"{PAGE}{request.public_id}/revoke").status_code == 404
    assert client.post(f"{PAGE}{request.public_id}/review", {"notes": "looks fine"}).status_code == 404
    assert request.public_id not in client.get(PAGE).content.decode()
    assert EmergencyAccessRequest.objects.get(pk=request.pk).status == "pending"


def test_notifications_are_counted_in_the_header_and_read_on_the_page(client, people):
    nurse, (sec1, _) = people
    request = asked(client, nurse)
    client.force_login(sec1)
    dashboard = client.get("/").content.decode()
    assert 'data-testid="notification-count">1 new notification<' in dashboard
    page = client.get(PAGE).content.decode()
    assert 'data-testid="new-notifications">1 new<' in page
    assert f'href="/emergency/{request.public_id}/">nurse requests emergency access' in page
    assert not Notification.objects.filter(user=sec1, read_at__isnull=True).exists()
    assert "notification-count" not in client.get("/").content.decode()

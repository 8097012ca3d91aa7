"""First-run setup: the steps that take a new organisation to HIPAA-ready, each read from live state (the same
evaluators as the checklist) with a link to where it is done. Shown to members who manage settings; the
dashboard links here while a step remains."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_otp import user_has_device

from accessctl.actor import Actor
from accessctl.console import console_actor
from accessctl.security import settings_for
from audit.retention import policy_for, retention_shortfall
from compliance import evaluators, evaluators_evidence
from emergency.services import emergency_policy_for


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    why: str
    done: bool
    detail: str
    url: str
    action: str


def setup_steps(actor: Actor) -> list[Step]:
    organization = actor.organization
    day = timezone.localdate()
    current = settings_for(organization)
    shortfall = retention_shortfall(organization, policy_for(organization).log_retention_days)
    baa = evaluators.baa(organization, day)
    emergency = emergency_policy_for(organization)
    breach = evaluators_evidence.incident_response(organization, day)
    own_mfa = actor.user is not None and user_has_device(actor.user, confirmed=True)
    return [
        Step("hipaa_mode", "Turn on HIPAA mode", "It forces MFA for everyone, PHI detection on every prompt and "
             "network isolation (45 CFR 164.306).", current.hipaa_mode,
             "on" if current.hipaa_mode else "off", reverse("security-settings"), "Security settings"),
        Step("own_mfa", "Enrol your own second factor", "Administrators sign in with MFA first (164.312(d)).",
             own_mfa, "enrolled" if own_mfa else "not enrolled", reverse("mfa-setup"), "Set up MFA"),
        Step("retention", "Keep the audit log six years", "HIPAA documentation is kept six years "
             "(164.316(b)(2)); the checklist asks 2,190 days in HIPAA mode.", not shortfall,
             shortfall or f"{policy_for(organization).log_retention_days} days", reverse("audit-log"),
             "Audit retention"),
        Step("baa", "A BAA with every business associate", "Each provider that receives PHI is covered "
             "(164.308(b)); the local runtime on your own machine needs none.", baa.status == "pass",
             "; ".join(baa.reasons) or "every deployment is covered", reverse("compliance-baas"), "BAAs"),
        Step("breach_procedure", "File your breach notification procedure", "Incident response needs a "
             "current procedure on file (164.308(a)(6)).", breach.status == "pass",
             "; ".join(breach.reasons) or "on file", reverse("compliance-item", args=["incident_response"]),
             "Add evidence"),
        Step("emergency", "Set up emergency access", "An emergency access procedure is a required "
             "specification (164.312(a)(2)(ii)): break-glass access with several approvers, reviewed afterwards.",
             emergency.enabled, "on" if emergency.enabled else "off", reverse("emergency-settings"),
             "Emergency settings"),
    ]  # fmt: skip


def steps_left(actor: Actor) -> int:
    return sum(not step.done for step in setup_steps(actor))


@login_required
@never_cache
@require_GET
def setup_page(request: HttpRequest) -> HttpResponse:
    actor = console_actor(request, "settings:manage")
    steps = setup_steps(actor)
    done = sum(step.done for step in steps)
    return render(request, "portal/setup.html", {"steps": steps, "done": done, "total": len(steps)})

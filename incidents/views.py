"""Console pages for incidents: list, detail (timeline, notes, status, assessment, deadlines, notices), alerts,
thresholds. Service refusals land on the form field they name; nothing here is a 500."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accessctl.actor import Actor
from accessctl.console import console_actor, member_actor
from core.errors import FieldError
from core.forms import show_field_error
from incidents import notifications, services
from incidents.assessment import RESULTS, describe
from incidents.forms import (
    AssessmentForm,
    IncidentForm,
    NoteForm,
    NoticeForm,
    NotificationForm,
    OwnerForm,
    ThresholdsForm,
    assessment_initial,
)
from incidents.models import SEVERITY_RANK, TRANSITIONS, Incident, Rule, Severity, Status
from incidents.selectors import (
    access_incident,
    access_notice,
    alert_list,
    deadline_rows,
    incident_list,
    latest_assessment,
    next_open_deadline,
)

PERMISSION = services.PERMISSION
LIST_LIMIT = 200


def _incident(actor: Actor, incident_id: str) -> Incident:
    return access_incident(actor=actor, incident_id=incident_id)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def incidents_page(request: HttpRequest) -> HttpResponse:
    actor = console_actor(request, PERMISSION)
    form = IncidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.incident_open(
                actor=actor,
                organization=actor.organization,
                title=form.cleaned_data["title"],
                severity=form.cleaned_data["severity"],
            )
        except FieldError as exc:
            show_field_error(form, exc)
        else:
            messages.success(request, f"Incident {incident.public_id} opened.")
            return redirect("incident-detail", incident_id=incident.public_id)
    wanted = request.GET.get("status") or ""
    incidents = list(incident_list(actor=actor, status=wanted if wanted in Status.values else None)[:LIST_LIMIT])
    today = timezone.localdate()
    rows = [{"incident": i, "deadline": next_open_deadline(i, today)} for i in incidents]
    return render(
        request, "incidents/list.html", {"rows": rows, "form": form, "statuses": Status.values, "wanted": wanted}
    )


def _detail_context(actor: Actor, incident: Incident, **forms_given: Any) -> dict[str, Any]:
    assessment = latest_assessment(incident)
    rows = deadline_rows(incident)
    media = [row["deadline"].jurisdiction for row in rows if row["deadline"].kind == "media"]
    return {
        "incident": incident,
        "transitions": sorted(TRANSITIONS[incident.status], key=list(Status.values).index),
        "timeline": incident.timeline.all(),
        "alerts": incident.alerts.all(),
        "notes": incident.notes.select_related("author"),
        "assessment": assessment,
        "result_label": RESULTS.get(assessment.result, "") if assessment else "",
        "factor_rows": describe(assessment.scores) if assessment else [],
        "versions": incident.assessments.count(),
        "deadlines": rows,
        "notices": incident.notices.all(),
        "notices_pending": incident.notices.filter(status="queued").exists(),
        "notice_kinds": [("individual", ""), ("hhs", ""), *(("media", code) for code in media)],
        "can_render": bool(assessment and assessment.notifiable),
        "today": timezone.localdate(),
        "owner_form": forms_given.get("owner_form")
        or OwnerForm(
            organization=incident.organization,
            initial={"owner_id": incident.owner.public_id if incident.owner else "", "severity": incident.severity},
        ),
        "note_form": forms_given.get("note_form") or NoteForm(),
        "assessment_form": forms_given.get("assessment_form") or AssessmentForm(initial=assessment_initial(assessment)),
        "notification_form": forms_given.get("notification_form"),
        "status_error": forms_given.get("status_error", ""),
    }


@login_required
@never_cache
@require_GET
def incident_detail(request: HttpRequest, incident_id: str) -> HttpResponse:
    actor = member_actor(request)
    incident = _incident(actor, incident_id)
    return render(request, "incidents/detail.html", _detail_context(actor, incident))


@login_required
@require_POST
def incident_status(request: HttpRequest, incident_id: str) -> HttpResponse:
    actor = member_actor(request)
    incident = _incident(actor, incident_id)
    try:
        services.incident_update(actor=actor, incident=incident, status=request.POST.get("status", ""))
    except FieldError as exc:
        context = _detail_context(actor, incident, status_error=str(exc))
        return render(request, "incidents/detail.html", context, status=400)
    return redirect("incident-detail", incident_id=incident.public_id)


@login_required
@require_POST
def incident_owner(request: HttpRequest, incident_id: str) -> HttpResponse:
    actor = member_actor(request)
    incident = _incident(actor, incident_id)
    form = OwnerForm(request.POST, organization=incident.organization)
    if form.is_valid():
        owner_id = form.cleaned_data["owner_id"]
        try:
            owner = services.member_by_public_id(incident.organization, owner_id) if owner_id else None
            services.incident_update(
                actor=actor, incident=incident, owner=owner, severity=form.cleaned_data["severity"]
            )
        except FieldError as exc:
            show_field_error(form, exc)
        else:
            return redirect("incident-detail", incident_id=incident.public_id)
    return render(request, "incidents/detail.html", _detail_context(actor, incident, owner_form=form), status=400)


@login_required
@require_POST
def incident_note(request: HttpRequest, incident_id: str) -> HttpResponse:
    actor = member_actor(request)
    incident = _incident(actor, incident_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.note_add(actor=actor, incident=incident, text=form.cleaned_data["text"])
        except FieldError as exc:
            show_field_error(form, exc)
        else:
            return redirect("incident-detail", incident_id=incident.public_id)
    return render(request, "incidents/detail.html", _detail_context(actor, incident, note_form=form), status=400)


@login_required
@require_POST
def incident_assess(request: HttpRequest, incident_id: str) -> HttpResponse:
    actor = member_actor(request)
    incident = _incident(actor, incident_id)
    form = AssessmentForm(request.POST)
    if form.is_valid():
        try:
            assessment = notifications.assessment_record(
                actor=actor,
                incident=incident,
                answers=form.answers(),
                notes=form.notes(),
                affected_individuals=form.cleaned_data["affected_individuals"],
                affected_by_jurisdiction=form.cleaned_data["affected_by_jurisdiction"],
            )
        except FieldError as exc:
            show_field_error(form, exc)
        else:
            messages.success(request, f"Assessment version {assessment.version}: {RESULTS[assessment.result]}.")
            return redirect("incident-detail", incident_id=incident.public_id)
    context = _detail_context(actor, incident, assessment_form=form)
    return render(request, "incidents/detail.html", context, status=400)


@login_required
@require_POST
def incident_notify(request: HttpRequest, incident_id: str) -> HttpResponse:
    actor = member_actor(request)
    incident = _incident(actor, incident_id)
    form = NotificationForm(request.POST)
    if form.is_valid():
        try:
            notifications.notification_record(actor=actor, incident=incident, **form.cleaned_data)
        except FieldError as exc:
            show_field_error(form, exc)
        else:
            messages.success(request, "Notification recorded.")
            return redirect("incident-detail", incident_id=incident.public_id)
    context = _detail_context(actor, incident, notification_form=form)
    return render(request, "incidents/detail.html", context, status=400)


@login_required
@require_POST
def incident_notice(request: HttpRequest, incident_id: str) -> HttpResponse:
    actor = member_actor(request)
    incident = _incident(actor, incident_id)
    form = NoticeForm(request.POST)
    if form.is_valid():
        try:
            notifications.notice_request(actor=actor, incident=incident, **form.cleaned_data)
        except FieldError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "The letter is being rendered.")
    else:
        messages.error(request, "Choose a kind of notice.")
    return redirect("incident-detail", incident_id=incident.public_id)


@login_required
@never_cache
@require_GET
def incident_notices(request: HttpRequest, incident_id: str) -> HttpResponse:
    """htmx partial: the letters, polling while one is still being rendered."""
    actor = member_actor(request)
    incident = _incident(actor, incident_id)
    context = {
        "incident": incident,
        "notices": incident.notices.all(),
        "notices_pending": incident.notices.filter(status="queued").exists(),
    }
    return render(request, "incidents/_notices.html", context)


@login_required
@never_cache
@require_GET
def incident_notice_download(request: HttpRequest, incident_id: str, notice_id: str) -> HttpResponse:
    actor = member_actor(request)
    incident = _incident(actor, incident_id)
    notice = access_notice(incident=incident, notice_id=notice_id)
    try:
        content = notifications.notice_download(actor=actor, notice=notice)
    except notifications.NoticeNotReady:
        raise Http404("notice not ready") from None
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{notice.filename}"'
    return response


@login_required
@never_cache
@require_GET
def alerts_page(request: HttpRequest) -> HttpResponse:
    actor = console_actor(request, PERMISSION)
    rule = request.GET.get("rule") or ""
    alerts = alert_list(actor=actor, rule=rule if rule in Rule.values else None)[:LIST_LIMIT]
    return render(
        request,
        "incidents/alerts.html",
        {"alerts": alerts, "rules": Rule.choices, "wanted": rule, "medium": SEVERITY_RANK[Severity.MEDIUM]},
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def thresholds_page(request: HttpRequest) -> HttpResponse:
    actor = console_actor(request, PERMISSION)
    current = services.thresholds_for(actor.organization)
    initial = {name: getattr(current, name) for name in services.THRESHOLD_LIMITS}
    form = ThresholdsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.thresholds_update(actor=actor, values=form.cleaned_data)
        except FieldError as exc:
            show_field_error(form, exc)
        else:
            messages.success(request, "Detection thresholds saved.")
            return redirect("incident-thresholds")
    return render(request, "incidents/thresholds.html", {"form": form}, status=400 if form.errors else 200)

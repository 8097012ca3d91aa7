"""Console: the live HIPAA checklist (one item's reasons, facts, evidence and history; evidence upload) and
Business Associate Agreements (list and create, detail with lifecycle actions, the signed PDF)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accessctl.actor import Actor
from accessctl.console import console_actor, member_actor
from accessctl.policy import is_allowed
from accessctl.tenancy import tenant_get
from audit.services import record
from compliance.api.checklist import file_response
from compliance.baa import baa_attach_document, baa_create, baa_transition
from compliance.checklist import ITEMS, STATUS_LABELS, status_counts
from compliance.evaluators import ItemResult
from compliance.evidence import (
    access_evidence,
    evidence_add,
    evidence_file,
    evidence_for,
    evidence_revoke,
    is_current,
)
from compliance.facts import fact_rows
from compliance.forms import ACTION_FORMS, BaaForm, EvidenceForm
from compliance.history import checklist_evaluate, item_history, recent_changes
from compliance.models import IN_FORCE, BaaStatus, BusinessAssociateAgreement, ChecklistEvidence
from compliance.soc2 import FRAMEWORKS, evaluate_soc2
from core.confirm import confirmation
from core.errors import FieldError
from core.forms import show_field_error


def row(key: str, result: ItemResult) -> dict[str, Any]:
    item = ITEMS[key]
    return {
        "key": key,
        "title": item.title,
        "citations": item.citations,
        "summary": item.summary,
        "status": result.status,
        "status_label": STATUS_LABELS[result.status],
        "reasons": result.reasons,
        "facts": fact_rows(result.facts),
    }


@login_required
@never_cache
@require_GET
def checklist_page(request: HttpRequest) -> HttpResponse:
    actor = console_actor(request, "baa:read", "checklist/*")
    framework = request.GET.get("framework", "hipaa")
    if framework not in FRAMEWORKS:
        raise Http404("no such framework")
    results = checklist_evaluate(actor=actor)
    if framework == "soc2":
        return _soc2_page(request, actor, results)
    evidence = [e for e in evidence_for(actor.organization.pk) if is_current(e)]
    rows = [
        {**row(key, result), "evidence": sum(1 for e in evidence if e.item == key)} for key, result in results.items()
    ]
    counts = status_counts(results)
    summary = [(status, STATUS_LABELS[status], counts[status]) for status in counts]
    changes = [
        {
            "change": c,
            "from_label": STATUS_LABELS.get(c.from_status, c.from_status),
            "to_label": STATUS_LABELS.get(c.to_status, c.to_status),
        }
        for c in recent_changes(actor.organization)
    ]
    return render(
        request,
        "compliance/checklist.html",
        {"rows": rows, "summary": summary, "changes": changes, "frameworks": FRAMEWORKS, "framework": framework},
    )


def _soc2_page(request: HttpRequest, actor: Actor, checklist: dict[str, ItemResult]) -> HttpResponse:
    criteria = evaluate_soc2(actor.organization, checklist=checklist)
    rows = [
        {
            "id": cid,
            "title": result.criterion.title,
            "summary": result.criterion.summary,
            "status": result.status,
            "status_label": STATUS_LABELS[result.status],
            "reasons": result.reasons,
            "sources": [
                {
                    "title": source.title,
                    "item": source.source.removeprefix("checklist:") if source.source.startswith("checklist:") else "",
                    "status": source.result.status,
                    "status_label": STATUS_LABELS[source.result.status],
                    "facts": fact_rows(source.result.facts),
                }
                for source in result.sources
            ],
        }
        for cid, result in criteria.items()
    ]
    counts = {status: sum(r.status == status for r in criteria.values()) for status in STATUS_LABELS}
    summary = [(status, STATUS_LABELS[status], counts[status]) for status in counts]
    return render(
        request,
        "compliance/soc2.html",
        {"rows": rows, "summary": summary, "frameworks": FRAMEWORKS, "framework": "soc2"},
    )


def _item_context(actor: Actor, key: str, form: EvidenceForm | None = None) -> dict[str, Any]:
    results = checklist_evaluate(actor=actor)
    can_manage = is_allowed(actor, "baa:manage", f"checklist/{key}")
    evidence = evidence_for(actor.organization.pk, key)
    if form is None and can_manage:
        form = EvidenceForm(item=ITEMS[key], organization_id=actor.organization.pk)
    history = [
        {
            "at": e.at,
            "status": e.status,
            "status_label": STATUS_LABELS.get(e.status, e.status),
            "reasons": e.reasons,
            "trigger": e.trigger,
        }
        for e in item_history(actor.organization, key)
    ]
    return {
        "item": row(key, results[key]),
        "evidence": [(e, is_current(e)) for e in evidence],
        "form": form,
        "can_manage": can_manage,
        "history": history,
    }


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def item_page(request: HttpRequest, key: str) -> HttpResponse:
    actor = console_actor(request, "baa:read", "checklist/*")
    if key not in ITEMS:
        raise Http404("no such checklist item")
    if request.method != "POST":
        return render(request, "compliance/item.html", _item_context(actor, key))
    form = EvidenceForm(request.POST, request.FILES, item=ITEMS[key], organization_id=actor.organization.pk)
    if form.is_valid():
        try:
            evidence = evidence_add(actor=actor, spec=form.spec())
        except FieldError as exc:
            show_field_error(form, exc)
        else:
            messages.success(request, f"Evidence “{evidence.title}” added.")
            return redirect("compliance-item", key=key)
    return render(request, "compliance/item.html", _item_context(actor, key, form), status=400)


def _evidence(actor: Actor, evidence_id: str, permission: str) -> ChecklistEvidence:
    return access_evidence(actor=actor, evidence_id=evidence_id, permission=permission)


@login_required
@require_POST
def evidence_revoke_view(request: HttpRequest, evidence_id: str) -> HttpResponse:
    actor = member_actor(request)
    evidence = _evidence(actor, evidence_id, "baa:manage")
    confirm = confirmation(
        request,
        action="Revoke evidence",
        target=f"“{evidence.title}” for {ITEMS[evidence.item].title}",
        consequences="The evidence stops counting for its checklist item at once; it stays on file (revoked, "
        "never deleted) and cannot be made current again.",
        button="Revoke the evidence",
        back=reverse("compliance-item", args=[evidence.item]),
    )
    if confirm is not None:
        return confirm
    try:
        evidence_revoke(actor=actor, evidence=evidence)
    except FieldError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Evidence “{evidence.title}” revoked; it no longer counts.")
    return redirect("compliance-item", key=evidence.item)


@login_required
@never_cache
@require_GET
def evidence_download(request: HttpRequest, evidence_id: str) -> HttpResponse:
    actor = member_actor(request)
    evidence = _evidence(actor, evidence_id, "baa:read")
    content, content_type, _ = evidence_file(actor=actor, evidence=evidence)
    return file_response(evidence, content, content_type)


# The actions each status offers on the detail page (the service still decides).
OFFERED: dict[str, tuple[str, ...]] = {
    BaaStatus.DRAFT: ("document", "send", "terminate"),
    BaaStatus.SENT: ("sign", "revise", "terminate"),  # signing takes the signed PDF: one upload field, not two
    BaaStatus.SIGNED: ("activate", "terminate"),
    BaaStatus.ACTIVE: ("renew", "terminate"),
    BaaStatus.EXPIRING: ("renew", "terminate"),
}
PLAIN_ACTIONS = {"send", "revise", "activate"}


def _baa(actor: Actor, baa_id: str) -> BusinessAssociateAgreement:
    return tenant_get(BusinessAssociateAgreement.objects.defer("document"), actor, baa_id)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def baa_list(request: HttpRequest) -> HttpResponse:
    actor = console_actor(request, "baa:read", "baa/*")
    can_manage = is_allowed(actor, "baa:manage", "baa/*")
    form = BaaForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                baa = baa_create(actor=actor, spec=form.spec())
            except FieldError as exc:
                show_field_error(form, exc)
            else:
                messages.success(request, f"Agreement with {baa.counterparty} recorded as a draft.")
                return redirect("compliance-baa", baa_id=baa.public_id)
        status = 400
    baas = BusinessAssociateAgreement.objects.filter(organization=actor.organization).defer("document")
    context = {"baas": baas, "form": form if can_manage else None}
    return render(request, "compliance/baas.html", context, status=status)


def _detail_context(
    actor: Actor, baa: BusinessAssociateAgreement, bound: dict[str, forms.Form], errors: list[str] | None = None
) -> dict[str, Any]:
    can_manage = is_allowed(actor, "baa:manage", baa.resource)
    offered = OFFERED.get(baa.status, ()) if can_manage else ()
    action_forms = {
        name: bound.get(name) or form_class(auto_id=f"id_{name}_%s")
        for name, form_class in ACTION_FORMS.items()
        if name in offered or name in bound
    }
    return {
        "baa": baa,
        "history": baa.history.select_related("actor"),
        "plain_actions": [a for a in offered if a in PLAIN_ACTIONS],
        "sends_mail": bool(baa.counterparty_contact),
        "action_forms": action_forms,
        "errors": errors or [],
        "in_force": baa.status in IN_FORCE,
    }


@login_required
@never_cache
@require_GET
def baa_detail(request: HttpRequest, baa_id: str) -> HttpResponse:
    actor = console_actor(request, "baa:read", "baa/*")
    baa = _baa(actor, baa_id)
    return render(request, "compliance/baa_detail.html", _detail_context(actor, baa, {}))


def _perform(actor: Actor, baa: BusinessAssociateAgreement, action: str, form: forms.Form | None) -> str:
    data = form.cleaned_data if form is not None else {}
    if action == "document":
        upload = data["document"]
        baa_attach_document(actor=actor, baa=baa, name=upload.name or "agreement.pdf", content=upload.read())
        return "Signed agreement uploaded (stored encrypted)."
    if action == "sign":
        upload = data.get("document")
        if upload:
            baa_attach_document(actor=actor, baa=baa, name=upload.name or "agreement.pdf", content=upload.read())
            baa.refresh_from_db(fields=["document_sha256", "document_name", "document_size"])
        moved = baa_transition(actor=actor, baa=baa, action="sign", signatory=data["signatory"])
        return f"Agreement signed; it is now {moved.status}."
    if action == "renew":
        moved = baa_transition(actor=actor, baa=baa, action="renew", expiry_date=data["expiry_date"])
        return f"Agreement renewed until {moved.expiry_date.isoformat()}."
    if action == "terminate":
        baa_transition(actor=actor, baa=baa, action="terminate", reason=data["reason"])
        return "Agreement terminated."
    moved = baa_transition(actor=actor, baa=baa, action=action)
    if action == "send":
        if moved.counterparty_contact:
            return f"Agreement e-mailed for signature to {moved.counterparty_contact}; it is now sent."
        return "Agreement marked as sent. No contact e-mail is on file, so nothing was e-mailed: send it yourself."
    return f"Agreement is now {moved.status}."


@login_required
@require_POST
def baa_action(request: HttpRequest, baa_id: str) -> HttpResponse:
    actor = console_actor(request, "baa:read", "baa/*")
    baa = _baa(actor, baa_id)
    action = request.POST.get("action", "")
    if action not in PLAIN_ACTIONS and action not in ACTION_FORMS:
        messages.error(request, "Unknown action.")
        return redirect("compliance-baa", baa_id=baa.public_id)
    form = (
        ACTION_FORMS[action](request.POST, request.FILES, auto_id=f"id_{action}_%s") if action in ACTION_FORMS else None
    )
    if form is None or form.is_valid():
        try:
            message = _perform(actor, baa, action, form)
        except FieldError as exc:
            if form is None:  # a plain action has no fields: the refusal is shown above the actions
                context = _detail_context(actor, _baa(actor, baa_id), {}, [str(exc)])
                return render(request, "compliance/baa_detail.html", context, status=400)
            show_field_error(form, exc)
        else:
            messages.success(request, message)
            return redirect("compliance-baa", baa_id=baa.public_id)
    bound: dict[str, forms.Form] = {action: form} if form is not None else {}
    return render(request, "compliance/baa_detail.html", _detail_context(actor, _baa(actor, baa_id), bound), status=400)


@login_required
@never_cache
@require_GET
def baa_document(request: HttpRequest, baa_id: str) -> HttpResponse:
    actor = console_actor(request, "baa:read", "baa/*")
    baa = tenant_get(BusinessAssociateAgreement.objects.all(), actor, baa_id)
    if not baa.document_sha256:
        raise Http404("no signed agreement uploaded")
    record(
        actor=actor,
        event_type="baa.document_downloaded",
        resource=baa.resource,
        resource_id=baa.public_id,
        details={"sha256": baa.document_sha256},
    )
    response = HttpResponse(bytes(baa.document), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{baa.public_id}.pdf"'
    response["Cache-Control"] = "no-store"
    return response

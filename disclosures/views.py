"""Console: a compliance officer enters a patient's identifiers, sees every inference and scan that involved
them (htmx swaps the table in) and downloads the accounting as CSV or PDF. The page never renders the
identifiers back: the results partial carries none, and a full page shows a blank form."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accessctl.console import console_actor
from core.errors import FieldError
from disclosures.api import export_response
from disclosures.identifiers import KIND_LABELS
from disclosures.render import row
from disclosures.services import PERMISSION, DisclosureQuery, disclosure_search

MAX_SHOWN = 500


class DisclosureSearchForm(forms.Form):
    name = forms.CharField(max_length=200, required=False, help_text="With the date of birth; any order or case.")
    date_of_birth = forms.CharField(max_length=40, required=False, help_text="YYYY-MM-DD or MM/DD/YYYY")
    mrn = forms.CharField(max_length=64, required=False, label="MRN")
    ssn = forms.CharField(max_length=32, required=False, label="SSN")
    phone = forms.CharField(max_length=40, required=False)
    email = forms.CharField(max_length=254, required=False, label="E-mail")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for field in self.fields.values():
            field.widget.attrs["autocomplete"] = "off"  # identifiers stay out of the browser's form history

    def query(self) -> DisclosureQuery:
        return DisclosureQuery(**{name: self.cleaned_data[name] or "" for name in self.fields})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def disclosures_page(request: HttpRequest) -> HttpResponse:
    actor = console_actor(request, PERMISSION)
    context: dict[str, object] = {"form": DisclosureSearchForm(), "searched": False}
    if request.method == "POST":
        form = DisclosureSearchForm(request.POST)
        errors: list[str] = []
        if form.is_valid():
            export = request.POST.get("export", "")
            try:
                if export in ("csv", "pdf"):
                    return export_response(actor, form.query(), export)
                accounting = disclosure_search(actor=actor, query=form.query())
            except FieldError as exc:
                errors.append(f"{form[exc.field].label}: {exc}" if exc.field in form.fields
                              else str(exc))  # fmt: skip
            else:
                context.update(
                    searched=True,
                    kinds=[KIND_LABELS[k] for k in accounting.searched_kinds],
                    count=len(accounting.matches),
                    rows=[row(m) for m in accounting.matches[:MAX_SHOWN]],
                    truncated=len(accounting.matches) > MAX_SHOWN,
                )
        else:
            errors = [
                f"{form[n].label if n in form.fields else 'Form'}: {' '.join(str(m) for m in e)}"
                for n, e in form.errors.items()
            ]
        context["errors"] = errors
        if getattr(request, "htmx", False):
            return render(request, "disclosures/_results.html", context)
    return render(request, "disclosures/disclosures.html", context)

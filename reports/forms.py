"""Console form for requesting a report: period, sections (checkboxes), format."""

from __future__ import annotations

from typing import Any

from django import forms

from reports import sections
from reports.models import OutputFormat, ReportType, TimePeriod


class ReportForm(forms.Form):
    report_type = forms.ChoiceField(
        choices=ReportType.choices,
        initial=ReportType.HIPAA,
        required=False,  # absent: HIPAA
        label="Framework",
        help_text="HIPAA: audit controls and the ten-item checklist. SOC 2: the Trust Services Criteria (CC6, CC7, "
        "CC8…) with the live evidence behind each.",
    )
    time_period = forms.ChoiceField(choices=TimePeriod.choices, initial=TimePeriod.LAST_30_DAYS, label="Period")
    start_date = forms.DateField(required=False, label="From (custom)", widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(
        required=False, label="To (custom, included)", widget=forms.DateInput(attrs={"type": "date"})
    )
    include_sections = forms.MultipleChoiceField(
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        label="Sections",
        required=False,
        help_text="Tick none for the framework's standard sections.",
    )
    output_format = forms.ChoiceField(choices=OutputFormat.choices, initial=OutputFormat.PDF, label="Format")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(spec.name, spec.title) for spec in sections.REGISTRY.values()]
        field = self.fields["include_sections"]
        assert isinstance(field, forms.MultipleChoiceField)  # noqa: S101 - narrows the type for mypy
        field.choices = choices

"""`{% job_run_note row "app.tasks.name" %}`: what the recovery sweep did to a job, for the console."""

from __future__ import annotations

from typing import Any

from django import template

from core.recovery import job_run

register = template.Library()


@register.inclusion_tag("core/_job_run_note.html")
def job_run_note(row: Any, task_name: str) -> dict[str, Any]:
    """Shown beside a job's status: retried after its worker stopped (how often), or given up on."""
    return {"run": job_run(task_name, int(row.pk)) if row is not None else None}

"""App config for incidents: registers the live breach-deadline check on the compliance checklist, the
triage check on SOC 2 CC7.3, and notice rendering with the recovery sweep (core/recovery.py)."""

from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents and breach notification"

    def ready(self) -> None:
        from compliance.checklist import register_check
        from compliance.soc2 import register_check as register_soc2_check
        from core.recovery import register_job, row_job
        from incidents import tasks
        from incidents.checks import incidents_triaged, notifications_on_time
        from incidents.models import Notice, NoticeStatus
        from incidents.notifications import notice_abandon

        register_check("incident_response", notifications_on_time)
        register_soc2_check("CC7.3", "incidents_triaged", "Incidents assessed within a week", incidents_triaged)
        register_job(row_job(task=tasks.render_notice, model=Notice, open_states=[NoticeStatus.QUEUED],
                             fail=notice_abandon, noun="notification letter"))  # fmt: skip

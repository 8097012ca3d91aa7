"""App config for the audit log: plugs its writer and its retention period into accessctl, which sits below
it and so cannot import it (accessctl/extensions.py)."""

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from accessctl.extensions import Retention, register_recorder, register_retention
        from audit import signals  # noqa: F401 - records sign-in, sign-out and failed sign-in
        from audit.jobs import record_job_event
        from audit.retention import (
            HIPAA_DOCUMENTATION_DAYS,
            MAX_RETENTION_DAYS,
            MIN_RETENTION_DAYS,
            policy_for,
            retention_days_set,
        )
        from audit.services import record
        from core.recovery import register_event_writer

        register_recorder(record)
        register_event_writer(record_job_event)
        register_retention(
            Retention(
                minimum_days=MIN_RETENTION_DAYS,
                maximum_days=MAX_RETENTION_DAYS,
                days=lambda organization: policy_for(organization).log_retention_days,
                update=retention_days_set,
                hipaa_days=HIPAA_DOCUMENTATION_DAYS,
            )
        )

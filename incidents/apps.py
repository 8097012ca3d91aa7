"""App config for incidents: registers the live breach-deadline check on the compliance checklist."""

from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents and breach notification"

    def ready(self) -> None:
        from compliance.checklist import register_check
        from incidents.checks import notifications_on_time

        register_check("incident_response", notifications_on_time)

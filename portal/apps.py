"""App config for the console shell."""

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        from django.conf import settings

        import core.api.schema  # noqa: F401 - registers OpenAPI extensions
        from portal.celery import ensure_filesystem_broker_folders
        from portal.logging import configure_logging

        configure_logging(level=settings.LOG_LEVEL, fmt=settings.LOG_FORMAT)
        ensure_filesystem_broker_folders()

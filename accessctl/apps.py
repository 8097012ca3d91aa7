"""App config for access control."""

from django.apps import AppConfig


class AccessctlConfig(AppConfig):
    name = "accessctl"
    verbose_name = "Access control"

    def ready(self) -> None:
        from accessctl import signals  # noqa: F401 - session bookkeeping and lockout auditing

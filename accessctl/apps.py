"""App config for access control."""

from typing import Any

from django.apps import AppConfig


def builtin_roles_sync(**kwargs: Any) -> None:
    """post_migrate: bring every organisation's built-in roles up to this release's permissions (audited as
    role.updated), not only organisations created afterwards."""
    from accessctl.models import Organization
    from accessctl.services import roles_ensure_builtin

    for organization in Organization.objects.all():
        roles_ensure_builtin(organization=organization)


class AccessctlConfig(AppConfig):
    name = "accessctl"
    verbose_name = "Access control"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from accessctl import signals  # noqa: F401 - session bookkeeping and lockout auditing

        post_migrate.connect(builtin_roles_sync, sender=self)

"""Django admin, locked down: off unless the operator turns it on, only from allow-listed networks, only for
staff who passed MFA, without OTP secrets, and every change written to the audit log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import Http404, HttpRequest, HttpResponse


class SecureAdminSite(admin.AdminSite):
    site_header = "PaiTIENT operator admin"

    def has_permission(self, request: HttpRequest) -> bool:
        """Active staff who confirmed a second factor in this session (django-otp's `is_verified`)."""
        user: Any = request.user
        verified = getattr(user, "is_verified", None)
        return bool(super().has_permission(request) and callable(verified) and verified())


class SecureAdminConfig(AdminConfig):
    default_site = "portal.admin_site.SecureAdminSite"

    def ready(self) -> None:
        super().ready()
        from django.db.models.signals import post_save
        from django_otp.plugins.otp_static.models import StaticDevice
        from django_otp.plugins.otp_totp.models import TOTPDevice

        # TOTP seeds and backup codes are secrets: never listed, shown or edited here (MFA is managed by its
        # owner in the console; an administrator resets it through the audited console flow).
        for model in (TOTPDevice, StaticDevice):
            if admin.site.is_registered(model):
                admin.site.unregister(model)
        from django.contrib.admin.models import LogEntry

        post_save.connect(_audit_admin_change, sender=LogEntry, dispatch_uid="portal_admin_audit")


def _audit_admin_change(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """Every change made in the admin (Django writes a LogEntry for each) becomes an audit event."""
    if not created:
        return
    # Here, not at the top: this module is an INSTALLED_APPS entry, loaded before models can be imported.
    from accessctl.selectors import organization_of
    from audit.services import record

    user = instance.user
    action = {1: "added", 2: "changed", 3: "deleted"}.get(instance.action_flag, "changed")
    model = f"{instance.content_type.app_label}.{instance.content_type.model}" if instance.content_type else ""
    record(
        actor=None,
        organization=organization_of(user),
        user=user,
        event_type=f"admin.{action}",
        resource=f"admin/{model}",
        details={"model": model, "object_pk": str(instance.object_id or "")[:64]},
    )


class AdminGateMiddleware:
    """/admin/ answers 404 unless PAITIENT_ADMIN_ENABLED and the client is in PAITIENT_ADMIN_NETWORKS."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/admin/"):
            from core.network import client_ip, ip_allowed  # see above: loaded before the app registry

            if not settings.PAITIENT_ADMIN_ENABLED or not ip_allowed(
                client_ip(request) or "", list(settings.PAITIENT_ADMIN_NETWORKS) or ["0.0.0.0/32"]
            ):
                raise Http404("not found")
        return self.get_response(request)

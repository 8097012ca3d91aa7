"""REST API v1 routes; each app contributes its endpoints here."""

from django.urls import path

from accessctl import api as accessctl_api
from audit import api as audit_api
from portal.api.root import ApiRootView

urlpatterns = [
    path("", ApiRootView.as_view(), name="api-root"),
    path("me", accessctl_api.MeView.as_view(), name="api-me"),
    path("organization/members", accessctl_api.MemberListView.as_view(), name="api-members"),
    path("audit-logs", audit_api.AuditLogListView.as_view(), name="api-audit-logs"),
    path("audit-logs/export", audit_api.AuditExportView.as_view(), name="api-audit-export"),
]

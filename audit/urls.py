"""Console URLs of the audit log."""

from django.urls import path

from audit import views

urlpatterns = [
    path("", views.audit_log, name="audit-log"),
    path("events/<str:event_id>", views.audit_event_detail, name="audit-event"),
    path("users/<str:user_id>/recent", views.audit_user_recent, name="audit-user-recent"),
    path("verify", views.audit_verify_status, name="audit-verify"),
    path("export", views.audit_export, name="audit-export"),
    path("export.<str:fmt>", views.audit_export_range, name="audit-export-range"),
    path("policy", views.audit_policy, name="audit-policy"),
]

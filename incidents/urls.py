"""Console URLs of incidents, alerts and detection thresholds."""

from django.urls import path

from incidents import views

urlpatterns = [
    path("", views.incidents_page, name="incidents"),
    path("alerts", views.alerts_page, name="incident-alerts"),
    path("thresholds", views.thresholds_page, name="incident-thresholds"),
    path("<str:incident_id>/", views.incident_detail, name="incident-detail"),
    path("<str:incident_id>/status", views.incident_status, name="incident-status"),
    path("<str:incident_id>/owner", views.incident_owner, name="incident-owner"),
    path("<str:incident_id>/notes", views.incident_note, name="incident-note"),
    path("<str:incident_id>/assessment", views.incident_assess, name="incident-assess"),
    path("<str:incident_id>/notifications", views.incident_notify, name="incident-notify"),
    path("<str:incident_id>/notices", views.incident_notice, name="incident-notice"),
    path("<str:incident_id>/notices/list", views.incident_notices, name="incident-notices"),
    path("<str:incident_id>/notices/<str:notice_id>", views.incident_notice_download, name="incident-notice-download"),
]

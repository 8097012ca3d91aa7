"""Console URLs of PHI scans."""

from django.urls import path

from scans import views

urlpatterns = [
    path("", views.scans_page, name="phi-scans"),
    path("table", views.scans_table, name="phi-scans-table"),
    path("<str:scan_id>/", views.scan_detail, name="phi-scan"),
    path("<str:scan_id>/redacted", views.scan_redacted, name="phi-scan-redacted"),
]

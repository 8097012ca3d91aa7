"""Console URLs of compliance reports."""

from django.urls import path

from reports import views

urlpatterns = [
    path("", views.reports_page, name="reports"),
    path("table", views.reports_table, name="reports-table"),
    path("<str:report_id>/download", views.report_download, name="report-download"),
]

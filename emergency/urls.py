"""Console URLs of emergency (break-glass) access."""

from django.urls import path

from emergency import settings_views, views

urlpatterns = [
    path("", views.emergency_page, name="emergency"),
    path("settings", settings_views.emergency_settings, name="emergency-settings"),
    path("mine", views.emergency_mine, name="emergency-mine"),
    path("inbox", views.emergency_inbox, name="emergency-inbox"),
    path("grants", views.emergency_grants, name="emergency-grants"),
    path("<str:request_id>/", views.emergency_detail, name="emergency-detail"),
    path("<str:request_id>/countdown", views.emergency_countdown, name="emergency-countdown"),
    path("<str:request_id>/decide", views.emergency_decide, name="emergency-decide"),
    path("<str:request_id>/revoke", views.emergency_revoke, name="emergency-revoke"),
    path("<str:request_id>/review", views.emergency_review, name="emergency-review"),
]

"""Console URLs of access reviews (under Access)."""

from django.urls import path

from reviews import views

urlpatterns = [
    path("", views.campaigns_page, name="access-reviews"),
    path("schedule", views.schedule_page, name="access-review-schedule"),
    path("<str:campaign_id>", views.campaign_page, name="access-review"),
    path("<str:campaign_id>/items/<str:item_id>/decide", views.item_decide_view, name="access-review-decide"),
    path("<str:campaign_id>/sign-off", views.sign_off_view, name="access-review-sign-off"),
]

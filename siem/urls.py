"""Console URLs of the SIEM export (under /audit/siem/)."""

from django.urls import path

from siem import views

urlpatterns = [
    path("", views.destinations_page, name="siem-destinations"),
    path("<str:destination_id>/edit", views.destination_edit, name="siem-destination-edit"),
    path("<str:destination_id>/delete", views.destination_delete, name="siem-destination-delete"),
]

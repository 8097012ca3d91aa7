"""Console URLs of the accounting of disclosures."""

from django.urls import path

from disclosures import views

urlpatterns = [
    path("", views.disclosures_page, name="disclosures"),
]

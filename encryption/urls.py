"""Console URLs of encryption."""

from django.urls import path

from encryption import views

urlpatterns = [
    path("", views.keys_page, name="encryption-keys"),
    path("rotate", views.keys_rotate_view, name="encryption-keys-rotate"),
]

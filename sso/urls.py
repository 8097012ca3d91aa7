"""Console URLs of single sign-on."""

from django.urls import path

from sso import views

urlpatterns = [
    path("login/sso", views.sso_start, name="sso-login"),
    path("login/sso/callback", views.sso_callback, name="sso-callback"),
    path("access/sso", views.configuration_page, name="sso-configuration"),
]

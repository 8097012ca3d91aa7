"""URL map: console, REST API v1, OpenAPI schema and docs, health checks, admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from deployments.api import openai as openai_api
from portal import metrics, setup, views
from portal.forms import LoginForm

handler404 = "portal.views.not_found"
handler500 = "portal.views.server_error"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("dashboard/health", views.dashboard_health, name="dashboard-health"),
    path("setup/", setup.setup_page, name="setup"),
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("audit/siem/", include("siem.urls")),
    path("audit/", include("audit.urls")),
    path("settings/keys/", include("encryption.urls")),
    path("scans/", include("scans.urls")),
    path("reports/", include("reports.urls")),
    path("disclosures/", include("disclosures.urls")),
    path("deployments/", include("deployments.urls")),
    path("playground/", include("deployments.playground_urls")),
    path("incidents/", include("incidents.urls")),
    path("compliance/", include("compliance.urls")),
    path("emergency/", include("emergency.urls")),
    path("", include("sso.urls")),
    path("access/reviews/", include("reviews.urls")),
    path("", include("accessctl.urls")),
    path("", include("passkeys.urls")),
    path("", include("scim.console_urls")),
    path("scim/v2/", include("scim.urls")),  # SCIM 2.0 for identity providers (bearer token, its own errors)
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages without a <link rel="icon"> (the API docs, error pages).
    path("favicon.ico", RedirectView.as_view(url=static("portal/favicon.svg"), permanent=True), name="favicon"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("portal.api.urls")),
    # OpenAI-compatible: the official clients append these paths to base_url=<host>/v1.
    path("v1/chat/completions", openai_api.ChatCompletionsView.as_view(), name="openai-chat-completions"),
    path("v1/models", openai_api.ModelsView.as_view(), name="openai-models"),
    path("v1/models/<str:model>", openai_api.ModelView.as_view(), name="openai-model"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

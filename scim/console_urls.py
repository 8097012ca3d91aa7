"""Console URLs of SCIM provisioning (under Access)."""

from django.urls import path

from scim import console

urlpatterns = [
    path("access/scim", console.scim_tokens_page, name="scim-tokens"),
    path("access/scim/<str:token_id>/revoke", console.scim_token_revoke_view, name="scim-token-revoke"),
]

"""Console URLs of access control."""

from django.urls import path

from accessctl import views, views_mfa

urlpatterns = [
    path("login/mfa", views_mfa.mfa_step, name="mfa-verify"),
    path("account/mfa", views_mfa.mfa_setup, name="mfa-setup"),
    path("account/api-keys", views.api_keys_page, name="api-keys-page"),
    path("account/api-keys/<str:key_id>/revoke", views.api_key_revoke_view, name="api-key-revoke-page"),
    path("settings/security", views.security_settings_page, name="security-settings"),
    path("access/roles", views.roles_page, name="roles"),
    path("access/roles/<str:role_name>/users/<str:user_id>/remove", views.role_unassign_view, name="role-unassign"),
]

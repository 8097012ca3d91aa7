"""Console URLs of access control."""

from django.contrib.auth import views as auth_views
from django.urls import path

from accessctl import views, views_account, views_mfa, views_users

urlpatterns = [
    path("login/mfa", views_mfa.mfa_step, name="mfa-verify"),
    path("account/", views_account.account_page, name="account"),
    path("account/mfa", views_mfa.mfa_setup, name="mfa-setup"),
    path("account/mfa/devices/<int:device_id>/remove", views_account.mfa_device_remove_view, name="mfa-device-remove"),
    path("account/mfa/backup-codes", views_account.backup_codes_regenerate_view, name="mfa-backup-codes"),
    path("account/api-keys", views.api_keys_page, name="api-keys-page"),
    path("account/api-keys/<str:key_id>/revoke", views.api_key_revoke_view, name="api-key-revoke-page"),
    # Links carry their tokens in the query string, which the access log leaves out (portal/gunicorn_conf.py).
    path("invite/accept", views_account.invitation_accept_page, name="invitation-accept"),
    path("password-reset/", views_account.PasswordResetRequestView.as_view(), name="password_reset"),
    path("password-reset/link", views_account.password_reset_link, name="password_reset_link"),
    path(
        "password-reset/sent",
        auth_views.PasswordResetDoneView.as_view(template_name="registration/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>", views_account.PasswordResetSetView.as_view(), name="password_reset_confirm"
    ),
    path(
        "password-reset/done",
        auth_views.PasswordResetCompleteView.as_view(template_name="registration/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path("settings/security", views.security_settings_page, name="security-settings"),
    path("access/roles", views.roles_page, name="roles"),
    path("access/roles/<str:role_name>/users/<str:user_id>/remove", views.role_unassign_view, name="role-unassign"),
    path("access/users", views_users.users_page, name="users"),
    path("access/users/invite", views_users.invite_page, name="user-invite"),
    path("access/users/<str:user_id>", views_users.user_detail_page, name="user-detail"),
    path("access/users/<str:user_id>/deactivate", views_users.user_deactivate_view, name="user-deactivate"),
    path("access/users/<str:user_id>/reactivate", views_users.user_reactivate_view, name="user-reactivate"),
    path("access/users/<str:user_id>/password-reset", views_users.user_password_reset_view, name="user-password-reset"),
    path(
        "access/invitations/<str:invitation_id>/<str:action>",
        views_users.invitation_action_view,
        name="invitation-action",
    ),
]

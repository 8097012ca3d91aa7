"""Console URLs of passkeys. The ceremonies live under the paths the MFA gate leaves open (`/login/mfa`,
`/account/mfa`: accessctl.middleware.MFA_OPEN_PATHS), since they run before the session is verified; the
views check what each needs themselves. Renaming and removing sit behind the gate."""

from django.urls import path

from passkeys import views

urlpatterns = [
    path("login/mfa/passkey/begin", views.authentication_begin, name="passkey-authentication-begin"),
    path("login/mfa/passkey/complete", views.authentication_complete, name="passkey-authentication-complete"),
    path("account/mfa/passkeys/begin", views.registration_begin, name="passkey-registration-begin"),
    path("account/mfa/passkeys/complete", views.registration_complete, name="passkey-registration-complete"),
    path("account/passkeys/<int:passkey_id>/rename", views.passkey_rename_page, name="passkey-rename"),
    path("account/passkeys/<int:passkey_id>/remove", views.passkey_remove_view, name="passkey-remove"),
]

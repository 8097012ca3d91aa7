"""App config for passkeys: WebAuthn credentials (django-otp-webauthn's device model) as a second factor."""

from django.apps import AppConfig


class PasskeysConfig(AppConfig):
    name = "passkeys"
    verbose_name = "Passkeys"

"""App config for encryption: organisation keys, master key providers, encrypted fields and files."""

from django.apps import AppConfig


class EncryptionConfig(AppConfig):
    name = "encryption"
    verbose_name = "Encryption"

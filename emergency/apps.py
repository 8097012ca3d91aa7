"""App config for emergency (break-glass) access."""

from django.apps import AppConfig


class EmergencyConfig(AppConfig):
    name = "emergency"
    verbose_name = "Emergency access"

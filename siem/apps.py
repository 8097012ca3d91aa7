"""App config for the SIEM export: OCSF events delivered to each organisation's collectors."""

from django.apps import AppConfig


class SiemConfig(AppConfig):
    name = "siem"
    verbose_name = "SIEM export"

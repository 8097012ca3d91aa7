"""App config for emergency (break-glass) access: registers its grant lookup (consulted by
`accessctl.policy.is_allowed` after roles refuse) and its `emergency_access` section of the security settings
with accessctl, which sits below it (accessctl/extensions.py), and the offboarding step that ends a
deactivated member's requests and grants."""

from django.apps import AppConfig


class EmergencyConfig(AppConfig):
    name = "emergency"
    verbose_name = "Emergency access"

    def ready(self) -> None:
        from accessctl.extensions import (
            SettingsSection,
            register_grant_lookup,
            register_offboarding_step,
            register_settings_section,
        )
        from emergency.grants import active_grant_for
        from emergency.services import end_for_offboarded
        from emergency.settings_section import emergency_document, emergency_settings_update

        register_grant_lookup(active_grant_for)
        register_offboarding_step(end_for_offboarded)
        register_settings_section(
            "emergency_access", SettingsSection(document=emergency_document, update=emergency_settings_update)
        )

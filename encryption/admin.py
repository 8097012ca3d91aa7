"""Django admin: keys are listed with their metadata only; key material is never shown or editable."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest

from encryption.models import OrganizationKey

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[OrganizationKey]
else:  # not subscriptable at run time
    _ModelAdmin = admin.ModelAdmin


@admin.register(OrganizationKey)
class OrganizationKeyAdmin(_ModelAdmin):
    list_display = ["key_id", "organization", "algorithm", "status", "created_at", "retired_at", "destroyed_at"]
    list_filter = ["algorithm", "status"]
    fields = ["key_id", "organization", "algorithm", "status", "master_key_id", "created_at", "retired_at"]
    readonly_fields = ["key_id", "organization", "algorithm", "status", "master_key_id", "created_at", "retired_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

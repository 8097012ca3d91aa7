"""Console forms and services: a service's `FieldError` shown on the form field it names."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms

from core.errors import FieldError


def show_field_error(form: forms.Form, exc: FieldError, aliases: Mapping[str, str | None] | None = None) -> None:
    """Add `exc` to the form field it names, or above the form when no field matches.

    `aliases` maps the service's (API) field names to the form's: an exact name, or a prefix ending in "."
    that covers every field under it (`"tags."`); a name mapped to None is shown above the form."""
    name: str | None = exc.field
    for key, target in (aliases or {}).items():
        if exc.field == key or (key.endswith(".") and exc.field.startswith(key)):
            name = target
            break
    form.add_error(name if name is not None and name in form.fields else None, str(exc))

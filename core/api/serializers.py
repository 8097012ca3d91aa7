"""Strict serializers: unknown fields are errors, and JSON values must have the field's type."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

_STRINGS = (serializers.CharField, serializers.DateField, serializers.DateTimeField, serializers.TimeField)


def _json_type_error(field: serializers.Field[Any, Any, Any, Any], value: Any) -> str | None:
    """Why a JSON value has the wrong type for `field`, or None. DRF would quietly take 1 for "1", "true" for
    true and 2.0 for 2; a client that sends the wrong type has a bug we should name, not guess around."""
    if value is None:  # null is the field's own business (allow_null)
        return None
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else "Must be true or false."
    if isinstance(field, serializers.IntegerField):
        return None if isinstance(value, int) and not isinstance(value, bool) else "Must be a whole number."
    if isinstance(field, serializers.FloatField):
        return None if isinstance(value, int | float) and not isinstance(value, bool) else "Must be a number."
    if isinstance(field, _STRINGS):
        return None if isinstance(value, str) else "Must be a string."
    if isinstance(field, serializers.ListField) and isinstance(value, list):
        return next(filter(None, (_json_type_error(field.child, item) for item in value)), None)
    if isinstance(field, serializers.DictField) and isinstance(value, dict):
        return next(filter(None, (_json_type_error(field.child, item) for item in value.values())), None)
    return None


class StrictSerializer(serializers.Serializer[Any]):
    """Refuses fields it does not know, naming them (a typo must not be silently ignored), and JSON values of
    the wrong type (form fields are all strings, so only a JSON body is held to its types)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        if type(data) is dict:  # a parsed JSON object; a form's QueryDict is a dict subclass
            wrong = {name: _json_type_error(field, data[name]) for name, field in self.fields.items() if name in data}
            if any(wrong.values()):
                raise serializers.ValidationError({name: [error] for name, error in wrong.items() if error})
        return super().to_internal_value(data)

"""A JSON object stored as its canonical text (sorted keys, no spaces), so SQL can rebuild the hashed bytes."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.db import models

from audit.canonical import encode_details

if TYPE_CHECKING:
    _TextField = models.TextField[dict[str, Any], dict[str, Any]]
else:  # Django's field classes are not subscriptable at run time
    _TextField = models.TextField


class CanonicalJSONField(_TextField):
    description = "JSON object stored as canonical text"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        return None if value is None else json.loads(value)

    def to_python(self, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    def get_prep_value(self, value: Any) -> Any:
        return None if value is None else encode_details(value)

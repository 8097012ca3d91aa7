"""Model fields whose values are stored only as envelopes sealed for the row's organisation.

The associated data binds each value to its table, column and row (`encryption_row_key` on the model,
e.g. a public id set at creation), so a ciphertext copied to another row or column does not open.
Values are decrypted lazily on first attribute access and re-sealed (fresh data key) on every save.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal

from django.apps import apps as global_apps
from django.db import models

from encryption.services import decrypt, encrypt

REGISTRY: list[tuple[type[models.Model], EncryptedField]] = []


class Sealed(bytes):
    """A value as read from the database: still encrypted."""


class _Descriptor:
    def __init__(self, field: EncryptedField) -> None:
        self.field = field

    def __get__(self, instance: models.Model | None, owner: type) -> Any:
        if instance is None:
            return self
        value = instance.__dict__.get(self.field.attname)
        if isinstance(value, Sealed):
            value = self.field.open_value(instance, value)
            instance.__dict__[self.field.attname] = value
        return value

    def __set__(self, instance: models.Model, value: Any) -> None:
        instance.__dict__[self.field.attname] = value


if TYPE_CHECKING:
    _BinaryField = models.BinaryField[Any, Any]
else:  # Django's field classes are not subscriptable at run time
    _BinaryField = models.BinaryField


class EncryptedField(_BinaryField):
    kind: str = "binary"

    def __init__(self, *args: Any, level: Literal["maximum", "standard"] = "maximum", **kwargs: Any) -> None:
        self.level = level
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["level"] = self.level
        return name, path, args, kwargs

    def contribute_to_class(self, cls: type[models.Model], name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only)
        setattr(cls, self.attname, _Descriptor(self))
        if not cls._meta.abstract and cls._meta.apps is global_apps:  # not migrations' historical models
            REGISTRY.append((cls, self))

    def aad(self, instance: models.Model) -> bytes:
        row_key = getattr(instance, getattr(instance, "encryption_row_key", "pk"))
        return f"paitient/field|{instance._meta.db_table}|{self.column}|{row_key}".encode()

    def encode(self, value: Any) -> bytes:
        return bytes(value)

    def decode(self, data: bytes) -> Any:
        return data

    def open_value(self, instance: models.Model, sealed: bytes) -> Any:

        return self.decode(decrypt(instance.organization, bytes(sealed), aad=self.aad(instance)))  # type: ignore[attr-defined]

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = model_instance.__dict__.get(self.attname)
        if value is None or isinstance(value, Sealed):
            return value

        organization = model_instance.organization  # type: ignore[attr-defined]
        sealed = encrypt(organization, self.encode(value), aad=self.aad(model_instance), level=self.level)
        return Sealed(sealed)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return None if value is None else Sealed(bytes(value))

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if value is not None and not isinstance(value, Sealed):
            raise TypeError("encrypted fields are written through save(); they cannot be filtered or bulk-updated")
        return super().get_db_prep_value(bytes(value) if value is not None else None, connection, prepared)


class EncryptedTextField(EncryptedField):
    kind = "text"

    def encode(self, value: Any) -> bytes:
        return str(value).encode("utf-8")

    def decode(self, data: bytes) -> Any:
        return data.decode("utf-8")


class EncryptedJSONField(EncryptedField):
    kind = "json"

    def encode(self, value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":"), sort_keys=True).encode("utf-8")

    def decode(self, data: bytes) -> Any:
        return json.loads(data)


class EncryptedBinaryField(EncryptedField):
    kind = "binary"

"""A clinical note with PHI in every kind of encrypted field."""

from __future__ import annotations

import uuid

from django.db import models

from accessctl.models import Organization
from encryption.fields import EncryptedBinaryField, EncryptedJSONField, EncryptedTextField


class ClinicalNote(models.Model):
    encryption_row_key = "uid"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    uid = models.UUIDField(default=uuid.uuid4, unique=True)
    body = EncryptedTextField()
    facts = EncryptedJSONField(level="standard")
    scan = EncryptedBinaryField()

    def __str__(self) -> str:
        return str(self.uid)

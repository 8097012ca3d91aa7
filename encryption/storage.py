"""File storage whose files hold only envelopes sealed for an organisation (reports, exports, scan uploads).

Names must start with the organisation's public id (`org_…/…`): that is how a file finds its keys,
and the name is the associated data, so a file renamed or moved to another organisation does not open.
"""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage

from accessctl.models import Organization
from encryption.services import decrypt, encrypt


class EncryptedFileStorage(FileSystemStorage):
    def _organization(self, name: str) -> Organization:
        public_id = name.replace("\\", "/").split("/", 1)[0]
        organization = Organization.objects.filter(public_id=public_id).first()
        if organization is None:
            raise ValueError("encrypted file names start with the organisation's public id")
        return organization

    @staticmethod
    def _aad(name: str) -> bytes:
        return f"paitient/file|{name}".encode()

    def _save(self, name: str, content: File[Any]) -> str:

        name = self.get_available_name(name)
        data = content.read()
        plaintext = data.encode("utf-8") if isinstance(data, str) else data
        sealed = encrypt(self._organization(name), plaintext, aad=self._aad(name))
        stored: str = super()._save(name, ContentFile(sealed))  # type: ignore[misc]  # hook missing from django-stubs
        return stored

    def _open(self, name: str, mode: str = "rb") -> File[Any]:

        if "w" in mode or "a" in mode:
            raise ValueError("encrypted files are written with save()")
        with super()._open(name, "rb") as stored:  # type: ignore[misc]  # hook missing from django-stubs
            sealed = stored.read()
        return ContentFile(decrypt(self._organization(name), sealed, aad=self._aad(name)), name=name)

    def size(self, name: str) -> int:
        with self._open(name) as opened:
            return len(opened.read())

"""PATCH on a User (RFC 7644 §3.5.2) as Okta and Entra ID send it: the operations are applied to the member's
current representation, and the result is then written like a PUT, so one code path checks and audits both."""

from __future__ import annotations

import copy
import re
from typing import Any

from scim.protocol import ScimError, as_bool

_URN = "urn:ietf:params:scim:schemas:core:2.0:user:"
_EMAIL_VALUE = re.compile(r'^emails(\[\s*(type\s+eq\s+"work"|primary\s+eq\s+true)\s*\])?\.value$', re.I)
# Derived from the given and family name here: accepted and not kept (Entra ID maps displayName by default).
_DERIVED = ("displayname", "name.formatted")


def apply_user_patch(resource: dict[str, Any], operations: Any) -> dict[str, Any]:
    if not isinstance(operations, list) or not operations:
        raise ScimError(400, "Operations: give a non-empty list of operations.", "invalidSyntax")
    patched = copy.deepcopy(resource)
    for operation in operations:
        if not isinstance(operation, dict):
            raise ScimError(400, "Operations: each operation is an object.", "invalidSyntax")
        op = str(operation.get("op", "")).lower()
        if op not in ("add", "remove", "replace"):
            raise ScimError(400, "op: must be add, remove or replace.", "invalidSyntax")
        path = operation.get("path")
        value = operation.get("value")
        if path is None or path == "":
            if op == "remove":
                raise ScimError(400, "path: a remove operation needs a path.", "noTarget")
            if not isinstance(value, dict):
                raise ScimError(400, "value: without a path, the value is an object of attributes.", "invalidValue")
            for key, item in value.items():
                _set(patched, str(key), item, op)
        elif not isinstance(path, str):
            raise ScimError(400, "path: must be a string.", "invalidPath")
        elif op == "remove":
            _remove(patched, path)
        else:
            _set(patched, path, value, op)
    return patched


def _name_of(path: str) -> str:
    lowered = path.strip().lower()
    return lowered.removeprefix(_URN)


def _set(resource: dict[str, Any], path: str, value: Any, op: str) -> None:
    name = _name_of(path)
    if name == "active":
        resource["active"] = as_bool(value, "active")
    elif name == "username":
        resource["userName"] = value
    elif name == "externalid":
        resource["externalId"] = value
    elif name == "name":
        if not isinstance(value, dict):
            raise ScimError(400, "name: must be an object.", "invalidValue")
        resource["name"] = {**resource.get("name", {}), **value} if op == "add" else dict(value)
    elif name in ("name.givenname", "name.familyname"):
        key = "givenName" if name.endswith("givenname") else "familyName"
        resource.setdefault("name", {})[key] = value
    elif name == "emails":
        emails = value if isinstance(value, list) else [value]
        resource["emails"] = emails
    elif _EMAIL_VALUE.match(name):
        resource["emails"] = [{"value": value, "type": "work", "primary": True}]
    elif name in _DERIVED:
        return
    elif name in ("id", "meta", "groups", "schemas"):
        raise ScimError(400, f"{path[:60]}: is read-only (change roles through Groups).", "mutability")
    else:
        raise ScimError(400, f"path: {path[:60]} is not a User attribute this server keeps.", "invalidPath")


def _remove(resource: dict[str, Any], path: str) -> None:
    name = _name_of(path)
    if name in ("name.givenname", "name.familyname"):
        resource.setdefault("name", {})["givenName" if name.endswith("givenname") else "familyName"] = ""
    elif name == "name":
        resource["name"] = {}
    elif name == "externalid":
        resource.pop("externalId", None)
    elif name in _DERIVED:
        return
    elif name in ("username", "active", "id", "meta", "groups", "schemas"):
        raise ScimError(400, f"{path[:60]}: cannot be removed.", "mutability")
    elif name == "emails" or _EMAIL_VALUE.match(name):
        raise ScimError(400, "emails: a member keeps a work e-mail address; replace it instead.", "mutability")
    else:
        raise ScimError(400, f"path: {path[:60]} is not a User attribute this server keeps.", "invalidPath")

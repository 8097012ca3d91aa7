"""OCSF conformance for tests, offline: the OCSF 1.7.0 schema that the `ocsf-json-schema` package ships (the
compiled schema as schema.ocsf.io exports it), read with `ocsf-lib`; each event is checked against

1. the JSON Schema (draft 2020-12) that `ocsf-json-schema` generates from that schema for the event's class, with
   the profiles the event declares (none): required attributes, types, enum values of every `*_id`, constant
   class and category ids, no attribute the class does not define (`additionalProperties: false`), and the
   "at least one of" rules of objects such as `user`, `actor` and `network_endpoint`; and
2. the class as `ocsf-lib` models it, for what JSON Schema does not say: `activity_name`, `severity`, `status`,
   `class_name` and `category_name` are the captions of their ids, `type_uid` is class_uid * 100 + activity_id,
   and every required attribute of the class outside profiles is present.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import ocsf_json_schema
from ocsf.schema import OcsfSchema, from_file
from ocsf_json_schema import OcsfJsonSchemaEmbedded, get_ocsf_schema

VERSION = "1.7.0"
SCHEMA_FILE = Path(ocsf_json_schema.__file__).parent / "ocsf" / f"{VERSION}.json"
PROFILE_ATTRIBUTES = {"cloud", "osint"}  # required only under the cloud and OSINT profiles, which we do not declare


@cache
def ocsf_lib_schema() -> OcsfSchema:
    return from_file(str(SCHEMA_FILE))


@cache
def _json_schemas() -> OcsfJsonSchemaEmbedded:
    return OcsfJsonSchemaEmbedded(get_ocsf_schema(version=VERSION))


@cache
def class_validator(class_uid: int) -> jsonschema.protocols.Validator:
    schemas = _json_schemas()
    schema = schemas.get_class_schema(schemas.lookup_class_name_from_uid(class_uid), profiles=[])
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def ocsf_problems(event: dict[str, Any]) -> list[str]:
    """Every way `event` falls short of its OCSF class; empty when it conforms."""
    class_uid = event.get("class_uid")
    schema = ocsf_lib_schema()
    classes = {c.uid: c for c in schema.classes.values()}
    if class_uid not in classes:
        return [f"class_uid {class_uid!r} is no OCSF {VERSION} class"]
    problems = [f"{'/'.join(map(str, e.absolute_path)) or '(event)'}: {e.message}"
                for e in class_validator(class_uid).iter_errors(event)]  # fmt: skip
    assert isinstance(class_uid, int)
    cls = classes[class_uid]
    required = {name for name, attr in cls.attributes.items() if attr.requirement == "required"}
    problems += [f"{name}: required by {cls.caption}" for name in sorted(required - PROFILE_ATTRIBUTES - set(event))]

    def caption(attribute: str, value: Any) -> str | None:
        enum = cls.attributes[attribute].enum or {}
        item = enum.get(str(value))
        return item.caption if item is not None else None

    expected = {
        "class_name": cls.caption,
        "category_name": caption("category_uid", event.get("category_uid")),
        "activity_name": caption("activity_id", event.get("activity_id")),
        "severity": caption("severity_id", event.get("severity_id")),
        "type_uid": class_uid * 100 + int(event.get("activity_id", -1)),
    }
    if "status_id" in event:
        expected["status"] = caption("status_id", event["status_id"])
    problems += [f"{name}: {event.get(name)!r}, not {want!r}" for name, want in expected.items()
                 if want is not None and event.get(name) != want]  # fmt: skip
    return problems

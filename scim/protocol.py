"""The SCIM wire protocol (RFC 7644): media type, error documents, list responses, paging, filters, ETags."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse

SCIM_MEDIA_TYPE = "application/scim+json"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
MAX_RESULTS = 200  # the most resources one page returns (ServiceProviderConfig.filter.maxResults)
ACCEPTED_MEDIA_TYPES = ("application/scim+json", "application/json")


class ScimError(Exception):
    """A refusal as RFC 7644 §3.12 describes it: an HTTP status, an optional `scimType` and a detail that is
    safe to show (it names attributes, never their values)."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.scim_type = status, detail, scim_type


def scim_response(
    body: Mapping[str, Any] | None, status: int = 200, *, location: str = "", etag: str = ""
) -> HttpResponse:
    content = json.dumps(body, separators=(",", ":"), default=str) if body is not None else ""
    response = HttpResponse(content, status=status, content_type=SCIM_MEDIA_TYPE)
    if body is None:  # 204, 304: no body, so no media type
        del response["Content-Type"]
    if location:
        response["Location"] = location
    if etag:
        response["ETag"] = etag
    response["Cache-Control"] = "no-store"
    return response


def error_response(error: ScimError) -> HttpResponse:
    body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(error.status), "detail": error.detail}
    if error.scim_type:
        body["scimType"] = error.scim_type
    response = scim_response(body, error.status)
    if error.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="scim"'
    return response


def read_body(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object; anything else is a 400 `invalidSyntax`."""
    media_type = request.content_type or ""
    if media_type and media_type not in ACCEPTED_MEDIA_TYPES:
        raise ScimError(415, f"Send {SCIM_MEDIA_TYPE}.")
    try:
        body = json.loads(request.body or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ScimError(400, "The request body is not valid JSON.", "invalidSyntax") from None
    if not isinstance(body, dict):
        raise ScimError(400, "The request body must be a JSON object.", "invalidSyntax")
    return body


def require_schema(body: Mapping[str, Any], schema: str) -> None:
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or schema not in schemas:
        raise ScimError(400, f"schemas: must list {schema}.", "invalidSyntax")


@dataclass(frozen=True)
class Page:
    start_index: int  # 1-based, as RFC 7644 §3.4.2.4 counts
    count: int


def page_of(start_index: Any, count: Any) -> Page:
    """`startIndex` below 1 counts as 1 and a negative `count` as 0 (RFC 7644 §3.4.2.4); non-numbers are 400."""
    values = []
    for name, raw, default in (("startIndex", start_index, 1), ("count", count, MAX_RESULTS)):
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            values.append(default)
            continue
        try:
            values.append(int(raw))
        except (TypeError, ValueError):
            raise ScimError(400, f"{name}: must be an integer.", "invalidValue") from None
    return Page(start_index=max(1, values[0]), count=min(max(0, values[1]), MAX_RESULTS))


@dataclass(frozen=True)
class Query:
    """A list request's parameters, from the query string (GET) or a SearchRequest body (POST .search)."""

    filter: str
    page: Page
    attributes: str | list[Any] | None
    excluded: str | list[Any] | None


def query_of(request: HttpRequest) -> Query:
    if request.method == "POST":
        body = read_body(request)
        require_schema(body, SEARCH_SCHEMA)
        text = body.get("filter") or ""
        if not isinstance(text, str):
            raise ScimError(400, "filter: must be a string.", "invalidFilter")
        return Query(text, page_of(body.get("startIndex"), body.get("count")), body.get("attributes"),
                     body.get("excludedAttributes"))  # fmt: skip
    params = request.GET
    return Query(params.get("filter", ""), page_of(params.get("startIndex"), params.get("count")),
                 params.get("attributes"), params.get("excludedAttributes"))  # fmt: skip


def list_response(resources: Sequence[Mapping[str, Any]], total: int, page: Page) -> HttpResponse:
    return scim_response(
        {
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": page.start_index,
            "itemsPerPage": len(resources),
            "Resources": list(resources),
        }
    )


_FILTER = re.compile(
    r'^\s*(?P<attr>[A-Za-z][\w.$:-]*)\s+(?P<op>eq|sw|co)\s+(?P<value>"(?:[^"\\]|\\.)*"|true|false)\s*$', re.I
)


@dataclass(frozen=True)
class Filter:
    attribute: str  # lower-cased, schema URN prefix removed
    operator: str  # eq | sw | co
    value: str | bool


def parse_filter(text: str, attributes: Sequence[str]) -> Filter | None:
    """One comparison `attr op "value"` over the filterable `attributes` (lower-case names); richer filters,
    or other attributes, are a 400 `invalidFilter` (the ServiceProviderConfig says filtering is limited)."""
    if not text.strip():
        return None
    match = _FILTER.match(text)
    if match is None:
        raise ScimError(400, 'filter: only one comparison `attribute eq|sw|co "value"` is supported.', "invalidFilter")
    attribute = match["attr"].lower()
    for urn in ("urn:ietf:params:scim:schemas:core:2.0:user:", "urn:ietf:params:scim:schemas:core:2.0:group:"):
        attribute = attribute.removeprefix(urn)
    if attribute not in attributes:
        raise ScimError(400, f"filter: cannot filter on {match['attr'][:60]}; use {', '.join(attributes)}.",
                        "invalidFilter")  # fmt: skip
    raw = match["value"]
    value: str | bool = json.loads(raw) if raw.startswith('"') else raw.lower() == "true"
    return Filter(attribute=attribute, operator=match["op"].lower(), value=value)


def etag_of(resource: Mapping[str, Any]) -> str:
    """A weak ETag over the resource's representation (without `meta`): it changes whenever anything shown
    changes, whoever changed it (the IdP, the console, the REST API)."""
    content = {key: value for key, value in resource.items() if key != "meta"}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()[:20]
    return f'W/"{digest}"'


def check_preconditions(request: HttpRequest, etag: str) -> None:
    """`If-Match` on a write (412 when the resource changed since it was read)."""
    wanted = request.headers.get("If-Match", "").strip()
    if wanted and wanted != "*" and etag not in {tag.strip() for tag in wanted.split(",")}:
        raise ScimError(412, "The resource changed since it was read (If-Match).")


def not_modified(request: HttpRequest, etag: str) -> bool:
    wanted = request.headers.get("If-None-Match", "").strip()
    return bool(wanted) and (wanted == "*" or etag in {tag.strip() for tag in wanted.split(",")})


def as_bool(value: Any, field: str) -> bool:
    """A SCIM boolean; Entra ID sends `"True"`/`"False"` strings in PATCH, which we accept as it does."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ScimError(400, f"{field}: must be true or false.", "invalidValue")


_ALWAYS_RETURNED = {"schemas", "id"}
_CORE_URN = re.compile(r"^urn:ietf:params:scim:schemas:core:2\.0:(user|group):", re.I)


def _names(raw: str | list[Any] | None) -> list[tuple[str, str]]:
    """`attributes`/`excludedAttributes` as (attribute, sub-attribute) pairs, lower-cased, URN prefix removed."""
    items = raw if isinstance(raw, list) else (raw or "").split(",")
    pairs = []
    for item in items:
        if not isinstance(item, str):
            raise ScimError(400, "attributes: list attribute names.", "invalidValue")
        name = _CORE_URN.sub("", item.strip()).lower()
        if name:
            top, _, sub = name.partition(".")
            pairs.append((top, sub))
    return pairs


def project(
    resource: dict[str, Any], attributes: str | list[Any] | None, excluded: str | list[Any] | None
) -> dict[str, Any]:
    """The resource with only the requested `attributes` (plus those always returned), or without the
    `excludedAttributes` (RFC 7644 §3.4.2.5)."""
    wanted, unwanted = _names(attributes), _names(excluded)
    if not wanted and not unwanted:
        return resource
    by_lower = {key.lower(): key for key in resource}
    if wanted:
        kept: dict[str, Any] = {key: resource[key] for key in resource if key.lower() in _ALWAYS_RETURNED}
        for top, sub in wanted:
            key = by_lower.get(top)
            if key is None or (key in kept and not sub):
                continue
            value = resource[key]
            if sub and isinstance(value, dict):
                picked = {k: v for k, v in value.items() if k.lower() == sub}
                kept[key] = {**kept.get(key, {}), **picked}
            elif sub and isinstance(value, list):
                kept[key] = [{k: v for k, v in item.items() if k.lower() == sub} for item in value]
            else:
                kept[key] = value
        return kept
    trimmed = dict(resource)
    for top, sub in unwanted:
        key = by_lower.get(top)
        if key is None or key.lower() in _ALWAYS_RETURNED:
            continue
        if not sub:
            trimmed.pop(key, None)
        elif isinstance(trimmed[key], dict):
            trimmed[key] = {k: v for k, v in trimmed[key].items() if k.lower() != sub}
        elif isinstance(trimmed[key], list):
            trimmed[key] = [{k: v for k, v in item.items() if k.lower() != sub} for item in trimmed[key]]
    return trimmed

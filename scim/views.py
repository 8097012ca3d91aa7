"""The `/scim/v2/` endpoints (RFC 7644 §3): bearer-token authentication, dispatch by method, and the one place
where refusals become SCIM error documents."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from accessctl.extensions import record
from accessctl.flood import REFUSE_AFTER, failure_count, repeats_to_record
from accessctl.policy import authorize, organization_resource
from accessctl.security import request_settings_for
from core.errors import FieldError, Forbidden, SafeguardDown, StateConflict
from core.network import client_ip, ip_allowed
from scim import discovery
from scim.group_membership import scim_group_patch, scim_group_replace
from scim.groups import (
    GROUP_FILTERS,
    GROUP_SCHEMA,
    filtered_roles,
    group_resource,
    members_of,
    role_by_id,
    scim_group_create,
    scim_group_delete,
)
from scim.patching import apply_user_patch
from scim.protocol import (
    PATCH_SCHEMA,
    Query,
    ScimError,
    check_preconditions,
    error_response,
    etag_of,
    list_response,
    not_modified,
    parse_filter,
    project,
    query_of,
    read_body,
    require_schema,
    scim_response,
)
from scim.provisioning import scim_user_create, scim_user_delete, scim_user_update
from scim.tokens import ScimActor, actor_for_token, claimed_prefix, scim_token_for_bearer
from scim.users import (
    USER_FILTERS,
    USER_SCHEMA,
    filtered_members,
    identities_of,
    member_by_id,
    roles_of,
    user_resource,
    user_state_from,
)

Handler = Callable[..., HttpResponse]  # (request, actor, **path parameters)
FAILED = "auth.scim_token.failed"


def _authenticate(request: HttpRequest) -> ScimActor:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    source = client_ip(request)
    if failure_count(FAILED, source) >= REFUSE_AFTER:
        raise ScimError(429, "Too many invalid SCIM tokens from your address; wait a minute.")
    token = scim_token_for_bearer(value.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        repeats = repeats_to_record(FAILED, source)
        if repeats:
            record(actor=None, request=request, event_type=FAILED, outcome="denied",
                   details={"prefix": claimed_prefix(value), "repeats": repeats})  # fmt: skip
        raise ScimError(401, "Send a valid SCIM token: Authorization: Bearer scim_….")
    actor = actor_for_token(token, request)
    if not ip_allowed(actor.ip, request_settings_for(actor.organization).ip_restrictions):
        record(actor=actor, event_type="access.denied", outcome="denied",
               resource=f"organization/{actor.organization.slug}", details={"reason": "ip_restriction"})  # fmt: skip
        raise ScimError(403, "Your address is not in the organisation's allowed networks.")
    return actor


def _as_scim_error(exc: Exception) -> ScimError:
    if isinstance(exc, ScimError):
        return exc
    if isinstance(exc, Forbidden):
        return ScimError(403, exc.problem_detail)
    if isinstance(exc, StateConflict):
        return ScimError(409, f"{exc.field}: {exc}")
    if isinstance(exc, FieldError):
        return ScimError(400, f"{exc.field}: {exc}", "invalidValue")
    if isinstance(exc, SafeguardDown):
        return ScimError(503, exc.problem_detail or "A safeguard is unavailable; nothing was changed.")
    raise exc


def endpoint(**handlers: Handler) -> Callable[..., HttpResponse]:
    """A view answering the given methods (`get=…, post=…`) for an authenticated token, in SCIM's media type."""

    @csrf_exempt
    @wraps(next(iter(handlers.values())))
    def view(request: HttpRequest, **kwargs: str) -> HttpResponse:
        try:
            actor = _authenticate(request)
            handler = handlers.get(request.method.lower() if request.method else "")
            if handler is None:
                raise ScimError(405, f"{request.method} is not supported here.")
            return handler(request, actor, **kwargs)
        except (ScimError, Forbidden, FieldError, SafeguardDown) as exc:
            response = error_response(_as_scim_error(exc))
            if response.status_code == 405:
                response["Allow"] = ", ".join(method.upper() for method in handlers)
            return response

    return view


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/scim/v2").rstrip("/")


def _one(request: HttpRequest, resource: dict[str, Any], status: int = 200) -> HttpResponse:
    etag = etag_of(resource)
    resource["meta"]["version"] = etag
    if status == 200 and request.method == "GET" and not_modified(request, etag):
        return scim_response(None, 304, etag=etag)
    location = resource["meta"]["location"] if status == 201 else ""
    shown = project(resource, request.GET.get("attributes"), request.GET.get("excludedAttributes"))
    return scim_response(shown, status, etag=etag, location=location)


def _listing(resources: list[dict[str, Any]], total: int, query: Query) -> HttpResponse:
    for resource in resources:
        resource["meta"]["version"] = etag_of(resource)
    shown = [project(resource, query.attributes, query.excluded) for resource in resources]
    return list_response(shown, total, query.page)


# Discovery --------------------------------------------------------------------------------------------------


def service_provider_config_get(request: HttpRequest, actor: ScimActor) -> HttpResponse:
    return scim_response(discovery.service_provider_config(_base(request)))


def resource_types_get(request: HttpRequest, actor: ScimActor, type_id: str = "") -> HttpResponse:
    return _listed(request, discovery.resource_types(_base(request)), type_id, "ResourceType")


def schemas_get(request: HttpRequest, actor: ScimActor, schema_id: str = "") -> HttpResponse:
    return _listed(request, discovery.schemas(_base(request)), schema_id, "Schema")


def _listed(request: HttpRequest, items: list[dict[str, Any]], item_id: str, kind: str) -> HttpResponse:
    if item_id:
        found = next((item for item in items if item["id"] == item_id), None)
        if found is None:
            raise ScimError(404, f"No such {kind}.")
        return scim_response(found)
    if request.GET.get("filter"):
        raise ScimError(403, f"{kind}s cannot be filtered.")  # RFC 7644 §4
    return list_response(items, len(items), query_of(request).page)


# Users ------------------------------------------------------------------------------------------------------


def _user(request: HttpRequest, actor: ScimActor, user_id: str) -> dict[str, Any]:
    membership = member_by_id(actor.organization, user_id)
    users = [membership.user]
    identity = identities_of(actor.organization, users).get(membership.user_id)
    return user_resource(membership, identity, roles_of(actor.organization, users)[membership.user_id], _base(request))


def users_list(request: HttpRequest, actor: ScimActor) -> HttpResponse:
    """GET /Users and POST /Users/.search."""
    authorize(actor, "user:read", organization_resource(actor))
    query = query_of(request)
    members = filtered_members(actor.organization, parse_filter(query.filter, USER_FILTERS))
    total = members.count()
    start = query.page.start_index - 1
    chosen = list(members[start : start + query.page.count])
    users = [m.user for m in chosen]
    identities, roles = identities_of(actor.organization, users), roles_of(actor.organization, users)
    base = _base(request)
    return _listing([user_resource(m, identities.get(m.user_id), roles[m.user_id], base) for m in chosen], total, query)


def users_create(request: HttpRequest, actor: ScimActor) -> HttpResponse:
    body = read_body(request)
    require_schema(body, USER_SCHEMA)
    user = scim_user_create(actor=actor, state=user_state_from(body))
    return _one(request, _user(request, actor, user.public_id), 201)


def user_get(request: HttpRequest, actor: ScimActor, user_id: str) -> HttpResponse:
    authorize(actor, "user:read", organization_resource(actor))
    return _one(request, _user(request, actor, user_id))


def user_replace(request: HttpRequest, actor: ScimActor, user_id: str) -> HttpResponse:
    current = _user(request, actor, user_id)
    check_preconditions(request, etag_of(current))
    body = read_body(request)
    require_schema(body, USER_SCHEMA)
    membership = member_by_id(actor.organization, user_id)
    state = user_state_from(body, active_unless_given=current["active"])
    scim_user_update(actor=actor, user=membership.user, state=state)
    return _one(request, _user(request, actor, user_id))


def user_patch(request: HttpRequest, actor: ScimActor, user_id: str) -> HttpResponse:
    current = _user(request, actor, user_id)
    check_preconditions(request, etag_of(current))
    body = read_body(request)
    require_schema(body, PATCH_SCHEMA)
    patched = apply_user_patch(current, body.get("Operations"))
    membership = member_by_id(actor.organization, user_id)
    scim_user_update(actor=actor, user=membership.user, state=user_state_from(patched))
    return _one(request, _user(request, actor, user_id))


def user_delete(request: HttpRequest, actor: ScimActor, user_id: str) -> HttpResponse:
    check_preconditions(request, etag_of(_user(request, actor, user_id)))
    scim_user_delete(actor=actor, user=member_by_id(actor.organization, user_id).user)
    return scim_response(None, 204)


# Groups -----------------------------------------------------------------------------------------------------


def _group(request: HttpRequest, actor: ScimActor, group_id: str) -> dict[str, Any]:
    role = role_by_id(actor.organization, group_id)
    return group_resource(role, members_of(actor.organization, [role])[role.pk], _base(request))


def groups_list(request: HttpRequest, actor: ScimActor) -> HttpResponse:
    """GET /Groups and POST /Groups/.search."""
    authorize(actor, "user:read", organization_resource(actor))
    query = query_of(request)
    roles = filtered_roles(actor.organization, parse_filter(query.filter, GROUP_FILTERS))
    start = query.page.start_index - 1
    chosen = roles[start : start + query.page.count]
    members = members_of(actor.organization, chosen)
    base = _base(request)
    return _listing([group_resource(role, members[role.pk], base) for role in chosen], len(roles), query)


def groups_create(request: HttpRequest, actor: ScimActor) -> HttpResponse:
    body = read_body(request)
    require_schema(body, GROUP_SCHEMA)
    name = body.get("displayName")
    if not isinstance(name, str):
        raise ScimError(400, "displayName: is required.", "invalidValue")
    external_id = body.get("externalId") or ""
    if not isinstance(external_id, str) or len(external_id) > 200:
        raise ScimError(400, "externalId: a string of at most 200 characters.", "invalidValue")
    role = scim_group_create(actor=actor, display_name=name, external_id=external_id.strip())
    if body.get("members"):
        scim_group_patch(actor=actor, role=role, operations=[{"op": "add", "path": "members",
                                                              "value": body["members"]}])  # fmt: skip
    return _one(request, _group(request, actor, role.name), 201)


def group_get(request: HttpRequest, actor: ScimActor, group_id: str) -> HttpResponse:
    authorize(actor, "user:read", organization_resource(actor))
    return _one(request, _group(request, actor, group_id))


def group_replace(request: HttpRequest, actor: ScimActor, group_id: str) -> HttpResponse:
    check_preconditions(request, etag_of(_group(request, actor, group_id)))
    body = read_body(request)
    require_schema(body, GROUP_SCHEMA)
    scim_group_replace(actor=actor, role=role_by_id(actor.organization, group_id), body=body)
    return _one(request, _group(request, actor, group_id))


def group_patch(request: HttpRequest, actor: ScimActor, group_id: str) -> HttpResponse:
    check_preconditions(request, etag_of(_group(request, actor, group_id)))
    body = read_body(request)
    require_schema(body, PATCH_SCHEMA)
    operations = body.get("Operations")
    if not isinstance(operations, list) or not operations:
        raise ScimError(400, "Operations: give a non-empty list of operations.", "invalidSyntax")
    scim_group_patch(actor=actor, role=role_by_id(actor.organization, group_id), operations=operations)
    return _one(request, _group(request, actor, group_id))


def group_delete(request: HttpRequest, actor: ScimActor, group_id: str) -> HttpResponse:
    check_preconditions(request, etag_of(_group(request, actor, group_id)))
    scim_group_delete(actor=actor, role=role_by_id(actor.organization, group_id))
    return scim_response(None, 204)


def search_everything(request: HttpRequest, actor: ScimActor) -> HttpResponse:
    """POST /.search (RFC 7644 §3.4.3): Users, then Groups, that the filter can apply to, paged as one list."""
    authorize(actor, "user:read", organization_resource(actor))
    query = query_of(request)
    condition = parse_filter(query.filter, tuple(dict.fromkeys((*USER_FILTERS, *GROUP_FILTERS))))
    with_users = condition is None or condition.attribute in USER_FILTERS
    with_groups = condition is None or condition.attribute in GROUP_FILTERS
    members = filtered_members(actor.organization, condition) if with_users else None
    roles = filtered_roles(actor.organization, condition) if with_groups else []
    user_total = members.count() if members is not None else 0
    start, count = query.page.start_index - 1, query.page.count
    chosen = list(members[start : start + count]) if members is not None and start < user_total else []
    group_start = max(0, start - user_total)
    chosen_roles = roles[group_start : group_start + count - len(chosen)]
    users = [m.user for m in chosen]
    identities, held = identities_of(actor.organization, users), roles_of(actor.organization, users)
    holders, base = members_of(actor.organization, chosen_roles), _base(request)
    resources = [user_resource(m, identities.get(m.user_id), held[m.user_id], base) for m in chosen]
    resources += [group_resource(role, holders[role.pk], base) for role in chosen_roles]
    return _listing(resources, user_total + len(roles), query)


def not_found(request: HttpRequest, actor: ScimActor, rest: str = "") -> HttpResponse:
    raise ScimError(404, "No such SCIM endpoint.")

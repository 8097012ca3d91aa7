"""SCIM 2.0 URLs (RFC 7644 §3.2), under /scim/v2/."""

from django.urls import path, re_path

from scim import views

_any = ("get", "post", "put", "patch", "delete")

urlpatterns = [
    path("ServiceProviderConfig", views.endpoint(get=views.service_provider_config_get), name="scim-spc"),
    path("ResourceTypes", views.endpoint(get=views.resource_types_get), name="scim-resource-types"),
    path("ResourceTypes/<str:type_id>", views.endpoint(get=views.resource_types_get), name="scim-resource-type"),
    path("Schemas", views.endpoint(get=views.schemas_get), name="scim-schemas"),
    path("Schemas/<str:schema_id>", views.endpoint(get=views.schemas_get), name="scim-schema"),
    path(".search", views.endpoint(post=views.search_everything), name="scim-search"),
    path("Users/.search", views.endpoint(post=views.users_list), name="scim-users-search"),
    path("Groups/.search", views.endpoint(post=views.groups_list), name="scim-groups-search"),
    path("Users", views.endpoint(get=views.users_list, post=views.users_create), name="scim-users"),
    path(
        "Users/<str:user_id>",
        views.endpoint(get=views.user_get, put=views.user_replace, patch=views.user_patch, delete=views.user_delete),
        name="scim-user",
    ),
    path("Groups", views.endpoint(get=views.groups_list, post=views.groups_create), name="scim-groups"),
    path(
        "Groups/<str:group_id>",
        views.endpoint(
            get=views.group_get, put=views.group_replace, patch=views.group_patch, delete=views.group_delete
        ),
        name="scim-group",
    ),
    re_path(r"^(?P<rest>.*)$", views.endpoint(**dict.fromkeys(_any, views.not_found)), name="scim-not-found"),
]

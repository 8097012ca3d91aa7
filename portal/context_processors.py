"""Navigation for the console shell: only sections that exist and that the user may open."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items: list[dict[str, Any]] = [
        {"label": "Dashboard", "url": reverse("dashboard")},
        {"label": "API docs", "url": reverse("api-docs")},
    ]
    if user.is_superuser:
        items.append({"label": "Admin", "url": reverse("admin:index")})
    current = request.path
    for item in items:
        item["active"] = current == item["url"] or (item["url"] != "/" and current.startswith(item["url"]))
    return {"nav_items": items}

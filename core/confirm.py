"""A confirmation step for destructive or irreversible console actions.

A view checks who may act and finds the object first (so refusals stay 403/404), then calls `confirmation`:
a POST without `confirmed=yes` gets a page naming the object and what the action does, whose button posts the
same fields again with `confirmed=yes`. No script is needed (the console's CSP allows none inline)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

CONFIRMED = "confirmed"
_NOT_REPEATED = frozenset({"csrfmiddlewaretoken", CONFIRMED})


def confirmation(
    request: HttpRequest, *, action: str, target: str, consequences: str, button: str, back: str
) -> HttpResponse | None:
    """The confirmation page, or None once the person confirmed (the view then acts)."""
    if request.method == "POST" and request.POST.get(CONFIRMED) == "yes":
        return None
    fields = [(key, value) for key, values in request.POST.lists() if key not in _NOT_REPEATED for value in values]
    return render(
        request,
        "confirm.html",
        {
            "action": action,
            "target": target,
            "consequences": consequences,
            "button": button,
            "back": back,
            "fields": fields,
            "post_to": request.path,
        },
    )

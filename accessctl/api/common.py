"""Shared pieces of accessctl's REST API: members and roles named in a request body, refused as a 400 naming
the field."""

from __future__ import annotations

from rest_framework import serializers

from accessctl.actor import Actor
from accessctl.models import Role, User
from accessctl.selectors import active_member


def member_by_public_id(actor: Actor, user_id: str) -> User:
    user = active_member(actor.organization, user_id)
    if user is None:
        raise serializers.ValidationError({"user_id": [f"No member {user_id} in this organisation."]})
    return user


def role_by_name(actor: Actor, role_name: str, field: str = "role_name") -> Role:
    role = Role.objects.filter(organization=actor.organization, name=role_name).first()
    if role is None:
        raise serializers.ValidationError({field: [f"No role named {role_name}."]})
    return role

"""Shared REST pieces: strict serializers (unknown fields are errors) and the lookup of members by public id."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accessctl.actor import Actor
from accessctl.models import Role, User


class StrictSerializer(serializers.Serializer[Any]):
    """Refuses fields it does not know, naming them (a typo must not be silently ignored)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


def member_by_public_id(actor: Actor, user_id: str) -> User:
    user = User.objects.filter(
        public_id=user_id, memberships__organization=actor.organization, memberships__is_active=True
    ).first()
    if user is None:
        raise serializers.ValidationError({"user_id": [f"No member {user_id} in this organisation."]})
    return user


def role_by_name(actor: Actor, role_name: str, field: str = "role_name") -> Role:
    role = Role.objects.filter(organization=actor.organization, name=role_name).first()
    if role is None:
        raise serializers.ValidationError({field: [f"No role named {role_name}."]})
    return role

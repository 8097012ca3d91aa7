"""factory_boy factories for test data."""

from __future__ import annotations

from typing import Any

import factory
from factory.django import DjangoModelFactory

from accessctl.models import Membership, Organization, User

TEST_PASSWORD = "correct horse battery staple"


class OrganizationFactory(DjangoModelFactory[Organization]):
    class Meta:
        model = Organization
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def organization(self, create: bool, extracted: Organization | None, **kwargs: Any) -> None:
        """`UserFactory(organization=org)` also makes the membership; save the hashed password."""
        if not create:
            return
        self.save()
        if extracted is not None:
            Membership.objects.create(organization=extracted, user=self)

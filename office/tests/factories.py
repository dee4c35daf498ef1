"""Factories every app's tests may use: staff accounts, in the office's roles or with
single permissions."""

import factory
from django.contrib.auth.models import Group, Permission, User


class StaffFactory(factory.django.DjangoModelFactory):
    """A staff account, password "x"; `role=` puts it in one of the office's groups
    (config/roles.py), `permissions=` gives it permissions by codename instead."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    password = factory.django.Password("x")
    is_staff = True

    @factory.post_generation
    def role(user, create, extracted, **kwargs):
        if extracted:
            user.groups.add(Group.objects.get(name=extracted))

    @factory.post_generation
    def permissions(user, create, extracted, **kwargs):
        if extracted:
            user.user_permissions.add(*Permission.objects.filter(codename__in=extracted))

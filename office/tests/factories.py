"""Factories every app's tests may use: staff accounts, in the office's roles or with
single permissions, in an office or given colleges (office.offices); the offices."""

import factory
from django.contrib.auth.models import Group, Permission, User

from office.models import Office, OfficeCollege, StaffScope


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

    @factory.post_generation
    def office(user, create, extracted, **kwargs):
        """`office=` an Office: the account works for it (its StaffScope)."""
        if extracted:
            StaffScope.objects.update_or_create(user=user, defaults={"office": extracted})

    @factory.post_generation
    def own_colleges(user, create, extracted, **kwargs):
        """`own_colleges=["法学院"]`: a liaison's colleges (of any office's)."""
        if extracted:
            scope, _ = StaffScope.objects.get_or_create(user=user)
            scope.colleges.add(*OfficeCollege.objects.filter(college__in=extracted))


class OfficeFactory(factory.django.DjangoModelFactory):
    """An office (医保办) holding the colleges given as `colleges=[...]`."""

    class Meta:
        model = Office
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"示范医保办{n}")
    code = factory.Sequence(lambda n: f"office-{n}")

    @factory.post_generation
    def colleges(office, create, extracted, **kwargs):
        for college in extracted or ():
            OfficeCollege.objects.create(office=office, college=college)

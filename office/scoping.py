"""What part of the school a staff account works on (issue #12, *Offices*): its office's
colleges, a liaison's own colleges, or the whole school; and the one admin mixin,
`ScopedAdmin`, that filters every list, record page, form and extra page by it.

The rule (`scope_of`):
- the permission `office.school_wide` (a superuser holds every permission): the whole school;
- an account with a StaffScope: its own colleges if it was given any (a liaison), else its
  office's colleges (not a liaison's: theirs are the colleges given to them), else none;
- an account without one: the whole school while the school has no office (a school
  with one office need not set anything up), none once it has offices, and none for a
  liaison (院系联络人) ever.

Nothing here names an app: an admin says by a lookup path how its records reach a
student's college (`college_path = "student__college"`)."""

import hashlib
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from config.roles import LIAISON

SCHOOL_WIDE = "office.school_wide"


@dataclass(frozen=True)
class Scope:
    """`colleges`: None for the whole school, else the college names seen (maybe none).
    `key` names the scope in cache keys; `label` says it to the user."""

    colleges: frozenset[str] | None
    key: str
    label: str

    @property
    def whole_school(self) -> bool:
        return self.colleges is None

    def filter(self, queryset: QuerySet, path: str) -> QuerySet:
        """`queryset` narrowed to the scope's colleges, reached by the lookup `path`."""
        return in_colleges(queryset, path, self.colleges)


WHOLE_SCHOOL = Scope(colleges=None, key="school", label="全校")
NOTHING = Scope(colleges=frozenset(), key="none", label="未分配医保办或院系")


def in_colleges(queryset: QuerySet, path: str, colleges: Collection[str] | None) -> QuerySet:
    """For services given a scope's colleges: None keeps `queryset` as it is."""
    if colleges is None:
        return queryset
    if not colleges:
        return queryset.none()
    return queryset.filter(**{f"{path}__in": sorted(colleges)})


def scope_of(user) -> Scope:
    """The user's scope, read once per user object (so once per request)."""
    cached = getattr(user, "_office_scope", None)
    if cached is None:
        cached = _scope(user)
        user._office_scope = cached
    return cached


def _scope(user) -> Scope:
    """One query for an account without a StaffScope, two with one (its colleges)."""
    # models imported here: office.admin_site (and so office.home and this module) loads
    # with the app registry, before any model may be
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from .offices import Office, OfficeCollege, StaffScope

    if not user.is_active or not user.is_authenticated:
        return NOTHING
    if user.has_perm(SCHOOL_WIDE):
        return WHOLE_SCHOOL
    own_scope = StaffScope.objects.filter(user_id=OuterRef("pk"))
    facts = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .values(
            scope=Subquery(own_scope.values("pk")[:1]),
            office=Subquery(own_scope.values("office")[:1]),
            office_name=Subquery(own_scope.values("office__name")[:1]),
            offices=Exists(Office.objects.all()),
            liaison=Exists(Group.objects.filter(user=OuterRef("pk"), name=LIAISON)),
        )
        .first()
    )
    if facts is None or facts["scope"] is None:
        return NOTHING if facts is None or facts["liaison"] or facts["offices"] else WHOLE_SCHOOL
    given = StaffScope.colleges.through.objects.filter(
        staffscope_id=facts["scope"], officecollege_id=OuterRef("pk")
    )
    rows = list(
        OfficeCollege.objects.filter(Q(office_id=facts["office"]) | Q(Exists(given)))
        .values_list("college", Exists(given))
        .order_by("college")
    )
    own = [college for college, is_own in rows if is_own]
    if own:
        digest = hashlib.sha1("\n".join(own).encode()).hexdigest()[:12]
        return Scope(colleges=frozenset(own), key=f"colleges-{digest}", label="、".join(own))
    if facts["office"] is not None and not facts["liaison"]:  # a liaison: own colleges only
        colleges = frozenset(college for college, _own in rows)
        return Scope(colleges=colleges, key=f"office-{facts['office']}", label=facts["office_name"])
    return NOTHING


def sees_whole_school(user) -> bool:
    return scope_of(user).whole_school


def colleges_seen(user, colleges: Iterable[str]) -> list[str]:
    """Of `colleges` (a filter's choices), those the user's scope holds."""
    seen = scope_of(user).colleges
    return [college for college in colleges if seen is None or college in seen]


_college_sources: list[Callable[[], Iterable[str]]] = []


def register_colleges(source: Callable[[], Iterable[str]]) -> None:
    """The roster's colleges, from the app that keeps the roster (its AppConfig.ready):
    the offices' page names those no office holds."""
    if source not in _college_sources:
        _college_sources.append(source)


def college_sources() -> list[Callable[[], Iterable[str]]]:
    return list(_college_sources)


class ScopedAdmin:
    """A model admin whose records belong to students (`college_path`, the lookup from
    the model to the student's college) or span every office (`college_path = ""`:
    payment lists, declaration batches, runs, imports).

    Of a student's records a user sees, opens, selects for actions, picks in a form's
    drop-down and opens on an extra page (`WithPages`, a URL's `pk`) only their
    scope's; `whole_school_pages` (imports keyed across the school, the refunds of a
    year) are for school-wide staff only. Records spanning every office are listed to
    everyone, but their own pages, adding, changing, deleting and every extra page but
    `office_pages` (pages that filter by the user's colleges themselves) need
    school-wide access."""

    college_path: str = ""
    whole_school_pages: tuple[str, ...] = ()
    office_pages: tuple[str, ...] = ()
    # pages whose `pk` names another model's record: their views scope it themselves
    other_records_pages: tuple[str, ...] = ()

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if not self.college_path:
            return queryset
        return scope_of(request.user).filter(queryset, self.college_path)

    def in_scope(self, request) -> bool:
        """Whether the user may act on this admin's records as a whole."""
        return bool(self.college_path) or sees_whole_school(request.user)

    def has_view_permission(self, request, obj=None):
        if obj is not None and not self.in_scope(request):
            return False
        return super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return self.in_scope(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return self.in_scope(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.in_scope(request) and super().has_delete_permission(request, obj)

    def get_list_display_links(self, request, list_display):
        # a record spanning every office: no link to a page that would be refused
        if not self.in_scope(request):
            return None
        return super().get_list_display_links(request, list_display)

    # --- extra pages (office.admin_pages.WithPages) ----------------------------------------

    def page_allowed(self, request, page) -> bool:
        if self._whole_school_page(page) and not sees_whole_school(request.user):
            return False
        return super().page_allowed(request, page)

    def page_arguments_check(self, request, page, kwargs) -> None:
        """A page naming one of this admin's records (`pk`) opens only the user's own."""
        super().page_arguments_check(request, page, kwargs)
        if not self.college_path or "pk" not in kwargs or page.name in self.other_records_pages:
            return
        if not self.get_queryset(request).filter(pk=kwargs["pk"]).exists():
            raise Http404

    def _whole_school_page(self, page) -> bool:
        if self.college_path:
            return page.name in self.whole_school_pages
        return page.name not in self.office_pages

    # --- forms: a drop-down or autocomplete offers only the user's students' records ------

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = self.admin_site._registry.get(db_field.related_model)
        path = getattr(related, "college_path", "")
        if path and "queryset" not in kwargs:
            queryset = db_field.related_model._default_manager.using(kwargs.get("using"))
            kwargs["queryset"] = scope_of(request.user).filter(queryset, path)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

"""The lists behind the home page's numbers: change lists filtered through their query
strings, and the app's pages, each with the permission that opens it."""

from django.urls import reverse
from django.utils.http import urlencode

from office.home import Link
from policies.models import PolicyYear

VIEW_ENROLLMENT = "enrollment.view_enrollment"


def enrollments(policy_year: PolicyYear, **filters) -> Link:
    query = {"policy_year__id__exact": policy_year.pk, **filters}
    return Link(changelist("enrollment", "enrollment", query), VIEW_ENROLLMENT)


def changelist(app: str, model: str, query: dict) -> str:
    return page(f"{app}_{model}_changelist", query)


def page(name: str, query: dict) -> str:
    return f"{reverse(f'admin:{name}')}?{urlencode(query)}"


def state_list(states) -> str:
    return ",".join(states)

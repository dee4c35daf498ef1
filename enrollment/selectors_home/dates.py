"""The year's dates ahead: its windows, the family mutual-aid deadline and next year's
collective window."""

from django.urls import reverse
from django.utils import timezone

from office.home import Block, Deadline, Link
from policies.models import PolicyYear


def deadlines(policy_year: PolicyYear) -> Block:
    """The year's windows and family mutual-aid deadline, and the next year's collective
    window (it opens in this year's November), each linked to its policy year's page."""
    following = PolicyYear.objects.filter(
        region=policy_year.region_id, year=policy_year.year + 1
    ).first()
    dates = _dates_of(policy_year, freshmen=True)
    notes = ()
    if following is not None:
        dates += _dates_of(following, freshmen=False)
    else:
        notes = (
            f"{policy_year.region.name} {policy_year.year + 1} 年度尚未建立（医保年度 → "
            "复制为下一年度草稿），其集中参保日期未列出。",
        )
    return Block(
        key="deadlines",
        title="接下来的日期",
        permission="policies.view_policyyear",
        order=15,
        deadlines=tuple(dates),
        notes=notes,
    )


def _dates_of(policy_year: PolicyYear, *, freshmen: bool) -> list[Deadline]:
    link = Link(
        reverse("admin:policies_policyyear_change", args=[policy_year.pk]),
        "policies.view_policyyear",
    )
    year = policy_year.year
    dates = [
        Deadline(f"{year} 年度集中参保开始", policy_year.collective_window_opens_on, link=link),
        Deadline(f"{year} 年度集中参保截止", policy_year.collective_window_closes_on, link=link),
    ]
    if freshmen:
        dates += [
            Deadline(f"{year} 年度新生申报开始", policy_year.freshman_window_opens_on, link=link),
            Deadline(f"{year} 年度新生申报截止", policy_year.freshman_window_closes_on, link=link),
        ]
    if policy_year.family_aid_deadline_at is not None:
        at = timezone.localtime(policy_year.family_aid_deadline_at)
        dates.append(
            Deadline(f"{year} 年度家庭共济缴费选择截止", at.date(), f"{at:%H:%M}", link=link)
        )
    return dates

"""Issue #14 points 3-5: each policy year's own family mutual aid, freshman flow, claim
window, catastrophic insurers and special groups, from policies/catalog.py (PRACTICES,
CALENDARS), where each value is quoted from its seed file:

* family mutual aid: shanghai guide Q18 and sjtu rules ("经医保审核为共济建账成功后由各院校
  退回参保费用": the school refunds, 20 Dec 17:00 deadline, collective only); wuhan notice 十
  ("原缴费额将从账户余额返还至个人填报的银行账户中": the bureau returns it, no deadline,
  freshmen too);
* freshmen: shanghai guide Q4 (随申办 confirmation, entry year free); wuhan notice 三 (批量参保
  登记) and Q&A 三(三) ("足额缴纳…即可享受入学当年9月1日至12月31日的居民医保待遇");
* claim window: shanghai guide Q12 ("6个月内"); Wuhan none given: 6, marked assumed;
* catastrophic insurers: shanghai guide Q8 (four companies); Wuhan none given: marked assumed;
* special groups: shanghai guide Q9, sjtu art. 18 (重残 exempt, 低保 government-paid,
  hardship school-paid); wuhan notice 三 (the school collects 400 from every student): none,
  marked assumed.

Years the office created (not in the catalog) take their region's values; a region the
catalog does not know keeps what the code did before (the Shanghai rules), marked for the
office to check. Wuhan's deadline copied from Shanghai is cleared; a deadline or a mark the
office corrected stays as it is."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import migrations

from policies.catalog import CALENDARS, PRACTICE_FIELDS, PRACTICES, SHANGHAI_PRACTICE

SHANGHAI_TIME = ZoneInfo("Asia/Shanghai")
# the keys this migration adds to `assumed`; the others the office may have corrected away
NEW_MARKS = ("claim_window_months", "catastrophic_insurers", "special_groups")
# the 政策依据 of wuhan-2025 before this migration (0007), replaced unless edited since
OLD_WUHAN_2025_SOURCE = (
    "武汉市医疗保障局《关于切实做好2025年度大学生参保工作的通知》"
    "（wuhan-2025-student-insurance-notice.txt）。集中参保期、家庭共济缴费截止时间、"
    "新生申报期和待遇等待期该通知未规定，沿用上海，待所在区医保经办部门公布后更正。"
)
UNKNOWN_REGION = "升级时按此前系统默认（上海）的规则填入，请按本地文件核对"


def _copied_shanghai_deadline(year: int) -> datetime:
    # shanghai guide Q18: 20 Dec 17:00 of the year before the scheme year
    return datetime(year - 1, 12, 20, 17, 0, tzinfo=SHANGHAI_TIME)


def _latest_by_region(values: dict) -> dict:
    """Region code → the value of its latest catalog year."""
    return {code.rsplit("-", 1)[0]: values[code] for code in sorted(values)}


def seed(apps, schema_editor):
    PolicyYear = apps.get_model("policies", "PolicyYear")
    SpecialGroupRule = apps.get_model("policies", "SpecialGroupRule")
    practices, calendars = _latest_by_region(PRACTICES), _latest_by_region(CALENDARS)

    for policy_year in PolicyYear.objects.select_related("region").order_by("pk"):
        code, region = policy_year.code, policy_year.region.code
        practice = PRACTICES.get(code) or practices.get(region)
        calendar = CALENDARS.get(code) or calendars.get(region)
        assumed = dict(policy_year.assumed)
        if practice is None:
            practice = SHANGHAI_PRACTICE
            assumed.update({name: UNKNOWN_REGION for name in (*PRACTICE_FIELDS, "special_groups")})
        for name in PRACTICE_FIELDS:
            value = getattr(practice, name)
            setattr(policy_year, name, list(value) if isinstance(value, tuple) else value)

        if calendar is not None:
            if (
                calendar.family_aid_deadline_at is None
                and policy_year.family_aid_deadline_at
                == _copied_shanghai_deadline(policy_year.year)
            ):
                policy_year.family_aid_deadline_at = None
                assumed.pop("family_aid_deadline_at", None)
            marks = calendar.assumed
            if code in CALENDARS:  # the catalog's marks, less those the office corrected
                assumed = {
                    name: marks[name] for name in marks if name in assumed or name in NEW_MARKS
                }
            else:
                assumed.update({name: marks[name] for name in NEW_MARKS if name in marks})
        if code == "wuhan-2025" and policy_year.source == OLD_WUHAN_2025_SOURCE:
            policy_year.source = CALENDARS[code].source
        policy_year.assumed = assumed
        policy_year.save()

        if not SpecialGroupRule.objects.filter(policy_year=policy_year).exists():
            SpecialGroupRule.objects.bulk_create(
                SpecialGroupRule(policy_year=policy_year, category=category, treatment=treatment)
                for category, treatment in practice.special_groups.items()
            )


def unseed(apps, schema_editor):
    """Back to 0008, where every year has a deadline: Shanghai's, as 0002 copied it."""
    PolicyYear = apps.get_model("policies", "PolicyYear")
    for policy_year in PolicyYear.objects.filter(family_aid_deadline_at__isnull=True):
        policy_year.family_aid_deadline_at = _copied_shanghai_deadline(policy_year.year)
        policy_year.save(update_fields=["family_aid_deadline_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0008_city_differences"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
    ]

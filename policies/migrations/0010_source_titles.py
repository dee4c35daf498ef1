"""Issue #12, nothing English left for staff: the 政策依据 (PolicyYear.source) of the seeded
years named the seed files (shanghai-student-insurance-guide-2024-11.txt; …); they now
name the documents by their titles (policies/catalog.py). Published years freeze their
source, so staff could not correct it. A text the office changed since is left as it
is; going back restores the file names."""

from django.db import migrations

from policies.catalog import CALENDARS

# each year's 政策依据 as 0002/0007/0009 left it
SEEDED = {
    "shanghai-2025": (
        "shanghai-student-insurance-guide-2024-11.txt; "
        "shanghai-2025-student-insurance-faq.txt; "
        "sjtu-student-health-and-insurance-rules-2025.txt"
    ),
    "shanghai-2026": "沿用上海 2025 年度的标准与日程，待上海市公布 2026 年度通知后更正"
    "（shanghai-2025-student-insurance-faq.txt 第五部分）。",
    "wuhan-2025": (
        "武汉市医疗保障局《关于切实做好2025年度大学生参保工作的通知》"
        "（wuhan-2025-student-insurance-notice.txt）。集中参保期、新生申报期和待遇等待期该通知"
        "未规定，沿用上海，待所在区医保经办部门公布后更正；家庭共济缴费按该通知第十条办理，"
        "不设截止时间，保费由医保部门退还缴费人。"
    ),
}


def _replace(apps, pairs) -> None:
    PolicyYear = apps.get_model("policies", "PolicyYear")
    for code, (before, after) in pairs.items():
        PolicyYear.objects.filter(code=code, source=before).update(source=after)


def titles(apps, schema_editor):
    _replace(apps, {code: (text, CALENDARS[code].source) for code, text in SEEDED.items()})


def file_names(apps, schema_editor):
    _replace(apps, {code: (CALENDARS[code].source, text) for code, text in SEEDED.items()})


class Migration(migrations.Migration):
    dependencies = [("policies", "0009_seed_city_differences")]

    operations = [migrations.RunPython(titles, file_names)]

"""Nothing English is left for staff (issue #12): the date picker's weekday letters, a
place's or a category's 名称 rather than a person's 姓名, and the 政策依据 naming documents
rather than files."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from enrollment.models import Student
from policies.catalog import CALENDARS
from policies.models import CatastrophicDisease, ExclusionCategory, PolicyYear, Region

titles = importlib.import_module("policies.migrations.0010_source_titles")


def test_the_date_pickers_weekday_letters_are_chinese(client, staff):
    client.force_login(staff("审计"))

    catalog = client.get(reverse("admin:jsi18n")).content.decode()

    # calendar.js asks pgettext("one letter Sunday", "S"): Django's own answer is "S"
    for day, letter in (("Sunday", "日"), ("Monday", "一"), ("Saturday", "六")):
        escaped = letter.encode("unicode_escape").decode()
        assert f'"one letter {day}\\u0004{day[0]}": "{escaped}"' in catalog


@pytest.mark.parametrize("model", [Region, ExclusionCategory, CatastrophicDisease])
def test_a_things_name_is_not_a_persons(model):
    with translation.override("zh-hans"):
        person = str(Student._meta.get_field("name").verbose_name)  # 姓名
        assert str(model._meta.get_field("name").verbose_name) != person


@pytest.mark.django_db
def test_no_policy_year_cites_a_file_name():
    for policy_year in PolicyYear.objects.all():
        assert ".txt" not in policy_year.source, policy_year.code
        assert "《" in policy_year.source or policy_year.code == "wuhan-2026"


@pytest.mark.django_db
def test_the_migration_replaces_seeded_file_names_and_keeps_the_offices_text():
    PolicyYear.objects.filter(code="shanghai-2025").update(source=titles.SEEDED["shanghai-2025"])
    PolicyYear.objects.filter(code="wuhan-2025").update(source="医保办自己写的依据")

    titles.titles(apps, None)
    titles.titles(apps, None)  # twice: nothing more

    sources = dict(PolicyYear.objects.values_list("code", "source"))
    assert sources["shanghai-2025"] == CALENDARS["shanghai-2025"].source
    assert sources["wuhan-2025"] == "医保办自己写的依据"

"""The declaration batches' button to the freshmen still to follow up is named for no city:
the page it opens says what it lists for the year (a Shanghai year's 待确认名单 of the app
confirmation, a Wuhan year's 未足额缴费名单, wuhan notice Q&A 三(三)) (issue #14)."""

import pytest
from django.urls import reverse
from django.utils.translation import gettext as _

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("region", ["wuhan", "shanghai"])
def test_the_button_is_named_for_no_city(client, staff, settings, region):
    settings.SCHOOL_REGION = region
    client.force_login(staff("医保办"))

    listing = client.get(reverse("admin:enrollment_declarationbatch_changelist")).content.decode()

    assert reverse("admin:enrollment_pending_lists") in listing
    assert _("Freshmen to follow up") in listing
    assert "待确认名单" not in listing


def test_the_page_a_wuhan_school_opens_names_its_list(client, staff, settings):
    settings.SCHOOL_REGION = "wuhan"
    client.force_login(staff("医保办"))

    page = client.get(reverse("admin:enrollment_pending_lists")).content.decode()

    assert "未足额缴费名单" in page and "待确认名单" not in page

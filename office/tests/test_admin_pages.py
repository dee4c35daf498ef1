"""office.admin_pages with none of the project's apps: a toy admin of django.contrib.auth's
groups declares its pages as enrollment's (and a claims) admin does, and gets its URL
names and guards from its own app label."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.http import HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html

from office.admin_pages import Page, WithPages
from office.tests.factories import StaffFactory

site = admin.AdminSite(name="toy")


def hello(request):
    return HttpResponse("hello")


def site_name(request, admin_site):
    return HttpResponse(f"site {admin_site.name}")


@admin.register(Group, site=site)
class GroupAdmin(WithPages, admin.ModelAdmin):
    pages = (
        Page("hello/", hello, "change_group", "hello", button="Say hello"),
        Page("site/", site_name, "view_group", "site_name", with_site=True),
        Page("file/", hello, "view_group", "file", button="Take", also=("delete_group",)),
    )
    list_display = ["name", "file"]
    page_links = {"file": "file"}

    @admin.display(description="file")
    def file(self, group):
        return format_html('<a href="{}">take it</a>', reverse("toy:auth_file"))


urlpatterns = [path("toy/", site.urls)]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def test_url_names_take_the_models_app_label():
    assert reverse("toy:auth_hello") == "/toy/auth/group/hello/"
    assert reverse("toy:auth_site_name") == "/toy/auth/group/site/"


def test_a_page_and_its_button_need_the_apps_permission(client):
    hello_url = reverse("toy:auth_hello")
    changelist = reverse("toy:auth_group_changelist")

    client.force_login(StaffFactory(permissions=["view_group", "change_group"]))
    allowed_list = client.get(changelist).content.decode()
    allowed = client.get(hello_url)
    client.force_login(StaffFactory(permissions=["view_group"]))
    refused_list = client.get(changelist).content.decode()
    refused = client.get(hello_url)

    assert f'href="{hello_url}"' in allowed_list and "Say hello" in allowed_list
    assert allowed.content == b"hello"
    assert f'href="{hello_url}"' not in refused_list
    assert refused.status_code == 403


def test_a_page_within_the_admin_is_given_the_site(client):
    client.force_login(StaffFactory(permissions=["view_group"]))

    assert client.get(reverse("toy:auth_site_name")).content == b"site toy"


def test_a_page_that_also_needs_more_shows_its_button_and_links_only_with_all(client):
    Group.objects.create(name="toy")
    url = reverse("toy:auth_file")
    changelist = reverse("toy:auth_group_changelist")

    client.force_login(StaffFactory(permissions=["view_group"]))
    partial_list = client.get(changelist).content.decode()
    partial = client.get(url)
    client.force_login(StaffFactory(permissions=["view_group", "delete_group"]))
    full_list = client.get(changelist).content.decode()
    full = client.get(url)

    assert (partial.status_code, full.content) == (403, b"hello")
    assert url not in partial_list and "take it" not in partial_list
    assert f'href="{url}"' in full_list and "take it" in full_list

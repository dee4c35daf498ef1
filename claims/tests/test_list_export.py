"""The claims list exported as filtered (issue #12, office.resources): bank accounts
masked for who may not read them in full, amounts as numbers, each export logged."""

from decimal import Decimal
from io import BytesIO

from django.urls import reverse
from openpyxl import load_workbook

from claims.tests.factories import ClaimLineFactory, ClaimRowFactory
from enrollment.models import PersonalDataAccess

ACCOUNT = "6222021234567890123"


def export(client, query: str = ""):
    url = reverse("admin:claims_claim_export") + query
    form = client.get(url).context["form"]
    data = {"format": "0", "resource": "0"}  # xlsx, the claims resource
    data.update({name: "on" for name, f in form.fields.items() if hasattr(f, "resource_name")})
    return client.post(url, data)


def rows_of(response) -> list[list]:
    return [list(row) for row in load_workbook(BytesIO(response.content)).active.values]


def test_finance_exports_claims_with_accounts_masked(client, staff, db):
    user = staff("财务")
    claim = ClaimRowFactory(state="submitted")
    ClaimLineFactory(claim=claim, total=Decimal("1234.50"))  # the claimed sum: one receipt
    ClaimRowFactory(state="draft")
    client.force_login(user)

    response = export(client, "?state__exact=submitted")

    header, *rows = rows_of(response)
    assert header[:3] == ["报销单号", "学号", "姓名"]
    assert [row[0] for row in rows] == [claim.number]  # the filter applies
    column = dict(zip(header, rows[0], strict=True))
    assert column["申请金额"] == 1234.5
    assert column["银行账号"] == claim.masked_bank_account != ACCOUNT
    assert PersonalDataAccess.objects.get(user=user).detail.startswith("导出报销申请（1 行")


def test_the_office_exports_full_accounts(client, staff, db):
    ClaimRowFactory(state="submitted")
    client.force_login(staff("医保办"))

    header, row = rows_of(export(client))

    assert dict(zip(header, row, strict=True))["银行账号"] == ACCOUNT

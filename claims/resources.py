"""The facility list (定点医疗机构) in and out of the admin with django-import-export: its
import/export buttons, dry run and confirmation are the package's own (claims.admin).

One row per facility, keyed by its name: 名称, 等级 (校内, 社区, 一级, 二级, 三级), 城市,
是否定点 (是/否; empty is 是). The file is read by office's reader like every other import
(xlsx or csv in UTF-8 or GBK, the header found below title rows, English aliases), so a
rejected row names its sheet row and column, in Chinese. Importing the same file twice
changes nothing (unchanged rows are skipped)."""

import functools
import tempfile
from pathlib import Path

import tablib
from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets
from import_export.formats import base_formats

from office import resources as office_resources
from office.cells import clean_text, normalise_header
from office.exports import Kind
from office.headers import find_header, find_table
from office.spreadsheets import read_sheets
from policies import engine
from policies.models import FacilityLevel

from .models import Claim, Facility

# the level as the office writes it -> the engine's code
LEVELS = {
    "校内": FacilityLevel.CAMPUS,
    "社区": FacilityLevel.COMMUNITY,
    "一级": FacilityLevel.LEVEL_1,
    "二级": FacilityLevel.LEVEL_2,
    "三级": FacilityLevel.LEVEL_3,
}
LEVEL_NAMES = {code: name for name, code in LEVELS.items()}
# other ways a sheet writes a level: the codes, the long names, 一级医院 …
LEVEL_ALIASES = {
    **{normalise_header(code): code for code in FacilityLevel.values},
    **{normalise_header(label): code for code, label in engine.LEVEL_LABELS.items()},
    "校医院": FacilityLevel.CAMPUS,
    **{f"{name}医院": code for name, code in LEVELS.items() if name.endswith("级")},
    "level 1": FacilityLevel.LEVEL_1,
    "level 2": FacilityLevel.LEVEL_2,
    "level 3": FacilityLevel.LEVEL_3,
}
YES = {"是", "定点", "y", "yes", "true", "1", "√", "✓"}
NO = {"否", "非定点", "n", "no", "false", "0", "×", "✗"}

# field -> its header, then the other names accepted for it
COLUMNS = {
    "name": ("名称", "医疗机构", "医疗机构名称", "机构名称", "医院", "name", "facility"),
    "level": ("等级", "医院等级", "级别", "机构等级", "level"),
    "city": ("城市", "所在城市", "city"),
    "designated": ("是否定点", "定点", "designated"),
}
HEADERS = {field: names[0] for field, names in COLUMNS.items()}
NAME_LENGTH = Facility._meta.get_field("name").max_length
CITY_LENGTH = Facility._meta.get_field("city").max_length


class TextWidget(widgets.Widget):
    def __init__(self, *, max_length: int, required: bool = False):
        super().__init__()
        self.max_length = max_length
        self.required = required

    def clean(self, value, row=None, **kwargs) -> str:
        text = clean_text(value)
        if self.required and not text:
            raise ValueError("为空，必须填写。")
        if len(text) > self.max_length:
            raise ValueError(f"超过 {self.max_length} 个字（现有 {len(text)} 个字）。")
        return text


class LevelWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs) -> str:
        text = clean_text(value)
        if not text:
            raise ValueError(f"为空：请填 {'、'.join(LEVELS)} 之一。")
        code = LEVELS.get(text) or LEVEL_ALIASES.get(normalise_header(text))
        if code is None:
            raise ValueError(f"「{text}」不是医疗机构等级：请填 {'、'.join(LEVELS)} 之一。")
        return code

    def render(self, value, obj=None, **kwargs) -> str:
        return LEVEL_NAMES.get(value, value or "")


class YesNoWidget(widgets.Widget):
    """是/否; an empty cell is 是 (a facility on the office's list is designated unless
    the sheet says otherwise)."""

    def clean(self, value, row=None, **kwargs) -> bool:
        text = normalise_header(clean_text(value))
        if not text or text in YES:
            return True
        if text in NO:
            return False
        raise ValueError(f"「{clean_text(value)}」应填「是」或「否」。")

    def render(self, value, obj=None, **kwargs) -> str:
        return "是" if value else "否"


class FacilityResource(resources.ModelResource):
    name = fields.Field(
        attribute="name",
        column_name=HEADERS["name"],
        widget=TextWidget(max_length=NAME_LENGTH, required=True),
    )
    level = fields.Field(attribute="level", column_name=HEADERS["level"], widget=LevelWidget())
    city = fields.Field(
        attribute="city", column_name=HEADERS["city"], widget=TextWidget(max_length=CITY_LENGTH)
    )
    designated = fields.Field(
        attribute="designated", column_name=HEADERS["designated"], widget=YesNoWidget()
    )

    class Meta:
        model = Facility
        fields = ("name", "level", "city", "designated")
        import_id_fields = ("name",)
        skip_unchanged = True
        report_skipped = True

    @classmethod
    def get_display_name(cls) -> str:
        return "定点医疗机构"

    def before_import(self, dataset, **kwargs):
        # sheet rows as a person sees them (the reader keeps them; a bare dataset has its
        # header on row 1) and the rows each name was first seen on
        self._sheet_rows = getattr(dataset, "sheet_rows", None)
        self._names_seen: dict[str, int] = {}

    def after_import(self, dataset, result, **kwargs):
        # the dry run's table numbers rows as the sheet does, as its messages do
        for row in result.invalid_rows:
            row.number = self.sheet_row(row.number)

    def sheet_row(self, row_number: int) -> int:
        rows = getattr(self, "_sheet_rows", None)
        return rows[row_number - 1] if rows else row_number + 1

    def before_import_row(self, row, **kwargs):
        """A row without a usable name, or naming a facility an earlier row named, is
        refused here, before the package looks the facility up by it."""
        line = self.sheet_row(kwargs["row_number"])
        column = HEADERS["name"]
        try:
            name = self.fields["name"].widget.clean(row.get(column))
        except ValueError as exc:
            raise ValidationError({column: f"第 {line} 行「{column}」：{exc}"}) from None
        first = self._names_seen.setdefault(name, line)
        if first != line:
            raise ValidationError(
                {column: f"第 {line} 行「{column}」：与第 {first} 行重复（{name}）。"}
            )

    def import_instance(self, instance, row, **kwargs):
        """The package's loop, with each error keyed by the Chinese column and naming the
        sheet row: the dry run's table then says where to correct the file."""
        line = self.sheet_row(kwargs["row_number"])
        errors = {}
        for field in self.get_import_fields():
            try:
                self.import_field(field, instance, row, **kwargs)
            except ValueError as exc:
                column = field.column_name
                errors[column] = ValidationError(f"第 {line} 行「{column}」：{exc}", code="invalid")
        if errors:
            raise ValidationError(errors)


def facility_dataset(content: bytes, *, suffix: str) -> tablib.Dataset:
    """The facility table of a spreadsheet as a dataset with our headers, blank rows left
    out; `dataset.sheet_rows` holds each row's number in the sheet. Raises
    office.spreadsheets.FileRefused (a Refused) for a file that cannot be read or has no
    名称/等级 header."""
    finder = functools.partial(find_header, labels=COLUMNS, required=("name", "level"))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"facilities{suffix}"
        path.write_bytes(content)
        sheet, header = find_table(read_sheets(path), find=finder)
        present = [field for field in COLUMNS if field in header.columns]
        dataset = tablib.Dataset(headers=[HEADERS[field] for field in present])
        dataset.sheet_rows = []
        rows = [*sheet.head[header.index + 1 :], *sheet.rest]
    for number, cells in enumerate(rows, start=header.row + 1):
        values = [header.cell(cells, field) for field in present]
        if any(clean_text(value) for value in values):
            dataset.append(values)
            dataset.sheet_rows.append(number)
    return dataset


class _OfficeReader:
    """Read through office.spreadsheets (size and safety checks, header search, GBK csv)
    instead of tablib's own readers; export stays the package's."""

    suffix = ""

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, str):
            in_stream = in_stream.encode("utf-8")
        return facility_dataset(in_stream, suffix=self.suffix)


class FacilityXLSX(_OfficeReader, base_formats.XLSX):
    suffix = ".xlsx"


class FacilityCSV(_OfficeReader, base_formats.CSV):
    """Read as bytes, so office decodes UTF-8 or GBK; written in UTF-8 with a BOM, which
    Excel opens in Chinese."""

    suffix = ".csv"

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def export_data(self, dataset, **kwargs) -> bytes:
        return super().export_data(dataset, **kwargs).encode("utf-8-sig")


FORMATS = [FacilityXLSX, FacilityCSV]


# --- the claims list as a file (office.resources) ------------------------------------------


class ClaimResource(office_resources.Resource):
    """报销申请 as the list shows them, filtered: bank accounts masked for who may not
    read them in full (as on the claim's page)."""

    related = ("student", "policy_year__region")
    full_id_permission = "enrollment.view_full_id"

    number = office_resources.column("报销单号", "number")
    student_number = office_resources.column("学号", "student__student_number")
    name = office_resources.column("姓名", "student__name")
    college = office_resources.column("学院", "student__college")
    type = office_resources.column("报销类型", "get_type_display")
    state = office_resources.column("状态", "get_state_display")
    payer = office_resources.column("支付方", "get_payer_display")
    submitted_on = office_resources.column("提交日期", "submitted_on", kind=Kind.DATE)
    first_visit = office_resources.column("首次就诊日期", "first_visit", kind=Kind.DATE)
    claimed = office_resources.column("申请金额", kind=Kind.MONEY)
    fund = office_resources.column("基金支付", "fund", kind=Kind.MONEY)
    catastrophic = office_resources.column("大病保险支付", "catastrophic", kind=Kind.MONEY)
    student_pays = office_resources.column("个人负担", "student_pays", kind=Kind.MONEY)
    bank_account = office_resources.column("银行账号")

    class Meta:
        model = Claim
        fields = (
            "number",
            "student_number",
            "name",
            "college",
            "type",
            "state",
            "payer",
            "submitted_on",
            "first_visit",
            "claimed",
            "fund",
            "catastrophic",
            "student_pays",
            "bank_account",
        )

    def dehydrate_claimed(self, claim: Claim):
        # the list's annotation; SQLite sums decimals to a number without its fen
        total = getattr(claim, "claimed_total", None)
        return None if total is None else engine.fen(total)

    def dehydrate_bank_account(self, claim: Claim) -> str:
        return self.shown_id(claim.bank_account, claim.masked_bank_account)

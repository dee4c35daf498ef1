"""The roster file rules without a database (DESIGN.md §5, §4.1)."""

from datetime import date

import pytest

from enrollment import roster
from enrollment.rules import EligibilityFacts, eligibility
from enrollment.tests.files import HEADER, resident_id, row
from office.headers import HeaderError

VALID = resident_id()


@pytest.mark.parametrize(
    ("id_type", "raw", "number", "code"),
    [
        ("resident_id", VALID, VALID, ""),
        ("resident_id", "11010519491231002x", "11010519491231002X", ""),  # lower-case x
        ("resident_id", " １１０１０５１９４９１２３１００２Ｘ ", "11010519491231002X", ""),
        ("resident_id", "110105194912310021", "110105194912310021", "id_checksum"),
        ("resident_id", "11010519491231002", "11010519491231002", "id_format"),
        ("resident_id", 310105199003071242.0, "", "id_precision_lost"),  # a numeric cell
        ("resident_id", "3.1010519900307E+17", "", "id_precision_lost"),
        ("resident_id", "310105199002301234", "310105199002301234", "id_checksum"),
        # residence permits for Hong Kong, Macao, Taiwan: 810000 / 820000 / 830000
        ("hmt_residence_permit", resident_id("810000"), resident_id("810000"), ""),
        ("hmt_residence_permit", resident_id("830000"), resident_id("830000"), ""),
        ("hmt_residence_permit", VALID, VALID, "id_format"),  # not a permit prefix
        ("passport", "e12345678", "E12345678", ""),  # shape only
        ("passport", "E12-345", "E12-345", "id_format"),
        ("hk_macao_pass", "H12345678", "H12345678", ""),
    ],
)
def test_check_id_number(id_type, raw, number, code):
    got_number, got_code, message = roster.check_id_number(id_type, raw)

    assert (got_number, got_code) == (number, code)
    assert bool(message) == bool(code)


def test_messages_do_not_repeat_full_id_numbers():
    number = "110105194912310021"  # wrong check digit

    _, code, message = roster.check_id_number("resident_id", number)

    assert code == "id_checksum"
    assert number not in message and "110*****21" in message


def test_header_found_below_title_rows_with_aliases_and_full_width_names():
    rows = [
        ["示范大学2026级新生报到注册名单"],
        ["", "导出：教务处"],
        [
            "Name",
            "ＩＤ Ｔｙｐｅ",
            " 身份证号 ",
            "学号",
            "学校",
            "院系",
            "专业",
            "学历层次",
            "学习形式",
            "报到注册时间",
            "辅导员",
        ],
        row(),
    ]

    header = roster.find_header(rows, first_row=1)

    assert header.row == 3
    assert header.columns["id_number"] == 2
    assert header.columns["id_type"] == 1
    assert header.unknown == ["辅导员"]


def test_a_missing_required_column_is_one_file_error():
    rows = [[c for c in HEADER if c != "学号"], row()]

    with pytest.raises(HeaderError) as missing:
        roster.find_header(rows, first_row=1)

    assert str(missing.value) == "第 1 行表头缺少必需的列：学号。"


@pytest.mark.parametrize(
    "rows",
    [
        [["a", "b"], ["c", "d"]],
        [["姓名", "学号"]],  # two known names are not enough to call a row the header
    ],
)
def test_no_header_at_all(rows):
    with pytest.raises(HeaderError) as refused:
        roster.find_header(rows, first_row=1)

    assert str(refused.value) == (
        "找不到表头行：前 20 行中没有「姓名」「证件号码」「学号」等列名，请检查文件内容。"
    )


def parse(*cells, header=HEADER):
    found = roster.find_header([list(header)], first_row=1)
    return roster.parse_row(found, 2, list(cells))


def test_a_good_row_is_normalised():
    parsed = parse(*row(name=" 张 三　", id_number=VALID.lower(), **{"报到注册时间": "2026/9/1"}))

    assert parsed.errors == []
    assert parsed.values["name"] == "张三"
    assert parsed.values["id_type"] == "resident_id"
    assert parsed.values["registered_on"] == date(2026, 9, 1)
    assert parsed.values["birth_date"] == date(2007, 5, 1)
    assert parsed.values["gender"] == "male"  # sequence 123 is odd


def test_row_errors_name_the_column_and_the_code():
    parsed = parse(
        *row(name="", **{"学历层次": "博士后", "报到注册时间": "2026-13-01", "证件号码": "123"})
    )

    assert {(e.column, e.code) for e in parsed.errors} == {
        ("姓名", "missing_value"),
        ("学历层次", "unknown_value"),
        ("报到注册时间", "bad_date"),
        ("证件号码", "id_format"),
    }
    assert all(e.row == 2 for e in parsed.errors)
    # the office's one problem shape, its stable code in the JSON
    [missing] = [e for e in parsed.errors if e.code == "missing_value"]
    assert missing.as_json() == {
        "row": 2,
        "column": "姓名",
        "code": "missing_value",
        "message": "「姓名」不能为空。",
    }


def test_special_categories():
    values, unknown = roster.parse_special("家庭经济困难、低保，在职")

    assert values["subsidy_category"] == "low_income_family"  # 低保 takes precedence
    assert values["in_service"] is True
    assert unknown == ""
    assert roster.parse_special("VIP")[1] == "VIP"


def plan(rows, existing=None):
    header = roster.find_header([HEADER], first_row=1)
    parsed = [roster.parse_row(header, index + 2, cells) for index, cells in enumerate(rows)]
    existing = existing or {}
    return roster.plan_import(
        header,
        parsed,
        existing_by_key=existing,
        key_by_student_number={
            record[roster.EXISTING_INDEX["student_number"]]: key
            for key, (_, record) in existing.items()
        },
    )


def test_every_duplicate_in_the_file_is_rejected_and_names_the_others():
    result = plan([row(student_number="1"), row(student_number="2"), row(student_number="3")])

    assert result.new == []
    assert [(e.row, e.code) for e in result.invalid] == [
        (2, "duplicate_in_file"),
        (3, "duplicate_in_file"),
        (4, "duplicate_in_file"),
    ]
    assert "3、4" in result.invalid[0].message


def test_same_id_other_name_is_the_bureaus_conflict():
    existing = {
        ("resident_id", VALID): (7, roster.as_record({"name": "李四", "student_number": "2601001"}))
    }

    result = plan([row(name="张三")], existing)

    assert [e.code for e in result.invalid] == ["conflict"]
    assert "相同证件号存在其他医保账户但姓名不同" in result.invalid[0].message


def test_changes_and_unchanged_rows():
    first = plan([row()])
    # as the roster stores it: every column filled, defaults where the file had none
    current = roster.as_record({**first.new[0], "nationality": "", "school_status": "studying"})

    same = plan([row()], {("resident_id", VALID): (7, current)})
    moved = plan([row(**{"学院名称": "法学院"})], {("resident_id", VALID): (7, current)})

    assert (same.unchanged, same.updated) == (1, [])
    assert moved.updated == [(7, moved.updated[0][1], {"college": ("医学院", "法学院")})]


@pytest.mark.parametrize(
    ("facts", "code"),
    [
        (EligibilityFacts(id_type="resident_id", registered_on=date(2026, 9, 1)), ""),
        (EligibilityFacts(id_type="passport", registered_on=date(2026, 9, 1)), "foreign_student"),
        (
            EligibilityFacts(
                id_type="hmt_residence_permit",
                nationality="中国香港",
                registered_on=date(2026, 9, 1),
            ),
            "",
        ),
        (
            EligibilityFacts(
                id_type="resident_id", study_mode="part_time", registered_on=date(2026, 9, 1)
            ),
            "part_time",
        ),
        (
            EligibilityFacts(
                id_type="resident_id",
                education_level="master",
                in_service=True,
                registered_on=date(2026, 9, 1),
            ),
            "in_service_graduate",
        ),
        (
            EligibilityFacts(
                id_type="resident_id",
                school_status="admission_reserved",
                registered_on=date(2026, 9, 1),
            ),
            "admission_reserved",
        ),
        (
            EligibilityFacts(
                id_type="resident_id",
                school_status="military_service",
                registered_on=date(2026, 9, 1),
            ),
            "military_service",
        ),
        (
            EligibilityFacts(
                id_type="resident_id", training_mode="directed", registered_on=date(2026, 9, 1)
            ),
            "directed_or_exchange",
        ),
        (
            EligibilityFacts(
                id_type="resident_id", insured_elsewhere=True, registered_on=date(2026, 9, 1)
            ),
            "insured_elsewhere",
        ),
        (EligibilityFacts(id_type="resident_id"), "not_registered"),
    ],
)
def test_eligibility_reason_codes(facts, code):
    result = eligibility(facts)

    assert result.code == code
    assert result.eligible is (code == "")
    assert bool(result.message) is bool(code)


@pytest.mark.parametrize("nationality", ["香港特别行政区", "Hong Kong", "中国台湾省", "澳门"])
def test_hong_kong_macao_taiwan_students_are_not_foreign(nationality):
    facts = EligibilityFacts(
        id_type="hk_macao_pass", nationality=nationality, registered_on=date(2026, 9, 1)
    )

    assert eligibility(facts).eligible

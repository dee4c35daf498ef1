"""A deterministic demo school: the same few hundred students on every machine, with
valid ID numbers, so that `seed_demo` is repeatable and the admin looks real. Where the
students were born and come from follows the school's region (SCHOOL_REGION): a Wuhan
school's roster carries mostly Hubei ID numbers."""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from stdnum.cn import ric

from office import exports
from office.demo import DemoAccount

from . import roster
from .models import EducationLevel, IdType, SchoolStatus, Student, StudyMode, SubsidyCategory

SCHOOL = "示范大学"
COLLEGES = {
    "医学院": ["临床医学", "口腔医学", "护理学"],
    "机械与动力工程学院": ["机械工程", "能源与动力工程"],
    "电子信息与电气工程学院": ["计算机科学与技术", "电气工程及其自动化", "信息工程"],
    "化学化工学院": ["化学", "化学工程与工艺"],
    "经济与管理学院": ["金融学", "工商管理", "会计学"],
    "外国语学院": ["英语", "日语"],
    "法学院": ["法学"],
    "数学科学学院": ["数学与应用数学", "统计学"],
}
# Two offices, as SJTU rules art. 4–5 have them: the medical school's clinic for the
# medical school, the campus hospital's for every other college (office.demo); a clerk of
# each and the liaison of 法学院. The admin account holds school-wide access.
MEDICAL_SCHOOL = "医学院"
OFFICES = {
    "校医院医保办": ("campus-hospital", [c for c in COLLEGES if c != MEDICAL_SCHOOL]),
    "医学院门诊部医保办": ("medical-school", [MEDICAL_SCHOOL]),
}
OFFICE_ACCOUNTS = [
    DemoAccount("xiaoyiyuan", "医保办", "campus-hospital"),
    DemoAccount("yixueyuan", "医保办", "medical-school"),
    DemoAccount("lianluo", "院系联络人", "campus-hospital", colleges=("法学院",)),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏宇浩然子涵欣怡梓轩一诺思远雨桐佳琪俊杰晨曦嘉怡"  # noqa: E501
HMT_PREFIXES = ["810000", "820000", "830000"]


@dataclass(frozen=True)
class Catchment:
    """Where a region's demo students come from: counties of birth (GB/T 2260) for their
    ID numbers, and 生源地. Both lists keep the same length in every region, so that every
    region's demo draws the same names, dates and colleges."""

    birth_counties: tuple[str, ...]
    origins: tuple[str, ...]


CATCHMENTS = {
    "shanghai": Catchment(
        ("310104", "310115", "420106", "110105", "320102", "330106", "440305", "510107"),
        ("上海", "湖北", "江苏", "浙江", "四川", "广东", "北京"),
    ),
    # 武昌区, 洪山区, 江岸区, 江汉区 (Wuhan); 宜昌西陵区, 襄阳襄城区; 长沙芙蓉区, 郑州金水区
    "wuhan": Catchment(
        ("420106", "420111", "420102", "420103", "420502", "420602", "430102", "410105"),
        ("湖北", "河南", "湖南", "江西", "安徽", "四川", "广东"),
    ),
}

STUDENT_COUNT = 360


def resident_id(county: str, born: date, sequence: int) -> str:
    body = f"{county}{born:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")  # the function skips the last character


def demo_students(
    *, entry_year: int, count: int = STUDENT_COUNT, region: str = "shanghai"
) -> list[Student]:
    """`count` students across four intakes; the newest (entry_year) are this fall's
    freshmen, some registered in August. A few special groups, Hong Kong/Macao/Taiwan
    residence permits and foreign students make every eligibility branch visible. A
    region without a catchment of its own gets Shanghai's."""
    catchment = CATCHMENTS.get(region, CATCHMENTS["shanghai"])
    rng = random.Random(20251111)
    colleges = list(COLLEGES)
    students = []
    for index in range(count):
        intake = entry_year - index % 4
        college = colleges[index % len(colleges)]
        level = rng.choices(
            [EducationLevel.UNDERGRADUATE, EducationLevel.MASTER, EducationLevel.DOCTORATE],
            weights=[75, 20, 5],
        )[0]
        age_at_entry = {"undergraduate": 18, "master": 22, "doctorate": 25}[level]
        born = date(intake - age_at_entry, 1, 1) + timedelta(days=rng.randrange(365))
        sequence = rng.randrange(1, 999)
        id_type, id_number, nationality = IdType.RESIDENT_ID, None, "中国"
        if index % 97 == 5:
            id_type = IdType.HMT_RESIDENCE_PERMIT
            id_number = resident_id(HMT_PREFIXES[index % 3], born, sequence)
            nationality = ["中国香港", "中国澳门", "中国台湾"][index % 3]
        elif index % 89 == 7:
            id_type, nationality = IdType.PASSPORT, "韩国"
            id_number = f"M{rng.randrange(10**7, 10**8)}"
        else:
            id_number = resident_id(rng.choice(catchment.birth_counties), born, sequence)
        registered_on = date(intake, 9, 1) + timedelta(days=rng.randrange(5))
        if index % 11 == 0:
            registered_on = date(intake, 8, 28)  # early arrivals: covered from 1 Sep
        students.append(
            Student(
                name=rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice([1, 2]))),
                id_type=id_type,
                id_number=id_number,
                student_number=f"{intake % 100:02d}{colleges.index(college) + 1:02d}{index:05d}",
                school=SCHOOL,
                college=college,
                major=rng.choice(COLLEGES[college]),
                education_level=level,
                study_mode=StudyMode.PART_TIME if index % 53 == 3 else StudyMode.FULL_TIME,
                registered_on=registered_on,
                phone=f"1{rng.choice('3578')}{rng.randrange(10**8, 10**9)}",
                nationality=nationality,
                origin=rng.choice(catchment.origins),
                subsidy_category=_subsidy_category(index),
                school_status=SchoolStatus.LEAVE if index % 67 == 9 else SchoolStatus.STUDYING,
            )
        )
    return students


def _subsidy_category(index: int) -> str:
    if index % 41 == 1:
        return SubsidyCategory.LOW_INCOME_FAMILY
    if index % 43 == 2:
        return SubsidyCategory.SEVERE_DISABILITY
    if index % 37 == 4:
        return SubsidyCategory.HARDSHIP
    if index % 47 == 6:
        return SubsidyCategory.LOW_INCOME
    return SubsidyCategory.STANDARD


SPECIAL_LABELS = {
    "low_income_family": "低保",
    "low_income": "低收入",
    "severe_disability": "重残",
    "hardship": "家庭经济困难",
}


def roster_workbook(students: list[Student], *, title: str) -> bytes:
    """The demo students as the registration office would send them: a title row, then
    the DESIGN.md §5 columns with Chinese values."""
    id_types = roster.ID_TYPE_LABELS
    levels = roster.first_labels(roster.EDUCATION_LEVELS)
    modes = roster.first_labels(roster.STUDY_MODES)
    columns = [
        *(roster.COLUMNS[name][0] for name in roster.REQUIRED_COLUMNS),
        "国籍/地区",
        "生源地",
        "手机号",
        "特殊类别",
    ]
    rows = (
        [
            student.name,
            id_types[student.id_type],
            student.id_number,
            student.student_number,
            student.school,
            student.college,
            student.major,
            levels[student.education_level],
            modes[student.study_mode],
            student.registered_on.isoformat(),
            student.nationality,
            student.origin,
            student.phone,
            SPECIAL_LABELS.get(student.subsidy_category, ""),
        ]
        for student in students
    )
    return exports.xlsx(exports.columns_of(columns), rows, sheet="名单", titles=[title])

"""The engine's vocabulary: care types, facility levels, subsidy categories, exclusions and
outcomes, with the Chinese labels the reasons use, and the checks that values are among
them."""

from decimal import Decimal

CARE_TYPES = ("outpatient", "emergency", "inpatient", "maternity", "chronic_outpatient")
LEVELS = ("campus", "community", "1", "2", "3")
CATEGORIES = ("standard", "low_income_family", "low_income", "severe_disability", "hardship")
EXCLUSIONS = (
    "abroad",
    "checkup",
    "vaccine",
    "ambulance",
    "cosmetic",
    "orthopaedic",
    "third_party",
    "work_injury",
    "alcohol_drugs",
    "non_covered",
)
DEDUCTIBLE_BASES = ("per_year", "per_stay", "none")
ENROLLMENT_KINDS = ("collective", "freshman", "late")
LOW_INCOME_CATEGORIES = ("low_income_family", "low_income")
# Care settled per hospital stay; an emergency rescue before admission joins its stay.
STAY_CARES = ("inpatient", "maternity")

# Who pays the fund's share of an expense (ExpenseResult.payer).
BASIC_FUND = "basic_fund"
SCHOOL_OUTPATIENT_FUND = "school_outpatient_fund"
PAYERS = (BASIC_FUND, SCHOOL_OUTPATIENT_FUND)

# Outcome of one expense (ExpenseResult.status).
COVERED = "covered"
EXCLUDED = "excluded"
OUT_OF_COVER = "out_of_cover"
NO_REFERRAL = "no_referral"

CARE_LABELS = {
    "outpatient": "普通门诊",
    "emergency": "急诊",
    "inpatient": "住院",
    "maternity": "生育",
    "chronic_outpatient": "门诊慢特病",
}
LEVEL_LABELS = {
    "campus": "校内医疗机构",
    "community": "社区卫生服务中心",
    "1": "一级医疗机构",
    "2": "二级医疗机构",
    "3": "三级医疗机构",
}
CATEGORY_LABELS = {
    "standard": "普通大学生",
    "low_income_family": "低保家庭",
    "low_income": "低收入家庭",
    "severe_disability": "重残",
    "hardship": "家庭经济困难",
}
PAYER_LABELS = {
    BASIC_FUND: "基本医保基金",
    SCHOOL_OUTPATIENT_FUND: "学校门诊经费",
}
# sjtu-student-health-and-insurance-rules-2025.txt art. 27 (不适用范围). Its 传染病防治 has no
# code of its own: record such items as "non_covered".
EXCLUSION_LABELS = {
    "abroad": "境外（含港澳台）就医",
    "checkup": "健康体检",
    "vaccine": "疫苗接种",
    "ambulance": "救护车费",
    "cosmetic": "美容",
    "orthopaedic": "矫形手术",
    "third_party": "应由第三方负担的费用（如交通事故、打架斗殴）",
    "work_injury": "应由工伤保险支付的费用",
    "alcohol_drugs": "酗酒、吸毒所致费用",
    "non_covered": "票据标明的非医保报销范围项目",
}


def check_choice(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; expected one of {', '.join(allowed)}")


def check_ratio(value: Decimal, what: str) -> None:
    if not Decimal(0) <= value <= Decimal(1):
        raise ValueError(f"{what} must be between 0 and 1, got {value}")


def check_not_negative(value: Decimal | int | None, what: str) -> None:
    if value is not None and value < 0:
        raise ValueError(f"{what} must not be negative, got {value}")

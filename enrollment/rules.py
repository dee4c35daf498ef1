"""Pure roster rules: values in, values out; no ORM, no clock."""

from dataclasses import dataclass
from datetime import date

# Resident IDs and the HK/Macao/Taiwan residence permits (810000/820000/830000) share the
# 18-character layout with birth date, sex digit and GB 11643 check character.
EIGHTEEN_CHAR_ID_TYPES = frozenset({"resident_id", "hmt_residence_permit"})


def mask_id(id_number: str) -> str:
    """`310105199003071242` -> `310*****42`: enough for staff to tell two people apart in a
    list, too little to reuse. Short numbers (passports) keep at most their last two."""
    if len(id_number) <= 5:
        return "*" * len(id_number)
    return f"{id_number[:3]}*****{id_number[-2:]}"


def gender_of(id_number: str) -> str:
    """The 17th character is odd for men, even for women (GB 11643)."""
    return "male" if int(id_number[16]) % 2 else "female"


def birth_date_of(id_number: str) -> date | None:
    """The YYYYMMDD at positions 7-14 of an 18-character ID, if it is a real date."""
    try:
        return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


# --- eligibility (DESIGN.md §4.1; shanghai-student-insurance-guide-2024-11.txt Q1,
# sjtu-student-health-and-insurance-rules-2025.txt art. 23) ---------------------------------

CHINESE_NATIONALITIES = frozenset(
    {
        "",
        "中国",
        "中华人民共和国",
        "china",
        "chn",
        "cn",
        "中国香港",
        "香港",
        "中国澳门",
        "澳门",
        "中国台湾",
        "台湾",
    }
)
FOREIGN_DOCUMENTS = frozenset({"passport", "foreign_permanent_resident"})
# Documents only Chinese citizens (HK, Macao and Taiwan included) hold.
CHINESE_DOCUMENTS = frozenset(
    {"resident_id", "hmt_residence_permit", "hk_macao_pass", "taiwan_pass"}
)

INELIGIBILITY_REASONS = {
    "foreign_student": "外籍留学生不属于居民医保大学生参保范围。",
    "part_time": "非全日制学生不属于居民医保大学生参保范围。",
    "in_service_graduate": "在职研究生不属于居民医保大学生参保范围。",
    "admission_reserved": "保留入学资格期间不参保。",
    "military_service": "服兵役期间暂停参保。",
    "directed_or_exchange": "定向、委培、交流或合作培养学生不在本校参保。",
    "insured_elsewhere": "已参加其他基本医疗保险，须先办理暂停后方可在本校参保。",
    "not_registered": "未在本校报到注册。",
}


# Short forms for lists and filters.
INELIGIBILITY_LABELS = {
    "foreign_student": "外籍留学生",
    "part_time": "非全日制",
    "in_service_graduate": "在职研究生",
    "admission_reserved": "保留入学资格",
    "military_service": "服兵役",
    "directed_or_exchange": "定向/委培/交流",
    "insured_elsewhere": "已参加其他医保",
    "not_registered": "未报到注册",
}


@dataclass(frozen=True)
class EligibilityFacts:
    id_type: str
    nationality: str = ""
    study_mode: str = "full_time"
    education_level: str = "undergraduate"
    in_service: bool = False
    training_mode: str = "regular"
    insured_elsewhere: bool = False
    school_status: str = "studying"
    registered_on: date | None = None


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    code: str = ""
    message: str = ""


ELIGIBLE = Eligibility(eligible=True)


def eligibility(facts: EligibilityFacts) -> Eligibility:
    """The first reason a student cannot be enrolled, or ELIGIBLE. Hong Kong, Macao and
    Taiwan students are eligible; graduates stay covered to 31 Dec (a coverage question,
    not this one)."""
    nationality = facts.nationality.strip().lower()
    chinese = (
        facts.id_type in CHINESE_DOCUMENTS
        or nationality in CHINESE_NATIONALITIES
        or any(
            place in nationality
            for place in ("中国", "香港", "澳门", "台湾", "hong kong", "macao", "macau", "taiwan")
        )
    )
    foreign = not chinese or (facts.id_type in FOREIGN_DOCUMENTS and not nationality)
    checks = [
        ("foreign_student", foreign),
        ("part_time", facts.study_mode == "part_time"),
        (
            "in_service_graduate",
            facts.in_service and facts.education_level in ("master", "doctorate"),
        ),
        ("admission_reserved", facts.school_status == "admission_reserved"),
        ("military_service", facts.school_status == "military_service"),
        ("directed_or_exchange", facts.training_mode != "regular"),
        ("insured_elsewhere", facts.insured_elsewhere),
        (
            "not_registered",
            facts.registered_on is None or facts.school_status == "withdrawn",
        ),
    ]
    for code, applies in checks:
        if applies:
            return Eligibility(eligible=False, code=code, message=INELIGIBILITY_REASONS[code])
    return ELIGIBLE


# --- the year-end collective enrollment (DESIGN.md §1.3, §4.2) ---------------------------------

SKIP_LABELS = {
    **INELIGIBILITY_LABELS,
    "opted_out": "已签署放弃参保承诺",
    "commitment_missing": "已登记放弃参保，但缺少《主动放弃参保承诺书》扫描件",
    "graduated": "目标年度前已毕业",
    "not_yet_registered": "目标年度尚未入学",
}


@dataclass(frozen=True)
class Candidate:
    """What the collective run knows of one student for one target year."""

    facts: EligibilityFacts
    graduation_date: date | None = None
    opted_out: bool = False
    # an opt-out recorded without the scan of its signed commitment
    commitment_missing: bool = False


def collective_skip(candidate: Candidate, *, year: int) -> str:
    """Why a student is not enrolled in the collective run for `year`, as a SKIP_LABELS
    code, or "" to enroll. An opt-out without the scan of its commitment is skipped too,
    but as missing it, so that 学生处 collect the signed 承诺书. Graduates are covered to
    31 Dec of their graduation year, so only those who graduated before `year` are left
    out (sjtu rules art. 23)."""
    facts = candidate.facts
    if candidate.opted_out:
        return "commitment_missing" if candidate.commitment_missing else "opted_out"
    if facts.school_status == "graduated" or (
        candidate.graduation_date is not None and candidate.graduation_date.year < year
    ):
        return "graduated"
    if facts.registered_on is not None and facts.registered_on.year > year:
        return "not_yet_registered"
    return eligibility(facts).code


@dataclass(frozen=True)
class History:
    """What the portal knows of one student's years before a target year, each a set of
    years: `covered` by an established enrollment, an opt-out because the student stayed
    insured elsewhere or a prior-coverage record 已参保; `not_covered` by a prior-coverage
    record 未参保; `on_record` any enrollment, opt-out or prior-coverage record at all."""

    covered: frozenset[int] = frozenset()
    not_covered: frozenset[int] = frozenset()
    on_record: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Gaps:
    years: int = 0
    # of them, years for which the portal holds no record of the student at all
    unrecorded: int = 0


def gap_years(
    history: History,
    *,
    year: int,
    entry_year: int,
    complete_years: frozenset[int],
    counted_from: int,
) -> Gaps:
    """Scheme years before `year`, at school, without cover (shanghai guide Q5). Gaps
    count only from `counted_from` (2025: shanghai guide Q6, 国办发〔2024〕38号). A year
    is a gap when a record says the student was not insured, or when the portal's own
    records of that year are complete (`complete_years`) and give no cover. A year before
    them with no record is unknown, not a gap: a school that starts using the portal
    later, or imports its roster mid-year, must not have waiting periods invented.

    A gap in a complete year with no record of the student at all is `unrecorded`: most
    likely a student the portal did not know yet, whom staff check before anyone pays."""
    counted = unrecorded = 0
    for past in range(max(counted_from, entry_year), year):
        if past in history.covered:
            continue
        if past in history.not_covered or past in complete_years:
            counted += 1
            if past not in history.on_record:
                unrecorded += 1
    return Gaps(years=counted, unrecorded=unrecorded)

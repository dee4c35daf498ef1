"""The roster file's vocabulary (DESIGN.md §5): its columns with the names staff and other
systems give them, and the values its choice columns accept. Pure data."""

import re
from collections.abc import Mapping

# field -> header shown to staff, then the other names accepted for it. Matching ignores
# case, spaces, punctuation and full-width forms (office.cells.header_key).
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "name", "学生姓名"),
    "id_type": ("证件类型", "id type", "证件类别", "证件种类"),
    "id_number": ("证件号码", "id number", "id no", "身份证号", "身份证号码", "证件号"),
    "student_number": ("学号", "student number", "student no", "student id"),
    "school": ("院校名称", "school", "学校", "学校名称", "院校"),
    "college": ("学院名称", "college", "学院", "院系", "院系名称"),
    "major": ("专业名称", "major", "专业"),
    "education_level": ("学历层次", "level", "education level", "培养层次"),
    "study_mode": ("学习形式", "study mode", "学习方式"),
    "registered_on": (
        "报到注册时间",
        "registration date",
        "registered on",
        "报到注册日期",
        "注册时间",
        "报到时间",
    ),
    "gender": ("性别", "gender", "sex"),
    "phone": ("手机号", "phone", "mobile", "手机号码", "联系电话"),
    "nationality": ("国籍/地区", "nationality", "国籍", "国籍地区", "国家/地区"),
    "origin": ("生源地", "origin", "生源地区"),
    "special": ("特殊类别", "special category", "special categories", "特殊人员类别"),
}
REQUIRED_COLUMNS = (
    "name",
    "id_type",
    "id_number",
    "student_number",
    "school",
    "college",
    "major",
    "education_level",
    "study_mode",
    "registered_on",
)
# Columns that must hold a value on every row; a missing registration date is not an
# error but the `not_registered` ineligibility.
REQUIRED_VALUES = (
    "name",
    "id_type",
    "id_number",
    "student_number",
    "school",
    "college",
    "education_level",
    "study_mode",
)
ERROR_CODES = (
    "missing_value",
    "id_format",
    "id_checksum",
    "id_precision_lost",
    "bad_date",
    "unknown_value",
    "duplicate_in_file",
    "conflict",
    "too_long",
    "formula_like",
)

ID_TYPES = {
    "居民身份证": "resident_id",
    "身份证": "resident_id",
    "resident id": "resident_id",
    "港澳台居民居住证": "hmt_residence_permit",
    "居住证": "hmt_residence_permit",
    "港澳居民居住证": "hmt_residence_permit",
    "台湾居民居住证": "hmt_residence_permit",
    "护照": "passport",
    "外国护照": "passport",
    "passport": "passport",
    "港澳居民来往内地通行证": "hk_macao_pass",
    "回乡证": "hk_macao_pass",
    "台湾居民来往大陆通行证": "taiwan_pass",
    "台胞证": "taiwan_pass",
    "外国人永久居留身份证": "foreign_permanent_resident",
    "外国人永久居留证": "foreign_permanent_resident",
}


def first_labels(choices: Mapping[str, str]) -> dict[str, str]:
    """code -> the first name a choice map accepts for it: the bureau's own wording, for
    files written back out (whatever the interface language)."""
    labels: dict[str, str] = {}
    for label, code in choices.items():
        labels.setdefault(code, label)
    return labels


ID_TYPE_LABELS = first_labels(ID_TYPES)

EDUCATION_LEVELS = {
    "本科": "undergraduate",
    "undergraduate": "undergraduate",
    "专科": "vocational",
    "高职": "vocational",
    "高职高专": "vocational",
    "专科(高职)": "vocational",
    "vocational": "vocational",
    "硕士": "master",
    "硕士研究生": "master",
    "master": "master",
    "博士": "doctorate",
    "博士研究生": "doctorate",
    "doctorate": "doctorate",
}
STUDY_MODES = {
    "全日制": "full_time",
    "full time": "full_time",
    "full-time": "full_time",
    "非全日制": "part_time",
    "part time": "part_time",
    "part-time": "part_time",
}
GENDERS = {
    "男": "male",
    "女": "female",
    "male": "male",
    "female": "female",
    "m": "male",
    "f": "female",
}
# 特殊类别 tokens. Subsidy categories in order of precedence when a row names several:
# the one with the most support wins (§4.4).
SUBSIDY_TOKENS = {
    "重残": "severe_disability",
    "低保": "low_income_family",
    "低收入": "low_income",
    "家庭经济困难": "hardship",
    "经济困难": "hardship",
}
SUBSIDY_PRECEDENCE = ("severe_disability", "low_income_family", "low_income", "hardship")
TRAINING_TOKENS = {
    "定向": "directed",
    "委培": "commissioned",
    "交流": "exchange",
    "合作培养": "co_trained",
}
IN_SERVICE_TOKENS = {"在职"}
INSURED_ELSEWHERE_TOKENS = {"已参加其他医保", "其他医保", "外地参保", "已在外地参保"}
SPECIAL_SEPARATORS = re.compile(r"[、,，;；/\s]+")
HMT_PERMIT_PREFIXES = ("810000", "820000", "830000")
DOCUMENT_SHAPE = re.compile(r"^[A-Z0-9]{5,20}$")

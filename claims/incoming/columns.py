"""The columns of a claims file and the values they take: the header names (Chinese, then
English aliases), the required ones, and the Chinese values mapped to codes."""

from collections.abc import Mapping

from office.cells import normalise_header
from policies.engine import codes

from .. import rules

LABELS = {
    "student_number": ("学号", "student number", "student no"),
    "id_number": ("证件号码", "身份证号码", "身份证号", "id number"),
    "type": ("报销类型", "申请类型", "claim type", "type"),
    "facility": ("医疗机构", "医疗机构名称", "就诊医院", "医院名称", "facility", "hospital"),
    "level": ("医院等级", "医疗机构等级", "等级", "facility level", "level"),
    "visit_date": ("就诊日期", "就诊时间", "入院日期", "visit date"),
    "invoice_number": ("票据号", "票据号码", "发票号", "发票号码", "invoice number", "invoice no"),
    "invoice_date": ("票据日期", "发票日期", "开票日期", "invoice date"),
    "submitted_on": ("申请日期", "提交日期", "受理日期", "submitted on", "application date"),
    "total": ("发票金额", "票据金额", "总金额", "invoice amount", "total"),
    "in_scope": ("医保范围内金额", "范围内金额", "医保内金额", "in scope", "in-scope amount"),
    # optional
    "application": ("申请单号", "申请编号", "application number", "application no"),
    "discharge_date": ("出院日期", "discharge date"),
    "disease": ("大病病种", "病种", "catastrophic disease"),
    "referral": ("转诊单号", "转诊单编号", "referral number", "referral"),
    "registration": ("异地备案", "异地就医备案", "备案类型", "remote registration"),
    # an addition: the registration's last day (blank: valid on every visit)
    "registration_valid_until": (
        "备案有效期至",
        "备案有效期",
        "registration valid until",
    ),
    "stay_key": ("住院号", "住院流水号", "stay number", "stay key"),
    "excluded": ("不予支付类别", "不予支付", "exclusion"),
    "channel": ("渠道", "申请渠道", "channel"),
    # an addition: where the money goes (claims the school pays out, 报销支付清单)
    "bank_account": ("收款账户", "银行账号", "银行卡号", "bank account"),
}
REQUIRED = (
    ("student_number", "id_number"),
    "type",
    "facility",
    "level",
    "visit_date",
    "invoice_number",
    "invoice_date",
    "submitted_on",
    "total",
    "in_scope",
)
# the column a problem names: the field's header as staff know it
COLUMN = {name: names[0] for name, names in LABELS.items()}


def _choices(pairs: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """value as written (normalised) -> code; every code is accepted as itself."""
    return {
        normalise_header(written): code
        for code, spellings in pairs.items()
        for written in (code, *spellings)
    }


TYPES = _choices(
    {
        rules.EMERGENCY_CASH: ("急诊垫付", "急诊", "急诊现金垫付"),
        rules.INPATIENT: ("住院",),
        rules.REMOTE: ("异地就医", "异地"),
        rules.FRESHMAN_BEFORE_ACCOUNT: ("新生建账前垫付", "新生垫付"),
        rules.REFERRED_OUTPATIENT: ("校外门诊（转诊）", "校外门诊", "转诊门诊", "校外门诊(转诊)"),
        rules.CATASTROPHIC: ("大病", "大病保险"),
    }
)
LEVELS = _choices(
    {
        "campus": ("校内", "校医院", "校内医疗机构"),
        "community": ("社区", "社区卫生服务中心"),
        "1": ("一级", "一级医院", "一级医疗机构"),
        "2": ("二级", "二级医院", "二级医疗机构", "二甲", "二级甲等", "二乙", "二级乙等"),
        "3": ("三级", "三级医院", "三级医疗机构", "三甲", "三级甲等", "三乙", "三级乙等"),
    }
)
CHANNELS = _choices(
    {
        rules.WINDOW: ("窗口", "现场", "窗口受理"),
        rules.ONLINE: ("线上", "网上", "网上申请", "线上申请"),
        rules.PROXY: ("代办", "委托代办"),
    }
)
REGISTRATIONS = _choices(
    {
        rules.REGISTRATION_NONE: ("无", "未备案", "否"),
        rules.REGISTRATION_LONG_TERM: ("长期", "长期备案", "长期异地"),
        rules.REGISTRATION_REFERRAL: ("转诊", "转诊备案", "转外就医"),
        rules.REGISTRATION_TEMPORARY: ("临时", "临时备案", "临时外出"),
    }
)
EXCLUSIONS = _choices(
    {
        code: (label, *extra)
        for code, label, extra in (
            ("abroad", codes.EXCLUSION_LABELS["abroad"], ("境外就医", "境外")),
            ("checkup", codes.EXCLUSION_LABELS["checkup"], ("体检",)),
            ("vaccine", codes.EXCLUSION_LABELS["vaccine"], ("疫苗",)),
            ("ambulance", codes.EXCLUSION_LABELS["ambulance"], ("救护车",)),
            ("cosmetic", codes.EXCLUSION_LABELS["cosmetic"], ()),
            ("orthopaedic", codes.EXCLUSION_LABELS["orthopaedic"], ("矫形",)),
            ("third_party", codes.EXCLUSION_LABELS["third_party"], ("第三方", "第三方责任")),
            ("work_injury", codes.EXCLUSION_LABELS["work_injury"], ("工伤",)),
            ("alcohol_drugs", codes.EXCLUSION_LABELS["alcohol_drugs"], ("酗酒", "吸毒")),
            ("non_covered", codes.EXCLUSION_LABELS["non_covered"], ("非医保", "自费项目")),
        )
    }
)
# (claim type) -> care without a stay key, with one
CARE = {
    rules.EMERGENCY_CASH: ("emergency", "emergency"),
    rules.INPATIENT: ("inpatient", "inpatient"),
    rules.REMOTE: ("outpatient", "inpatient"),
    rules.FRESHMAN_BEFORE_ACCOUNT: ("outpatient", "inpatient"),
    rules.REFERRED_OUTPATIENT: ("outpatient", "outpatient"),
    rules.CATASTROPHIC: ("outpatient", "inpatient"),
}


def care_for(claim_type: str, stay_key: str) -> str:
    """The engine's care type of a receipt of a claim of `claim_type` (module docstring)."""
    return CARE[claim_type][bool(stay_key)]


def disease_names(diseases: Mapping[str, str]) -> dict[str, str]:
    """code -> name of the seeded catastrophic diseases, as written -> code: the code, the
    name and the name before its parenthesis ("恶性肿瘤治疗")."""
    names = {}
    for code, name in diseases.items():
        for written in (code, name, name.split("（")[0].split("(")[0]):
            names[normalise_header(written)] = code
    return names

"""The claims of bench/claims.py, one deterministic generator for the claims file and for
the per-claim loop: a Wuhan school's year 2025, its facility registry, and claim `index`
of a run with its student, type, channel and receipts."""

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

YEAR = 2025
TODAY = date(2025, 12, 31)
COLLEGES = ["医学院", "法学院", "外国语学院", "化学化工学院", "数学科学学院", "经济与管理学院"]
# (name, level): the campus clinic, community centres and hospitals of levels 1–3
FACILITIES = [
    ("校医院", "campus"),
    *((f"武汉市第{n}社区卫生服务中心", "community") for n in range(1, 10)),
    *((f"武汉市第{n}医院", "1") for n in range(1, 11)),
    *((f"武汉市第{n}人民医院", "2") for n in range(1, 11)),
    *((f"武汉大学附属第{n}医院", "3") for n in range(1, 11)),
]
HOSPITALS = [name for name, level in FACILITIES if level in ("1", "2", "3")]
HEADER = [
    "申请单号",
    "学号",
    "报销类型",
    "医疗机构",
    "医院等级",
    "就诊日期",
    "票据号",
    "票据日期",
    "申请日期",
    "发票金额",
    "医保范围内金额",
    "出院日期",
    "大病病种",
    "转诊单号",
    "异地备案",
    "住院号",
    "渠道",
    "收款账户",
]


def student_number(index: int) -> str:
    return f"25{index:07d}"


def referral_number(index: int) -> str:
    return f"ZZ{index:07d}"


def claim_spec(index: int, students: int) -> dict:
    """Claim `index` of the run: its student, type, channel and receipts."""
    student = (index * 7919) % students  # spread over every student
    kind = index % 20
    if kind < 11:
        claim_type, label = "referred_outpatient", "校外门诊（转诊）"
    elif kind < 16:
        claim_type, label = "inpatient", "住院"
    elif kind < 18:
        claim_type, label = "emergency_cash", "急诊垫付"
    elif kind < 19:
        claim_type, label = "catastrophic", "大病"
    else:
        claim_type, label = "remote", "异地就医"
    receipts = 1 if index % 10 < 5 else 2 if index % 10 < 8 else 3
    visit = date(YEAR, 1, 2) + timedelta(days=(index * 37) % 300)
    late = index % 33 == 0
    lines = []
    for position in range(receipts):
        day = visit + timedelta(days=position * 3)
        stay = claim_type in ("inpatient", "catastrophic")
        discharge = day + timedelta(days=2) if stay else None
        invoiced = discharge or day
        total = Decimal(100 + (index * 13 + position * 101) % 900) + Decimal("0.50")
        lines.append(
            {
                "facility": HOSPITALS[(index + position) % len(HOSPITALS)],
                "visit": day,
                "invoice": f"FP{index:07d}{position}",
                "invoice_date": invoiced,
                "total": total,
                "in_scope": (total * Decimal("0.8")).quantize(Decimal("0.01")),
                "discharge": discharge,
                "stay": f"ZY{index:07d}{position}" if stay else "",
            }
        )
    last = max(line["invoice_date"] for line in lines)
    submitted = last + timedelta(days=200 if late else 5 + index % 40)
    return {
        "application": f"SQ{index:07d}" if receipts > 1 else "",
        "student": student,
        "type": claim_type,
        "label": label,
        "submitted": min(submitted, TODAY) if not late else submitted,
        "referral": referral_number(student) if claim_type == "referred_outpatient" else "",
        "registration": "长期" if claim_type == "remote" else "",
        "disease": "恶性肿瘤治疗" if claim_type == "catastrophic" else "",
        "channel": ("窗口", "线上", "代办")[index % 3],
        "account": f"6222020{student:09d}",
        "lines": lines,
    }


def build_file(path: Path, claims: int, students: int) -> int:
    """The claims workbook, written row by row (XlsxWriter, constant memory). Returns how
    many rows (receipts) it holds."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("报销申请")
    sheet.write_row(0, 0, HEADER)
    levels = dict(FACILITIES)
    labels = {"1": "一级", "2": "二级", "3": "三级"}
    row = 0
    for index in range(claims):
        spec = claim_spec(index, students)
        for line in spec["lines"]:
            row += 1
            sheet.write_row(
                row,
                0,
                [
                    spec["application"],
                    student_number(spec["student"]),
                    spec["label"],
                    line["facility"],
                    labels[levels[line["facility"]]],
                    line["visit"].isoformat(),
                    line["invoice"],
                    line["invoice_date"].isoformat(),
                    spec["submitted"].isoformat(),
                    str(line["total"]),
                    str(line["in_scope"]),
                    line["discharge"].isoformat() if line["discharge"] else "",
                    spec["disease"],
                    spec["referral"],
                    spec["registration"],
                    line["stay"],
                    spec["channel"],
                    spec["account"],
                ],
            )
    workbook.close()
    return row

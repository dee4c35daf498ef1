"""Real files for the tests, built the way the office receives them: the registration
roster, finance's payment files and the bureau's account results."""

import csv
import io
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from stdnum.cn import ric

HEADER = [
    "姓名",
    "证件类型",
    "证件号码",
    "学号",
    "院校名称",
    "学院名称",
    "专业名称",
    "学历层次",
    "学习形式",
    "报到注册时间",
]
PAYMENT_HEADER = ["学号", "金额", "缴费日期", "缴费方式", "收据号"]
RESULTS_HEADER = ["证件号码", "建账结果", "失败原因"]


def resident_id(county: str = "310104", born: date = date(2007, 5, 1), seq: int = 123) -> str:
    body = f"{county}{born:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def row(name="张三", id_number=None, student_number="2601001", **overrides) -> list:
    values = {
        "姓名": name,
        "证件类型": "居民身份证",
        "证件号码": id_number or resident_id(),
        "学号": student_number,
        "院校名称": "示范大学",
        "学院名称": "医学院",
        "专业名称": "临床医学",
        "学历层次": "本科",
        "学习形式": "全日制",
        "报到注册时间": "2026-09-01",
    }
    values.update(overrides)
    return [values.get(column, "") for column in HEADER] + [
        values[extra] for extra in overrides if extra not in HEADER
    ]


def students(count: int, *, start: int = 0) -> list[list]:
    return [
        row(
            name=f"学生{index}",
            id_number=resident_id(seq=index % 1000, born=date(2007, 1, 1 + index // 1000)),
            student_number=f"26{index:06d}",
        )
        for index in range(start, start + count)
    ]


def xlsx(path: Path, rows: list[list], *, header=HEADER, titles=()) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    for title in titles:
        sheet.append([title])
    sheet.append(list(header))
    for values in rows:
        sheet.append(values)
    workbook.save(path)
    return path


def csv_file(path: Path, rows: list[list], *, encoding="utf-8", header=HEADER) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path

"""A claims file (import_claims), pure: one row per receipt, read through office.incoming
(header below title rows, Chinese names or English aliases, cells cleaned as in the
roster, DESIGN.md §5). Each row becomes a `ClaimRow` or a `Problem` naming its row, its
column and a stable code; rows sharing a 申请单号 are one claim (`group_claims`), and a
row without one is a claim of its own.

Chinese values map to codes: 报销类型 to the claim types of claims.rules, 医院等级 to the
engine's levels (校内, 社区, 一级, 二级, 三级), 渠道 to the channels (blank: 窗口), 异地备案
to the registrations (无, 长期, 转诊, 临时; blank: 无), 不予支付类别 to the engine's
exclusions and 大病病种 to the seeded catastrophic diseases (name, short name or code).

The care type of a receipt follows from the claim type (`care_for`): 住院 is inpatient
care and 急诊垫付 emergency care (with a 住院号 it is the rescue before an admission,
settled with its stay); 大病, 异地就医 and 新生建账前垫付 are inpatient care when the row
gives a 住院号 (the stay key) and outpatient care otherwise; 校外门诊（转诊） is outpatient
care. A claim of type 异地就医, or with a remote-care registration, is out of the city."""

from .columns import (
    CARE,
    CHANNELS,
    COLUMN,
    EXCLUSIONS,
    LABELS,
    LEVELS,
    REGISTRATIONS,
    REQUIRED,
    TYPES,
    care_for,
    disease_names,
)
from .grouping import CLAIM_FIELDS, FileClaim, group_claims
from .plan import ClaimsPlan
from .rows import ClaimRow, RowProblem, parse_row, row_problem

__all__ = [
    "CARE",
    "CHANNELS",
    "CLAIM_FIELDS",
    "COLUMN",
    "EXCLUSIONS",
    "LABELS",
    "LEVELS",
    "REGISTRATIONS",
    "REQUIRED",
    "TYPES",
    "ClaimRow",
    "ClaimsPlan",
    "FileClaim",
    "RowProblem",
    "care_for",
    "disease_names",
    "group_claims",
    "parse_row",
    "row_problem",
]

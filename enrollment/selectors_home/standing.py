"""Where the year's enrollments stand, the rate per college and the freshmen's window."""

from collections import Counter, defaultdict
from datetime import date, timedelta

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from office import charts
from office.home import Block, Chart, Figure, Figures, Link
from office.scoping import in_colleges
from policies.models import PolicyYear

from .. import workflow
from ..models import Enrollment, EnrollmentEvent
from .links import VIEW_ENROLLMENT, changelist, enrollments, page, state_list
from .roster import Roster

# Where an enrollment stands, in the order of the year's flow, then the other outcomes:
# (label, states). Together they hold every state once, so the counts add up to the
# year's enrollments.
FLOW = (
    ("pending", (workflow.NOT_ESTABLISHED,)),
    ("declared", (workflow.DECLARED, workflow.PENDING_REVIEW)),
    ("paid", (workflow.PAID,)),
    ("established", (workflow.ESTABLISHED, workflow.REMITTED)),
)
OUTCOMES = (
    ("exempt", (workflow.EXEMPT,)),
    ("opted_out", (workflow.OPTED_OUT,)),
    ("failed", (workflow.FAILED,)),
    ("refunded", (workflow.REFUNDED,)),
)
# the colours of the states' chart: the flow in blues darkening towards established
COLOURS = {
    "pending": "#f5dd5d",
    "declared": "#a9cbdc",
    "paid": "#79aec8",
    "established": "#417690",
    "exempt": "#5b8e5b",
    "opted_out": "#a5a5a5",
    "failed": "#ba2121",
    "refunded": "#e28d3b",
}
LABELS = {
    "pending": "待确认",
    "declared": "已申报/已确认",
    "paid": "已缴费",
    "established": "已建账",
    "exempt": "免缴（重残）",
    "opted_out": "主动放弃",
    "failed": "建账失败",
    "refunded": "已退费",
}
# the rate per college: accounts the bureau established (or its own, 重残) out of the
# college's enrollments less the opt-outs; paid or confirmed ones wait for the bureau
COVERED = (workflow.ESTABLISHED, workflow.REMITTED, workflow.EXEMPT)
WAITING = (workflow.PAID, workflow.PENDING_REVIEW)
# --- where the year stands ----------------------------------------------------------------


def standing(policy_year: PolicyYear, roster: Roster) -> Block:
    by_state = Counter()
    for row in roster.rows:
        by_state[row["state"]] += row["count"]
    labels = dict(LABELS)
    if not policy_year.freshman_confirms_in_app:  # the school registers its freshmen
        labels["pending"] = workflow.LABELS[workflow.NOT_ESTABLISHED]

    def figure(key: str, states) -> Figure:
        remitted = by_state[workflow.REMITTED] if key == "established" else 0
        note = f"其中已汇缴 {charts.count_text(remitted)}" if remitted else ""
        return Figure(
            labels[key],
            sum(by_state[state] for state in states),
            link=enrollments(policy_year, state__in=state_list(states)),
            note=note,
        )

    total = sum(by_state.values())
    eligible_link = Link(
        changelist(
            "enrollment",
            "student",
            # the eligibility rule leaves only these statuses, graduates aside
            {"eligibility": "eligible", "school_status__in": "studying,leave"},
        ),
        "enrollment.view_student",
    )
    chase_link = Link(
        page("enrollment_students_to_chase", {"policy_year": policy_year.pk}),
        "enrollment.view_optout",
    )
    segments = [
        charts.Segment(labels[key], sum(by_state[state] for state in states), colour=COLOURS[key])
        for key, states in (*FLOW, *OUTCOMES)
    ]
    return Block(
        key="standing",
        title=f"{policy_year.year} 年度参保进度",
        permission=VIEW_ENROLLMENT,
        order=10,
        groups=(
            Figures(
                (
                    Figure(
                        "在校应参保学生", roster.eligible, link=eligible_link, note="按当前名册"
                    ),
                    Figure("参保记录", total, link=enrollments(policy_year)),
                    Figure(
                        "待跟进",
                        roster.to_chase,
                        link=chase_link,
                        note="未参保且未签放弃承诺",
                    ),
                )
            ),
            Figures(tuple(figure(key, states) for key, states in FLOW), flow=True),
            Figures(tuple(figure(key, states) for key, states in OUTCOMES)),
        ),
        charts=(
            Chart(
                "stacked",
                "参保记录的状态",
                items=tuple(segments),
                links=tuple(
                    enrollments(policy_year, state__in=state_list(states))
                    for _key, states in (*FLOW, *OUTCOMES)
                ),
            ),
        ),
    )


# --- the rate per college -----------------------------------------------------------------


def colleges(policy_year: PolicyYear, rows: list[dict]) -> Block:
    per_college = defaultdict(Counter)
    for row in rows:
        per_college[row["college"]][row["state"]] += row["count"]
    bars, links = [], []
    for college, states in per_college.items():
        base = sum(states.values()) - states[workflow.OPTED_OUT]
        covered = sum(states[state] for state in COVERED)
        waiting = sum(states[state] for state in WAITING)
        bars.append(
            charts.Bar(
                college,
                charts.ratio(covered, base),
                secondary=charts.ratio(waiting, base),
                text=charts.percent_text(covered, base),
                note=(
                    f"{college}：已建账 {charts.count_text(covered)} / "
                    f"{charts.count_text(base)}（{charts.percent_text(covered, base)}），"
                    f"已缴费或已确认待建账 {charts.count_text(waiting)}"
                ),
            )
        )
        links.append(enrollments(policy_year, student__college=college))
    order = sorted(range(len(bars)), key=lambda i: (bars[i].value, bars[i].label))
    return Block(
        key="colleges",
        title="各学院建账率",
        permission=VIEW_ENROLLMENT,
        order=20,
        charts=(
            Chart(
                "bars",
                "各学院建账率（由低到高）",
                items=tuple(bars[i] for i in order),
                links=tuple(links[i] for i in order),
                options={"value_label": "已建账", "secondary_label": "已缴费/已确认待建账"},
            ),
        ),
        notes=("建账率 = 已建账（含已汇缴、免缴）÷ 该学院本年度参保记录（不含主动放弃）。",),
    )


# --- the freshmen's window ----------------------------------------------------------------


def freshmen(policy_year: PolicyYear, today: date, colleges=None) -> list[Block]:
    """The year's freshmen as they stand, and their confirmations per day (established
    accounts, where the school registers its freshmen) from the freshman window's
    opening to its close, or to today while open, and any day outside it that had some."""
    in_app = policy_year.freshman_confirms_in_app
    # apart from the roster's query: one more column there would double PostgreSQL's
    # estimate of its groups and turn its hash into a sort spilled to disk
    by_state = Counter(
        dict(
            in_colleges(Enrollment.objects, "student__college", colleges)
            .filter(policy_year=policy_year, kind=workflow.FRESHMAN)
            .values("state")
            .annotate(count=Count("pk"))
            .order_by()
            .values_list("state", "count")
        )
    )
    established = (workflow.ESTABLISHED, workflow.REMITTED)
    pending = "待确认" if in_app else workflow.LABELS[workflow.NOT_ESTABLISHED]
    step = workflow.PENDING_REVIEW if in_app else workflow.ESTABLISHED
    per_day = dict(
        in_colleges(EnrollmentEvent.objects, "enrollment__student__college", colleges)
        .filter(
            enrollment__policy_year=policy_year,
            enrollment__kind=workflow.FRESHMAN,
            to_state=step,
        )
        .annotate(day=TruncDate("at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(count=Count("pk"))
        .order_by()
        .values_list("day", "count")
    )
    first = min([policy_year.freshman_window_opens_on, *per_day])
    last = max([min(policy_year.freshman_window_closes_on, today), *per_day])
    if last < first:
        return []  # the window has not opened
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    what = "确认参保" if in_app else "建账"
    points = tuple(
        charts.Point(
            f"{day:%m-%d}",
            per_day.get(day, 0),
            note=f"{day:%Y-%m-%d}：{what} {charts.count_text(per_day.get(day, 0))} 人",
        )
        for day in days
    )
    window = (
        f"{policy_year.freshman_window_opens_on:%Y-%m-%d} 至 "
        f"{policy_year.freshman_window_closes_on:%Y-%m-%d}"
    )
    return [
        Block(
            key="freshmen",
            title=f"新生每日{what}人数",
            permission=VIEW_ENROLLMENT,
            order=30,
            groups=(
                Figures(
                    (
                        Figure(
                            "新生参保记录",
                            sum(by_state.values()),
                            link=enrollments(policy_year, kind__exact=workflow.FRESHMAN),
                            note=f"新生申报窗口 {window}",
                        ),
                        Figure(
                            pending,
                            by_state[workflow.NOT_ESTABLISHED],
                            link=enrollments(
                                policy_year,
                                kind__exact=workflow.FRESHMAN,
                                state__exact=workflow.NOT_ESTABLISHED,
                            ),
                        ),
                        Figure(
                            "已建账",
                            sum(by_state[state] for state in established),
                            link=enrollments(
                                policy_year,
                                kind__exact=workflow.FRESHMAN,
                                state__in=state_list(established),
                            ),
                        ),
                    )
                ),
            ),
            charts=(
                Chart(
                    "line", f"新生每日{what}人数（{window}）", items=points, options={"unit": " 人"}
                ),
            ),
        )
    ]

"""The enrollment app's change lists as files (office.resources): students, enrollments,
payments, refunds and opt-outs, each exported as it is filtered. ID numbers are masked
unless the user may see them in full; every export is written to the personal-data
access log (PersonalDataAccess) with its row count and filters."""

from office.exports import Kind
from office.resources import Export, Resource, column

from .models import Enrollment, OptOut, Payment, PersonalDataAccess, Refund, Student
from .services import personal_data_access_record

FULL_ID_PERMISSION = "enrollment.view_full_id"


class LoggedExport(Export):
    """office's export, recorded in this app's access log."""

    def export_logged(self, request, *, rows: int, full_id: bool) -> None:
        personal_data_access_record(
            user=request.user,
            action=PersonalDataAccess.Action.EXPORT,
            detail=self.export_detail(request, rows=rows, full_id=full_id),
        )


def year_of(policy_year) -> str:
    """上海市 2026: the region and year, as the lists' filters name them."""
    return f"{policy_year.region.name} {policy_year.year}"


class StudentResource(Resource):
    full_id_permission = FULL_ID_PERMISSION

    student_number = column("学号", "student_number")
    name = column("姓名", "name")
    id_type = column("证件类型", "get_id_type_display")
    id_number = column("证件号码")
    college = column("学院", "college")
    major = column("专业", "major")
    education_level = column("培养层次", "get_education_level_display")
    study_mode = column("学习形式", "get_study_mode_display")
    registered_on = column("注册日期", "registered_on", kind=Kind.DATE)
    school_status = column("学籍状态", "get_school_status_display")
    subsidy_category = column("资助类别", "get_subsidy_category_display")
    phone = column("手机号", "phone")

    class Meta:
        model = Student
        fields = (
            "student_number",
            "name",
            "id_type",
            "id_number",
            "college",
            "major",
            "education_level",
            "study_mode",
            "registered_on",
            "school_status",
            "subsidy_category",
            "phone",
        )

    def dehydrate_id_number(self, student: Student) -> str:
        return self.shown_id(student.id_number, student.masked_id_number)


class EnrollmentResource(Resource):
    related = ("student", "policy_year__region")

    student_number = column("学号", "student__student_number")
    name = column("姓名", "student__name")
    college = column("学院", "student__college")
    policy_year = column("医保年度")
    kind = column("参保类型", "get_kind_display")
    state = column("状态", "get_state_display")
    payer = column("缴费方", "get_payer_display")
    premium_due = column("应缴保费", "premium_due", kind=Kind.MONEY)
    amount_paid = column("已缴金额", "amount_paid", kind=Kind.MONEY)
    cover_start = column("待遇开始", "cover_start", kind=Kind.DATE)
    cover_end = column("待遇结束", "cover_end", kind=Kind.DATE)
    waiting_months = column("等待期（月）", "waiting_months", kind=Kind.INTEGER)
    reason = column("说明", "reason")

    class Meta:
        model = Enrollment
        fields = (
            "student_number",
            "name",
            "college",
            "policy_year",
            "kind",
            "state",
            "payer",
            "premium_due",
            "amount_paid",
            "cover_start",
            "cover_end",
            "waiting_months",
            "reason",
        )

    def dehydrate_policy_year(self, enrollment: Enrollment) -> str:
        return year_of(enrollment.policy_year)


class PaymentResource(Resource):
    related = ("enrollment__student", "enrollment__policy_year__region", "recorded_by")

    receipt_number = column("收据号", "receipt_number")
    student_number = column("学号", "enrollment__student__student_number")
    name = column("姓名", "enrollment__student__name")
    college = column("学院", "enrollment__student__college")
    policy_year = column("医保年度")
    amount = column("金额", "amount", kind=Kind.MONEY)
    paid_on = column("缴费日期", "paid_on", kind=Kind.DATE)
    channel = column("缴费方式", "get_channel_display")
    mismatch = column("不符说明", "mismatch")
    recorded_by = column("登记人", "recorded_by__username")

    class Meta:
        model = Payment
        fields = (
            "receipt_number",
            "student_number",
            "name",
            "college",
            "policy_year",
            "amount",
            "paid_on",
            "channel",
            "mismatch",
            "recorded_by",
        )

    def dehydrate_policy_year(self, payment: Payment) -> str:
        return year_of(payment.enrollment.policy_year)


class RefundResource(Resource):
    related = ("enrollment__student", "enrollment__policy_year__region")

    student_number = column("学号", "enrollment__student__student_number")
    name = column("姓名", "enrollment__student__name")
    college = column("学院", "enrollment__student__college")
    policy_year = column("医保年度")
    amount = column("退费金额", "amount", kind=Kind.MONEY)
    reason = column("退费原因", "get_reason_display")
    created_at = column("登记时间", "created_at", kind=Kind.DATE)
    paid_out_on = column("支付日期", "paid_out_on", kind=Kind.DATE)
    payout_channel = column("支付方式", "get_payout_channel_display")
    payout_reference = column("支付凭证号", "payout_reference")

    class Meta:
        model = Refund
        fields = (
            "student_number",
            "name",
            "college",
            "policy_year",
            "amount",
            "reason",
            "created_at",
            "paid_out_on",
            "payout_channel",
            "payout_reference",
        )

    def dehydrate_policy_year(self, refund: Refund) -> str:
        return year_of(refund.enrollment.policy_year)


class OptOutResource(Resource):
    related = ("student", "policy_year__region")

    student_number = column("学号", "student__student_number")
    name = column("姓名", "student__name")
    college = column("学院", "student__college")
    policy_year = column("医保年度")
    reason = column("放弃原因", "get_reason_display")
    detail = column("说明", "detail")
    signed_on = column("签署日期", "signed_on", kind=Kind.DATE)
    scanned = column("承诺书扫描件")

    class Meta:
        model = OptOut
        fields = (
            "student_number",
            "name",
            "college",
            "policy_year",
            "reason",
            "detail",
            "signed_on",
            "scanned",
        )

    def dehydrate_policy_year(self, opt_out: OptOut) -> str:
        return year_of(opt_out.policy_year)

    def dehydrate_scanned(self, opt_out: OptOut) -> str:
        return "已上传" if opt_out.commitment else "缺"

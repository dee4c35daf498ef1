from django.views.generic import TemplateView

from . import services
from .estimates import EstimateInputError
from .forms import EstimateForm, ExpenseFormSet


class EstimateView(TemplateView):
    """The staff's what-if page: the same request and engine as `estimate_reimbursement`."""

    template_name = "admin/policies/estimate.html"
    admin_site = None

    def get(self, request, *args, **kwargs):
        return self.render(EstimateForm(), ExpenseFormSet(prefix="expenses"))

    def post(self, request, *args, **kwargs):
        form = EstimateForm(request.POST)
        formset = ExpenseFormSet(request.POST, prefix="expenses")
        result = error = None
        if form.is_valid() and formset.is_valid():
            estimate_request = {
                "policy_year": form.cleaned_data["policy_year"].code,
                "member": form.member_data(),
                "expenses": [f.expense_data() for f in formset if f.has_changed()],
            }
            try:
                result = services.estimate_run(request=estimate_request)
            except EstimateInputError as exc:
                error = f"{exc.field}：{exc.message}"
        return self.render(form, formset, result=result, error=error)

    def render(self, form, formset, **extra):
        context = {
            **self.admin_site.each_context(self.request),
            "title": "报销试算",
            "form": form,
            "formset": formset,
            **extra,
        }
        return self.render_to_response(context)

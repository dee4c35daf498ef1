"""Views every app's admin shares."""

from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse


def job_progress(request, pk: int, *, model) -> JsonResponse:
    """A job's status and counts, polled by its page (admin/office/job_progress.html)."""
    return JsonResponse(get_object_or_404(model, pk=pk).progress_state())


def permission_denied(request, exception=None):
    """The 403 page (config.urls.handler403) in the admin's layout: its header, the user's
    links and the way back home, rather than a bare page."""
    from django.contrib import admin  # the admin site is ready once a request arrives

    context = {**admin.site.each_context(request), "title": "没有权限（403）"}
    return TemplateResponse(request, "403.html", context, status=403).render()

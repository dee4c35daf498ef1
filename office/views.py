"""Views every app's admin shares."""

from django.http import JsonResponse
from django.shortcuts import get_object_or_404


def job_progress(request, pk: int, *, model) -> JsonResponse:
    """A job's status and counts, polled by its page (admin/office/job_progress.html)."""
    return JsonResponse(get_object_or_404(model, pk=pk).progress_state())

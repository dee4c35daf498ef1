from celery import shared_task
from django.utils import timezone

from .incoming import incoming_files_remove_stale


@shared_task(name="office.remove_stale_uploads")
def remove_stale_uploads(**kwargs) -> int:
    return incoming_files_remove_stale(now=timezone.now())

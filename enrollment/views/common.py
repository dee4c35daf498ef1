"""The enrollment app's side of office's download helper: its access log."""

from django.http import FileResponse

from office.admin_pages import attachment

from .. import services
from ..models import PersonalDataAccess


def record_export(*, user, detail: str, student_id: int | None = None) -> None:
    services.personal_data_access_record(
        user=user, action=PersonalDataAccess.Action.EXPORT, student_id=student_id, detail=detail
    )


def xlsx_download(request, content: bytes, filename: str, *, detail: str) -> FileResponse:
    """A file with personal data, logged in the access log before it is handed out."""
    record_export(user=request.user, detail=detail)
    return attachment(content, filename)

"""Scans staff upload (an opt-out's signed commitment, a claim's documents): checked by
their content and size, stored under a name of ours (the uploaded name, and its extension,
which decides how a browser shows the file, is never used), and removed again when the
write that was to keep them fails."""

import contextlib
import uuid

from django.db import models

MAX_SCAN_BYTES = 5 * 1024 * 1024
# what a scan may be, by its first bytes (the name and the browser's word are not trusted),
# and the extension it is stored with
SCAN_SIGNATURES = {
    b"%PDF-": "pdf",
    b"\xff\xd8\xff": "jpg",
    b"\x89PNG\r\n\x1a\n": "png",
}


def scan_head(upload) -> bytes:
    """The upload's first bytes, read without moving it on."""
    head = upload.read(16)
    upload.seek(0)
    return head


def scan_kind(head: bytes) -> str | None:
    """ "pdf", "jpg" or "png" by the file's first bytes, or None."""
    return next((kind for sig, kind in SCAN_SIGNATURES.items() if head.startswith(sig)), None)


def scan_problem(head: bytes, size: int) -> str:
    """Why a scan cannot be kept, or "" when it can."""
    if size > MAX_SCAN_BYTES:
        return f"扫描件超过 {MAX_SCAN_BYTES // (1024 * 1024)} MB，请压缩后再上传。"
    if scan_kind(head) is None:
        return "扫描件须为 PDF、JPG 或 PNG 文件。"
    return ""


def scan_keep(field_file: models.fields.files.FieldFile, upload, head: bytes) -> None:
    """Store a checked upload in `field_file` under a name of ours (the record is saved by
    the caller)."""
    field_file.save(f"{uuid.uuid4().hex}.{scan_kind(head)}", upload, save=False)


@contextlib.contextmanager
def scan_removed_on_failure(record: models.Model, field: str):
    """A scan stored in `record.<field>` inside the block is deleted again if the block
    fails, so no file is left that no record names."""
    before = getattr(record, field).name
    try:
        yield
    except BaseException:
        after = getattr(record, field)
        if after.name and after.name != before:
            after.storage.delete(after.name)
        raise

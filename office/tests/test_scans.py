"""office.scans: a scan is checked by its content and size, and a scan stored inside a
write that fails is removed again (no file left that no record names)."""

import pytest
from django.core.files.base import ContentFile

from enrollment.models import OptOut
from office.scans import MAX_SCAN_BYTES, scan_head, scan_keep, scan_problem, scan_removed_on_failure

PDF = b"%PDF-1.4\n%scan\n"


def test_a_scan_is_judged_by_its_first_bytes_and_size():
    upload = ContentFile(PDF, name="承诺书.exe")

    assert scan_head(upload) == PDF[:16] and upload.tell() == 0
    assert scan_problem(PDF, MAX_SCAN_BYTES) == ""
    assert "5 MB" in scan_problem(PDF, MAX_SCAN_BYTES + 1)
    assert "PDF、JPG 或 PNG" in scan_problem(b"<html>", 10)


def test_a_scan_stored_in_a_failed_write_is_removed(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    opt_out = OptOut()

    with pytest.raises(RuntimeError), scan_removed_on_failure(opt_out, "commitment"):
        scan_keep(opt_out.commitment, ContentFile(PDF), PDF)
        stored = opt_out.commitment.name
        assert stored.endswith(".pdf") and opt_out.commitment.storage.exists(stored)
        raise RuntimeError("the record could not be saved")

    assert not opt_out.commitment.storage.exists(stored)


def test_a_scan_stored_in_a_write_that_succeeds_is_kept(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    opt_out = OptOut()

    with scan_removed_on_failure(opt_out, "commitment"):
        scan_keep(opt_out.commitment, ContentFile(PDF), PDF)

    assert opt_out.commitment.storage.exists(opt_out.commitment.name)

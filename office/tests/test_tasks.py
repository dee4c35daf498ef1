"""The office's periodic tasks, run as the beat would run them."""

import os
import time

from office.tasks import remove_stale_uploads


def test_unconfirmed_uploads_are_removed_after_a_day(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    old = tmp_path / "incoming" / ("a" * 32 + ".xlsx")  # files only, as kept before
    new = tmp_path / "incoming" / ("b" * 32 + ".xlsx")
    old.parent.mkdir(parents=True)
    old.write_bytes(b"x")
    new.write_bytes(b"x")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (two_days_ago, two_days_ago))

    removed = remove_stale_uploads()  # the hourly beat task

    assert removed == 1
    assert (old.exists(), new.exists()) == (False, True)

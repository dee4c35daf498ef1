"""Where uploads are kept: Django's file system storage, under a name it can always keep."""

import os

from django.core.files.storage import FileSystemStorage

MAX_EXTENSION = 10  # ".xlsx", ".jpeg", ".pdf": a longer "extension" is part of no format


class UploadStorage(FileSystemStorage):
    """An upload's extension longer than MAX_EXTENSION characters is dropped from the name
    it is kept under. Django keeps the extension whole when it shortens a name to fit
    its field, so a file named "名单." and 240 letters could not be kept at all, and the
    request ended in a 400 and a logged SuspiciousFileOperation. What a kept file holds
    is decided by its content (office.spreadsheets, the scans' checks), never its name."""

    def get_valid_name(self, name: str) -> str:
        name = super().get_valid_name(name)
        root, extension = os.path.splitext(name)
        if len(extension) > MAX_EXTENSION:
            return root[:100] or "upload"
        return name

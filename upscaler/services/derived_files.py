"""Files derived from a stored one (bicubic references, format conversions), made once and cached.

Shared by the services that make them: the image is encoded into a spooled temporary file, saved
under its fixed storage name, never left half-written, and when two requests race the first
stored copy wins.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from typing import BinaryIO

from django.core.files import File
from django.core.files.storage import default_storage

# Encoded images up to this size stay in memory before being stored.
SPOOL_BYTES = 64 * 1024 * 1024


def derived_file_ensure(*, name: str, write: Callable[[BinaryIO], None]) -> str:
    """Return `name`, first storing what `write(fileobj)` encodes there if it does not exist."""
    if default_storage.exists(name):
        return name
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as tmp:
        write(tmp)
        tmp.seek(0)
        try:
            saved = default_storage.save(name, File(tmp, name=name))
        except BaseException:
            if default_storage.exists(name):
                default_storage.delete(name)
            raise
    if saved != name:
        # Another request made it meanwhile; keep theirs.
        default_storage.delete(saved)
    return name

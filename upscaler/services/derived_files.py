"""Writing files to storage, never half: a job's output, and the files derived from stored ones
(bicubic references, format conversions, thumbnails), which are made once and cached.

Every writer encodes into a spooled temporary file first and only then stores it under its final
name, so an encoding failure stores nothing, and a storage failure deletes whatever part of the
file it left behind. For a cached file, when two requests race, the first stored copy wins.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from typing import BinaryIO

from django.core.files import File
from django.core.files.storage import default_storage

logger = logging.getLogger(__name__)

# Encoded files up to this size stay in memory before being stored.
SPOOL_BYTES = 64 * 1024 * 1024


class StorageWriteError(Exception):
    """The storage refused the file (disk full, read-only, object store down); nothing is left
    under its name. The message is the reason, short enough to show."""


def storage_write_atomic(
    *, name: str, write: Callable[[BinaryIO], None], passthrough: tuple[type[BaseException], ...] = ()
) -> str:
    """Store what `write(fileobj)` encodes under `name` and return the stored name (a storage may
    choose another if `name` is taken). An exception of `write` is raised as it is, with nothing
    stored. A failure of the storage deletes any partial file and is raised as StorageWriteError,
    except the exception types in `passthrough` (a job's time limit), which are raised as they are."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as tmp:
        write(tmp)
        tmp.seek(0)
        try:
            return default_storage.save(name, File(tmp, name=name))
        except BaseException as exc:
            _delete_partial(name)
            if isinstance(exc, Exception) and not isinstance(exc, passthrough):
                reason = getattr(exc, "strerror", None) or type(exc).__name__
                raise StorageWriteError(reason) from exc
            raise


def derived_file_ensure(*, name: str, write: Callable[[BinaryIO], None]) -> str:
    """Return `name`, first storing what `write(fileobj)` encodes there if it does not exist.
    `write` is only called when the file is missing: it may do the expensive decoding."""
    if default_storage.exists(name):
        return name
    saved = storage_write_atomic(name=name, write=write)
    if saved != name:
        # Another request made it meanwhile; keep theirs.
        default_storage.delete(saved)
    return name


def _delete_partial(name: str) -> None:
    """The storage may have written part of the file under `name` before failing."""
    try:
        if default_storage.exists(name):
            default_storage.delete(name)
    except Exception:
        logger.exception("could not remove the partial file %s", name)

"""services/derived_files.py: the one way files are written (spooled, then stored, never half),
used by the job's output, references, downloads and thumbnails."""

import pytest
from django.core.files.storage import FileSystemStorage, default_storage

from upscaler.services.derived_files import StorageWriteError, derived_file_ensure, storage_write_atomic
from upscaler.services.thumbnails import submission_thumbnail_ensure
from upscaler.tests.conftest import stored_files
from upscaler.tests.support.factories import create_submission

DISK_FULL = OSError(28, "No space left on device")


class TimeUp(Exception):
    """Stands in for a runner's time-limit exception."""


def write_bytes(data: bytes):
    return lambda fileobj: fileobj.write(data)


@pytest.fixture
def break_storage(media_root, monkeypatch):
    """From the call on, the storage writes part of each file under its final name, then raises
    `error`."""

    def install(error: BaseException = DISK_FULL) -> None:
        def write_part_then_break(storage, name, content):
            path = media_root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content.read(3))
            raise error

        monkeypatch.setattr(FileSystemStorage, "_save", write_part_then_break)

    return install


def test_a_failed_save_leaves_nothing_and_says_why(media_root, break_storage):
    break_storage()
    with pytest.raises(StorageWriteError, match="No space left on device"):
        storage_write_atomic(name="x/out.png", write=write_bytes(b"123456"))
    assert stored_files(media_root) == []


def test_passthrough_exceptions_are_raised_as_they_are_and_leave_nothing(media_root, break_storage):
    break_storage(TimeUp())
    with pytest.raises(TimeUp):
        storage_write_atomic(name="x/out.png", write=write_bytes(b"123456"), passthrough=(TimeUp,))
    assert stored_files(media_root) == []


def test_an_encoding_error_is_not_a_storage_error_and_stores_nothing(media_root):
    def broken(fileobj):
        raise ValueError("cannot encode")

    with pytest.raises(ValueError, match="cannot encode"):
        storage_write_atomic(name="x/out.png", write=broken)
    assert stored_files(media_root) == []


def test_a_cached_file_is_made_once_and_a_racing_copy_is_dropped(media_root, monkeypatch):
    calls = []
    assert derived_file_ensure(name="d/a.bin", write=lambda f: calls.append(f.write(b"first"))) == "d/a.bin"
    assert derived_file_ensure(name="d/a.bin", write=lambda f: calls.append(f.write(b"again"))) == "d/a.bin"
    assert len(calls) == 1

    # Another request stored the file between our existence check and our save.
    real_exists, checks = default_storage.exists, []

    def exists_but_not_yet(name):
        checks.append(name)
        return len(checks) > 1 and real_exists(name)

    monkeypatch.setattr(default_storage, "exists", exists_but_not_yet)
    derived_file_ensure(name="d/a.bin", write=write_bytes(b"late"))
    assert stored_files(media_root) == ["d/a.bin"] and (media_root / "d/a.bin").read_bytes() == b"first"


@pytest.mark.django_db
def test_thumbnails_are_written_the_same_way(media_root, break_storage):
    submission = create_submission()
    before = stored_files(media_root)
    break_storage()
    with pytest.raises(StorageWriteError):
        submission_thumbnail_ensure(submission=submission)
    assert stored_files(media_root) == before  # no half-written thumbnail

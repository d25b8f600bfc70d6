"""Files shared by the hosts: written whole or not at all, with a checksum checked before use."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from caseflow.core import storage


def test_a_file_is_written_whole_with_its_checksum_beside_it(tmp_path):
    target = tmp_path / "shared" / "inspections" / "7" / "records.upload.csv"
    content = b"record_id,my_number\n" * 200_000  # several chunks
    digest = storage.write_file(target, io.BytesIO(content))
    assert digest == hashlib.sha256(content).hexdigest()
    assert target.read_bytes() == content
    assert (target.parent / "records.upload.csv.sha256").read_text().strip() == digest
    assert storage.verified(target) == target
    assert sorted(p.name for p in target.parent.iterdir()) == ["records.upload.csv", "records.upload.csv.sha256"]


def test_an_empty_file_is_not_written(tmp_path):
    assert storage.write_file(tmp_path / "empty.csv", b"") is None
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_nothing(tmp_path):
    class Broken(io.BytesIO):
        def read(self, size=-1):
            if self.tell() > 0:
                raise OSError("the upload was cut off")
            return super().read(size)

    with pytest.raises(OSError):
        storage.write_file(tmp_path / "records.csv", Broken(b"x" * (storage.CHUNK * 2)))
    assert list(tmp_path.iterdir()) == []  # no partial file, no checksum


def test_a_truncated_or_altered_file_is_refused_in_japanese(tmp_path):
    target = tmp_path / "result.csv"
    storage.write_file(target, b"record_id,grade\nR1,A\nR2,C\n")
    target.write_bytes(b"record_id,grade\nR1,A\n")  # cut short by a broken mount
    with pytest.raises(storage.StoredFileDamaged, match="チェックサムと一致しません") as refused:
        storage.verified(target)
    assert refused.value.status_code == 503
    with pytest.raises(storage.StoredFileDamaged, match="見つかりません"):
        storage.verified(tmp_path / "missing.csv")
    (tmp_path / "unsealed.csv").write_bytes(b"x")
    with pytest.raises(storage.StoredFileDamaged, match="チェックサムが見つかりません"):
        storage.verified(tmp_path / "unsealed.csv")


def test_place_seals_and_moves_a_finished_file_into_place(tmp_path):
    partial = tmp_path / ".result.csv.partial"
    partial.write_bytes(b"grades")
    digest = storage.place(partial, tmp_path / "result.csv")
    assert digest == hashlib.sha256(b"grades").hexdigest()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.csv", "result.csv.sha256"]
    assert storage.verified(tmp_path / "result.csv")


def test_the_storage_folder_is_the_setting_or_else_the_instance_folder(app, tmp_path):
    assert storage.files_root(app) == Path(app.instance_path)
    app.config["STORAGE_PATH"] = str(tmp_path / "nfs")
    try:
        assert storage.files_root(app) == tmp_path / "nfs"
    finally:
        app.config["STORAGE_PATH"] = None

"""Files every host reads: inspection uploads and results, print runs.

One folder, the setting STORAGE_PATH (CASEFLOW_STORAGE_PATH): on one host the instance folder
(the default); with several hosts a folder mounted on all of them (NFS and the like), so an upload
made through one web host is graded by a worker on another and downloaded through a third. The
instance folder keeps only what belongs to its host (the embedded queue, generated keys).

A file is written under a temporary name in its own folder, flushed to disk and renamed into
place, so another host sees the whole file or none; its SHA-256 is written beside it
(``name.sha256``) and checked before the file is read or served (``verified``), so a file
truncated by a broken mount is refused, not sent.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from flask import Flask, current_app

from caseflow.errors import DomainError

CHUNK = 1 << 20
CHECKSUM_SUFFIX = ".sha256"


class StoredFileDamaged(DomainError):
    """A stored file is missing, or its content no longer matches the checksum written with it:
    the storage is at fault, not the user (503, for the monitoring and the proxy)."""

    status_code = 503
    code = "storage_unavailable"


def files_root(app: Flask | None = None) -> Path:
    """The folder shared by all hosts (STORAGE_PATH), the instance folder when it is not set."""
    app = app or current_app
    return Path(app.config.get("STORAGE_PATH") or app.instance_path)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_file(target: Path, content: bytes | BinaryIO) -> str | None:
    """Write ``content`` (bytes or a stream, copied in chunks) to ``target`` atomically, with its
    checksum beside it; its SHA-256, or None (and nothing written) when it is empty."""
    stream = io.BytesIO(content) if isinstance(content, bytes | bytearray) else content
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as sink:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                sink.write(chunk)
                size += len(chunk)
            sink.flush()
            os.fsync(sink.fileno())
        if not size:
            os.unlink(partial)
            return None
        _write_checksum(target, digest.hexdigest())
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return digest.hexdigest()


def seal(path: Path) -> str:
    """Write the checksum of a finished file written by someone else (a grader, a PDF renderer);
    it returns the SHA-256. Seal a file before moving it (or its folder) into place."""
    with open(path, "rb+") as written:
        os.fsync(written.fileno())
    digest = sha256_of(path)
    _write_checksum(path, digest)
    return digest


def place(partial: Path, target: Path) -> str:
    """Seal ``partial`` and rename it to ``target`` (same folder): readers see all of it or none."""
    digest = seal(partial)
    os.replace(partial.with_name(partial.name + CHECKSUM_SUFFIX), target.with_name(target.name + CHECKSUM_SUFFIX))
    os.replace(partial, target)
    return digest


def _write_checksum(path: Path, digest: str) -> None:
    sidecar = path.with_name(path.name + CHECKSUM_SUFFIX)
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{sidecar.name}.", suffix=".partial")
    with os.fdopen(fd, "w") as sink:
        sink.write(digest + "\n")
        sink.flush()
        os.fsync(sink.fileno())
    os.replace(partial, sidecar)


def verified(path: Path, *, expected: str | None = None) -> Path:
    """``path`` once its content matches its checksum (``expected``, or the one written beside it).

    Raises StoredFileDamaged, in Japanese, when the file or its checksum is missing or they differ.
    """
    if not path.is_file():
        raise StoredFileDamaged("保存されたファイルが見つかりません（共有ストレージを確認してください）。")
    if expected is None:
        sidecar = path.with_name(path.name + CHECKSUM_SUFFIX)
        if not sidecar.is_file():
            raise StoredFileDamaged("保存されたファイルのチェックサムが見つかりません（共有ストレージを確認してください）。")
        expected = sidecar.read_text().strip()
    if sha256_of(path) != expected:
        raise StoredFileDamaged("保存されたファイルの内容がチェックサムと一致しません（書き込みが途中で"
                                "切れたか、共有ストレージに異常があります）。")
    return path


def writable(folder: Path) -> bool:
    """The folder exists (made as the app would make it) and a file can be written into it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError:
        return False
    return True

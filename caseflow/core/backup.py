"""``caseflow backup`` / ``caseflow restore``: the database and the stored files (STORAGE_PATH) in one archive.

The archive (``caseflow-backup-YYYYmmdd-HHMMSS.tar.gz``) holds a consistent copy of the
database — SQLite's online backup, or ``pg_dump --format=custom`` — the files kept beside it
(print runs, inspection results) and a manifest with the schema revision and checksums. It is
written to a temporary name and renamed when complete. Secrets are not in it: the secret key
and encryption keys are kept (and restored) separately, by whoever holds the keys.

Restoring checks the manifest and checksums first, then replaces the database (SQLite: the
file is swapped in one rename; PostgreSQL: ``pg_restore --clean --single-transaction``) and the
files; a failure before that point changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

import sqlalchemy as sa

from caseflow.core.japanese import JST
from caseflow.errors import DomainError

FORMAT = 1
FILE_FOLDERS = ("print_runs", "inspections")
MANIFEST = "manifest.json"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _libpq(url: sa.URL) -> dict[str, str]:
    """Connection settings for pg_dump/pg_restore as environment variables (no password on a command line)."""
    env = {"PGHOST": url.host or "", "PGPORT": str(url.port or 5432), "PGUSER": url.username or "",
           "PGDATABASE": url.database or ""}
    if url.password:
        env["PGPASSWORD"] = url.password
    return {k: v for k, v in env.items() if v}


def _run(command: list[str], url: sa.URL) -> None:
    try:
        subprocess.run(command, env={**os.environ, **_libpq(url)}, check=True, capture_output=True, text=True)
    except FileNotFoundError:
        raise DomainError(f"{command[0]} が見つかりません。PostgreSQL のクライアント（postgresql-client）を"
                          "インストールしてください。") from None
    except subprocess.CalledProcessError as exc:
        raise DomainError(f"{command[0]} が失敗しました: {exc.stderr.strip()[:500]}") from None


def _revision(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        try:
            return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        except sa.exc.DBAPIError:
            return None


def backup(database_url: str, files_path: str | Path, out_dir: str | Path, *, now: dt.datetime | None = None
           ) -> Path:
    """Write the archive into ``out_dir`` and return its path."""
    url = sa.make_url(database_url)
    instance, out_dir = Path(files_path), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = (now or dt.datetime.now(JST)).astimezone(JST).strftime("%Y%m%d-%H%M%S")
    target = out_dir / f"caseflow-backup-{stamp}.tar.gz"
    engine = sa.create_engine(url)
    try:
        revision = _revision(engine)
    finally:
        engine.dispose()
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".backup-") as work:
        work = Path(work)
        if url.get_backend_name() == "sqlite":
            database = work / "database.sqlite3"
            source = sqlite3.connect(url.database)
            copy = sqlite3.connect(database)
            try:
                source.backup(copy)  # consistent while the application keeps writing
            finally:
                copy.close()
                source.close()
        elif url.get_backend_name() == "postgresql":
            database = work / "database.pgdump"
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(database)], url)
        else:
            raise DomainError(f"このデータベース（{url.get_backend_name()}）のバックアップには対応していません。")
        manifest = {
            "format": FORMAT, "created_at": dt.datetime.now(dt.UTC).isoformat(), "backend": url.get_backend_name(),
            "revision": revision, "database": database.name, "database_sha256": _sha256(database),
            "folders": [name for name in FILE_FOLDERS if (instance / name).is_dir()],
        }
        (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        partial = out_dir / f".{target.name}.partial"
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(work / MANIFEST, MANIFEST)
            archive.add(database, database.name)
            for name in manifest["folders"]:
                archive.add(instance / name, f"files/{name}")
        os.replace(partial, target)
    return target


def _safe_members(archive: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = archive.getmembers()
    for member in members:
        parts = Path(member.name).parts
        if member.name.startswith("/") or ".." in parts or not (member.isfile() or member.isdir()):
            raise DomainError("バックアップファイルに不正な項目が含まれています。復元を中止しました。")
    return members


def restore(archive_path: str | Path, database_url: str, files_path: str | Path) -> dict:
    """Replace the database and the stored files (STORAGE_PATH) with the archive's; returns its manifest."""
    url = sa.make_url(database_url)
    instance = Path(files_path)
    try:
        archive = tarfile.open(archive_path, "r:gz")
    except (OSError, tarfile.TarError):
        raise DomainError("バックアップファイルを読めません（caseflow backup で作った .tar.gz を指定してください）。") \
            from None
    with archive, tempfile.TemporaryDirectory(prefix=".restore-", dir=instance.parent if instance.parent.exists()
                                              else None) as work:
        work = Path(work)
        archive.extractall(work, members=_safe_members(archive), filter="data")
        try:
            manifest = json.loads((work / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise DomainError("バックアップファイルに目録（manifest.json）がありません。") from None
        if manifest.get("format") != FORMAT:
            raise DomainError("このバックアップの形式には対応していません。")
        if manifest["backend"] != url.get_backend_name():
            raise DomainError(f"このバックアップは {manifest['backend']} のものです。"
                              f"{url.get_backend_name()} のデータベースには復元できません。")
        database = work / manifest["database"]
        if not database.is_file() or _sha256(database) != manifest["database_sha256"]:
            raise DomainError("バックアップのデータベースが壊れています（チェックサムが一致しません）。復元を中止しました。")
        if url.get_backend_name() == "sqlite":
            target = Path(url.database)
            staged = target.with_name(f".{target.name}.restoring")
            shutil.copyfile(database, staged)
            os.replace(staged, target)
        else:
            _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
                  "--dbname", url.database, str(database)], url)
        for name in FILE_FOLDERS:
            current = instance / name
            if current.exists():
                shutil.rmtree(current)
            saved = work / "files" / name
            if saved.is_dir():
                shutil.copytree(saved, current)
        return manifest

"""`caseflow backup` and `caseflow restore` on SQLite and PostgreSQL: everything comes back, a bad archive changes nothing."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import sqlalchemy as sa

from caseflow.cases import kernel
from caseflow.cases.models import Case, CaseEvent
from caseflow.cases.vocabulary import Grade
from caseflow.cli import main
from caseflow.extensions import db
from caseflow.organizations.models import Organization, Program
from caseflow.seeding import load_reference
from tests.conftest import valid_number


def _open_cases(app, first: int, count: int) -> None:
    with app.app_context():
        agency = db.session.scalars(sa.select(Organization).where(Organization.code == "022012")).one()
        program = db.session.scalars(sa.select(Program).order_by(Program.id)).first()
        for n in range(first, first + count):
            kernel.open_case(db.session, program=program, agency=agency, source_record_id=f"B{n:04d}",
                                 registered_number=valid_number(20_000_000_000 + n), grade=Grade.C,
                                 field_verdicts={}, record_name="山田　太郎", registry_name="山田　次郎")
        db.session.commit()


def _state(app) -> tuple[int, int, list[str]]:
    with app.app_context():
        state = (db.session.scalar(sa.select(sa.func.count()).select_from(Case)),
                 db.session.scalar(sa.select(sa.func.count()).select_from(CaseEvent)),
                 sorted(db.session.scalars(sa.select(Case.source_record_id))))
        db.session.remove()
        return state


def test_backup_then_restore_brings_back_the_database_and_the_files(committed_app, tmp_path):
    with committed_app.app_context():
        load_reference(db.session)
        db.session.commit()
    _open_cases(committed_app, 1, 5)
    run_file = Path(committed_app.instance_path) / "print_runs" / "7" / "letters.pdf"
    run_file.parent.mkdir(parents=True)
    run_file.write_bytes(b"%PDF-1.7 print run 7")
    before = _state(committed_app)
    runner = committed_app.test_cli_runner()

    result = runner.invoke(main, ["backup", "--out", str(tmp_path / "backups")])
    assert result.exit_code == 0, result.output
    [archive] = (tmp_path / "backups").glob("caseflow-backup-*.tar.gz")
    assert not list((tmp_path / "backups").glob(".*"))  # no temporary file left
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        assert "files/print_runs/7/letters.pdf" in tar.getnames()
    assert manifest["revision"] and manifest["backend"] == committed_app.config["DATABASE_URL"].split(":")[0] \
        .split("+")[0]

    # life goes on after the backup: more cases, a file removed
    _open_cases(committed_app, 100, 3)
    run_file.unlink()
    assert _state(committed_app) != before

    result = runner.invoke(main, ["restore", str(archive), "--yes"])
    assert result.exit_code == 0, result.output
    assert "復元しました" in result.output
    assert _state(committed_app) == before
    assert run_file.read_bytes() == b"%PDF-1.7 print run 7"
    # the restored database works as before: append-only events, new cases
    _open_cases(committed_app, 200, 1)
    assert _state(committed_app)[0] == before[0] + 1


def test_a_damaged_archive_is_refused_and_changes_nothing(committed_app, tmp_path):
    with committed_app.app_context():
        load_reference(db.session)
        db.session.commit()
    _open_cases(committed_app, 1, 2)
    runner = committed_app.test_cli_runner()
    runner.invoke(main, ["backup", "--out", str(tmp_path)])
    [archive] = tmp_path.glob("caseflow-backup-*.tar.gz")
    # rebuild the archive with one byte of the database changed
    unpacked = tmp_path / "unpacked"
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")
    manifest = json.loads((unpacked / "manifest.json").read_text(encoding="utf-8"))
    database = unpacked / manifest["database"]
    data = bytearray(database.read_bytes())
    data[len(data) // 2] ^= 0xFF
    database.write_bytes(bytes(data))
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(damaged, "w:gz") as tar:
        for path in sorted(unpacked.iterdir()):
            tar.add(path, path.name)
    _open_cases(committed_app, 50, 1)
    before = _state(committed_app)
    result = runner.invoke(main, ["restore", str(damaged), "--yes"])
    assert result.exit_code == 1 and "チェックサムが一致しません" in result.output
    assert _state(committed_app) == before
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"not an archive")
    result = runner.invoke(main, ["restore", str(garbage), "--yes"])
    assert result.exit_code == 1 and "バックアップファイルを読めません" in result.output

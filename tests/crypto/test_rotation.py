"""Key rotation (whole, interrupted and resumed, from the command line) and the migration's way down and up."""

from __future__ import annotations

import base64

import pytest
import sqlalchemy as sa

from caseflow.cli import main
from caseflow.crypto.keys import lookup_digest
from caseflow.crypto.rotation import key_usage, rotate, stale_values
from caseflow.db import make_engine
from caseflow.extensions import db
from tests.backends import downgrade, migrate
from tests.crypto.conftest import CASES, read_back

NEW_KEY = base64.b64encode(bytes(range(64, 96))).decode()
STRAY_KEY = base64.b64encode(bytes(range(128, 160))).decode()


def _usage(app) -> dict[str, dict[str, int]]:
    """Values per key id of the columns holding values (other areas may encrypt columns left empty here)."""
    with app.app_context():
        return {column: by_kid for column, by_kid in key_usage(db.session).items() if by_kid}


def _read(app):
    with app.app_context():
        try:
            return read_back(db.session)
        finally:
            db.session.remove()


def test_after_rotating_to_a_new_key_the_old_one_can_go(world):
    app = world.app
    old = app.config["ENCRYPTION_KEYS"]
    assert {column: set(by_kid) for column, by_kid in _usage(app).items()} == {
        "cases.registered_number": {"test1"}, "cases.registry_name": {"test1"}, "cases.registry_kana": {"test1"},
        "cases.registry_birth_date": {"test1"}, "cases.registry_sex": {"test1"}, "cases.registry_address": {"test1"},
        "corrections.linked_number": {"test1"}}

    app.config["ENCRYPTION_KEYS"] = f"new:{NEW_KEY},{old}"
    with app.app_context():
        assert stale_values(db.session) == CASES + 2
        assert rotate(db.session, batch=3) == CASES + 2
        assert stale_values(db.session) == 0
        digests = dict(db.session.execute(sa.text("SELECT id, registered_number_digest FROM cases")).all())
    assert _usage(app)["cases.registered_number"] == {"new": CASES}
    assert _usage(app)["corrections.linked_number"] == {"new": 2}

    app.config["ENCRYPTION_KEYS"] = f"new:{NEW_KEY}"
    assert _read(app) == (world.facts, world.linked)
    with app.app_context():  # the look-up key did not change: the digests still find the numbers
        for case_id, facts in world.facts.items():
            assert digests[case_id] == lookup_digest(facts[0])


def test_a_rotation_stopped_after_one_batch_finishes_when_run_again(world):
    app = world.app
    app.config["ENCRYPTION_KEYS"] = f"new:{NEW_KEY},{app.config['ENCRYPTION_KEYS']}"

    class Killed(Exception):
        pass

    def killed_after_the_first_batch(table: str, done: int, total: int) -> None:
        raise Killed

    with app.app_context():
        with pytest.raises(Killed):
            rotate(db.session, batch=3, progress=killed_after_the_first_batch)
        db.session.remove()
    assert _usage(app)["cases.registered_number"] == {"new": 3, "test1": CASES - 3}  # the first batch was committed
    assert _read(app) == (world.facts, world.linked)  # both keys still read everything

    seen = []
    with app.app_context():
        assert rotate(db.session, batch=3, progress=lambda *step: seen.append(step)) == CASES - 3 + 2
    assert seen == [("cases", 3, 4), ("cases", 4, 4), ("corrections", 2, 2)]
    assert all(set(by_kid) == {"new"} for by_kid in _usage(app).values())
    app.config["ENCRYPTION_KEYS"] = f"new:{NEW_KEY}"
    assert _read(app) == (world.facts, world.linked)


def test_keys_status_and_rotate_on_the_command_line(world):
    app = world.app
    runner = app.test_cli_runner()
    status = runner.invoke(main, ["keys", "status"])
    assert status.exit_code == 0, status.output
    assert "現在の鍵: test1（設定されている鍵: test1）" in status.output
    assert f"cases.registered_number: 鍵 test1（現在の鍵） {CASES}件" in status.output
    assert "すべての値が現在の鍵で暗号化されています。" in status.output

    app.config["ENCRYPTION_KEYS"] = f"new:{NEW_KEY},{app.config['ENCRYPTION_KEYS']}"
    status = runner.invoke(main, ["keys", "status"])
    assert f"cases.registered_number: 鍵 test1 {CASES}件" in status.output
    assert f"現在の鍵以外で保存されている値が {CASES * 6 + 2}件あります。" in status.output

    rotated = runner.invoke(main, ["keys", "rotate", "--batch", "4"])
    assert rotated.exit_code == 0, rotated.output
    assert f"cases: 4 / {CASES}行" in rotated.output and f"cases: {CASES} / {CASES}行" in rotated.output
    assert f"{CASES + 2}行を暗号化し直しました。" in rotated.output
    assert "古い鍵は設定から外せます。" in rotated.output

    app.config["ENCRYPTION_KEYS"] = f"stray:{STRAY_KEY}"  # the key that encrypted everything is missing
    refused = runner.invoke(main, ["keys", "rotate"])
    assert refused.exit_code == 1
    assert "復号できない値があるため中止しました" in refused.output and "key 'new' is not in" in refused.output
    status = runner.invoke(main, ["keys", "status"])
    assert f"cases.registered_number: 鍵 new（設定にない鍵） {CASES}件" in status.output
    for output in (status.output, rotated.output, refused.output):
        assert not any(number in output for number in world.numbers)
        assert NEW_KEY not in output and STRAY_KEY not in output


def test_the_migration_encrypts_existing_rows_and_going_down_decrypts_them(world):
    app = world.app
    url = app.config["DATABASE_URL"]
    db.state(app).engine.dispose()
    with app.app_context():  # as `caseflow db downgrade` runs it: with the app's keys
        downgrade(url, "0010_access_records")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert "registered_number_digest" not in {c["name"] for c in sa.inspect(conn).get_columns("cases")}
            rows = conn.execute(sa.text("SELECT id, registered_number, registry_name, registry_birth_date, "
                                        "registry_sex FROM cases")).all()
            linked = dict(conn.execute(sa.text("SELECT id, linked_number FROM corrections")).all())
    finally:
        engine.dispose()
    assert {row.id: (row.registered_number, row.registry_name, str(row.registry_birth_date), row.registry_sex)
            for row in rows} == {case_id: (f[0], f[1], f[3].isoformat(), f[4].value)
                                 for case_id, f in world.facts.items()}
    assert linked == world.linked

    with app.app_context():
        migrate(url)
    with app.app_context():
        raw = db.session.execute(sa.text("SELECT registered_number, registry_sex, registered_number_digest "
                                         "FROM cases")).all()
        assert all(n.startswith("v1:test1:") and s.startswith("v1:test1:") for n, s, _ in raw)
        assert sorted(d for _, _, d in raw) == sorted(lookup_digest(f[0]) for f in world.facts.values())
        db.session.remove()
    assert _read(app) == (world.facts, world.linked)

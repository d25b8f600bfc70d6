"""Migration 0021: cases get their source (existing ones: inspection); a hand-opened case's source survives
going down (in its event) and comes back going up again."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from caseflow.db import make_engine
from tests.backends import downgrade, migrate

CASE_SQL = (
    "INSERT INTO cases (id, version, program_id, agency_id, source_record_id, registered_number, "
    "registered_number_digest, grade, field_verdicts, status, detected_at, updated_at, birth_or_sex_mismatch, "
    "viewing_suspended) VALUES (:id, 1, 1, 2, :source, 'v1:x:y', 'd', 'B', '{}', 'detected', '2026-01-05', "
    "'2026-01-05', false, false)")


def test_0021_sources_down_and_up(backend):
    url = backend.new_empty()
    migrate(url, "0020_evidence")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO organizations (id, code, name, kind, prefecture) VALUES "
                                 "(1, 'M1', '省', 'ministry', '東京都'), (2, 'A1', '市', 'linking_agency', '青森県')"))
            conn.execute(sa.text("INSERT INTO programs (id, name, ministry_id, facts_held) VALUES (1, '事務', 1, '[]')"))
            conn.execute(sa.text("INSERT INTO users (id, login, display_name, organization_id, password_hash, active, "
                                 "created_at, failed_logins) VALUES (1, 'w', '担当', 2, 'x', true, '2026-01-01', 0)"))
            conn.execute(sa.text(CASE_SQL), {"id": 1, "source": "R1"})
        migrate(url, "0021_intake")
        sources = sa.text("SELECT id, source, source_other, opened_by_id FROM cases ORDER BY id")
        with engine.begin() as conn:
            assert conn.execute(sources).all() == [(1, "inspection", None, None)]
            conn.execute(sa.text(CASE_SQL), {"id": 2, "source": "M-000001"})
            conn.execute(sa.text("UPDATE cases SET source = 'other', source_other = '他市からの連絡', opened_by_id = 1 "
                                 "WHERE id = 2"))
            conn.execute(sa.text(
                "INSERT INTO case_events (case_id, actor_id, created_at, trigger, to_status, details) VALUES "
                "(2, 1, '2026-01-05', 'open_by_hand', 'detected', :details)"),
                {"details": '{"grade": "B", "source": "other", "source_other": "他市からの連絡"}'})
            conn.execute(sa.text("INSERT INTO intake_serials (agency_id, last_serial) VALUES (2, 1)"))
            # an unknown source is refused by the column's check
            with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
                conn.execute(sa.text("UPDATE cases SET source = 'rumour' WHERE id = 1"))
        downgrade(url, "0020_evidence")
        with engine.begin() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("cases")}
            assert not {"source", "source_other", "opened_by_id"} & columns
            assert "intake_serials" not in sa.inspect(conn).get_table_names()
        migrate(url, "0021_intake")
        with engine.begin() as conn:
            assert conn.execute(sources).all() == [(1, "inspection", None, None), (2, "other", "他市からの連絡", 1)]
    finally:
        engine.dispose()

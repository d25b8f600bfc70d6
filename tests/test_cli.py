"""The caseflow command: its help, and a demo seed that is the same however often it runs."""

from __future__ import annotations

import sqlalchemy as sa

from caseflow.cases.models import Case, CaseEvent, Correction
from caseflow.cases.vocabulary import CaseStatus
from caseflow.cli import main
from caseflow.extensions import db
from caseflow.organizations.models import Organization, Program
from caseflow.users.models import User


def test_help_lists_the_commands(committed_app):
    runner = committed_app.test_cli_runner()
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("db", "seed", "run", "users"):
        assert f"  {command} " in result.output
    result = runner.invoke(main, ["db", "--help"])
    assert "upgrade" in result.output and "downgrade" in result.output


def _fingerprint(app) -> dict:
    with app.app_context():
        s = db.session
        return {
            "organizations": s.scalars(sa.select(Organization.code).order_by(Organization.code)).all(),
            "programs": s.scalar(sa.select(sa.func.count(Program.id))),
            "users": s.scalars(sa.select(User.login).order_by(User.login)).all(),
            "cases": s.execute(sa.select(Case.source_record_id, Case.status, Case.grade, Case.record_name)
                               .order_by(Case.source_record_id)).all(),
            "events": s.scalar(sa.select(sa.func.count(CaseEvent.id))),
            "corrections": s.scalar(sa.select(sa.func.count(Correction.id))),
        }


def test_seed_demo_twice_leaves_the_same_data(committed_app):
    runner = committed_app.test_cli_runner()
    first = runner.invoke(main, ["seed", "demo"])
    assert first.exit_code == 0, first.output
    assert "案件: 新規 200 件" in first.output
    after_first = _fingerprint(committed_app)
    second = runner.invoke(main, ["seed", "demo"])
    assert second.exit_code == 0, second.output
    assert "案件: 新規 0 件／既存 200 件" in second.output
    assert _fingerprint(committed_app) == after_first

    assert after_first["programs"] == 24
    statuses = {row.status for row in after_first["cases"]}
    assert statuses == set(CaseStatus)  # every state is represented
    assert "022012" in after_first["organizations"] and "digital" in after_first["organizations"]


def test_users_create_refuses_a_short_password(committed_app):
    runner = committed_app.test_cli_runner()
    runner.invoke(main, ["seed", "reference"])
    result = runner.invoke(main, ["users", "create", "--login", "new", "--name", "新規 職員", "--organization",
                                  "022012", "--role", "caseworker"], input="short\nshort\n")
    assert result.exit_code != 0
    assert "8文字以上" in result.output
    result = runner.invoke(main, ["users", "create", "--login", "new", "--name", "新規 職員", "--organization",
                                  "022012", "--role", "caseworker"], input="long enough pass\nlong enough pass\n")
    assert result.exit_code == 0, result.output


def test_users_reset_second_factor_sends_a_locked_out_supervisor_back_to_enrolment(committed_app):
    import datetime as dt

    runner = committed_app.test_cli_runner()
    runner.invoke(main, ["seed", "reference"])
    created = runner.invoke(main, ["users", "create", "--login", "boss", "--name", "承認 太郎", "--organization",
                                   "022012", "--role", "supervisor"], input="a long pass phrase\n" * 2)
    assert created.exit_code == 0, created.output
    with committed_app.app_context():
        user = db.session.scalars(sa.select(User).where(User.login == "boss")).one()
        user.totp_secret, user.totp_confirmed_at = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", dt.datetime.now(dt.UTC)
        user.locked_until = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=15)
        db.session.commit()

    result = runner.invoke(main, ["users", "reset-second-factor", "--login", "boss"])
    assert result.exit_code == 0, result.output
    assert "確認コードの設定を取り消しました" in result.output
    with committed_app.app_context():
        user = db.session.scalars(sa.select(User).where(User.login == "boss")).one()
        assert user.totp_secret is None and not user.has_second_factor and user.locked_until is None

    unknown = runner.invoke(main, ["users", "reset-second-factor", "--login", "nobody"])
    assert unknown.exit_code == 1 and "ログインID nobody の利用者がいません" in unknown.output

"""The administrator's user pages (issue 16, part 4): create, edit roles, deactivate and reactivate,
reset the second factor, unlock, reset the password; every change in 変更履歴; no lock-out of the
last administrator; a deactivated user can neither log in nor use a token; the dashboard's counts."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from caseflow.administration import operations
from caseflow.administration.models import AdminChange, ChangeAction, ChangeSubject
from caseflow.administration.records import verify_changes
from caseflow.api.operations import issue_token
from caseflow.db import utcnow
from caseflow.errors import DomainError
from caseflow.extensions import db
from caseflow.organizations.models import OrganizationKind
from caseflow.users.models import Role, User
from caseflow.users.operations import record_failed_login
from caseflow.users.views import FAILED_LOGIN
from tests.conftest import PASSWORD, csrf_token, login

SHOWN_PASSWORD = re.compile(r'<input id="new-password" class="mono" type="text" value="([^"]+)"')


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMINISTRATOR, name="管理 太郎")


@pytest.fixture
def as_admin(client, admin):
    """The test client, logged in as the administrator (what the test made is committed first)."""
    db.session.commit()
    assert login(client, admin).status_code == 302
    return client


def _post(client, path: str, data: dict | None = None):
    return client.post(path, data={"csrf_token": csrf_token(client, "/admin/users"), **(data or {})})


def _changes(user: User) -> list[AdminChange]:
    return db.session.scalars(sa.select(AdminChange).where(AdminChange.subject == ChangeSubject.USER,
                                                           AdminChange.subject_id == user.id)
                              .order_by(AdminChange.position)).all()


def _other_client(app):
    return app.test_client()


def _logs_in(app, user: User, password: str = PASSWORD) -> bool:
    other = _other_client(app)
    return login(other, user, password=password).status_code == 302 and other.get("/cases/mine").status_code == 200


def test_each_user_page_opens(as_admin, caseworker):
    for path, heading in (("/admin/users", "利用者の管理"), ("/admin/users/new", "利用者の登録"),
                          (f"/admin/users/{caseworker.id}", caseworker.display_name), ("/admin/changes", "変更履歴")):
        page = as_admin.get(path)
        assert page.status_code == 200, path
        assert heading in page.get_data(as_text=True)
    listed = as_admin.get(f"/admin/users?organization={caseworker.organization_id}&role=caseworker")
    assert caseworker.login in listed.get_data(as_text=True)
    assert caseworker.login not in as_admin.get("/admin/users?role=supervisor").get_data(as_text=True)


def test_the_administrator_creates_a_user_and_the_generated_password_is_shown_once(app, as_admin, agency, admin):
    response = _post(as_admin, "/admin/users/new", {"login": "sato-hanako", "display_name": "佐藤 花子",
                                                    "organization": str(agency.id), "roles": ["caseworker"]})
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    password = SHOWN_PASSWORD.search(response.get_data(as_text=True)).group(1)
    assert len(password) >= 16
    user = db.session.scalars(sa.select(User).where(User.login == "sato-hanako")).one()
    assert user.roles == {Role.CASEWORKER} and user.organization_id == agency.id and user.active

    (created,) = _changes(user)
    assert created.action is ChangeAction.CREATED and created.actor_id == admin.id
    assert created.changes["roles"] == [None, ["caseworker"]] and created.changes["login"] == [None, "sato-hanako"]
    assert password not in json.dumps(created.changes, ensure_ascii=False)
    assert _logs_in(app, user, password)
    # The page that showed it is the only place: the user's page does not show it again.
    assert password not in as_admin.get(f"/admin/users/{user.id}").get_data(as_text=True)


def test_a_chosen_initial_password_follows_the_password_rules(app, as_admin, agency):
    data = {"login": "kudo", "display_name": "工藤 健太", "organization": str(agency.id), "roles": ["supervisor"]}
    refused = _post(as_admin, "/admin/users/new", {**data, "password": "password1"})
    assert refused.status_code == 422
    assert "よく使われているパスワード" in refused.get_data(as_text=True)
    assert 'value="kudo"' in refused.get_data(as_text=True)  # what was typed is kept

    created = _post(as_admin, "/admin/users/new", {**data, "password": "a long and unusual phrase"})
    assert created.status_code == 302
    user = db.session.scalars(sa.select(User).where(User.login == "kudo")).one()
    assert "a long and unusual phrase" not in json.dumps([c.changes for c in _changes(user)], ensure_ascii=False)
    # A supervisor is asked to enrol a second factor at the first login.
    other = _other_client(app)
    response = other.post("/login", data={"csrf_token": csrf_token(other), "login": "kudo",
                                          "password": "a long and unusual phrase"})
    assert response.headers["Location"] == "/login/code/setup"


@pytest.mark.parametrize("data, message", [
    ({"login": "山田"}, "ログインIDは半角英数字"),
    ({"login": ""}, "ログインIDを入力してください。"),
    ({"display_name": ""}, "氏名（表示名）を入力してください。"),
    ({"roles": []}, "役割を1つ以上選んでください。"),
    ({"roles": ["ministry_officer"]}, "制度所管省庁職員は制度所管省庁の利用者のみ"),
    ({"roles": ["digital_agency_officer"]}, "デジタル庁職員はデジタル庁の利用者のみ"),
    ({"organization": ""}, "所属組織を選んでください。"),
    ({"roles": ["nobody"]}, "選択肢にない値が送信されました。"),
])
def test_a_refused_new_user_says_why_in_japanese(as_admin, agency, caseworker, data, message):
    form = {"login": "new-user", "display_name": "新任 職員", "organization": str(agency.id), "roles": ["caseworker"],
            **data}
    response = _post(as_admin, "/admin/users/new", form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AdminChange)) == 0


def test_a_login_in_use_is_refused(as_admin, agency, caseworker):
    response = _post(as_admin, "/admin/users/new", {"login": caseworker.login, "display_name": "同名",
                                                    "organization": str(agency.id), "roles": ["caseworker"]})
    assert response.status_code == 422 and "そのログインIDは既に使われています。" in response.get_data(as_text=True)


def test_changing_roles_is_recorded_and_ends_the_users_sessions(app, as_admin, caseworker):
    other = _other_client(app)
    login(other, caseworker)
    assert other.get("/cases/mine").status_code == 200

    response = _post(as_admin, f"/admin/users/{caseworker.id}", {
        "display_name": "担当 花子", "organization": str(caseworker.organization_id),
        "roles": ["caseworker", "supervisor"]})
    assert response.status_code == 302
    assert caseworker.roles == {Role.CASEWORKER, Role.SUPERVISOR}
    (change,) = _changes(caseworker)
    assert change.action is ChangeAction.UPDATED
    assert change.changes == {"roles": [["caseworker"], ["caseworker", "supervisor"]]}
    # The old session is over; as a supervisor now, the next login asks for a second factor.
    assert other.get("/cases/mine").status_code == 302
    again = other.post("/login", data={"csrf_token": csrf_token(other), "login": caseworker.login,
                                       "password": PASSWORD})
    assert again.headers["Location"] == "/login/code/setup"

    history = as_admin.get("/admin/changes").get_data(as_text=True)
    assert "担当職員 → 担当職員・承認者" in history and "改ざんは見つかりませんでした" in history


def test_deactivated_user_cannot_log_in_and_their_session_ends(app, as_admin, caseworker):
    other = _other_client(app)
    login(other, caseworker)
    assert other.get("/cases/mine").status_code == 200

    response = _post(as_admin, f"/admin/users/{caseworker.id}/deactivate")
    assert response.status_code == 302
    assert "を無効にしました" in as_admin.get(response.headers["Location"]).get_data(as_text=True)
    assert not caseworker.active
    assert other.get("/cases/mine").status_code == 302  # the open session ended
    refused = login(_other_client(app), caseworker)
    assert refused.status_code == 401 and FAILED_LOGIN in refused.get_data(as_text=True)
    (change,) = _changes(caseworker)
    assert change.action is ChangeAction.DEACTIVATED and change.changes == {"active": [True, False]}

    assert _post(as_admin, f"/admin/users/{caseworker.id}/reactivate").status_code == 302
    assert caseworker.active and _logs_in(app, caseworker)
    assert [c.action for c in _changes(caseworker)] == [ChangeAction.DEACTIVATED, ChangeAction.REACTIVATED]
    assert "を無効にしました" not in as_admin.get("/admin/users?active=0").get_data(as_text=True)


def test_a_deactivated_users_api_token_is_refused(as_admin, client, caseworker):
    _token, plaintext = issue_token(db.session, caseworker, "集計スクリプト")
    db.session.commit()
    headers = {"Authorization": f"Bearer {plaintext}"}
    assert client.get("/api/v1/cases", headers=headers).status_code == 200

    _post(as_admin, f"/admin/users/{caseworker.id}/deactivate")
    refused = client.get("/api/v1/cases", headers=headers)
    assert refused.status_code == 401
    assert "APIトークンが無効です" in refused.get_json()["error"]["message"]


def test_resetting_the_second_factor_makes_the_user_enrol_again(app, as_admin, supervisor):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):  # wrong codes locked the account too
        record_failed_login(db.session, supervisor)
    assert supervisor.is_locked(utcnow())
    db.session.commit()

    response = _post(as_admin, f"/admin/users/{supervisor.id}/second-factor/reset")
    assert response.status_code == 302
    assert not supervisor.has_second_factor and supervisor.totp_secret is None
    assert not supervisor.is_locked(utcnow())
    other = _other_client(app)
    again = other.post("/login", data={"csrf_token": csrf_token(other), "login": supervisor.login,
                                       "password": PASSWORD})
    assert again.headers["Location"] == "/login/code/setup"
    (change,) = _changes(supervisor)
    assert change.action is ChangeAction.SECOND_FACTOR_RESET
    assert change.changes["second_factor"] == [True, False] and change.changes["locked_until"][1] is None
    assert "totp" not in json.dumps(change.changes)


def test_unlocking_a_locked_user(app, as_admin, caseworker):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        record_failed_login(db.session, caseworker)
    db.session.commit()
    assert not _logs_in(app, caseworker)
    assert caseworker.login in as_admin.get("/admin/users?locked=1").get_data(as_text=True)

    assert _post(as_admin, f"/admin/users/{caseworker.id}/unlock").status_code == 302
    assert caseworker.locked_until is None and caseworker.failed_logins == 0
    assert _logs_in(app, caseworker)
    (change,) = _changes(caseworker)
    assert change.action is ChangeAction.UNLOCKED and change.changes["locked_until"][1] is None
    # Nothing to unlock now: said, and nothing recorded.
    refused = _post(as_admin, f"/admin/users/{caseworker.id}/unlock")
    assert "ロックされていません" in as_admin.get(refused.headers["Location"]).get_data(as_text=True)
    assert len(_changes(caseworker)) == 1


def test_resetting_a_password(app, as_admin, caseworker):
    response = _post(as_admin, f"/admin/users/{caseworker.id}/password")
    assert response.status_code == 200
    password = SHOWN_PASSWORD.search(response.get_data(as_text=True)).group(1)
    assert not _logs_in(app, caseworker)  # the old password no longer works
    assert _logs_in(app, caseworker, password)
    (change,) = _changes(caseworker)
    assert change.action is ChangeAction.PASSWORD_RESET and change.changes == {}
    assert password not in as_admin.get("/admin/changes").get_data(as_text=True)


def test_an_administrator_cannot_lock_themselves_out(as_admin, admin):
    refused = _post(as_admin, f"/admin/users/{admin.id}/deactivate")
    assert "自分自身を無効にすることはできません。" in as_admin.get(refused.headers["Location"]).get_data(as_text=True)
    assert admin.active

    refused = _post(as_admin, f"/admin/users/{admin.id}", {"display_name": admin.display_name,
                                                          "organization": str(admin.organization_id),
                                                          "roles": ["caseworker"]})
    assert refused.status_code == 422
    assert "自分自身のシステム管理者の役割は外せません。" in refused.get_data(as_text=True)
    assert admin.roles == {Role.ADMINISTRATOR} and _changes(admin) == []
    # Their own name may change, and their administrator role stays.
    kept = _post(as_admin, f"/admin/users/{admin.id}", {"display_name": "管理 次郎",
                                                       "organization": str(admin.organization_id),
                                                       "roles": ["administrator", "caseworker"]})
    assert kept.status_code == 302 and admin.display_name == "管理 次郎"
    assert as_admin.get("/admin/users").status_code == 200  # still logged in


def test_the_last_active_administrator_is_never_removed(admin, make_user):
    """Another administrator may be deactivated while one remains; an administrator whose own
    account was deactivated meanwhile (by a second administrator at the same moment) may not
    remove the last one."""
    other_admin = make_user(Role.ADMINISTRATOR)
    operations.deactivate_account(db.session, admin, other_admin)
    assert not other_admin.active
    operations.reactivate_account(db.session, admin, other_admin)

    admin.active = False  # what the other administrator did first
    db.session.flush()
    with pytest.raises(DomainError, match="有効なシステム管理者がいなくなる"):
        operations.deactivate_account(db.session, admin, other_admin)
    with pytest.raises(DomainError, match="有効なシステム管理者がいなくなる"):
        operations.update_account(db.session, admin, other_admin, display_name="管理", roles={Role.CASEWORKER},
                                  organization=other_admin.organization)
    assert other_admin.active and Role.ADMINISTRATOR in other_admin.roles


def test_others_are_refused_and_nothing_is_recorded(client, caseworker, supervisor, make_user, make_org):
    officer = make_user(Role.DIGITAL_AGENCY_OFFICER, org=make_org(OrganizationKind.DIGITAL_AGENCY))
    for user in (caseworker, supervisor, officer):
        db.session.commit()
        login(client, user)
        refused = client.post(f"/admin/users/{caseworker.id}/deactivate",
                              data={"csrf_token": csrf_token(client, "/cases/")})
        assert refused.status_code == 403
        assert "利用者の管理は、システム管理者のみが行えます。" in refused.get_data(as_text=True)
        client.post("/logout", data={"csrf_token": csrf_token(client, "/cases/")})
    assert caseworker.active and db.session.scalar(sa.select(sa.func.count()).select_from(AdminChange)) == 0


def test_the_record_is_append_only_and_chained(admin, caseworker):
    operations.deactivate_account(db.session, admin, caseworker)
    operations.reactivate_account(db.session, admin, caseworker)
    assert verify_changes(db.session).ok and verify_changes(db.session).records == 2
    for statement in ("UPDATE admin_changes SET subject_label = 'x'", "DELETE FROM admin_changes"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), db.session.begin_nested():
            db.session.execute(sa.text(statement))


def test_the_dashboard_counts_what_needs_the_administrator(app, as_admin, make_user, caseworker):
    make_user(Role.SUPERVISOR).totp_confirmed_at = None  # not enrolled yet
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        record_failed_login(db.session, caseworker)
    db.session.commit()
    page = as_admin.get("/dashboard/").get_data(as_text=True)
    assert "システム管理者：組織・事務・利用者の管理" in page
    locked = re.search(r'id="admin-locked">\s*<dt>[^<]+</dt>\s*<dd><a href="([^"]+)">([\d,]+)人', page)
    assert locked and locked.group(2) == "1"
    assert caseworker.login in as_admin.get(locked.group(1).replace("&amp;", "&")).get_data(as_text=True)
    unenrolled = re.search(r'id="admin-no-second-factor">\s*<dt>[^<]+</dt>\s*<dd><a href="[^"]+">([\d,]+)人', page)
    assert unenrolled and unenrolled.group(1) == "1"
    for link in ("/admin/organizations", "/admin/programs", "/admin/users", "/admin/changes"):
        assert f'href="{link}"' in page

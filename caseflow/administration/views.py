"""The administrator's pages (/admin): organisations and letterheads, programs, users, 変更履歴.

Each page asks the policy (``admin.organizations``, ``admin.programs``, ``admin.users``,
``admin.history``); each change is one operation, committed once by ``action``; a refused form is
shown again with what was typed and the reason, in Japanese.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from caseflow.administration import forms, listing, operations
from caseflow.administration.models import ChangeSubject
from caseflow.administration.records import changes_page, field_label, shown, verify_changes
from caseflow.core.pages import Done, action
from caseflow.core.params import parse_id
from caseflow.db import utcnow
from caseflow.errors import DomainError
from caseflow.extensions import db
from caseflow.matching.normalize import PREFECTURES
from caseflow.organizations import rules
from caseflow.organizations.models import FACTS, LETTERHEAD_FIELDS, Organization, OrganizationCategory, Program
from caseflow.policy import Permission, require
from caseflow.users.models import Role, User
from caseflow.users.operations import DISPLAY_NAME_MAX, LOGIN_MAX
from caseflow.users.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

bp = Blueprint("administration", __name__, url_prefix="/admin")

RECENT_CHANGES = 10  # shown on an object's page, newest first


def _actor() -> User:
    return current_user._get_current_object()


def _get(model, object_id: int):
    found = db.session.get(model, object_id)
    if found is None:
        abort(404)
    return found


def _recent(subject: ChangeSubject, subject_id: int | None):
    if subject_id is None:
        return []
    return changes_page(db.session, subject=subject, subject_id=subject_id).changes[:RECENT_CHANGES]


@bp.app_template_global()
def admin_change_value(field: str, value) -> str:
    """A recorded value as people read it (templates/administration/_changes.html)."""
    return shown(field, value)


@bp.app_template_global()
def admin_field_label(field: str) -> str:
    return field_label(field)


# --- organisations ---------------------------------------------------------------------------------


@bp.route("/organizations")
@login_required
def organizations():
    require(current_user, Permission.ADMIN_ORGANIZATIONS)
    filters = forms.organization_filters(request.args)
    page = listing.organizations_page(db.session, filters, forms.page_number(request.args))
    missing = {org.id: rules.letterhead_missing(org.letterhead) for org in page.rows
               if org.kind in rules.LETTER_SENDERS}
    return render_template("administration/organizations.html", page=page, filters=filters, missing=missing,
                           categories=list(OrganizationCategory), prefectures=PREFECTURES, search_max=listing.SEARCH_MAX)


def _organization_page(org: Organization | None = None, *, status: int = 200):
    if request.method == "POST":
        values = request.form
    elif org is not None:
        values = {"code": org.code, "name": org.name, "category": org.category.value if org.category else "",
                  "prefecture": org.prefecture or ""}
    else:
        values = {}
    return render_template(
        "administration/organization.html", org=org, values=values, categories=list(OrganizationCategory),
        prefectures=PREFECTURES, code_max=rules.CODE_MAX, name_max=rules.NAME_MAX,
        missing=rules.letterhead_missing(org.letterhead) if org is not None and org.kind in rules.LETTER_SENDERS
        else None, changes=_recent(ChangeSubject.ORGANIZATION, org.id if org else None),
    ), status


@bp.route("/organizations/new", methods=["GET", "POST"])
@login_required
@action(refused=lambda exc: _organization_page(status=exc.status_code))
def new_organization():
    require(current_user, Permission.ADMIN_ORGANIZATIONS)
    if request.method != "POST":
        return _organization_page()
    org = operations.create_organization(db.session, _actor(), **forms.organization_arguments(request.form))
    flash(f"組織「{org.name}」を登録しました。", "success")
    return redirect(url_for("administration.organization", org_id=org.id))


@bp.route("/organizations/<int:org_id>", methods=["GET", "POST"])
@login_required
@action(refused=lambda exc, org_id: _organization_page(_get(Organization, org_id), status=exc.status_code))
def organization(org_id: int):
    require(current_user, Permission.ADMIN_ORGANIZATIONS)
    org = _get(Organization, org_id)
    if request.method != "POST":
        return _organization_page(org)
    operations.update_organization(db.session, _actor(), org, **forms.organization_arguments(request.form))
    flash(f"組織「{org.name}」を変更しました。", "success")
    return redirect(url_for("administration.organization", org_id=org.id))


def _letterhead_page(org: Organization, *, status: int = 200):
    values = request.form if request.method == "POST" else (org.letterhead or {})
    return render_template("administration/letterhead.html", org=org, values=values, fields=LETTERHEAD_FIELDS,
                           missing=rules.letterhead_missing(org.letterhead), prefix_max=rules.LETTERHEAD_PREFIX_MAX,
                           value_max=rules.LETTERHEAD_VALUE_MAX, sends_letters=org.kind in rules.LETTER_SENDERS), status


@bp.route("/organizations/<int:org_id>/letterhead", methods=["GET", "POST"])
@login_required
@action(refused=lambda exc, org_id: _letterhead_page(_get(Organization, org_id), status=exc.status_code))
def letterhead(org_id: int):
    """差出人の情報: what the organisation's letters print as their sender (the letters page sends administrators here)."""
    require(current_user, Permission.ADMIN_ORGANIZATIONS)
    org = _get(Organization, org_id)
    if request.method != "POST":
        return _letterhead_page(org)
    operations.set_letterhead(db.session, _actor(), org, forms.letterhead_arguments(request.form))
    flash(f"{org.name}の差出人の情報を{'登録' if org.letterhead else '削除'}しました。", "success")
    return redirect(url_for("administration.letterhead", org_id=org.id))


# --- programs --------------------------------------------------------------------------------------


@bp.route("/programs")
@login_required
def programs():
    require(current_user, Permission.ADMIN_PROGRAMS)
    return render_template("administration/programs.html", programs=listing.all_programs(db.session),
                           fact_labels=rules.FACT_LABELS)


def _program_page(program: Program, *, status: int = 200):
    if request.method == "POST":
        values = {"facts_held": request.form.getlist("facts_held"),
                  "linking_categories": request.form.getlist("linking_categories"),
                  "holder_notice": bool(request.form.get("holder_notice")),
                  "retention_years": request.form.get("retention_years", "")}
    else:
        values = operations.program_values(program)
    return render_template(
        "administration/program.html", program=program, values=values, facts=FACTS, fact_labels=rules.FACT_LABELS,
        required_facts=rules.REQUIRED_FACTS, categories=[c for c in OrganizationCategory
                                                          if c is not OrganizationCategory.MINISTRY],
        retention_max=operations.RETENTION_YEARS_MAX, changes=_recent(ChangeSubject.PROGRAM, program.id),
    ), status


@bp.route("/programs/<int:program_id>", methods=["GET", "POST"])
@login_required
@action(refused=lambda exc, program_id: _program_page(_get(Program, program_id), status=exc.status_code))
def program(program_id: int):
    require(current_user, Permission.ADMIN_PROGRAMS)
    found = _get(Program, program_id)
    if request.method != "POST":
        return _program_page(found)
    operations.update_program(db.session, _actor(), found, **forms.program_arguments(request.form))
    flash(f"「{found.name}」の設定を変更しました。", "success")
    return redirect(url_for("administration.program", program_id=found.id))


# --- users -----------------------------------------------------------------------------------------


@bp.route("/users")
@login_required
def users():
    require(current_user, Permission.ADMIN_USERS)
    filters = forms.user_filters(request.args)
    page = listing.users_page(db.session, filters, forms.page_number(request.args))
    return render_template("administration/users.html", page=page, filters=filters, roles=list(Role),
                           organizations=listing.all_organizations(db.session), now=utcnow(),
                           search_max=listing.SEARCH_MAX)


def _user_form_context() -> dict:
    return {"organizations": listing.all_organizations(db.session), "roles": list(Role), "login_max": LOGIN_MAX,
            "name_max": DISPLAY_NAME_MAX, "password_min": MIN_PASSWORD_LENGTH, "password_max": MAX_PASSWORD_LENGTH}


def _new_user_page(*, status: int = 200):
    values = request.form if request.method == "POST" else {"organization": request.args.get("organization", "")}
    chosen = request.form.getlist("roles") if request.method == "POST" else []
    return render_template("administration/user_new.html", values=values, chosen=chosen,
                           **_user_form_context()), status


def _organization_chosen() -> Organization | None:
    number = forms.organization_id(request.form)
    return db.session.get(Organization, number) if number else None


@bp.route("/users/new", methods=["GET", "POST"])
@login_required
@action(refused=lambda exc: _new_user_page(status=exc.status_code))
def new_user():
    require(current_user, Permission.ADMIN_USERS)
    if request.method != "POST":
        return _new_user_page()
    user, password = operations.create_account(db.session, _actor(), organization=_organization_chosen(),
                                               **forms.account_arguments(request.form))
    if password is None:
        flash(f"利用者「{user.display_name}」を登録しました。", "success")
        return redirect(url_for("administration.user", user_id=user.id))
    # Shown in this response only, never flashed: flashed messages travel in the session cookie.
    return render_template("administration/password.html", user=user, password=password, created=True), 201


def _user_page(user: User, *, status: int = 200):
    if request.method == "POST":
        values, chosen = request.form, request.form.getlist("roles")
    else:
        values = {"display_name": user.display_name, "organization": str(user.organization_id)}
        chosen = [role.value for role in user.roles]
    return render_template("administration/user.html", user=user, values=values, chosen=chosen, now=utcnow(),
                           changes=_recent(ChangeSubject.USER, user.id), **_user_form_context()), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
@action(refused=lambda exc, user_id: _user_page(_get(User, user_id), status=exc.status_code))
def user(user_id: int):
    require(current_user, Permission.ADMIN_USERS)
    found = _get(User, user_id)
    if request.method != "POST":
        return _user_page(found)
    changes = operations.update_account(db.session, _actor(), found, organization=_organization_chosen(),
                                        **forms.account_update_arguments(request.form))
    ended = ({"organization", "roles"} & changes.keys()) and found.id != current_user.id
    flash(f"{found.display_name}さんの登録内容を変更しました。" + ("ログイン中の画面は終了し、次回のログインから反映されます。"
                                                         if ended else ""), "success")
    return redirect(url_for("administration.user", user_id=found.id))


def _back_to_user(user_id: int) -> str:
    return url_for("administration.user", user_id=user_id)


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@login_required
@action(back=_back_to_user)
def deactivate_user(user_id: int):
    require(current_user, Permission.ADMIN_USERS)
    found = _get(User, user_id)
    operations.deactivate_account(db.session, _actor(), found)
    return Done(f"{found.display_name}さんを無効にしました。ログインもAPIトークンの利用もできません。")


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@login_required
@action(back=_back_to_user)
def reactivate_user(user_id: int):
    require(current_user, Permission.ADMIN_USERS)
    found = _get(User, user_id)
    operations.reactivate_account(db.session, _actor(), found)
    return Done(f"{found.display_name}さんを再び有効にしました。")


@bp.route("/users/<int:user_id>/second-factor/reset", methods=["POST"])
@login_required
@action(back=_back_to_user)
def reset_second_factor(user_id: int):
    require(current_user, Permission.USER_RESET_SECOND_FACTOR)
    found = _get(User, user_id)
    operations.reset_account_second_factor(db.session, _actor(), found)
    return Done(f"{found.display_name}さんの確認コードの設定を取り消しました。次回のログインで設定し直します。")


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@login_required
@action(back=_back_to_user)
def unlock_user(user_id: int):
    require(current_user, Permission.ADMIN_USERS)
    found = _get(User, user_id)
    operations.unlock_account(db.session, _actor(), found)
    return Done(f"{found.display_name}さんのロックを解除しました。")


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@login_required
@action(back=_back_to_user)
def reset_password(user_id: int):
    require(current_user, Permission.ADMIN_USERS)
    found = _get(User, user_id)
    password = operations.reset_account_password(db.session, _actor(), found)
    return render_template("administration/password.html", user=found, password=password, created=False)


# --- 変更履歴 --------------------------------------------------------------------------------------


@bp.route("/changes")
@login_required
def changes():
    require(current_user, Permission.ADMIN_HISTORY)
    subject_value = request.args.get("subject", "")
    try:
        subject = ChangeSubject(subject_value) if subject_value else None
    except ValueError:
        raise DomainError(forms.UNKNOWN_CHOICE) from None
    subject_id = parse_id(request.args.get("id", "")) if subject is not None else None
    page = changes_page(db.session, subject=subject, subject_id=subject_id, page=forms.page_number(request.args))
    return render_template("administration/changes.html", page=page, subject=subject, subject_id=subject_id,
                           subjects=list(ChangeSubject), verification=verify_changes(db.session))

"""The authorisation matrix: role × own or other organisation × action → allowed or denied.

Kept as data (ROUTES below) and run against every route of the application: a route that
is not in the table fails the coverage test, so a new page cannot be added without saying
who may use it. Each (route, actor) pair runs on a fresh world of its own (rolled back).

Outcomes: ``ok`` (2xx or a redirect that is not to the login page), ``denied`` (403 or 404:
another organisation's case is "not found", never "forbidden"), ``login`` (anonymous users
are sent to the login page).

Each entry names the permission of the access policy (``caseflow.policy``) the route exercises;
every permission of the policy is named by a route here or in the API's matrix
(tests/test_policy.py checks it), so a new permission cannot be added without its row.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from caseflow.api.operations import issue_token
from caseflow.cases import operations as case_operations
from caseflow.cases.filters import save_filter
from caseflow.cases.vocabulary import CaseStatus, CorrectionOutcome, Party
from caseflow.core import storage
from caseflow.core.japanese import today_jst
from caseflow.evidence.operations import add_evidence
from caseflow.extensions import db
from caseflow.inspections.models import BatchStatus, InspectionBatch
from caseflow.inspections.operations import batch_directory
from caseflow.jobs.operations import create_job
from caseflow.letters import operations as letter_operations
from caseflow.letters.models import Letter, LetterKind, PrintRun, PrintRunLetter, PrintRunStatus
from caseflow.organizations.models import OrganizationKind
from caseflow.policy import Permission as P  # short: the table names each route's permission
from caseflow.reports.snapshots import take_snapshot
from caseflow.routing import operations as routing
from caseflow.users.models import Role
from tests.conftest import csrf_token, login, undone

ACTORS = ("caseworker", "supervisor", "other_caseworker", "ministry", "other_ministry", "digital", "admin",
          "anonymous")
# Who may see the cases of agency A (program of ministry M): its staff, M's officers, the Digital Agency.
SEES_A = {"caseworker", "supervisor", "ministry", "digital"}
STAFF_A = {"caseworker", "supervisor"}
LOGGED_IN = set(ACTORS) - {"anonymous"}
AGENCY_STAFF = {"caseworker", "supervisor", "other_caseworker"}
REPORTERS = LOGGED_IN - {"admin"}


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    allowed: frozenset[str]
    path: object  # world -> URL path
    data: object = None  # world -> form data (POST)
    public: bool = False  # anonymous users may use it too
    variant: str = ""  # tells apart two entries of one route (e.g. with another query)
    # The policy's permission the route asks (None: none decides — login pages, public data, the
    # user's own saved filters and tokens, the dashboard whose sections are each scoped).
    permission: P | None = None


def route(endpoint: str, method: str, allowed: set[str], path, data=None, public: bool = False,
          variant: str = "", permission: P | None = None) -> Route:
    return Route(endpoint, method, frozenset(allowed), path, data, public, variant, permission)


def _agency_id(w) -> int:
    return w.actors["caseworker"].organization_id


def _target(w) -> str:
    """The user the administration routes act on: agency B's caseworker."""
    return f"/admin/users/{w.actors['other_caseworker'].id}"


ADMINISTRATION_ROUTES = (
    route("administration.organizations", "GET", {"admin"}, lambda w: "/admin/organizations",
          permission=P.ADMIN_ORGANIZATIONS),
    route("administration.new_organization", "GET", {"admin"}, lambda w: "/admin/organizations/new",
          permission=P.ADMIN_ORGANIZATIONS),
    route("administration.new_organization", "POST", {"admin"}, lambda w: "/admin/organizations/new",
          lambda w: {"code": "kenpo-test", "name": "テスト健康保険組合", "category": "insurer"},
          permission=P.ADMIN_ORGANIZATIONS),
    route("administration.organization", "GET", {"admin"}, lambda w: f"/admin/organizations/{_agency_id(w)}",
          permission=P.ADMIN_ORGANIZATIONS),
    route("administration.organization", "POST", {"admin"}, lambda w: f"/admin/organizations/{_agency_id(w)}",
          lambda w: {"code": w.actors["caseworker"].organization.code, "name": "改称市", "category": "other"},
          permission=P.ADMIN_ORGANIZATIONS),
    route("administration.letterhead", "GET", {"admin"}, lambda w: f"/admin/organizations/{_agency_id(w)}/letterhead",
          permission=P.ADMIN_ORGANIZATIONS),
    route("administration.letterhead", "POST", {"admin"},
          lambda w: f"/admin/organizations/{_agency_id(w)}/letterhead",
          lambda w: dict(LETTERHEAD, phone="017-000-9999"), permission=P.ADMIN_ORGANIZATIONS),
    route("administration.programs", "GET", {"admin"}, lambda w: "/admin/programs", permission=P.ADMIN_PROGRAMS),
    route("administration.program", "GET", {"admin"}, lambda w: f"/admin/programs/{w.confirmed.program_id}",
          permission=P.ADMIN_PROGRAMS),
    route("administration.program", "POST", {"admin"}, lambda w: f"/admin/programs/{w.confirmed.program_id}",
          lambda w: {"facts_held": ["name", "kana", "birth_date", "address"], "linking_categories": ["municipality"],
                     "retention_years": "7"}, permission=P.ADMIN_PROGRAMS),
    route("administration.users", "GET", {"admin"}, lambda w: "/admin/users", permission=P.ADMIN_USERS),
    route("administration.new_user", "GET", {"admin"}, lambda w: "/admin/users/new", permission=P.ADMIN_USERS),
    route("administration.new_user", "POST", {"admin"}, lambda w: "/admin/users/new",
          lambda w: {"login": "matrix-new", "display_name": "新任 職員", "organization": str(_agency_id(w)),
                     "roles": "caseworker"}, permission=P.ADMIN_USERS),
    route("administration.user", "GET", {"admin"}, _target, permission=P.ADMIN_USERS),
    route("administration.user", "POST", {"admin"}, _target,
          lambda w: {"display_name": "改名 職員", "organization": str(w.actors["other_caseworker"].organization_id),
                     "roles": "caseworker"}, permission=P.ADMIN_USERS),
    route("administration.deactivate_user", "POST", {"admin"}, lambda w: _target(w) + "/deactivate", lambda w: {},
          permission=P.ADMIN_USERS),
    route("administration.reactivate_user", "POST", {"admin"}, lambda w: _target(w) + "/reactivate", lambda w: {},
          permission=P.ADMIN_USERS),
    route("administration.unlock_user", "POST", {"admin"}, lambda w: _target(w) + "/unlock", lambda w: {},
          permission=P.ADMIN_USERS),
    route("administration.reset_password", "POST", {"admin"}, lambda w: _target(w) + "/password", lambda w: {},
          permission=P.ADMIN_USERS),
    route("administration.reset_second_factor", "POST", {"admin"},
          lambda w: f"/admin/users/{w.actors['supervisor'].id}/second-factor/reset", lambda w: {},
          permission=P.USER_RESET_SECOND_FACTOR),
    route("administration.changes", "GET", {"admin"}, lambda w: "/admin/changes", permission=P.ADMIN_HISTORY),
)

ROUTES: tuple[Route, ...] = (
    route("core.index", "GET", LOGGED_IN, lambda w: "/"),
    route("core.healthz", "GET", set(ACTORS), lambda w: "/healthz", public=True),
    route("auth.login", "GET", set(ACTORS), lambda w: "/login", public=True),
    route("auth.login", "POST", set(ACTORS), lambda w: "/login", lambda w: {"login": "nobody", "password": "x"},
          public=True),
    route("auth.logout", "POST", LOGGED_IN, lambda w: "/logout", lambda w: {}),
    route("cases.case_list", "GET", LOGGED_IN, lambda w: "/cases/", permission=P.CASE_VIEW),
    route("cases.my_queue", "GET", LOGGED_IN, lambda w: "/cases/mine", permission=P.CASE_VIEW),
    route("cases.export_list", "GET", LOGGED_IN, lambda w: "/cases/export.csv", permission=P.CASE_VIEW),
    route("cases.case_detail", "GET", SEES_A, lambda w: f"/cases/{w.verifying.id}", permission=P.CASE_VIEW),
    route("cases.fire_transition", "POST", STAFF_A, lambda w: f"/cases/{w.detected.id}/transitions/start_verification",
          lambda w: {"version": w.detected.version}, permission=P.CASE_ACT),
    route("cases.add_comment", "POST", SEES_A, lambda w: f"/cases/{w.verifying.id}/comments",
          lambda w: {"comment": "確認しました。"}, permission=P.CASE_VIEW),
    route("cases.claim", "POST", STAFF_A, lambda w: f"/cases/{w.detected.id}/claim",
          lambda w: {"version": w.detected.version}, permission=P.CASE_ACT),
    route("cases.release", "POST", {"caseworker"}, lambda w: f"/cases/{w.verifying.id}/release",
          lambda w: {"version": w.verifying.version}, permission=P.CASE_ACT),
    route("cases.reassign", "POST", {"supervisor"}, lambda w: f"/cases/{w.verifying.id}/reassign",
          lambda w: {"version": w.verifying.version, "to": w.actors["supervisor"].id}, permission=P.CASE_SUPERVISE),
    route("cases.bulk_assign", "POST", {"supervisor"}, lambda w: "/cases/bulk-assign",
          lambda w: {"case_id": w.detected.id, "to": w.actors["caseworker"].id, "return_to": "list"},
          permission=P.CASE_SUPERVISE),
    route("cases.supervision", "GET", {"supervisor"}, lambda w: "/cases/supervision", permission=P.CASE_SUPERVISE),
    route("cases.save_filter", "POST", LOGGED_IN, lambda w: "/cases/filters",
          lambda w: {"name": "検出のみ", "query": "status=detected", "return_to": "list"}),
    route("cases.delete_filter", "POST", {"caseworker"}, lambda w: f"/cases/filters/{w.saved_filter.id}/delete",
          lambda w: {"return_to": "list"}),
    route("cases.propose_correction", "POST", STAFF_A, lambda w: f"/cases/{w.confirmed.id}/correction",
          lambda w: {"version": w.confirmed.version, "wrong_number_removed": "1", "outcome": "unlinked"},
          permission=P.CASE_ACT),
    route("cases.return_correction", "POST", {"supervisor"}, lambda w: f"/cases/{w.pending.id}/correction/return",
          lambda w: {"version": w.pending.version, "comment": "照会結果を添付してください。"}, permission=P.DECISION_APPROVE),
    # Only the proposer withdraws (the pending correction and dismissal are the caseworker's).
    route("cases.withdraw_correction", "POST", {"caseworker"}, lambda w: f"/cases/{w.pending.id}/correction/withdraw",
          lambda w: {"version": w.pending.version, "comment": "登録し直します。"}, permission=P.CASE_ACT),
    route("cases.propose_dismissal", "POST", STAFF_A, lambda w: f"/cases/{w.verifying.id}/dismissal",
          lambda w: {"version": w.verifying.version, "dismiss_reason": "other", "dismiss_reason_other": "本人と確認"},
          permission=P.CASE_ACT),
    route("cases.fire_transition", "POST", {"supervisor"},
          lambda w: f"/cases/{w.pending_dismissal.id}/transitions/dismiss",
          lambda w: {"version": w.pending_dismissal.version}, variant="approve dismissal",
          permission=P.DECISION_APPROVE),
    route("cases.return_dismissal", "POST", {"supervisor"}, lambda w: f"/cases/{w.pending_dismissal.id}/dismissal/return",
          lambda w: {"version": w.pending_dismissal.version, "comment": "経緯を記入してください。"},
          permission=P.DECISION_APPROVE),
    route("cases.withdraw_dismissal", "POST", {"caseworker"},
          lambda w: f"/cases/{w.pending_dismissal.id}/dismissal/withdraw",
          lambda w: {"version": w.pending_dismissal.version, "comment": "確認し直します。"}, permission=P.CASE_ACT),
    route("cases.amend_viewed", "POST", STAFF_A, lambda w: f"/cases/{w.confirmed.id}/viewed",
          lambda w: {"version": w.confirmed.version, "viewed_on_portal": "yes", "viewed_what": "資格情報",
                     "comment": "アクセスログで確認"}, permission=P.CASE_ACT),
    route("cases.amend_cause", "POST", STAFF_A, lambda w: f"/cases/{w.confirmed.id}/cause",
          lambda w: {"version": w.confirmed.version, "cause": "two_fact_query", "comment": "照会記録で確認"},
          permission=P.CASE_ACT),
    route("cases.set_viewing", "POST", STAFF_A, lambda w: f"/cases/{w.confirmed.id}/viewing",
          lambda w: {"version": w.confirmed.version, "suspended": "0" if w.confirmed.viewing_suspended else "1"},
          permission=P.CASE_ACT),
    route("letters.set_recipient", "POST", STAFF_A, lambda w: f"/cases/{w.corrected.id}/recipient",
          lambda w: {"version": w.corrected.version, "party": "number_holder", "recipient_name": "山田　次郎",
                     "recipient_postal_code": "030-0801", "recipient_address": "青森県青森市新町一丁目1番1号"},
          permission=P.LETTER_ISSUE),
    route("letters.postal_code", "GET", AGENCY_STAFF, lambda w: "/letters/postal-codes/0300801",
          permission=P.LETTER_ISSUE),
    route("letters.preview", "GET", STAFF_A, lambda w: f"/cases/{w.corrected.id}/letters/preview?kind=apology",
          permission=P.LETTER_ISSUE),
    route("letters.issue", "POST", STAFF_A, lambda w: f"/cases/{w.corrected.id}/letters",
          lambda w: {"version": w.corrected.version, "kind": "apology"}, permission=P.LETTER_ISSUE),
    route("letters.reprint", "POST", STAFF_A, lambda w: f"/letters/{w.letter.id}/reprint", lambda w: {},
          permission=P.LETTER_ISSUE),
    route("letters.void", "POST", STAFF_A, lambda w: f"/letters/{w.letter.id}/void", lambda w: {"reason": "宛名誤り"},
          permission=P.LETTER_ISSUE),
    route("letters.returned", "POST", STAFF_A, lambda w: f"/letters/{w.letter.id}/returned",
          lambda w: {"reason": "unknown_address", "returned_on": today_jst().isoformat()}, permission=P.LETTER_ISSUE),
    route("evidence.upload", "POST", STAFF_A, lambda w: f"/cases/{w.confirmed.id}/evidence",
          lambda w: {"file": (io.BytesIO(b"%PDF-1.7 scan"), "scan.pdf")}, permission=P.CASE_ACT),
    route("evidence.download", "GET", STAFF_A, lambda w: f"/evidence/{w.evidence.id}", permission=P.CASE_FACTS),
    # Manual intake (caseflow.intake): a linking agency's staff open cases for their own organisation; the
    # registry facts of a case are its staff's (the inspection case here is refused with its reason: open to them).
    route("intake.new_case", "GET", AGENCY_STAFF, lambda w: "/cases/new", permission=P.CASE_OPEN),
    route("intake.new_case", "POST", AGENCY_STAFF, lambda w: "/cases/new", lambda w: {"program": ""},
          permission=P.CASE_OPEN),
    route("intake.import_list", "GET", AGENCY_STAFF, lambda w: "/cases/import", permission=P.CASE_OPEN),
    route("intake.import_list", "POST", AGENCY_STAFF, lambda w: "/cases/import", lambda w: {"program": ""},
          permission=P.CASE_OPEN),
    route("intake.enter_registry", "POST", STAFF_A, lambda w: f"/cases/{w.verifying.id}/registry",
          lambda w: {"version": w.verifying.version, "registry_name": "山田　次郎"}, permission=P.CASE_ACT),
    route("letters.runs", "GET", AGENCY_STAFF, lambda w: "/letters/runs", permission=P.LETTER_PRINT),
    route("letters.runs", "POST", AGENCY_STAFF, lambda w: "/letters/runs", lambda w: {"program": "", "kind": ""},
          permission=P.LETTER_PRINT),
    route("letters.run_detail", "GET", STAFF_A, lambda w: f"/letters/runs/{w.run.id}", permission=P.LETTER_PRINT),
    route("letters.run_file", "GET", STAFF_A, lambda w: f"/letters/runs/{w.run.id}/files/manifest",
          permission=P.LETTER_PRINT),
    route("letters.run_step", "POST", STAFF_A, lambda w: f"/letters/runs/{w.run.id}/printed", lambda w: {},
          permission=P.LETTER_PRINT),
    route("routing.refer", "POST", STAFF_A, lambda w: f"/cases/{w.verifying.id}/referrals",
          lambda w: {"version": w.verifying.version, "to": w.ministry.id, "question": "ご確認ください。"},
          permission=P.REFERRAL_SEND),
    route("routing.answer", "POST", {"ministry"}, lambda w: f"/referrals/{w.referral.id}/answer",
          lambda w: {"version": w.referral.case.version, "answer": "確認しました。"}, permission=P.REFERRAL_ANSWER),
    route("routing.inbox", "GET", LOGGED_IN, lambda w: "/inbox", permission=P.INBOX_READ),
    route("routing.mark_read", "POST", LOGGED_IN, lambda w: "/inbox/read", lambda w: {}, permission=P.INBOX_READ),
    route("inspections.batch_list", "GET", LOGGED_IN, lambda w: "/inspections/", permission=P.BATCH_VIEW),
    route("inspections.new_batch", "GET", AGENCY_STAFF, lambda w: "/inspections/new", permission=P.INSPECTION_START),
    route("inspections.new_batch", "POST", AGENCY_STAFF, lambda w: "/inspections/new", lambda w: {"program": ""},
          permission=P.INSPECTION_START),
    route("inspections.batch_detail", "GET", STAFF_A | {"digital"}, lambda w: f"/inspections/{w.batch.id}",
          permission=P.BATCH_VIEW),
    route("inspections.batch_result", "GET", STAFF_A | {"digital"}, lambda w: f"/inspections/{w.batch.id}/result.csv",
          permission=P.BATCH_VIEW),
    route("jobs.job_detail", "GET", STAFF_A | {"admin"}, lambda w: f"/jobs/{w.job.id}", permission=P.JOB_VIEW),
    route("jobs.job_status", "GET", STAFF_A | {"admin"}, lambda w: f"/jobs/{w.job.id}/status", permission=P.JOB_VIEW),
    route("jobs.start_selftest", "POST", {"admin"}, lambda w: "/jobs/selftest", lambda w: {"count": "1"},
          permission=P.JOB_SELFTEST),
    route("api_tokens.tokens", "GET", LOGGED_IN, lambda w: "/account/tokens"),
    route("api_tokens.issue", "POST", LOGGED_IN, lambda w: "/account/tokens", lambda w: {"name": "集計スクリプト"}),
    route("api_tokens.revoke", "POST", {"caseworker"}, lambda w: f"/account/tokens/{w.token.id}/revoke",
          lambda w: {}),
    route("cases.reveal_number", "POST", STAFF_A, lambda w: f"/cases/{w.verifying.id}/number",
          lambda w: {"purpose": "住基ネットへの照会のため"}, permission=P.NUMBER_REVEAL),
    # Overseeing officers state a purpose to see the people's facts; agency staff see them anyway
    # (their request is refused as needless, with a message: the route is open to them).
    route("cases.reveal_facts", "POST", SEES_A, lambda w: f"/cases/{w.verifying.id}/facts",
          lambda w: {"purpose": "照会への回答のため"}, permission=P.CASE_FACTS),
    # Searching: whoever sees cases (each finds only what they may see); by My Number with a purpose, recorded.
    route("search.results", "GET", REPORTERS, lambda w: "/search/?q=%E5%B1%B1%E7%94%B0", permission=P.CASE_SEARCH),
    route("search.by_number", "POST", REPORTERS, lambda w: "/search/number",
          lambda w: {"my_number": w.verifying.registered_number, "purpose": "本人からの照会に回答するため"},
          permission=P.CASE_SEARCH_BY_NUMBER),
    route("dashboards.dashboard", "GET", LOGGED_IN, lambda w: "/dashboard/"),
    # Reports: every role with cases to report on; each sees its own part (tests/reports).
    route("reports.programs", "GET", REPORTERS, lambda w: "/reports/", permission=P.REPORT_VIEW),
    route("reports.programs", "GET", LOGGED_IN, lambda w: "/reports/?dataset=2023", variant="published"),
    route("reports.program", "GET", SEES_A, lambda w: f"/reports/programs/{w.confirmed.program_id}",
          permission=P.REPORT_VIEW),
    route("reports.causes", "GET", REPORTERS, lambda w: "/reports/causes", permission=P.REPORT_VIEW),
    route("reports.grades", "GET", REPORTERS, lambda w: "/reports/grades", permission=P.REPORT_VIEW),
    route("reports.snapshot_list", "GET", LOGGED_IN, lambda w: "/reports/snapshots", permission=P.REPORT_VIEW),
    route("reports.snapshot_list", "POST", {"digital", "admin"}, lambda w: "/reports/snapshots",
          lambda w: {"month": f"{w.last_month_end:%Y-%m}"}, permission=P.REPORT_SNAPSHOT),
    route("reports.snapshot", "GET", LOGGED_IN, lambda w: f"/reports/snapshots/{w.snapshot.id}",
          permission=P.REPORT_VIEW),
    route("reports.campaign", "GET", REPORTERS, lambda w: "/reports/campaign", permission=P.REPORT_VIEW),
    route("reports.campaign_export", "GET", REPORTERS, lambda w: "/reports/campaign.csv", permission=P.REPORT_VIEW),
    route("reports.campaign_export", "GET", REPORTERS, lambda w: "/reports/campaign.xlsx", variant="xlsx",
          permission=P.REPORT_VIEW),
    route("reports.export", "GET", REPORTERS, lambda w: "/reports/export.csv", permission=P.REPORT_VIEW),
    route("reports.export", "GET", LOGGED_IN, lambda w: "/reports/export.csv?dataset=2023", variant="published"),
    # The code step of the login: only between a password and its code (tests/users); anyone
    # logged in is sent on to their queue, anyone else back to the login page.
    route("auth.second_factor", "GET", LOGGED_IN, lambda w: "/login/code"),
    route("auth.second_factor", "POST", LOGGED_IN, lambda w: "/login/code", lambda w: {"code": "000000"}),
    route("auth.enrol_second_factor", "GET", LOGGED_IN, lambda w: "/login/code/setup"),
    route("auth.enrol_second_factor", "POST", LOGGED_IN, lambda w: "/login/code/setup", lambda w: {"code": "000000"}),
    route("auth.password", "GET", LOGGED_IN, lambda w: "/account/password"),
    route("auth.password", "POST", LOGGED_IN, lambda w: "/account/password",
          lambda w: {"current_password": "correct horse battery", "new_password": "a new and longer secret",
                     "confirm_password": "a new and longer secret"}),
    # Administration (caseflow.administration): the administrator alone, whatever the organisation.
    *ADMINISTRATION_ROUTES,
)

# Routes every user may read whatever their role: static files.
UNCHECKED = {"static"}
# The JSON API (a token, not a login) has its own matrix: tests/api/test_authorization.py.
UNCHECKED_BLUEPRINTS = {"api"}


@pytest.fixture
def world(app, make_org, make_user, make_case, agency, ministry, program, caseworker, supervisor):
    """Agency A with a case in each status that the routes act on; agency B; ministries M (the
    program's) and M2; the Digital Agency; one user of each kind."""
    agency.letterhead = dict(LETTERHEAD)
    other_agency = make_org(name="別市")
    other_ministry = make_org(OrganizationKind.MINISTRY, "別省")
    digital = make_org(OrganizationKind.DIGITAL_AGENCY, "デジタル庁（テスト）")
    actors = {
        "caseworker": caseworker,
        "supervisor": supervisor,
        "other_caseworker": make_user(Role.CASEWORKER, org=other_agency),
        "ministry": make_user(Role.MINISTRY_OFFICER, org=ministry),
        "other_ministry": make_user(Role.MINISTRY_OFFICER, org=other_ministry),
        "digital": make_user(Role.DIGITAL_AGENCY_OFFICER, org=digital),
        "admin": make_user(Role.ADMINISTRATOR),
        "anonymous": None,
    }
    world = SimpleNamespace(actors=actors, ministry=ministry)
    world.detected = make_case(CaseStatus.DETECTED)
    world.saved_filter = save_filter(db.session, caseworker, name="自分の検出", query="status=detected")
    world.verifying = make_case(CaseStatus.VERIFYING)
    world.pending_dismissal = make_case(CaseStatus.VERIFYING, pending_dismissal=True)
    world.confirmed = make_case(CaseStatus.CONFIRMED)
    world.pending = make_case(CaseStatus.CONFIRMED)
    case_operations.propose_correction(world.pending, caseworker, wrong_number_removed=True,
                                       outcome=CorrectionOutcome.UNLINKED)
    world.evidence = add_evidence(db.session, caseworker, world.confirmed, filename="住民票.pdf", data=b"%PDF-1.7 a")
    world.corrected = make_case(CaseStatus.CORRECTED)
    letter_operations.set_recipient(world.corrected, caseworker, party=Party.RECORD_PERSON, name="山田　太郎",
                                    postal_code="030-0801", address="青森県青森市新町一丁目1番1号")
    referred = make_case(CaseStatus.VERIFYING)
    world.referral = routing.refer_case(caseworker, referred, to=ministry, question="ご確認ください。")
    # A letter and a built print run, made directly: rendering is not what this test is about.
    notified = make_case(CaseStatus.NOTIFIED)
    world.letter = Letter(case=notified, organization_id=agency.id, kind=LetterKind.APOLOGY,
                          party=Party.RECORD_PERSON, fiscal_year=2026,
                          serial=900, document_number="テ市民第900号", issued_on=today_jst(), issued_by_id=caseworker.id,
                          snapshot={}, pdf=b"%PDF-1.7 test", sha256="0" * 64, pages=1, postal_code="030-0801")
    db.session.add(world.letter)
    db.session.flush()
    world.run = PrintRun(organization_id=agency.id, status=PrintRunStatus.READY, created_by_id=caseworker.id,
                         letters_count=1, pages_count=1)
    db.session.add(world.run)
    db.session.flush()
    db.session.add(PrintRunLetter(print_run_id=world.run.id, letter_id=world.letter.id, position=1, pages=1))
    folder = letter_operations.print_run_directory(app.instance_path, world.run.id)
    folder.mkdir(parents=True, exist_ok=True)
    for filename in letter_operations.PRINT_RUN_FILES.values():
        storage.write_file(folder / filename, b"test")
    world.batch = InspectionBatch(agency_id=agency.id, program_id=program.id, created_by_id=caseworker.id,
                                  status=BatchStatus.DONE, records_filename="r.csv", registry_filename="g.csv",
                                  records_sha256="0" * 64, registry_sha256="1" * 64,
                                  finished_at=dt.datetime.now(dt.UTC))
    db.session.add(world.batch)
    db.session.flush()
    batch_folder = batch_directory(app.instance_path, world.batch.id)
    storage.write_file(batch_folder / "result.csv", "record_id,grade,reason\n".encode())
    world.job = create_job(db.session, "inspection", caseworker, {"batch_id": world.batch.id})
    world.token, _plaintext = issue_token(db.session, caseworker, "集計スクリプト")
    world.last_month_end = today_jst().replace(day=1) - dt.timedelta(days=1)
    world.snapshot = take_snapshot(db.session, None, world.last_month_end.replace(day=1) - dt.timedelta(days=1))
    return world


LETTERHEAD = {
    "prefix": "テ市民", "issuer_title": "テスト市長", "issuer_name": "試験　太郎", "department": "テスト市 市民課",
    "place": "本庁舎1階", "postal_code": "030-8555", "address": "青森県テスト市中央一丁目1番1号",
    "phone": "017-000-0000", "hours": "平日 午前8時30分～午後5時",
}


def _outcome(response, entry: Route | None = None, logged_in: bool = True) -> str:
    """What the user met. A refused input (401 wrong password, 409 stale, 422 domain refusal)
    still means the action was open to them; a CSRF failure (400) or a crash is neither."""
    response.close()  # downloads are streamed from files
    if response.status_code in (403, 404):
        return "denied"
    if response.status_code in (301, 302, 303) and "/login" in response.headers.get("Location", ""):
        # logging out ends on the login page: that is its success
        return "ok" if entry is not None and entry.endpoint == "auth.logout" and logged_in else "login"
    if response.status_code < 400 or response.status_code in (401, 409, 422):
        return "ok"
    return f"status {response.status_code}"


def _expected(entry: Route, actor: str) -> str:
    if actor == "anonymous" and not entry.public:
        return "login"
    return "ok" if actor in entry.allowed else "denied"


def met(client, world, entry: Route, user, expected: str, *, form_page: str = "/cases/") -> str:
    """What ``user`` (None: nobody logged in) met on ``entry``, as _outcome says; with the start
    of the page when it was not ``expected``. A form's CSRF token is read from ``form_page``."""
    if user is not None:
        assert _outcome(login(client, user)) == "ok"
    path = entry.path(world)
    if entry.method == "GET":
        response = client.get(path)
    else:
        token = csrf_token(client, "/login" if user is None else form_page)
        response = client.post(path, data={"csrf_token": token, **(entry.data(world) if entry.data else {})})
    body = "" if response.direct_passthrough or response.mimetype != "text/html" else response.get_data(as_text=True)[:300]
    outcome = _outcome(response, entry, user is not None)
    return outcome if outcome == expected else f"{outcome}: {body}"


@pytest.mark.parametrize("entry", [pytest.param(entry, id=" ".join(filter(None, (entry.method, entry.endpoint, entry.variant))))
                                   for entry in ROUTES])
def test_matrix(app, world, new_client, entry: Route):
    """Every actor on one route, each on the same world, and each actor's doing undone before the next."""
    found = {}
    for actor in ACTORS:
        with undone(app):
            found[actor] = met(new_client(), world, entry, world.actors[actor], _expected(entry, actor))
    assert found == {actor: _expected(entry, actor) for actor in ACTORS}


def test_every_route_is_in_the_matrix(app):
    from tests.surveys.test_authorization import SURVEY_ROUTES  # the survey pages' matrix has a world of its own

    listed = {(entry.endpoint, entry.method) for entry in (*ROUTES, *SURVEY_ROUTES)}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in UNCHECKED or rule.endpoint.split(".")[0] in UNCHECKED_BLUEPRINTS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (rule.endpoint, method) not in listed:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, "routes without an authorisation entry: " + ", ".join(missing)

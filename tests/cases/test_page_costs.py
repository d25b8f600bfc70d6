"""What the busiest pages cost: statements per case page, decryptions per list page."""

from __future__ import annotations

import re
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy import event

from caseflow.cases.vocabulary import CaseStatus
from caseflow.crypto import types as crypto_types
from caseflow.extensions import db
from tests.conftest import csrf_token, login, post_form

# The budgets of the busiest requests, the server-side session check (the user and their roles)
# and the inbox badge included. A case page: the case (its proposals, the count of other cases
# with its number, whether it has letters, recipients, referrals or files), its timeline. The list:
# its page of cases with their total, the filters' programs, assignees and saved filters. A
# transition: the case with its proposals, then what it writes (the case, its event, its history).
CASE_PAGE_STATEMENTS = 4
LIST_PAGE_STATEMENTS = 6
TRANSITION_STATEMENTS = 6
_NOT_COUNTED = ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")


@contextmanager
def statements(app):
    """The SQL statements run inside (transaction control apart)."""
    seen: list[str] = []
    engine = db.state(app).engine

    def count(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(_NOT_COUNTED):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _gist(statement: str) -> str:
    """A statement in a line: its verb, its first table and its condition."""
    words = " ".join(statement.split())
    table = re.search(r"\bFROM (\S+)", words)
    where = re.search(r"\bWHERE (.{0,120})", words)
    return f"{words[:6]} {table.group(1) if table else ''} … {where.group(1) if where else ''}"


@contextmanager
def decryptions():
    """The encrypted columns decrypted inside, by column (``table.column``)."""
    seen: list[str] = []
    unseal = crypto_types.unseal

    def counting(stored, context, keyring=None):
        seen.append(context)
        return unseal(stored, context, keyring)

    crypto_types.unseal = counting
    try:
        yield seen
    finally:
        crypto_types.unseal = unseal


def test_case_page_runs_few_statements(app, client, make_case, caseworker):
    case = make_case(CaseStatus.VERIFYING)
    login(client, caseworker)
    page = f"/cases/{case.id}"
    for n in range(5):  # a timeline of some length: one statement whatever its length
        post_form(client, f"{page}/comments", {"comment": f"確認中です（{n}）"}, token_from=page)
    client.get(page)  # reference data is cached per process after a first request
    db.session.expunge_all()  # a request starts from an empty session, as in production
    with statements(app) as seen:
        response = client.get(page)
    assert response.status_code == 200
    assert "確認中です（4）" in response.get_data(as_text=True)
    assert len(seen) <= CASE_PAGE_STATEMENTS, "\n".join(_gist(s) for s in seen)


def test_transition_runs_few_statements(app, client, make_case, caseworker):
    case = make_case()
    login(client, caseworker)
    token_page = f"/cases/{case.id}"
    data = {"version": str(case.version)}
    post_form(client, f"/cases/{case.id}/comments", {"comment": "最初の確認"}, token_from=token_page)
    db.session.expire_all()
    data = {"version": str(db.session.get(type(case), case.id).version), "csrf_token": csrf_token(client, token_page)}
    db.session.expunge_all()
    with statements(app) as seen:
        response = client.post(f"/cases/{case.id}/transitions/start_verification", data=data)
    assert response.status_code == 302
    writes = [s for s in seen if not s.lstrip().upper().startswith("SELECT")]
    assert writes, "the transition wrote nothing"
    assert len(seen) <= TRANSITION_STATEMENTS, "\n".join(_gist(s) for s in seen)


def test_list_page_runs_few_statements(app, client, make_case, caseworker):
    for _ in range(3):
        make_case()
    login(client, caseworker)
    client.get("/cases/")  # reference data is cached per process after a first request
    db.session.expunge_all()
    with statements(app) as seen:
        response = client.get("/cases/")
    assert response.status_code == 200
    assert "<p class=\"result-count\">3件" in response.get_data(as_text=True)
    assert len(seen) <= LIST_PAGE_STATEMENTS, "\n".join(_gist(s) for s in seen)


def test_list_decrypts_only_what_it_shows(client, make_case, caseworker):
    for _ in range(3):
        make_case()
    login(client, caseworker)
    db.session.expire_all()
    with decryptions() as seen:
        response = client.get("/cases/")
    assert response.status_code == 200
    # The list shows the masked My Number: that column only, once per case, and none of the registry's facts.
    assert set(seen) <= {"cases.registered_number"}, sorted(set(seen))
    assert len(seen) == 3


def test_case_page_shows_program_and_agency_after_a_rename(app, client, make_case, caseworker, program, agency):
    """Reference data cached per process is never stale: a rename (by another process) shows at once."""
    case = make_case()
    login(client, caseworker)
    assert program.name in client.get(f"/cases/{case.id}").get_data(as_text=True)
    db.session.execute(sa.update(type(program)).where(type(program).id == program.id).values(name="改名した事務"))
    db.session.execute(sa.update(type(agency)).where(type(agency).id == agency.id).values(name="改名した市"))
    db.session.commit()
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "改名した事務" in page and "改名した市" in page

"""Evidence files of a case: type checked by content, size-limited, stored encrypted, listed in the
timeline, each download recorded in the access records (issue 15, item 2)."""

from __future__ import annotations

import base64
import datetime as dt
import io

import pytest
import sqlalchemy as sa

from caseflow.audit.models import AccessRecord
from caseflow.cases.vocabulary import CaseStatus
from caseflow.core.japanese import today_jst
from caseflow.errors import DomainError, NotFound, PermissionDenied
from caseflow.evidence import operations
from caseflow.evidence.models import Evidence
from caseflow.extensions import db
from caseflow.retention.operations import purge
from caseflow.users.models import Role
from tests.conftest import csrf_token, events_of, login

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n" + b"SCAN-OF-A-RESIDENT-RECORD" * 20
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


@pytest.mark.parametrize("data, media_type", [(PDF, "application/pdf"), (JPEG, "image/jpeg"), (PNG, "image/png")])
def test_pdf_jpeg_and_png_are_taken_by_their_content(make_case, caseworker, data, media_type):
    case = make_case(CaseStatus.VERIFYING)
    evidence = operations.add_evidence(db.session, caseworker, case, filename="住民票の写し.bin", data=data)
    assert evidence.media_type == media_type and evidence.size == len(data)
    event = events_of(case.id)[-1]
    assert event.trigger == "add_evidence" and event.details["filename"] == "住民票の写し.bin"


def test_a_file_that_only_claims_to_be_a_pdf_is_refused(make_case, caseworker):
    case = make_case(CaseStatus.VERIFYING)
    with pytest.raises(DomainError, match="PDF、JPEG、PNG"):
        operations.add_evidence(db.session, caseworker, case, filename="scan.pdf", data=b"<html>not a pdf</html>")
    with pytest.raises(DomainError, match="空"):
        operations.add_evidence(db.session, caseworker, case, filename="scan.pdf", data=b"")
    with pytest.raises(DomainError, match="10 MB"):
        operations.add_evidence(db.session, caseworker, case, filename="big.pdf",
                                data=b"%PDF-" + b"0" * operations.EVIDENCE_MAX_BYTES)


def test_only_the_linking_agency_staff_add_evidence_while_the_case_is_open(make_case, caseworker, make_user, ministry):
    officer = make_user(Role.MINISTRY_OFFICER, org=ministry)
    case = make_case(CaseStatus.VERIFYING)
    with pytest.raises(PermissionDenied):
        operations.add_evidence(db.session, officer, case, filename="a.pdf", data=PDF)
    closed = make_case(CaseStatus.NOTIFIED)
    with pytest.raises(DomainError, match="通知済"):
        operations.add_evidence(db.session, caseworker, closed, filename="a.pdf", data=PDF)


def test_the_content_is_stored_encrypted(make_case, caseworker):
    case = make_case(CaseStatus.CONFIRMED)
    evidence = operations.add_evidence(db.session, caseworker, case, filename="card.pdf", data=PDF)
    stored = db.session.execute(sa.text("SELECT content FROM evidence WHERE id = :id"), {"id": evidence.id}).scalar()
    assert stored.startswith("v1:") and b"SCAN-OF-A" not in stored.encode()
    assert base64.b64encode(PDF).decode()[:40] not in stored
    db.session.expire_all()
    assert db.session.get(Evidence, evidence.id).content == PDF


def test_each_download_is_recorded_and_others_find_nothing(make_case, caseworker, make_user, ministry, make_org):
    case = make_case(CaseStatus.CONFIRMED)
    evidence = operations.add_evidence(db.session, caseworker, case, filename="card.pdf", data=PDF)
    assert operations.open_evidence(db.session, caseworker, evidence, remote_addr="192.0.2.1") == PDF
    record = db.session.scalars(sa.select(AccessRecord)).one()
    assert (record.user_id, record.case_id, record.what) == (caseworker.id, case.id, "evidence")
    assert "card.pdf" in record.purpose
    officer = make_user(Role.MINISTRY_OFFICER, org=ministry)  # oversees the case, does not see the people
    outsider = make_user(Role.CASEWORKER, org=make_org())
    for user in (officer, outsider):
        with pytest.raises(NotFound):
            operations.get_visible_evidence(db.session, user, evidence.id)


def test_the_page_uploads_lists_and_downloads(client, make_case, caseworker):
    case = make_case(CaseStatus.VERIFYING)
    login(client, caseworker)
    response = client.post(f"/cases/{case.id}/evidence", data={
        "csrf_token": csrf_token(client, f"/cases/{case.id}"), "file": (io.BytesIO(PNG), "マイナンバーカード.png"),
    }, content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "マイナンバーカード.png" in page and "証拠書類を登録" in page
    evidence = db.session.scalars(sa.select(Evidence).where(Evidence.case_id == case.id)).one()
    download = client.get(f"/evidence/{evidence.id}")
    assert download.status_code == 200 and download.data == PNG and download.mimetype == "image/png"
    assert "attachment" in download.headers["Content-Disposition"]
    refused = client.post(f"/cases/{case.id}/evidence", data={
        "csrf_token": csrf_token(client, f"/cases/{case.id}"), "file": (io.BytesIO(b"MZ\x90"), "tool.pdf"),
    }, content_type="multipart/form-data")
    assert "PDF、JPEG、PNG" in client.get(refused.headers["Location"]).get_data(as_text=True)


def test_evidence_is_disposed_of_with_the_case(make_case, caseworker):
    case = make_case(CaseStatus.CORRECTED)
    evidence = operations.add_evidence(db.session, caseworker, case, filename="card.pdf", data=PDF)
    from caseflow.cases import operations as cases
    from caseflow.cases.vocabulary import NotificationMethod

    cases.notify_case(case, caseworker, notified_on=today_jst(), notification_method=NotificationMethod.MAIL)
    purge(db.session, today=today_jst() + dt.timedelta(days=6 * 366), default_years=5)
    db.session.expire_all()
    evidence = db.session.get(Evidence, evidence.id)
    assert evidence.content is None and evidence.disposed_at is not None and evidence.sha256
    with pytest.raises(DomainError, match="廃棄"):
        operations.open_evidence(db.session, caseworker, evidence, remote_addr=None)

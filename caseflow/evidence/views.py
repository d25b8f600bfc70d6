"""Evidence pages: attach a file to a case, and download one (the download is recorded first)."""

from __future__ import annotations

from flask import Blueprint, request, url_for
from flask_login import current_user, login_required

from caseflow.cases.access import get_visible_case
from caseflow.core.pages import Done, action
from caseflow.core.views import accepts_upload
from caseflow.core.views import download as file_download
from caseflow.evidence import operations
from caseflow.extensions import db

bp = Blueprint("evidence", __name__)

# The form around the file (the CSRF token, the multipart headers) takes a few KB.
_FORM_ALLOWANCE = 64 * 1024


def _evidence_section(case_id: int) -> str:
    return url_for("cases.case_detail", case_id=case_id, _anchor="evidence")


@bp.route("/cases/<int:case_id>/evidence", methods=["POST"])
@accepts_upload(max_bytes=operations.EVIDENCE_MAX_BYTES + _FORM_ALLOWANCE)
@login_required
@action(back=_evidence_section)
def upload(case_id: int):
    case = get_visible_case(db.session, case_id, current_user)
    file = request.files.get("file")
    data = file.stream.read(operations.EVIDENCE_MAX_BYTES + 1) if file is not None else b""
    evidence = operations.add_evidence(db.session, current_user, case, filename=file.filename if file else None,
                                       data=data)
    return Done(f"証拠書類「{evidence.filename}」を登録しました。")


def _case_of_evidence(evidence_id: int) -> str:
    return _evidence_section(operations.get_visible_evidence(db.session, current_user, evidence_id).case_id)


@bp.route("/evidence/<int:evidence_id>")
@login_required
@action(back=_case_of_evidence)
def download(evidence_id: int):
    evidence = operations.get_visible_evidence(db.session, current_user, evidence_id)
    data = operations.open_evidence(db.session, current_user, evidence, remote_addr=request.remote_addr)
    suffix = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[evidence.media_type]
    # The name people gave the file stays on the page; the download gets a plain ASCII one.
    return file_download(data, evidence.media_type, f"evidence-{evidence.id}.{suffix}")

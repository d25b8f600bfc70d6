"""Inspection pages: start a batch, follow it, read its summary, download its result."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from caseflow.core.pages import action, after_commit
from caseflow.core.params import parse_id
from caseflow.core.storage import files_root
from caseflow.core.views import accepts_upload
from caseflow.errors import DomainError
from caseflow.extensions import db
from caseflow.inspections.models import BatchStatus, InspectionBatch
from caseflow.inspections.operations import result_file, start_inspection
from caseflow.organizations.models import Program
from caseflow.policy import Permission, clause, may

bp = Blueprint("inspections", __name__, url_prefix="/inspections")


def _get_batch(batch_id: int) -> InspectionBatch:
    batch = db.session.scalars(
        sa.select(InspectionBatch).where(InspectionBatch.id == batch_id, clause(current_user, Permission.BATCH_VIEW))
    ).one_or_none()
    if batch is None:
        abort(404)
    return batch


@bp.route("/")
@login_required
def batch_list():
    batches = db.session.scalars(
        sa.select(InspectionBatch).where(clause(current_user, Permission.BATCH_VIEW))
        .order_by(InspectionBatch.id.desc()).limit(200)
    ).all()
    return render_template("inspections/list.html", batches=batches,
                           may_start=may(current_user, Permission.INSPECTION_START))


def _new_batch_form(refusal: DomainError | None = None):
    programs = db.session.scalars(sa.select(Program).order_by(Program.id)).all()
    return render_template("inspections/new.html", programs=programs), (refusal.status_code if refusal else 200)


@bp.route("/new", methods=["GET", "POST"])
@accepts_upload
@login_required
@action(refused=_new_batch_form)
def new_batch():
    if not may(current_user, Permission.INSPECTION_START, current_user.organization):
        abort(403)
    if request.method != "POST":
        return _new_batch_form()
    number = parse_id(request.form.get("program", ""))
    program = db.session.get(Program, number) if number else None
    if program is None:
        raise DomainError("事務を選択してください。")
    files = []
    for field, label in (("records", "業務データ"), ("registry", "住民基本台帳データ")):
        upload = request.files.get(field)
        if upload is None or not upload.filename:
            raise DomainError(f"{label}のファイルを選択してください。")
        files.append((upload.filename, upload.stream))  # copied to disk in chunks, never read whole
    batch = start_inspection(db.session, current_user, agency=current_user.organization, program=program,
                             records=files[0], registry=files[1], root=files_root())
    job = _queue(batch)
    after_commit(lambda: _dispatch(job))
    flash("点検を受け付けました。処理の進み具合はこの画面で確認できます。", "success")
    return redirect(url_for("jobs.job_detail", job_id=job.id))


def _queue(batch: InspectionBatch):
    from caseflow.inspections.tasks import queue_inspection

    return queue_inspection(db.session, batch, current_user)


def _dispatch(job) -> None:
    from caseflow.jobs.operations import dispatch

    dispatch(job)


@bp.route("/<int:batch_id>")
@login_required
def batch_detail(batch_id: int):
    batch = _get_batch(batch_id)
    return render_template("inspections/detail.html", batch=batch, BatchStatus=BatchStatus)


@bp.route("/<int:batch_id>/result.csv")
@login_required
def batch_result(batch_id: int):
    batch = _get_batch(batch_id)
    if batch.status is not BatchStatus.DONE:
        abort(404)
    path = result_file(files_root(), batch)
    return send_file(path, mimetype="text/csv", as_attachment=True,
                     download_name=f"inspection-{batch.id}-result.csv", max_age=0)

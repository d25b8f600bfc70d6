"""Inspection pages: start a batch, follow it, read its summary, download its result."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from caseflow.cases.access import STAFF_ROLES
from caseflow.core.params import parse_id
from caseflow.core.views import accepts_upload
from caseflow.errors import DomainError
from caseflow.extensions import db
from caseflow.inspections.models import BatchStatus, InspectionBatch
from caseflow.inspections.operations import batch_directory, start_inspection
from caseflow.organizations.models import Program
from caseflow.users.models import Role

bp = Blueprint("inspections", __name__, url_prefix="/inspections")


def visible_batches_clause():
    """Batches of the user's own organisation; the Digital Agency's officers see all."""
    if current_user.has_role(Role.DIGITAL_AGENCY_OFFICER):
        return sa.true()
    if current_user.has_role(*STAFF_ROLES):
        return InspectionBatch.agency_id == current_user.organization_id
    return sa.false()


def _get_batch(batch_id: int) -> InspectionBatch:
    batch = db.session.scalars(
        sa.select(InspectionBatch).where(InspectionBatch.id == batch_id, visible_batches_clause())
    ).one_or_none()
    if batch is None:
        abort(404)
    return batch


@bp.route("/")
@login_required
def batch_list():
    batches = db.session.scalars(
        sa.select(InspectionBatch).where(visible_batches_clause()).order_by(InspectionBatch.id.desc()).limit(200)
    ).all()
    return render_template("inspections/list.html", batches=batches,
                           may_start=current_user.has_role(*STAFF_ROLES))


@bp.route("/new", methods=["GET", "POST"])
@accepts_upload
@login_required
def new_batch():
    if not current_user.has_role(*STAFF_ROLES):
        abort(403)
    programs = db.session.scalars(sa.select(Program).order_by(Program.id)).all()
    if request.method == "POST":
        try:
            number = parse_id(request.form.get("program", ""))
            program = db.session.get(Program, number) if number else None
            if program is None:
                raise DomainError("事務を選択してください。")
            files = []
            for field, label in (("records", "業務データ"), ("registry", "住民基本台帳データ")):
                upload = request.files.get(field)
                if upload is None or not upload.filename:
                    raise DomainError(f"{label}のファイルを選択してください。")
                files.append((upload.filename, upload.read()))
            batch = start_inspection(db.session, current_user, agency=current_user.organization, program=program,
                                     records=files[0], registry=files[1], instance_path=current_app.instance_path)
            job = _queue(batch)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return render_template("inspections/new.html", programs=programs), exc.status_code
        _dispatch(job)
        flash("点検を受け付けました。処理の進み具合はこの画面で確認できます。", "success")
        return redirect(url_for("jobs.job_detail", job_id=job.id))
    return render_template("inspections/new.html", programs=programs)


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
    path = batch_directory(current_app.instance_path, batch.id) / "result.csv"
    if batch.status is not BatchStatus.DONE or not path.exists():
        abort(404)
    return send_file(path, mimetype="text/csv", as_attachment=True,
                     download_name=f"inspection-{batch.id}-result.csv", max_age=0)

"""Inspection batches, program codes, and the batch a case was detected in.

Revision ID: 0003_inspections
Revises: 0002_jobs
Create Date: 2026-11-23 05:35:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_inspections"
down_revision = "0002_jobs"
branch_labels = None
depends_on = None

# Codes for the 24 programs of the 2023 inspection (seed/program_codes.csv), so that an
# existing database gets them without re-seeding.
PROGRAM_CODES = {
    "健康保険証情報": "health-insurance",
    "共済年金情報": "mutual-aid-pension",
    "公金受取口座情報": "public-fund-account",
    "所得・個人住民税情報": "local-tax",
    "児童手当支給情報": "child-allowance",
    "介護保険資格・給付情報": "long-term-care",
    "障害支援区分認定情報": "disability-support-level",
    "補装具費支給情報": "prosthetic-devices",
    "障害者自立支援に関する給付情報（更生医療）": "rehabilitation-medical",
    "障害者自立支援に関する給付情報（育成医療）": "child-development-medical",
    "障害者自立支援に関する給付情報（精神通院医療）": "psychiatric-outpatient",
    "障害福祉サービス受給者証情報": "disability-welfare-services",
    "障害児通所支援給付情報": "child-day-support",
    "養育医療費の給付情報": "premature-infant-medical",
    "生活保護情報": "public-assistance",
    "中国残留邦人等支援給付支給情報等": "china-returnees-support",
    "障害者手帳情報": "disability-handbook",
    "小児慢性特定疾病医療費助成の支給情報": "pediatric-chronic-disease",
    "障害児入所支援・措置情報（ひとり親支援関係等）": "child-residential-support",
    "障害児入所支援・措置、生活援助情報（ひとり親支援関係等）": "child-residential-living-support",
    "障害児福祉手当・特別障害者手当・経過的福祉手当情報": "disability-allowances",
    "障害児入所支援・小児慢性特定疾病医療等情報（ひとり親支援関係等）": "child-residential-medical",
    "難病患者に対する特定医療費の支給情報": "intractable-disease-medical",
    "労働者災害補償給付情報": "workers-compensation",
}


def upgrade() -> None:
    with op.batch_alter_table("programs") as batch:
        batch.add_column(sa.Column("code", sa.String(length=60), nullable=True))
        batch.create_unique_constraint("uq_programs_code", ["code"])
    programs = sa.table("programs", sa.column("name", sa.String), sa.column("code", sa.String))
    for name, code in PROGRAM_CODES.items():
        op.execute(programs.update().where(programs.c.name == name).values(code=code))

    op.create_table(
        "inspection_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.Enum("queued", "running", "done", "refused", "failed", name="batch_status",
                                    native_enum=False, create_constraint=True), nullable=False),
        sa.Column("records_filename", sa.String(length=255), nullable=False),
        sa.Column("registry_filename", sa.String(length=255), nullable=False),
        sa.Column("records_sha256", sa.String(length=64), nullable=False),
        sa.Column("registry_sha256", sa.String(length=64), nullable=False),
        sa.Column("records_inspected", sa.Integer(), nullable=False),
        sa.Column("count_a", sa.Integer(), nullable=False),
        sa.Column("count_b", sa.Integer(), nullable=False),
        sa.Column("count_c", sa.Integer(), nullable=False),
        sa.Column("cases_opened", sa.Integer(), nullable=False),
        sa.Column("cases_already_open", sa.Integer(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["organizations.id"],
                                name="fk_inspection_batches_agency_id_organizations"),
        sa.ForeignKeyConstraint(["program_id"], ["programs.id"], name="fk_inspection_batches_program_id_programs"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name="fk_inspection_batches_created_by_id_users"),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name="fk_inspection_batches_job_id_jobs"),
        sa.PrimaryKeyConstraint("id", name="pk_inspection_batches"),
    )
    op.create_index("ix_inspection_batches_agency_id", "inspection_batches", ["agency_id"])

    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("batch_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_cases_batch_id_inspection_batches", "inspection_batches", ["batch_id"], ["id"])
        batch.create_index("ix_cases_batch_id", ["batch_id"])


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ix_cases_batch_id")
        batch.drop_constraint("fk_cases_batch_id_inspection_batches", type_="foreignkey")
        batch.drop_column("batch_id")
    op.drop_index("ix_inspection_batches_agency_id", table_name="inspection_batches")
    op.drop_table("inspection_batches")
    with op.batch_alter_table("programs") as batch:
        batch.drop_constraint("uq_programs_code", type_="unique")
        batch.drop_column("code")

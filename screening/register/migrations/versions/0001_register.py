"""The register: companies, leads, rule set snapshots, runs, screenings, stages,
committee decisions, promises and actuals.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _who() -> list[sa.Column]:
    return [
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "companies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("name_key", sa.String(500), nullable=False),
        sa.Column("credit_code", sa.String(32)),
        *_who(),
        sa.PrimaryKeyConstraint("id", name="pk_companies"),
        sa.UniqueConstraint("name_key", name="uq_companies_name_key"),
    )
    op.create_table(
        "ruleset_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("ruleset_id", sa.String(200), nullable=False),
        sa.Column("version", sa.String(50), nullable=False),
        sa.Column("as_of", sa.Date()),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False),
        *_who(),
        sa.PrimaryKeyConstraint("id", name="pk_ruleset_snapshots"),
        sa.UniqueConstraint("sha256", name="uq_ruleset_snapshots_sha256"),
    )
    op.create_table(
        "ruleset_snapshot_files",
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("ruleset_id", sa.String(200), nullable=False),
        sa.Column("path", sa.String(1000), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["ruleset_snapshots.id"],
            name="fk_ruleset_snapshot_files_snapshot_id_ruleset_snapshots",
        ),
        sa.PrimaryKeyConstraint(
            "snapshot_id", "position", name="pk_ruleset_snapshot_files"
        ),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("input", sa.String(1000)),
        sa.Column("input_sha256", sa.String(64)),
        sa.Column("rules_ref", sa.String(1000), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime()),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("rows", sa.Integer()),
        sa.Column("stored", sa.Integer()),
        sa.Column("duplicates", sa.Integer()),
        sa.Column("invalid", sa.Integer()),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["ruleset_snapshots.id"],
            name="fk_runs_snapshot_id_ruleset_snapshots",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_table(
        "leads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("project_id", sa.String(200)),
        sa.Column("identity", sa.String(32)),
        sa.Column("name", sa.String(500)),
        sa.Column("company_id", sa.Integer()),
        sa.Column("park", sa.String(200)),
        sa.Column("industry", sa.String(10)),
        sa.Column("investment_total", sa.BigInteger()),
        sa.Column("registered_at", sa.DateTime(), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("registered_by", sa.String(100), nullable=False),
        sa.Column("decision", sa.String(6)),
        sa.Column("score", sa.BigInteger()),
        sa.Column("screened_at", sa.DateTime()),
        sa.Column("stage", sa.String(4), nullable=False),
        sa.Column("stage_on", sa.Date(), nullable=False),
        sa.Column("signed_on", sa.Date()),
        sa.Column("land_on", sa.Date()),
        sa.Column("started_on", sa.Date()),
        sa.Column("producing_on", sa.Date()),
        sa.Column("full_on", sa.Date()),
        sa.Column("ended_on", sa.Date()),
        sa.Column("committee", sa.String(8)),
        sa.Column("committee_on", sa.Date()),
        sa.Column("promised_total", sa.BigInteger()),
        sa.Column("promised_start", sa.Date()),
        sa.Column("promised_production", sa.Date()),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name="fk_leads_company_id_companies"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_leads"),
        sa.UniqueConstraint("key", name="uq_leads_key"),
    )
    op.create_index("ix_leads_project_id", "leads", ["project_id"])
    op.create_index("ix_leads_identity_project_id", "leads", ["identity", "project_id"])
    op.create_index("ix_leads_company_id", "leads", ["company_id"])
    op.create_table(
        "screenings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.LargeBinary(16), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer()),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("source_row", sa.Integer()),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("decision", sa.String(6), nullable=False),
        sa.Column("score", sa.BigInteger()),
        sa.Column("vetoed", sa.Text(), nullable=False),
        sa.Column("missing", sa.Text(), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("values", sa.Text(), nullable=False),
        sa.Column("contract_sha256", sa.LargeBinary(32), nullable=False),
        sa.Column("adopted", sa.Boolean(), nullable=False),
        sa.Column("screened_at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name="fk_screenings_lead_id_leads"
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_screenings_run_id_runs"
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["ruleset_snapshots.id"],
            name="fk_screenings_snapshot_id_ruleset_snapshots",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_screenings"),
        sa.UniqueConstraint("key", name="uq_screenings_key"),
    )
    op.create_index("ix_screenings_lead_id_id", "screenings", ["lead_id", "id"])
    op.create_table(
        "stage_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(4), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("note", sa.Text()),
        sa.Column("override", sa.Boolean(), nullable=False),
        *_who(),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name="fk_stage_events_lead_id_leads"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_stage_events"),
    )
    op.create_index("ix_stage_events_lead_id", "stage_events", ["lead_id"])
    op.create_table(
        "committee_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(8), nullable=False),
        sa.Column("meeting_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("screening_id", sa.Integer()),
        *_who(),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name="fk_committee_decisions_lead_id_leads"
        ),
        sa.ForeignKeyConstraint(
            ["screening_id"],
            ["screenings.id"],
            name="fk_committee_decisions_screening_id_screenings",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_committee_decisions"),
    )
    op.create_index(
        "ix_committee_decisions_lead_id", "committee_decisions", ["lead_id"]
    )
    op.create_table(
        "promises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("signed_on", sa.Date()),
        sa.Column("total_investment", sa.BigInteger()),
        sa.Column("fixed_assets", sa.BigInteger()),
        sa.Column("land_mu", sa.BigInteger()),
        sa.Column("annual_output", sa.BigInteger()),
        sa.Column("annual_tax", sa.BigInteger()),
        sa.Column("employees", sa.Integer()),
        sa.Column("energy_tce", sa.BigInteger()),
        sa.Column("start_by", sa.Date()),
        sa.Column("production_by", sa.Date()),
        sa.Column("note", sa.Text()),
        *_who(),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name="fk_promises_lead_id_leads"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_promises"),
    )
    op.create_index("ix_promises_lead_id", "promises", ["lead_id"])
    op.create_table(
        "actuals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("year", sa.Integer()),
        sa.Column("invested", sa.BigInteger()),
        sa.Column("fixed_assets_invested", sa.BigInteger()),
        sa.Column("annual_output", sa.BigInteger()),
        sa.Column("annual_tax", sa.BigInteger()),
        sa.Column("employees", sa.Integer()),
        sa.Column("energy_tce", sa.BigInteger()),
        sa.Column("note", sa.Text()),
        *_who(),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name="fk_actuals_lead_id_leads"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_actuals"),
    )
    op.create_index("ix_actuals_lead_id", "actuals", ["lead_id"])


def downgrade() -> None:
    for table in (
        "actuals",
        "promises",
        "committee_decisions",
        "stage_events",
        "screenings",
        "leads",
        "runs",
        "ruleset_snapshot_files",
        "ruleset_snapshots",
        "companies",
    ):
        op.drop_table(table)

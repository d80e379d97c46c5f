"""The leads each run screened, the screenings it found stored already included, so
that the pipeline lists a batch's leads; filled for earlier runs from the screenings
they stored (which runs found theirs stored already was not kept).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_leads",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_run_leads_run_id_runs"
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name="fk_run_leads_lead_id_leads"
        ),
        sa.PrimaryKeyConstraint("run_id", "lead_id", name="pk_run_leads"),
    )
    op.execute(
        "INSERT INTO run_leads (run_id, lead_id) SELECT DISTINCT run_id, lead_id "
        "FROM screenings WHERE run_id IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_table("run_leads")

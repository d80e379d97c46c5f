"""Indexes for `register list` filters and `kpi` (their query plans: docs/register.md).

The dates a stage was reached are indexed only where set (partial indexes): a new lead
has none, so storing a batch does not pay for them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_leads_park_stage_decision": ["park", "stage", "decision"],
    "ix_leads_decision": ["decision"],
    "ix_leads_stage": ["stage"],
    "ix_leads_industry_investment_total": ["industry", "investment_total"],
    "ix_leads_registered_on": ["registered_on"],
    "ix_leads_investment_total": ["investment_total"],
}
# a cohort (the leads that reached a stage, or were promised to, in a period) is read
# from its index alone: each carries what the KPIs read of those leads
WHERE_SET = {
    "signed_on": ["park", "started_on", "promised_total", "investment_total"],
    "started_on": ["park", "promised_total", "investment_total"],
    "producing_on": ["park", "promised_total", "investment_total"],
    "promised_start": ["park", "started_on"],
    "promised_production": ["park", "producing_on"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "leads", columns)
    for column, carried in WHERE_SET.items():
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(
            f"ix_leads_{column}",
            "leads",
            [column, *carried],
            sqlite_where=where,
            postgresql_where=where,
        )
    op.create_index(
        "ix_committee_decisions_meeting_on", "committee_decisions", ["meeting_on"]
    )


def downgrade() -> None:
    op.drop_index("ix_committee_decisions_meeting_on", "committee_decisions")
    for name in [*INDEXES, *(f"ix_leads_{c}" for c in WHERE_SET)]:
        op.drop_index(name, "leads")

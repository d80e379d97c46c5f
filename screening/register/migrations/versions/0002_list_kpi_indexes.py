"""Indexes for `register list` filters and `kpi` groupings (see docs/register.md).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_leads_park_stage": ["park", "stage"],
    "ix_leads_park_decision": ["park", "decision"],
    "ix_leads_industry": ["industry"],
    "ix_leads_registered_on": ["registered_on"],
    "ix_leads_investment_total": ["investment_total"],
    "ix_leads_signed_on": ["signed_on"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "leads", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, "leads")

"""Indexes for a past period's stock in `kpi` (the stage each lead was in at its end).

The leads registered by the end are counted by park, stage and decision from one
covering index (it replaces the one on park, stage and decision, which `register list`
used: the new one begins with the same columns). The leads that reached their stage
after the end are read again from a partial index of the leads that moved on after the
day they were registered, carrying the days each stage was reached: a new lead is not
in it, so storing a batch does not pay for it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

MOVED = [
    "stage_on",
    "registered_on",
    "park",
    "stage",
    "ended_on",
    "full_on",
    "producing_on",
    "started_on",
    "land_on",
    "signed_on",
]


def upgrade() -> None:
    op.drop_index("ix_leads_park_stage_decision", "leads")
    op.create_index(
        "ix_leads_park_stage_decision_registered_on",
        "leads",
        ["park", "stage", "decision", "registered_on"],
    )
    where = sa.text("stage_on > registered_on")
    op.create_index(
        "ix_leads_moved", "leads", MOVED, sqlite_where=where, postgresql_where=where
    )


def downgrade() -> None:
    op.drop_index("ix_leads_moved", "leads")
    op.drop_index("ix_leads_park_stage_decision_registered_on", "leads")
    op.create_index(
        "ix_leads_park_stage_decision", "leads", ["park", "stage", "decision"]
    )

"""A committee decision names the meeting it was taken at (none for one recorded from
the command line or the API without a meeting), so that a meeting shows only its own
decisions, not those of another meeting held the same day.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite adds a column with a foreign key by rebuilding the table
    with op.batch_alter_table("committee_decisions") as table:
        table.add_column(sa.Column("meeting_id", sa.Integer(), nullable=True))
        table.create_foreign_key(
            "fk_committee_decisions_meeting_id", "meetings", ["meeting_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("committee_decisions") as table:
        table.drop_constraint("fk_committee_decisions_meeting_id", type_="foreignkey")
        table.drop_column("meeting_id")

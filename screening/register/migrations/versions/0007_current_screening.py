"""A lead names its current screening when that is not its latest adopted one: an
earlier screening whose values and rule set were screened again (the register keeps
one copy of a screening, so screening them again adds no newer one).

No foreign key: SQLite adds one only by rebuilding the leads table, and screenings
and leads are never deleted.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("leads", sa.Column("current_screening_id", sa.Integer()))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+): the table and its indexes stay as they are
    op.drop_column("leads", "current_screening_id")

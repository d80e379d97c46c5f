"""A screening names the file it came from when its run's input is a folder of project
files (the file's name in that folder): the row number alone said "row 1" of the
folder for every file.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("screenings", sa.Column("source_file", sa.String(255)))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+): the table and its indexes stay as they are
    op.drop_column("screenings", "source_file")

"""The web app's tables: accounts, sessions, API tokens, the audit log, settings,
batch uploads, committee meetings and rule set adoptions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _who() -> list[sa.Column[Any]]:
    return [
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("display_name", sa.String(200)),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
        sa.UniqueConstraint("name", name="uq_accounts_name"),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_web_sessions_account_id_accounts"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_web_sessions"),
        sa.UniqueConstraint("token_sha256", name="uq_web_sessions_token_sha256"),
    )
    op.create_index("ix_web_sessions_account_id", "web_sessions", ["account_id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("revoked_at", sa.DateTime()),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_api_tokens_account_id_accounts"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("token_sha256", name="uq_api_tokens_token_sha256"),
    )
    op.create_index("ix_api_tokens_account_id", "api_tokens", ["account_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(200)),
        sa.Column("detail", sa.Text()),
        sa.Column("ip", sa.String(64)),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index(
        "ix_audit_log_action_target_at", "audit_log", ["action", "target", "at"]
    )
    op.create_index("ix_audit_log_action_ip_at", "audit_log", ["action", "ip", "at"])
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_table(
        "web_settings",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_web_settings"),
    )
    op.create_table(
        "web_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(100), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("rules_ref", sa.String(1000), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("total_rows", sa.Integer()),
        sa.Column("done_rows", sa.Integer(), nullable=False),
        sa.Column("counts", sa.Text()),
        sa.Column("summary", sa.Text()),
        sa.Column("error", sa.Text()),
        sa.Column("run_id", sa.Integer()),
        sa.Column("pid", sa.Integer()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime()),
        sa.Column("finished_at", sa.DateTime()),
        sa.Column("heartbeat_at", sa.DateTime()),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_web_batches_run_id_runs"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_web_batches"),
        sa.UniqueConstraint("key", name="uq_web_batches_key"),
    )
    op.create_index("ix_web_batches_status_id", "web_batches", ["status", "id"])
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_on", sa.Date(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        *_who(),
        sa.PrimaryKeyConstraint("id", name="pk_meetings"),
    )
    op.create_table(
        "meeting_items",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name="fk_meeting_items_meeting_id_meetings"
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name="fk_meeting_items_lead_id_leads"
        ),
        sa.PrimaryKeyConstraint("meeting_id", "lead_id", name="pk_meeting_items"),
    )
    op.create_table(
        "ruleset_adoptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ruleset_id", sa.String(200), nullable=False),
        sa.Column("version", sa.String(50), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("path", sa.String(1000), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("rescreen_run_id", sa.Integer()),
        *_who(),
        sa.ForeignKeyConstraint(
            ["rescreen_run_id"],
            ["runs.id"],
            name="fk_ruleset_adoptions_rescreen_run_id_runs",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ruleset_adoptions"),
    )
    op.create_index(
        "ix_ruleset_adoptions_ruleset_id", "ruleset_adoptions", ["ruleset_id"]
    )


def downgrade() -> None:
    for table in (
        "ruleset_adoptions",
        "meeting_items",
        "meetings",
        "web_batches",
        "web_settings",
        "audit_log",
        "api_tokens",
        "web_sessions",
        "accounts",
    ):
        op.drop_table(table)

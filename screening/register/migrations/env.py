"""Alembic environment: run on the connection the register hands over (no alembic.ini)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from screening.register.schema import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,  # SQLite has no ALTER for most changes: copy-and-move tables
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # pragma: no cover - only when alembic is run by hand with a URL
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None, "alembic run by hand needs sqlalchemy.url"
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)

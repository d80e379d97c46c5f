"""The project register (项目库): leads, screenings with their rule set snapshots, stages,
committee decisions, promises and actuals, in SQLite or PostgreSQL.

`from screening.register import Register` is the API; the package itself imports
nothing heavy, so that `screening` commands that do not use the register start as fast
as before.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Filters", "Register", "RegisterError"]


def __getattr__(name: str) -> Any:
    if name in ("Register", "Filters"):
        from screening.register import store

        return getattr(store, name)
    if name == "RegisterError":
        from screening.register.db import RegisterError

        return RegisterError
    raise AttributeError(name)

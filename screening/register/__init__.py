"""The project register (项目库): leads, screenings with their rule set snapshots, stages,
committee decisions, promises and actuals, in SQLite or PostgreSQL."""

from __future__ import annotations

from screening.register.db import RegisterError
from screening.register.store import Filters, Register

__all__ = ["Filters", "Register", "RegisterError"]

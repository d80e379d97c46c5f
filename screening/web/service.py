"""Screening for the web app: the same validation, loader, screener and JSON contract as
the CLI, and the package's only import of the screener.

durable-rules keeps its rule sets in one process-wide host with no locks
(NOTES-durable-rules.md), and the web server answers on several threads, so everything
that touches the engine runs under one lock; a worker process screens one project at a
time, and `--workers` gives more.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from screening.errors import Diagnostic, ProjectError, ScreeningError
from screening.findings import Decision
from screening.inputs import convert_inputs
from screening.loader import load_ruleset, shipped_ids
from screening.model.diagnose import describe
from screening.model.effective import RuleSet
from screening.model.project import Project, flatten
from screening.report.contract import contract_bytes
from screening.screener import Screener  # the one import of the screener

ENGINE_LOCK = threading.RLock()  # one thread in durable-rules at a time (see above)
LOCAL = "local:"  # a park's own adopted rule set: "local:<its id>"


class UnknownRuleSet(ScreeningError):
    """A rule set reference that is neither a shipped id nor an adopted local one."""

    code = "RUL"


@dataclass(frozen=True)
class Screened:
    """One project screened: its rule set, decision, flat values and contract line."""

    ruleset: RuleSet
    rules_ref: str  # as the register records it (a shipped id, or the local file)
    decision: Decision
    values: dict[str, Any]
    line: bytes  # the JSON contract, UTF-8, with its newline (as `batch` writes it)

    @property
    def contract(self) -> dict[str, Any]:
        return json.loads(self.line)  # type: ignore[no-any-return]


def project_errors(exc: ValidationError) -> list[Diagnostic]:
    """Every pydantic error of a project in the CLI's words, with its field path."""
    out = []
    for error in exc.errors():
        path = ".".join(
            str(p) for p in error["loc"] if not str(p).startswith("function-")
        )
        out.append(Diagnostic("PRJ", describe(error), None, path or None))
    return out


def validate_project(data: Any) -> Project:
    """A project mapping validated as a project file is (ProjectError listing all)."""
    try:
        return Project.model_validate(data)
    except ValidationError as exc:
        raise ProjectError("", diagnostics=project_errors(exc)) from None


class ScreeningService:
    """Rule sets, screeners and contracts, each built once per worker and kept."""

    def __init__(
        self,
        local_rules: Path,
        adopted: Callable[[], dict[str, str]] = dict,
        size: int = 16,
    ) -> None:
        self.local_rules = local_rules  # where adopted rule sets are kept
        self._adopted = adopted  # reads the adoptions: local id → its newest file
        self._rulesets: OrderedDict[tuple[str, dt.date], RuleSet] = OrderedDict()
        self._screeners: OrderedDict[str, tuple[RuleSet, Screener]] = OrderedDict()
        self._snapshots: OrderedDict[int, RuleSet] = OrderedDict()
        self._size = size
        self._local: tuple[float, dict[str, str]] = (-1e9, {})
        self.compiled: Callable[[], None] | None = None  # called after each compile
        self._shipped: tuple[float, tuple[str, ...]] = (-1e9, ())

    # --- which rule sets ------------------------------------------------------------

    def local(self, fresh: bool = False) -> dict[str, str]:
        """The adopted local rule sets, id → file (read again after a few seconds, so
        an adoption in another worker is seen here too)."""
        now = time.monotonic()
        if fresh or now - self._local[0] > 5.0:
            self._local = (now, dict(self._adopted()))
        return self._local[1]

    def shipped(self) -> tuple[str, ...]:
        """The shipped rule set ids (the rules folder walked again after a minute, not
        for every request)."""
        now = time.monotonic()
        if now - self._shipped[0] > 60.0:
            self._shipped = (now, tuple(shipped_ids()))
        return self._shipped[1]

    def choices(self) -> list[str]:
        """Every reference a user may pick: shipped ids, then `local:<id>` ones."""
        return [*self.shipped(), *(LOCAL + rid for rid in sorted(self.local()))]

    def resolve(self, ref: str) -> str:
        """A user's reference → what the loader reads; never an arbitrary path."""
        ref = (ref or "").strip()
        if ref.startswith(LOCAL):
            path = self.local().get(ref[len(LOCAL) :]) or self.local(fresh=True).get(
                ref[len(LOCAL) :]
            )
            if path is not None:
                return path
        elif ref in self.shipped():
            return ref
        raise UnknownRuleSet(
            f"未知规则集 {ref!r}（可用：{', '.join(self.choices())}）/ "
            "unknown rule set",
            field="ruleset",
        )

    def ruleset(self, ref: str, as_of: dt.date) -> RuleSet:
        """The effective rule set of a user's reference on `as_of` (built once)."""
        target = self.resolve(ref)
        key = (target, as_of)
        with ENGINE_LOCK:
            found = self._rulesets.get(key)
            if found is None:
                found = load_ruleset(target, as_of=as_of)
                self._rulesets[key] = found
                if len(self._rulesets) > self._size:
                    self._rulesets.popitem(last=False)
            else:
                self._rulesets.move_to_end(key)
        return found

    def screener(self, ruleset: RuleSet) -> Screener:
        """The screener of a rule set, compiled and registered once."""
        with ENGINE_LOCK:
            hit = self._screeners.get(ruleset.sha256)
            if hit is None or hit[0] is not ruleset:
                hit = (ruleset, Screener(ruleset))
                self._screeners[ruleset.sha256] = hit
                if len(self._screeners) > self._size:
                    self._screeners.popitem(last=False)
                if self.compiled is not None:
                    self.compiled()
            return hit[1]

    # --- screening ------------------------------------------------------------------

    def screen(self, data: Any, ref: str, as_of: dt.date, lang: str = "zh") -> Screened:
        """Validate a project mapping and screen it (ProjectError naming each field)."""
        return self.screen_project(validate_project(data), ref, as_of, lang)

    def screen_project(
        self, project: Project, ref: str, as_of: dt.date, lang: str = "zh"
    ) -> Screened:
        """Screen a validated project (its rule set's own fields checked here)."""
        target = self.resolve(ref)
        ruleset = self.ruleset(ref, as_of)
        with ENGINE_LOCK:
            screener = self.screener(ruleset)
            values = convert_inputs(flatten(project), ruleset.inputs)
            decision = screener.screen_values(values)
            line = contract_bytes(decision, ruleset, lang)
        return Screened(ruleset, target, decision, values, line)

    def snapshot(self, register: Any, snapshot_id: int) -> RuleSet:
        """A stored screening's rule set, from its snapshot (read once per worker)."""
        with ENGINE_LOCK:
            found = self._snapshots.get(snapshot_id)
        if found is None:
            found = register.snapshot_ruleset(snapshot_id)
            with ENGINE_LOCK:
                self._snapshots[snapshot_id] = found
                if len(self._snapshots) > self._size:
                    self._snapshots.popitem(last=False)
        return found

    def stored_contract(
        self, register: Any, screening_id: int, lang: str
    ) -> tuple[dict[str, Any], RuleSet]:
        """A stored screening's JSON contract in `lang`, made again from its snapshot
        and values (as `register reproduce` makes it), and its rule set."""
        stored = register.screening(screening_id)
        ruleset = self.snapshot(register, stored["snapshot_id"])
        # as `Register.reproduce`: a rule set given as a file is labelled with its path
        ref = stored.get("rules_ref") or ""
        path = ref if Path(ref).suffix.lower() in (".yaml", ".yml", ".json") else None
        with ENGINE_LOCK:
            ruleset.path = path  # the contract names the file it was given as, if any
            decision = self.screener(ruleset).screen_values(stored["values"])
            line = contract_bytes(decision, ruleset, lang)
        return json.loads(line), ruleset

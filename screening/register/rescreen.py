"""Rescreening the stored pipeline under another rule set (or as-of date): each lead's
current screening against the new one, stored and shown as `screening diff` shows a
rule change (decisions that change, score deltas, rules that judge differently)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, NamedTuple

from sqlalchemy import select

from screening.diff import Impact, compare, rule_changes
from screening.findings import Outcome, Status
from screening.model.effective import RuleSet
from screening.register.records import (
    FindingCodec,
    decode_findings,
    decode_values,
    record_of,
)
from screening.register.schema import runs, screenings, snapshots
from screening.register.store import (
    Filters,
    Pending,
    Register,
    StoreCounts,
    current_screenings,
    ruleset_file,
)

_PAGE = 2_000


class _StoredFinding(NamedTuple):
    rule: str
    status: Status


@dataclass(frozen=True)
class StoredDecision:
    """A stored screening in the shape `diff.compare` reads (outcome, score, findings)."""

    outcome: Outcome
    score: Fraction | None
    findings: tuple[_StoredFinding, ...]


@dataclass
class Rescreen:
    """The impact, per rule set the leads were screened under (a file apart from the
    shipped rule set of its id), and what was stored."""

    new: RuleSet
    groups: list[tuple[RuleSet, Impact]] = field(default_factory=list)
    counts: StoreCounts = field(default_factory=StoreCounts)
    leads: int = 0
    invalid: list[tuple[str, str]] = field(default_factory=list)  # lead, reason
    adopted: bool = False
    run_id: int | None = None  # the run that stored the rescreen

    def summary_line(self) -> str:
        c = self.counts
        state = "已采用为当前结论" if self.adopted else "试算，未改变当前结论"
        state_en = (
            "adopted as current"
            if self.adopted
            else "trial, current decisions unchanged"
        )
        return (
            f"重新筛查 {self.leads} 个项目（{state}）：新存 {c.stored}，已有 {c.duplicates}，无法筛查 "
            f"{len(self.invalid)} / rescreened {self.leads} lead(s) ({state_en}): {c.stored} stored, "
            f"{c.duplicates} already there, {len(self.invalid)} could not be screened"
        )


def rescreen(
    register: Register,
    rules_ref: str,
    as_of: dt.date,
    filters: Filters,
    lang: str,
    actor: str,
    adopt: bool = False,
) -> Rescreen:
    """Screen each matching lead's current values under `rules_ref` and store the results."""
    from screening.errors import ScreeningError
    from screening.inputs import convert_inputs
    from screening.loader import load_ruleset
    from screening.report.contract import contract_bytes
    from screening.report.explain import shown_score
    from screening.screener import Screener

    new = load_ruleset(rules_ref, as_of=as_of)
    screener = Screener(new)
    result = Rescreen(new, adopted=adopt)
    run = register.start_run("rescreen", new, rules_ref, lang, actor, adopted=adopt)
    result.run_id = run.id
    codec = FindingCodec()
    # (old snapshot, the file it was given as) → (lead, before, after)
    pairs: dict[tuple[int, str | None], list[tuple[str, Any, Any]]] = {}
    old_rules: dict[int, list[list[str]]] = {}
    pending: list[Pending] = []
    with register.read() as conn:
        leads = list(register.iter_leads(conn, filters))
    for start in range(0, len(leads), _PAGE):
        page = leads[start : start + _PAGE]
        by_pk = {lead["lead_pk"]: lead for lead in page}
        with register.read() as conn:
            current = list(current_screenings(conn, list(by_pk)).values())
            rows = conn.execute(
                select(
                    screenings.c.lead_id,
                    screenings.c.snapshot_id,
                    screenings.c.decision,
                    screenings.c.score,
                    screenings.c.findings,
                    screenings.c["values"],
                    runs.c.rules_ref,
                )
                .outerjoin(runs, runs.c.id == screenings.c.run_id)
                .where(screenings.c.id.in_(current))
                .order_by(screenings.c.lead_id)
            ).fetchall()
            for snapshot_id in {r.snapshot_id for r in rows} - set(old_rules):
                old_rules[snapshot_id] = json.loads(
                    conn.execute(
                        select(snapshots.c.rules).where(snapshots.c.id == snapshot_id)
                    ).scalar_one()
                )
        for row in rows:
            lead = by_pk[row.lead_id]
            result.leads += 1
            values = decode_values(row._mapping["values"])
            try:
                values = convert_inputs(values, new.inputs)
                decision = screener.screen_values(values)
                line = contract_bytes(decision, new, lang)
            except ScreeningError as exc:
                result.invalid.append((lead["key"], exc.diagnostics[0].message))
                continue
            findings = decode_findings(row.findings, old_rules[row.snapshot_id])
            before = StoredDecision(
                Outcome(row.decision),
                None if row.score is None else Fraction(row.score),
                tuple(_StoredFinding(f["rule"], Status(f["status"])) for f in findings),
            )
            # compared as shown (two decimals), as the stored score is
            after = decision._replace(
                score=shown_score(
                    decision.score, decision.pass_mark, decision.review_band
                )
            )
            screened_under = (row.snapshot_id, ruleset_file(row.rules_ref))
            pairs.setdefault(screened_under, []).append((lead["key"], before, after))
            pending.append(
                Pending(
                    None,
                    decision.outcome.value,
                    record_of(values, decision, line, codec),
                    lead=lead["key"],
                )
            )
            if len(pending) >= 2_000:
                result.counts.add(register.store(run, pending))
                pending = []
    if pending:
        result.counts.add(register.store(run, pending))
    register.finish_run(run, result.leads, result.counts, len(result.invalid))
    for (snapshot_id, path), group in sorted(
        pairs.items(), key=lambda item: (item[0][0], item[0][1] or "")
    ):
        old = register.snapshot_ruleset(snapshot_id)
        old.path = path  # a draft file is not the shipped rule set of its id
        result.groups.append((old, compare(rule_changes(old, new), group)))
    return result


def render_rescreen(result: Rescreen, fmt: str) -> str:
    """Each group's impact as `screening diff` renders it."""
    from screening.report.workbench import render_diff

    if not result.groups:
        empty = Impact(rule_changes(result.new, result.new))
        return render_diff(empty, result.new, result.new, fmt)
    if fmt == "json" and len(result.groups) > 1:
        parts = [
            json.loads(render_diff(impact, old, result.new, fmt))
            for old, impact in result.groups
        ]
        return json.dumps(parts, ensure_ascii=False, indent=2) + "\n"
    return "\n".join(
        render_diff(impact, old, result.new, fmt) for old, impact in result.groups
    )

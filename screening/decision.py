"""Findings → the decision, by what each rule's kind does when it fails or lacks data.

1. any veto or gate failed → reject;
2. otherwise any veto/gate/review input missing, or a review rule triggered → review;
3. otherwise the score against the pass mark and review band (no score rules: pass).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from screening.findings import Decision, Finding, Outcome, Status
from screening.kinds import Effect, RuleKind
from screening.loader import pass_mark
from screening.model.effective import RuleSet
from screening.score import total_score


def outcome(failed_hard: bool, to_review: bool, score: Fraction | None, mark: Fraction | None,
            review_band: Fraction) -> Outcome:
    """reject when a veto or gate failed; review when a veto/gate/review input is missing
    or a review rule triggered (`to_review`); else by the score against the pass mark."""
    if failed_hard:
        return Outcome.REJECT
    if to_review:
        return Outcome.REVIEW
    if mark is None or score is None:
        return Outcome.PASS
    if score >= mark:
        return Outcome.PASS
    if score >= mark - review_band:
        return Outcome.REVIEW
    return Outcome.REJECT


class Decider:
    """Makes one rule set's decisions; its kinds are read once, findings follow the rules."""

    def __init__(self, ruleset: RuleSet, kinds: Sequence[RuleKind]) -> None:
        self.ruleset = ruleset
        self.kinds = tuple(kinds)
        mark, band = pass_mark(ruleset)
        self.pass_mark = Fraction(mark) if mark is not None else None
        self.review_band = Fraction(band)
        self.has_score = any(kind.scored for kind in kinds)

    def decide(self, values: dict[str, Any], findings: Sequence[Finding]) -> Decision:
        """The decision for one project's findings (in rule-set order)."""
        vetoed: list[str] = []
        rejected: list[str] = []
        reviewed: list[str] = []
        scored: list[Finding] = []
        bonuses: list[Finding] = []
        missing: set[str] = set()
        missing_hard = False  # a rule whose kind blocks on missing data lacks it
        for kind, finding in zip(self.kinds, findings):
            status = finding.status
            if status is Status.FAIL:
                effect = kind.effect
                if effect is Effect.VETO:
                    vetoed.append(finding.rule)
                elif effect is Effect.REJECT:
                    rejected.append(finding.rule)
                elif effect is Effect.REVIEW:
                    reviewed.append(finding.rule)
            elif status is Status.MISSING and kind.lists_missing:
                missing.update(finding.missing)
                missing_hard = missing_hard or kind.missing_blocks
            if kind.scored:
                scored.append(finding)
            elif kind.bonus:
                bonuses.append(finding)
        # bonus points count only on top of a score: a rule set without score rules has none
        score = total_score(scored, bonuses, self.ruleset.weights) if self.has_score else None
        rs = self.ruleset
        return Decision(
            project_id=_text(values.get("id")), project_name=_text(values.get("name")),
            project_company=_text(values.get("company")),
            ruleset_id=rs.id, ruleset_version=rs.version, ruleset_sha256=rs.sha256, as_of=rs.as_of,
            outcome=outcome(bool(vetoed or rejected), missing_hard or bool(reviewed), score, self.pass_mark,
                            self.review_band),
            score=score, pass_mark=self.pass_mark, review_band=self.review_band,
            vetoed_by=tuple(vetoed), rejected_by=tuple(rejected), reviewed_by=tuple(reviewed),
            missing=tuple(sorted(missing)), findings=tuple(findings),
        )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)

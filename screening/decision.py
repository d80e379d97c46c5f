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


def outcome(
    failed_hard: bool,
    to_review: bool,
    score: Fraction | None,
    mark: Fraction | None,
    review_band: Fraction,
) -> Outcome:
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
        mark, band = pass_mark(ruleset)
        self.pass_mark = Fraction(mark) if mark is not None else None
        self.review_band = Fraction(band)
        self.has_score = any(kind.scored for kind in kinds)
        # per rule, in order: what its failure does, and what its missing data does
        self._on_fail = [kind.effect for kind in kinds]
        self._on_missing = [(kind.lists_missing, kind.missing_blocks) for kind in kinds]
        self._scored = [index for index, kind in enumerate(kinds) if kind.scored]
        self._bonus = [index for index, kind in enumerate(kinds) if kind.bonus]

    def decide(self, values: dict[str, Any], findings: Sequence[Finding]) -> Decision:
        """The decision for one project's findings (in rule-set order)."""
        vetoed: list[str] = []
        rejected: list[str] = []
        reviewed: list[str] = []
        missing: set[str] = set()
        missing_hard = False  # a rule whose kind blocks on missing data lacks it
        for index, finding in enumerate(findings):
            status = finding.status
            if status is Status.PASS or status is Status.NOT_APPLICABLE:
                continue
            if status is Status.FAIL:
                effect = self._on_fail[index]
                if effect is Effect.VETO:
                    vetoed.append(finding.rule)
                elif effect is Effect.REJECT:
                    rejected.append(finding.rule)
                elif effect is Effect.REVIEW:
                    reviewed.append(finding.rule)
            else:  # missing
                listed, blocks = self._on_missing[index]
                if listed:
                    missing.update(finding.missing)
                    missing_hard = missing_hard or blocks
        # bonus points count only on top of a score: a rule set without score rules has none
        score = None
        if self.has_score:
            score = total_score(
                [findings[i] for i in self._scored],
                [findings[i] for i in self._bonus],
                self.ruleset.weights,
            )
        rs = self.ruleset
        return Decision(
            _text(values.get("id")),
            _text(values.get("name")),
            _text(values.get("company")),
            rs.id,
            rs.version,
            rs.sha256,
            rs.as_of,
            outcome(
                bool(vetoed or rejected),
                missing_hard or bool(reviewed),
                score,
                self.pass_mark,
                self.review_band,
            ),
            score,
            self.pass_mark,
            self.review_band,
            tuple(vetoed),
            tuple(rejected),
            tuple(reviewed),
            tuple(sorted(missing)),
            tuple(findings),
        )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)

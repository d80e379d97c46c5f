"""Findings → the decision, by what each rule's kind does when it fails or lacks data.

1. any veto or gate failed → reject;
2. otherwise any veto/gate/review input missing, or a review rule triggered → review;
3. otherwise the score against the pass mark and review band (no score rules: pass),
   compared as integer ratios.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from screening.expr.evaluate import exact
from screening.findings import Decision, Finding, Outcome, Status, new_record
from screening.kinds import Effect, RuleKind
from screening.loader import pass_mark
from screening.model.effective import RuleSet
from screening.score import Scorer


class Decider:
    """Makes one rule set's decisions; its kinds are read once, findings follow the rules."""

    def __init__(self, ruleset: RuleSet, kinds: Sequence[RuleKind]) -> None:
        self.ruleset = ruleset
        mark, band = pass_mark(ruleset)
        self.pass_mark = Fraction(mark) if mark is not None else None
        self.review_band = Fraction(band)
        self.has_score = any(kind.scored for kind in kinds)
        # per rule, in order: the list its failure goes to (vetoed, rejected, reviewed
        # by index, or None), whether its missing fields are listed, and whether they block
        lists = {Effect.VETO: 0, Effect.REJECT: 1, Effect.REVIEW: 2}
        self._rules = [
            (lists.get(kind.effect), kind.lists_missing, kind.missing_blocks)
            for kind in kinds
        ]
        self._scorer = Scorer.for_kinds(kinds, ruleset.weights)
        # the pass mark and the foot of the review band as integer ratios
        self._marks = (
            None
            if self.pass_mark is None
            else (
                self.pass_mark.as_integer_ratio(),
                (self.pass_mark - self.review_band).as_integer_ratio(),
            )
        )
        rs = ruleset
        self._ruleset = (rs.id, rs.version, rs.sha256, rs.as_of)

    def decide(self, values: dict[str, Any], findings: Sequence[Finding]) -> Decision:
        """The decision for one project's findings (in rule-set order)."""
        rules = self._rules
        if len(findings) != len(rules):
            raise ValueError(f"{len(findings)} findings for {len(rules)} rules")
        failed: tuple[list[str], list[str], list[str]] = ([], [], [])
        missing: set[str] | None = None
        missing_hard = False  # a rule whose kind blocks on missing data lacks it
        passed, inapplicable, fail = _PASS, _NOT_APPLICABLE, _FAIL
        for index, finding in enumerate(findings):
            status = finding.status
            if status is not passed and status is not inapplicable:
                effect, listed, blocks = rules[index]
                if status is fail:
                    if effect is not None:
                        failed[effect].append(finding.rule)
                elif listed:  # missing
                    if missing is None:
                        missing = set(finding.missing)
                    else:
                        missing.update(finding.missing)
                    missing_hard = missing_hard or blocks
        vetoed, rejected, reviewed = failed
        # bonus points count only on top of a score: a rule set without score rules has none
        ratio = self._scorer.ratio(findings) if self.has_score else None
        if vetoed or rejected:
            decided = _REJECT
        elif missing_hard or reviewed:
            decided = _REVIEW
        elif self._marks is None or ratio is None:
            decided = _PASS_OUTCOME
        else:
            num, den = ratio
            (mark_num, mark_den), (foot_num, foot_den) = self._marks
            if num * mark_den >= mark_num * den:
                decided = _PASS_OUTCOME
            elif num * foot_den >= foot_num * den:
                decided = _REVIEW
            else:
                decided = _REJECT
        get = values.get
        identity, name, company = get("id"), get("name"), get("company")
        rs_id, version, sha256, as_of = self._ruleset
        return new_record(
            Decision,
            (
                None if identity is None else str(identity),
                None if name is None else str(name),
                None if company is None else str(company),
                rs_id,
                version,
                sha256,
                as_of,
                decided,
                None if ratio is None else _score(*ratio),
                self.pass_mark,
                self.review_band,
                tuple(vetoed) if vetoed else (),
                tuple(rejected) if rejected else (),
                tuple(reviewed) if reviewed else (),
                tuple(sorted(missing)) if missing else (),
                findings if type(findings) is tuple else tuple(findings),
            ),
        )


def _score(num: int, den: int) -> Fraction:
    """The score num / den (den > 0) as a Fraction: a whole one from `_WHOLE`, made once
    (a Fraction is an object the cyclic collector tracks as long as it lives, and a
    decision keeps its score)."""
    whole, rest = divmod(num, den)
    if rest == 0 and 0 <= whole <= 100:
        return _WHOLE[whole]
    return exact(num, den)


_WHOLE = tuple(Fraction(points) for points in range(101))
_PASS, _NOT_APPLICABLE, _FAIL = Status.PASS, Status.NOT_APPLICABLE, Status.FAIL
_PASS_OUTCOME, _REVIEW, _REJECT = Outcome.PASS, Outcome.REVIEW, Outcome.REJECT

"""review (复核): a condition that, when triggered, sends the project to a person for review."""

from __future__ import annotations

from typing import Literal

from screening.findings import Finding
from screening.kinds.base import Effect, Words
from screening.kinds.check import CheckKind
from screening.model.ruleset import CheckRule

# a review rule reports the requirement that avoids review; the trigger is its negation
_TRIGGER = {">=": "<", ">": "<=", "<=": ">", "<": ">="}


class ReviewRule(CheckRule):
    kind: Literal["review"]


class Review(CheckKind):
    name = "review"
    shape = ReviewRule
    effect = Effect.REVIEW

    def comparison(self, finding: Finding, words: Words) -> str:
        if finding.op not in _TRIGGER:
            return super().comparison(finding, words)
        trigger = words.text(f"trigger.{_TRIGGER[finding.op]}")
        return words.say(
            finding, f"finding.review_{finding.status.value}", trigger=trigger
        )


KIND = Review()

"""Findings and decisions → sentences in zh or en, shared by every renderer."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

from screening.findings import Decision, Finding, Kind, Outcome, Remedy, Status
from screening.messages import text
from screening.model.effective import RuleSet
from screening.model.project import FIELDS


def number(value: Any, places: int = 4) -> Any:
    """A Fraction/Decimal as a JSON-friendly int or float, rounded to `places` decimals."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (Fraction, Decimal, int)):
        fraction = Fraction(value)
        if fraction.denominator == 1:
            return fraction.numerator
        exact = Decimal(fraction.numerator) / Decimal(fraction.denominator)
        rounded = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN).normalize()
        return int(rounded) if rounded == rounded.to_integral_value() else float(rounded)
    if isinstance(value, tuple):
        return [number(v, places) for v in value]
    return value


def show(value: Any, lang: str = "zh") -> str:
    """A value as text: numbers without trailing zeros, booleans as 是/否."""
    if isinstance(value, bool):
        return text("answer_yes" if value else "answer_no", lang)
    value = number(value)
    if isinstance(value, float):
        return f"{value:f}".rstrip("0").rstrip(".")
    return "" if value is None else str(value)


def _unit(unit: str | None) -> str:
    return f" {unit}" if unit else ""


def field_title(path: str, ruleset: RuleSet, lang: str) -> str:
    spec = FIELDS.get(path)
    if spec is not None:
        return spec.title_en if lang == "en" else spec.title_zh
    declared = ruleset.inputs.get(path)
    if declared is not None and declared.title is not None:
        return declared.title.get(lang)
    param = ruleset.parameters.get(path)
    if param is not None and param.title is not None:
        return param.title.get(lang)
    return path


def rule_title(finding_rule: str, ruleset: RuleSet, lang: str) -> str:
    rule = _rule(ruleset, finding_rule)
    if rule is not None and rule.spec.title is not None:
        return rule.spec.title.get(lang)
    return finding_rule


def _rule(ruleset: RuleSet, rule_id: str) -> Any:
    for rule in ruleset.rules:
        if rule.id == rule_id:
            return rule
    return None


def finding_message(finding: Finding, ruleset: RuleSet, lang: str) -> str:
    """The sentence explaining one finding."""
    rule = _rule(ruleset, finding.rule)
    title = rule_title(finding.rule, ruleset, lang)
    unit = _unit(finding.unit)
    params = {
        "title": title, "actual": show(finding.actual, lang), "unit": unit,
        "threshold": _threshold(finding, lang), "op": text(f"op.{finding.op}", lang) if finding.op else "",
        "points": show(finding.points), "max_points": show(finding.max_points),
    }
    status = finding.status
    if status is Status.MISSING:
        fields = "、" if lang == "zh" else ", "
        return text("finding.missing", lang, title=title,
                    fields=fields.join(field_title(f, ruleset, lang) for f in finding.missing))
    if status is Status.NOT_APPLICABLE:
        return text(f"finding.{finding.reason}", lang, title=title, **finding.reason_params)
    if status is Status.FAIL and rule is not None and rule.spec.message is not None:
        try:
            return rule.spec.message.get(lang).format(**params)
        except (KeyError, IndexError, ValueError):
            return rule.spec.message.get(lang)
    if finding.kind is Kind.SCORE or (finding.kind is Kind.BONUS and rule is not None and rule.value is not None):
        return text("finding.score", lang, **params)
    if finding.kind is Kind.BONUS:
        return text(f"finding.bonus_{status.value}", lang, **params)
    if finding.kind is Kind.DERIVE:
        return text(f"finding.derive_{status.value}", lang, **params)
    if finding.op is not None and finding.actual is not None:
        if finding.kind is Kind.REVIEW and finding.op in _TRIGGER:
            return text(f"finding.review_{status.value}", lang, trigger=text(f"trigger.{_TRIGGER[finding.op]}", lang), **params)
        return text(f"finding.numeric_{status.value}", lang, **params)
    return text(f"finding.{status.value}", lang, **params)


# a review rule reports the requirement that avoids review; the trigger is its negation
_TRIGGER = {">=": "<", ">": "<=", "<=": ">", "<": ">="}


def _threshold(finding: Finding, lang: str) -> str:
    if finding.op == "between" and isinstance(finding.threshold, tuple):
        low, high = finding.threshold
        return text("finding.between", lang, low=show(low), high=show(high))
    return show(finding.threshold, lang)


def remedy_text(finding: Finding, ruleset: RuleSet, lang: str) -> str | None:
    """What would flip this finding, or None when nothing is to be done."""
    remedy = finding.remedy
    if remedy is None:
        return None
    title = rule_title(finding.rule, ruleset, lang)
    if remedy.code == "veto":
        return text("remedy.veto", lang)
    if remedy.code == "condition":
        return text("remedy.condition", lang, title=title)
    options = _options(remedy, ruleset, lang)
    if remedy.code == "score":
        if options:
            return text("remedy.score", lang, options=options, gain=show(remedy.gain))
        return text("remedy.score_plain", lang, title=title, value=show(remedy.target),
                    unit=_unit(finding.unit), gain=show(remedy.gain))
    if options:
        return options
    relation = ">=" if finding.op in (">=", ">", "between") else "<="
    return text("remedy.numeric_none", lang, title=title, relation=text(f"relation.{relation}", lang),
                value=show(remedy.target), unit=_unit(finding.unit))


def _options(remedy: Remedy, ruleset: RuleSet, lang: str) -> str:
    parts = [
        text("remedy.option", lang, field=field_title(o.field, ruleset, lang),
             relation=text(f"relation.{o.relation}", lang), value=show(o.value), unit=_unit(o.unit))
        for o in remedy.options
    ]
    return text("or", lang).join(parts)


def summary_lines(decision: Decision, ruleset: RuleSet, lang: str) -> list[str]:
    """What it would take for the project to pass, most decisive first."""
    if decision.outcome is Outcome.PASS:
        return []
    lines = []
    if decision.vetoed_by:
        lines.append(text("summary.vetoed", lang, rules="、".join(
            rule_title(r, ruleset, lang) for r in decision.vetoed_by)))
    by_id = {f.rule: f for f in decision.findings}
    for rule_id in decision.rejected_by:
        finding = by_id[rule_id]
        lines.append(text("summary.gate", lang, title=rule_title(rule_id, ruleset, lang),
                          remedy=remedy_text(finding, ruleset, lang) or ""))
    if decision.missing:
        sep = "、" if lang == "zh" else ", "
        lines.append(text("summary.missing", lang, fields=sep.join(
            field_title(f, ruleset, lang) for f in decision.missing)))
    for rule_id in decision.reviewed_by:
        lines.append(text("summary.review_rule", lang, title=rule_title(rule_id, ruleset, lang)))
    if decision.pass_mark is not None and decision.score is not None and decision.score < decision.pass_mark:
        lines.append(text("summary.score_short", lang, score=show(round_score(decision.score)),
                          pass_mark=show(decision.pass_mark),
                          gap=show(round_score(decision.pass_mark - decision.score))))
        gains = sorted(
            (f for f in decision.findings if f.remedy is not None and f.remedy.code == "score"),
            key=lambda f: (-(f.remedy.gain or 0), f.rule),  # type: ignore[union-attr]
        )
        for finding in gains[:3]:
            lines.append(text("summary.improve", lang, text=remedy_text(finding, ruleset, lang)))
    return lines


def round_score(score: Fraction | None) -> Fraction | None:
    """Scores are shown to two decimals (exact value kept for the decision)."""
    if score is None:
        return None
    return Fraction(round(score * 100), 100)

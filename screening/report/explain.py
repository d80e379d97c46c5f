"""Findings and decisions → sentences in zh or en, shared by every renderer.

An `Explainer` holds one rule set's titles and templates for one language, so
rendering a batch does no repeated lookups.
"""

from __future__ import annotations

import json
import re
from decimal import ROUND_HALF_EVEN, Context, Decimal
from fractions import Fraction
from string import Formatter
from typing import Any

from screening.expr import nodes as n
from screening.findings import (
    BranchFinding,
    Decision,
    Finding,
    Kind,
    Outcome,
    Remedy,
    RemedyOption,
    Status,
)
from screening.messages import catalogue, text
from screening.model.effective import EffectiveRule, RuleSet
from screening.model.project import FIELDS, input_kinds

# a review rule reports the requirement that avoids review; the trigger is its negation
_TRIGGER = {">=": "<", ">": "<=", "<=": ">", "<": ">="}
# Memoised messages and rendered findings, per explainer: enough for the findings that
# repeat across a batch, small enough that a million-row batch stays flat in memory.
MEMO_LIMIT = 5_000
RULE_MEMO_LIMIT = 1_000  # JSON texts per rule, keyed by the identity of the screener's memoised findings
_DISPLAY = Context(prec=28)
HOLE = "\x00"  # stands for the value a memoised sentence is missing (see Explainer.padded)
# a str as JSON writes it with ensure_ascii=False: called directly, as JSONEncoder.encode
# builds a whole encoder for anything but a str
json_string = json.encoder.encode_basestring
_json_plain = re.compile(r'[^"\\\x00-\x1f]*').fullmatch  # text that JSON writes as it is
_QUANTUM = {places: Decimal(1).scaleb(-places) for places in range(0, 9)}


def number(value: Any, places: int = 4) -> Any:
    """A Fraction/Decimal as a JSON-friendly int or float, rounded to `places` decimals."""
    if value is _last[0] and places == _last[1]:
        return _last[2]
    result = _number(value, places)
    if type(value) is Decimal:
        _last[:] = (value, places, result)
    return result


# The last Decimal rounded, with its places and result: a new finding's actual value is
# rounded twice in a row (for its JSON, then for its sentence). Compared by identity.
_last: list[Any] = [None, 0, None]


def _number(value: Any, places: int) -> Any:
    kind = type(value)  # exact types first: this runs for every number in every report
    if kind is Fraction:
        if value.denominator == 1:
            return value.numerator
        # no memo keyed on the Fraction: hashing one costs more than this division
        return _rounded(_DISPLAY.divide(Decimal(value.numerator), Decimal(value.denominator)), places)
    if value is None or kind is int or kind is bool:
        return value
    if kind is Decimal:
        if value == value.to_integral_value():
            return int(value)
        return _rounded(value, places)
    if isinstance(value, Fraction):
        return number(Fraction(value), places)
    if isinstance(value, Decimal):
        return number(Decimal(value), places)
    if isinstance(value, (bool, int)):
        return value
    if isinstance(value, tuple):
        return [number(v, places) for v in value]
    return value


def _rounded(exact: Decimal, places: int) -> int | float:
    # not memoised: the values that reach here are mostly new (a ratio's quotient), and
    # hashing a long Decimal costs more than rounding it
    # an explicit context: rounding here must work even inside screening's EXACT context
    rounded = exact.quantize(_QUANTUM[places], ROUND_HALF_EVEN, _DISPLAY)
    return int(rounded) if rounded == rounded.to_integral_value() else float(rounded)


def show(value: Any, lang: str = "zh") -> str:
    """A value as text: numbers without trailing zeros, booleans as 是/否."""
    if isinstance(value, bool):
        return text("answer_yes" if value else "answer_no", lang)
    value = number(value)
    if isinstance(value, float):
        return f"{value:f}".rstrip("0").rstrip(".")
    return "" if value is None else str(value)


def round_score(score: Fraction | None) -> Fraction | None:
    """Scores are shown to two decimals (the exact value decides)."""
    if score is None:
        return None
    return Fraction(round(score * 100), 100)


# project fields that are shares (0–1), shown as percentages in prose; a rule set adds
# its declared inputs marked `percent: true`
_SHARES = frozenset(path for path, kind in input_kinds().items() if kind == "fraction")


def _shares(ruleset: RuleSet) -> frozenset[str]:
    return _SHARES | {
        path for path, declared in ruleset.inputs.items() if declared.percent
    }


def _compares_a_share(
    node: n.Node | None, value: n.Node | None, shares: frozenset[str]
) -> bool:
    if isinstance(node, n.Compare):
        node = node.left
    elif isinstance(node, n.Call) and node.func == "between":
        node = node.args[0]
    else:
        node = value
    return isinstance(node, n.Name) and node.name in shares


def _percent(value: Any, lang: str = "zh") -> str:
    """A fraction shown as a percentage: 0.3 → "30%"."""
    if value is None or isinstance(value, bool):
        return show(value, lang)
    if type(value) is Decimal:  # × 100 by moving the point, rounded as a Fraction's quotient would be
        return show(_DISPLAY.plus(value.scaleb(2)), lang) + "%"
    return show(Fraction(value) * 100, lang) + "%"


def _option_value(option: RemedyOption, shares: set[str] | frozenset[str]) -> str:
    """A remedy option's figure as shown, rounded in the unit it is shown in, in the
    safe direction: a share as a percentage to 2 decimals (2.2%, not 3%), people as a
    whole number."""
    if option.field in shares:
        return show(safe_bound(option.value * 100, option.relation, 2)) + "%"
    places = 0 if option.unit in _COUNTS else 2
    return show(safe_bound(option.value, option.relation, places))


def _plain_holes(template: str, name: str) -> bool:
    """Whether every `{name}` in a format template is bare (no conversion or format spec)."""
    try:
        return all(
            not spec and not conversion for _, field, spec, conversion in Formatter().parse(template) if field == name)
    except ValueError:  # not a valid template: rendered as written, see _sentence
        return False


def _numeric(finding: Finding, rule: EffectiveRule) -> bool:
    """Whether a finding's sentence is the numeric kind (actual, requirement, points)."""
    status, kind = finding.status, finding.kind
    return not (status is Status.MISSING or status is Status.NOT_APPLICABLE or kind is Kind.DERIVE
                or kind is Kind.INFO or finding.branches
                or (kind is Kind.BONUS and rule.value is None))


def unit_label(unit: str | None, lang: str = "zh") -> str:
    """A unit as written in `lang`: 万元/亩 in Chinese, "×10k CNY/mu" in English.

    English names come from one table, messages/en.yaml `units`."""
    if not unit or lang != "en":
        return unit or ""
    names = catalogue("en")["units"]
    whole = names.get(unit)
    if whole is not None:
        return str(whole)
    # factor by factor (万元/t → ×10k CNY/t); a factor not in the table stays as written
    parts = unit.split("/")
    return "/".join("·".join(str(names.get(f, f)) for f in p.split("·")) for p in parts)


def _unit(unit: str | None, lang: str) -> str:
    return f" {unit_label(unit, lang)}" if unit else ""


_COUNTS = {"人"}  # units of whole things: a remedy in people is a whole number


def safe_bound(value: Fraction, relation: str, places: int) -> Fraction:
    """`value` rounded to `places` decimals in the direction that keeps `relation` met:
    up for 不低于 / 高于, down for 不超过 / 低于 (meeting the shown figure suffices)."""
    scale = 10**places
    scaled = value.numerator * scale
    if relation in (">=", ">"):
        return Fraction(-(-scaled // value.denominator), scale)
    return Fraction(scaled // value.denominator, scale)


class Explainer:
    """Writes one rule set's findings, remedies and summaries in one language."""

    def __init__(self, ruleset: RuleSet, lang: str) -> None:
        self.ruleset = ruleset
        self.lang = lang
        self.rules: dict[str, EffectiveRule] = {rule.id: rule for rule in ruleset.rules}
        self.positions = {rule.id: index for index, rule in enumerate(ruleset.rules)}
        self.titles = {
            rule.id: rule.spec.title.get(lang) if rule.spec.title is not None else rule.id for rule in ruleset.rules
        }
        self.sep = "、" if lang == "zh" else ", "
        # checks on a share (建筑系数 0.5) read as percentages in prose; JSON keeps fractions
        self.shares = _shares(ruleset)
        self.percent = {
            rule.id
            for rule in ruleset.rules
            if _compares_a_share(rule.condition, rule.value, self.shares)
        }
        # require_any rules: each branch's name, title and whether it compares a share
        self.branches: dict[str, list[tuple[str, str, bool]]] = {
            rule.id: [
                (branch.name, branch.title.get(lang) if branch.title else branch.name,
                 _compares_a_share(node, None, self.shares))
                for branch, (node, _) in zip(
                    rule.spec.require_any, rule.branches, strict=True  # type: ignore[union-attr]
                )
            ]
            for rule in ruleset.rules
            if rule.branches
        }
        # rules whose own message formats {actual} with a spec ({actual:>8}), or whose text holds
        # the hole character (found when first rendered): their sentences are memoised whole,
        # with the actual value in the key, not with a hole for it
        self.padded = {rule.id for rule in ruleset.rules
                       if rule.spec.message is not None and not _plain_holes(rule.spec.message.get(lang), "actual")}
        self._messages: dict[int, tuple[Finding, str]] = {}
        self._remedies: dict[int, tuple[Finding, str | None]] = {}
        self._gate_lines: dict[int, tuple[Finding, str]] = {}
        # numeric sentences split at the actual value, as text and JSON-escaped
        self._sentences: dict[tuple[Any, ...], tuple[list[str], list[str]]] = {}
        self._option_sentences: dict[tuple[str, str, str], list[str]] = {}  # by field, relation, unit: few
        # whole findings rendered, see contract.py
        self.rendered: dict[Finding, dict[str, Any]] = {}
        self.encoded: list[dict[int, tuple[Finding, str]]] = []  # per rule: id(finding) → JSON text
        self.encoded_heads: dict[tuple[Any, ...], str] = {}  # rule set and as-of → their JSON text
        # a finding's JSON text around its varying parts, with its sentence's parts (contract.py)
        self.frames: dict[tuple[Any, ...], tuple[list[str], tuple[list[str], Any] | None]] = {}

    def field_title(self, path: str) -> str:
        spec = FIELDS.get(path)
        if spec is not None:
            return spec.title_en if self.lang == "en" else spec.title_zh
        ruleset = self.ruleset
        for table in (ruleset.inputs, ruleset.parameters, ruleset.metrics):
            declared = table.get(path)
            if declared is not None and declared.title is not None:
                return declared.title.get(self.lang)
        return path

    def message(self, finding: Finding) -> str:
        """The sentence explaining one finding (memoised: most findings repeat across a batch)."""
        return self._memoised(self._messages, finding, self._message)

    def _memoised(self, memo: dict[int, tuple[Finding, Any]], finding: Finding, render: Any) -> Any:
        # Keyed by identity: the screener hands back the same Finding for a repeat, and
        # hashing a finding (its Fractions) would cost more than most renderings.
        hit = memo.get(id(finding))
        if hit is None or hit[0] is not finding:
            if len(memo) > MEMO_LIMIT:
                memo.clear()
            hit = memo[id(finding)] = (finding, render(finding))  # the entry keeps the finding, and its id, alive
        return hit[1]

    def _message(self, finding: Finding) -> str:
        parts, shown = self._sentence_parts(finding, escaped=False)
        return shown(finding.actual, self.lang).join(parts) if len(parts) > 1 else parts[0]

    def message_json(self, finding: Finding, sentence: tuple[list[str], Any] | None = None) -> str:
        """`message(finding)` as a JSON string, not memoised by finding: a batch writes each
        finding's JSON once. A numeric sentence's parts are kept JSON-escaped beside it;
        `sentence` is those parts as `numeric_sentence` gave them, when the caller kept them."""
        parts, shown = sentence or self._sentence_parts(finding, escaped=True)
        if len(parts) == 1:
            return f'"{parts[0]}"'
        actual = shown(finding.actual, self.lang)
        if _json_plain(actual) is None:  # never for figures; a sentence written out is always right
            return json_string(self._message(finding))
        return f'"{actual.join(parts)}"'

    def numeric_sentence(self, finding: Finding) -> tuple[list[str], Any] | None:
        """The JSON-escaped parts of a numeric finding's sentence and what shows its actual
        value, for a caller to keep under a key covering all else the sentence depends on
        (rule, status, threshold, unit, points); None where the sentence is not of that kind."""
        rule = self.rules[finding.rule]
        if not _numeric(finding, rule):
            return None
        sentence = self._numeric_parts(finding, rule, escaped=True)
        return None if finding.rule in self.padded else sentence  # padded: the sentence holds the actual

    def _sentence_parts(self, finding: Finding, escaped: bool) -> tuple[list[str], Any]:
        """A finding's sentence as parts to join with its shown actual value (one part when the
        sentence does not show it), JSON-escaped or not, and the function showing the value."""
        lang = self.lang
        rule = self.rules[finding.rule]
        if _numeric(finding, rule):
            return self._numeric_parts(finding, rule, escaped)
        title = self.titles[finding.rule]
        status = finding.status
        if finding.branches:
            written = self._any_sentence(finding, rule, title)
        elif finding.kind is Kind.INFO:
            written = self._info_sentence(finding, rule, title)
        elif status is Status.MISSING:
            written = text("finding.missing", lang, title=title,
                           fields=self.sep.join(self.field_title(f) for f in finding.missing))
        elif status is Status.NOT_APPLICABLE:
            params = dict(finding.reason_params)
            if "divisor" in params:  # the inputs that are zero, by title
                names = params["divisor"]
                params["divisor"] = self.sep.join(map(self.field_title, names))
            written = text(f"finding.{finding.reason}", lang, title=title, **params)
        elif finding.kind is Kind.DERIVE:
            written = text(f"finding.derive_{status.value}", lang, title=title)
        else:  # a bonus with no value of its own
            written = text(f"finding.bonus_{status.value}", lang, title=title, points=show(finding.points))
        return [json_string(written)[1:-1] if escaped else written], show

    def _info_sentence(self, finding: Finding, rule: EffectiveRule, title: str) -> str:
        """An info rule: its `message` when the fact holds, else its `otherwise`."""
        if finding.status is Status.MISSING:
            return text(
                "finding.missing",
                self.lang,
                title=title,
                fields=self.sep.join(self.field_title(f) for f in finding.missing),
            )
        if finding.status is Status.NOT_APPLICABLE:
            return text(
                f"finding.{finding.reason}",
                self.lang,
                title=title,
                **dict(finding.reason_params),
            )
        holds = finding.status is Status.PASS
        own = rule.spec.message if holds else rule.spec.otherwise  # type: ignore[union-attr]
        if own is not None:
            template = own.get(self.lang)
            try:
                return template.format(title=title)
            except (KeyError, IndexError, ValueError):
                return template
        return text(f"finding.info_{finding.status.value}", self.lang, title=title)

    def _any_sentence(self, finding: Finding, rule: EffectiveRule, title: str) -> str:
        """A require_any rule: the branch that passed, or every branch's figures."""
        lang = self.lang
        names = {
            name: (branch_title, share)
            for name, branch_title, share in self.branches[finding.rule]
        }
        passed = next((b for b in finding.branches if b.status is Status.PASS), None)
        if finding.status is Status.PASS and passed is not None:
            return text(
                "finding.any_pass",
                lang,
                title=title,
                detail=self._branch_detail(passed, names),
            )
        details = text("branch_sep", lang).join(
            self._branch_detail(b, names) for b in finding.branches
        )
        if finding.status is Status.FAIL and rule.spec.message is not None:
            template = rule.spec.message.get(lang)
            try:
                return template.format(title=title, details=details)
            except (KeyError, IndexError, ValueError):
                return template
        key = {Status.FAIL: "any_fail", Status.MISSING: "any_missing"}.get(
            finding.status, "no_branch_applies"
        )
        return text(f"finding.{key}", lang, title=title, details=details)

    def _branch_detail(
        self, branch: BranchFinding, names: dict[str, tuple[str, bool]]
    ) -> str:
        lang = self.lang
        title, share = names[branch.name]
        shown = _percent if share else show
        if branch.status is Status.MISSING:
            return text(
                "branch.missing",
                lang,
                branch=title,
                fields=self.sep.join(self.field_title(f) for f in branch.missing),
            )
        if branch.status is Status.NOT_APPLICABLE:
            return text("branch.not_applicable", lang, branch=title)
        if branch.op is None or branch.actual is None:
            return text(f"branch.{branch.status.value}", lang, branch=title)
        threshold = (
            text(
                "finding.between",
                lang,
                low=shown(branch.threshold[0], lang),
                high=shown(branch.threshold[1], lang),
            )
            if branch.op == "between"
            else shown(branch.threshold, lang)
        )
        return text(
            f"branch.numeric_{branch.status.value}",
            lang,
            branch=title,
            actual=shown(branch.actual, lang),
            unit=_unit(branch.unit, lang),
            op=text(f"op.{branch.op}", lang),
            threshold=threshold,
        )

    def _numeric_parts(self, finding: Finding, rule: EffectiveRule, escaped: bool) -> tuple[list[str], Any]:
        shown = _percent if finding.rule in self.percent else show
        # Everything but the actual value repeats across a batch (a ratio rule's actual
        # rarely does): the sentence is memoised with a hole where the actual goes.
        threshold = finding.threshold
        key = (finding.rule, finding.status, finding.op, type(threshold), threshold, finding.unit,
               finding.points, finding.max_points)
        if finding.rule in self.padded:
            key += (type(finding.actual), finding.actual)
        entry = self._sentences.get(key)
        if entry is None:
            if len(self._sentences) > MEMO_LIMIT:
                self._sentences.clear()
            parts = self._sentence(finding, rule, shown)
            entry = self._sentences[key] = (parts, [json_string(part)[1:-1] for part in parts])
        return entry[escaped], shown

    def _sentence(self, finding: Finding, rule: EffectiveRule, shown: Any) -> list[str]:
        """A numeric finding's sentence, split where its actual value goes (whole for a padded rule)."""
        actual = shown(finding.actual, self.lang)
        sentence = self._written(finding, rule, shown, actual)
        if finding.rule in self.padded:
            return [sentence]
        parts = self._written(finding, rule, shown, HOLE).split(HOLE)
        if actual.join(parts) != sentence:  # the hole character in the rule's title or unit
            self.padded.add(finding.rule)
            return [sentence]
        return parts

    def _written(self, finding: Finding, rule: EffectiveRule, shown: Any, actual: str) -> str:
        lang, status, kind = self.lang, finding.status, finding.kind
        params = {
            "title": self.titles[finding.rule],
            "actual": actual,
            "unit": _unit(finding.unit, lang),
            "threshold": self._threshold(finding, shown), "op": text(f"op.{finding.op}", lang) if finding.op else "",
            "points": "" if finding.points is None else show(finding.points),
            "max_points": "" if finding.max_points is None else show(finding.max_points),
        }
        if status is Status.FAIL and rule.spec.message is not None:
            template = rule.spec.message.get(lang)
            try:
                return template.format(**params)
            except (KeyError, IndexError, ValueError):
                return template
        if kind in (Kind.SCORE, Kind.BONUS):
            return text("finding.score", lang, **params)
        if finding.op is not None and finding.actual is not None:
            if kind is Kind.REVIEW and finding.op in _TRIGGER:
                trigger = text(f"trigger.{_TRIGGER[finding.op]}", lang)
                return text(f"finding.review_{status.value}", lang, trigger=trigger, **params)
            return text(f"finding.numeric_{status.value}", lang, **params)
        return text(f"finding.{status.value}", lang, title=params["title"])

    def _threshold(self, finding: Finding, shown: Any = None) -> str:
        shown = shown or show
        if finding.op == "between" and isinstance(finding.threshold, tuple):
            low, high = finding.threshold
            return text("finding.between", self.lang, low=shown(low, self.lang), high=shown(high, self.lang))
        return shown(finding.threshold, self.lang)

    def remedy(self, finding: Finding) -> str | None:
        """What would flip this finding, or None when nothing is to be done."""
        if finding.remedy is None:
            return None
        return self._memoised(self._remedies, finding, self._remedy)

    def _remedy(self, finding: Finding) -> str | None:
        remedy = finding.remedy
        assert remedy is not None
        lang = self.lang
        title = self.titles[finding.rule]
        if remedy.code == "veto":
            return text("remedy.veto", lang)
        if remedy.code == "condition":
            return text("remedy.condition", lang, title=title)
        if remedy.code == "any":
            return self._any_remedy(finding)
        options = self._options(remedy)
        if remedy.code == "score":
            if options:
                return text("remedy.score", lang, options=options, gain=show(remedy.gain))
            return text(
                "remedy.score_plain",
                lang,
                title=title,
                value=self._target(finding, remedy.target),
                unit=_unit(finding.unit, lang),
                gain=show(remedy.gain),
            )
        if options:
            return options
        relation = ">=" if finding.op in (">=", ">", "between") else "<="
        return text(
            "remedy.numeric_none",
            lang,
            title=title,
            relation=text(f"relation.{relation}", lang),
            value=self._target(finding, remedy.target),
            unit=_unit(finding.unit, lang),
        )

    def _target(self, finding: Finding, target: Any) -> str:
        # a share's target reads as a percentage, as the finding's own sentence shows it
        if finding.rule in self.percent:
            return _percent(target, self.lang)
        return show(target, self.lang)

    def _any_remedy(self, finding: Finding) -> str:
        """A failed require_any rule: what each failed branch would take (any one)."""
        lang = self.lang
        parts = []
        for name, title, _ in self.branches[finding.rule]:
            branch = next(b for b in finding.branches if b.name == name)
            if branch.status is not Status.FAIL or branch.remedy is None:
                continue
            remedy = branch.remedy
            if remedy.code == "numeric" and remedy.options:
                what = self._options(remedy, text("or_within", lang))
            elif remedy.code == "numeric":
                relation = ">=" if branch.op in (">=", ">", "between") else "<="
                what = text(
                    "remedy.numeric_none",
                    lang,
                    title=title,
                    relation=text(f"relation.{relation}", lang),
                    value=show(remedy.target),
                    unit=_unit(branch.unit, lang),
                )
            else:
                what = text("remedy.condition", lang, title=title)
            parts.append(text("remedy.any_branch", lang, branch=title, remedy=what))
        return text("remedy.any", lang, branches=text("branch_sep", lang).join(parts))

    def _options(self, remedy: Remedy, separator: str | None = None) -> str:
        lang = self.lang
        texts = []
        for o in remedy.options:  # each option's sentence memoised with a hole for its value
            value = _option_value(o, self.shares)
            key = (o.field, o.relation, o.unit)
            parts = self._option_sentences.get(key)
            if parts is None:
                parts = self._option_sentences[key] = text(
                    "remedy.option", lang, field=self.field_title(o.field), relation=text(f"relation.{o.relation}", lang),
                    value=HOLE, unit=_unit(o.unit, lang),
                ).split(HOLE)
            if len(parts) != 2:  # a field title holding the hole character: this option without the memo
                parts = [
                    text(
                        "remedy.option",
                        lang,
                        field=self.field_title(o.field),
                        relation=text(f"relation.{o.relation}", lang),
                        value=value,
                        unit=_unit(o.unit, lang),
                    )
                ]
            texts.append(value.join(parts))
        return (separator or text("or", lang)).join(texts)

    def _gate_line(self, finding: Finding) -> str:
        return text("summary.gate", self.lang, title=self.titles[finding.rule], remedy=self.remedy(finding) or "")

    def _finding_of(self, decision: Decision, rule_id: str) -> Finding:
        findings = decision.findings
        index = self.positions.get(rule_id, len(findings))  # findings follow the rule set's order…
        if index < len(findings) and findings[index].rule == rule_id:
            return findings[index]
        return next(f for f in findings if f.rule == rule_id)  # …unless a caller built them otherwise

    def summary(self, decision: Decision) -> list[str]:
        """What it would take for the project to pass, most decisive first."""
        if decision.outcome is Outcome.PASS:
            return []
        lang = self.lang
        lines = []
        if decision.vetoed_by:
            lines.append(text("summary.vetoed", lang, rules=self.sep.join(self.titles[r] for r in decision.vetoed_by)))
        for rule_id in decision.rejected_by:
            lines.append(self._memoised(self._gate_lines, self._finding_of(decision, rule_id), self._gate_line))
        if decision.missing:
            lines.append(text("summary.missing", lang, fields=self.sep.join(self.field_title(f) for f in decision.missing)))
        for rule_id in decision.reviewed_by:
            lines.append(text("summary.review_rule", lang, title=self.titles[rule_id]))
        if decision.pass_mark is not None and decision.score is not None and decision.score < decision.pass_mark:
            lines.append(text("summary.score_short", lang, score=show(round_score(decision.score)),
                              pass_mark=show(decision.pass_mark),
                              gap=show(round_score(decision.pass_mark - decision.score))))
            gains = sorted(
                (f for f in decision.findings if f.remedy is not None and f.remedy.code == "score"),
                key=lambda f: (-(f.remedy.gain or 0), f.rule),  # type: ignore[union-attr]
            )
            for finding in gains[:3]:
                lines.append(text("summary.improve", lang, text=self.remedy(finding)))
        return lines


_cache: dict[tuple[int, str], tuple[RuleSet, Explainer]] = {}


def explainer(ruleset: RuleSet, lang: str) -> Explainer:
    """The explainer for a rule set and language, built once."""
    key = (id(ruleset), lang)
    hit = _cache.get(key)
    if hit is None or hit[0] is not ruleset:
        if len(_cache) > 32:
            _cache.clear()
        hit = _cache[key] = (ruleset, Explainer(ruleset, lang))
    return hit[1]

"""Findings and decisions → sentences in zh or en, shared by every renderer.

An `Explainer` holds one rule set's titles and templates for one language; each rule's
kind chooses its sentence (`screening.kinds`), the explainer fills it. Nothing is
remembered between findings: a finding's prose is a few template fills. `Prose` gives
the explainer's remedies and summaries from words compiled per rule set (the JSON
contract lines use it); the explainer stays the reference it is tested against.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from functools import cmp_to_key
from string import Formatter
from typing import Any

from screening.compile import COMPUTED, reported_threshold, rule_op
from screening.expr import nodes as n
from screening.findings import (
    BranchFinding,
    Decision,
    Finding,
    Outcome,
    Points,
    Remedy,
    RemedyOption,
    Status,
    option_value,
)
from screening.kinds import RuleKind, get
from screening.messages import catalogue, text
from screening.model.effective import EffectiveRule, RuleSet
from screening.model.project import FIELDS, INDUSTRY_CODES, input_kinds
from screening.report.figures import (
    SHARE_SCALE,
    apart,
    bound_text,
    figure,
    hundredths,
    json_string,
    number,
    percent,
    round_score,
    safe_bound,
    scaled,
    score_hundredths,
    show,
    shown_score,
    small_bound,
    tiny_bound,
)
from screening.score import Scorer

# the public names; the figures' texts (number, show, …) live in screening.report.figures
# and are imported from here too
__all__ = [
    "Explainer",
    "explainer",
    "json_string",
    "number",
    "percent",
    "round_score",
    "shown_score",
    "safe_bound",
    "show",
    "unit_label",
]

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


# a remedy naming the industries a rule allows or bars (kinds.check.industry_remedy),
# and the GB/T 4754-2017 levels by the length of a code (C, C26, C261, C2613)
_INDUSTRY_REMEDIES = frozenset({"industry", "industry_not"})
_INDUSTRY_LEVELS = ("section", "section", "division", "group", "class")

_COUNTS = {"人"}  # units of whole things: a remedy in people is a whole number


def inapplicable_probe(rule: EffectiveRule) -> Finding:
    """`rule`'s finding not applicable for its `applies_if`: it holds nothing of the
    project's, so a renderer writes it once and compares findings with it, whole or
    but for the reason's fields (see `Prose.reason_words`)."""
    top = getattr(rule.spec, "max_points", None)
    return Finding(
        rule.id,
        rule.spec.group,
        rule.kind,
        Status.NOT_APPLICABLE,
        unit=rule.unit,
        points=None if top is None else 0,
        max_points=None if top is None else Fraction(top),
        reason="applies_if",
    )


# int and Fraction points are the same figure (findings.Points); a float or a bool
# equal to them is written otherwise, never from a probe's words
_PROBE_POINTS = frozenset({type(None), int, Fraction})
# a Finding's reason and reason_params, by position: the fields a reason's words fill
_REASON = Finding._fields.index("reason")
_AFTER_REASON = Finding._fields.index("reason_params") + 1


def like_probe(finding: Finding, probe: Finding) -> bool | None:
    """Whether a renderer may write `finding` from its rule's `inapplicable_probe`:
    True when it equals the probe, False when it differs from it only in its reason's
    fields (未配置, a key not in a table: see `reason_values`), None otherwise."""
    if (
        finding.status is not Status.NOT_APPLICABLE
        or type(finding.points) not in _PROBE_POINTS
        or type(finding.max_points) not in _PROBE_POINTS
    ):
        return None
    reason = finding.reason
    if reason == probe.reason and finding == probe:  # else it differs from the probe
        return True
    if (
        reason is not None
        and finding[:_REASON] == probe[:_REASON]  # all but the reason's fields
        and finding[_AFTER_REASON:] == probe[_AFTER_REASON:]
    ):
        return False
    return None


# reason parameters the words show by their title (未配置: the parameter or table, as
# `shared_sentence` words them), not as given
TITLED_PARAMS = frozenset({"parameter", "table"})


def reason_values(
    params: tuple[tuple[str, Any], ...], title: Callable[[str], str]
) -> dict[str, str] | None:
    """A reason's parameters as the values its compiled words (`Prose.reason_words`)
    are filled with, a parameter or table by its `title`; None unless each is a text
    and each name is given once."""
    values = dict(params)
    for name, value in values.items():
        if type(value) is not str:
            return None
        if name in TITLED_PARAMS:
            values[name] = title(value)
    if len(values) != len(params):  # a name given twice: written per finding
        return None
    return values


def _positive(value: Any) -> bool:
    return isinstance(value, (int, Fraction, Decimal)) and value > 0


def _option_value(option: RemedyOption, shares: frozenset[str]) -> str:
    """A remedy option's figure as shown, rounded in the unit it is shown in, in the
    safe direction: a share as a percentage to 2 decimals (2.2%, not 3%), people as a
    whole number."""
    field, relation, _, _, unit = option
    value = option_value(option)
    if field in shares:
        return bound_text(value, relation, 2, 100) + "%"
    return bound_text(value, relation, 0 if unit in _COUNTS else 2)


_VARYING = (
    "actual",
    "threshold",
    "points",
)  # what a finding's sentence may show of its own
_BRACES = str.maketrans({"{": "{{", "}": "}}"})
_CONVERSIONS: dict[str, Callable[[object], str]] = {"r": repr, "s": str, "a": ascii}


def _around(template: str) -> tuple[str, str, str | None]:
    """A compiled option template as the words before and after its one bare `{value}`,
    or, where the figure has a format of its own or recurs, the template to fill."""
    parts = list(Formatter().parse(template))
    fields = [i for i, (_, name, _, _) in enumerate(parts) if name is not None]
    if len(fields) == 1 and parts[fields[0]][1:] == ("value", "", None):
        at = fields[0]
        return (
            "".join(part[0] for part in parts[: at + 1]),
            "".join(part[0] for part in parts[at + 1 :]),
            None,
        )
    return "", "", template


def _relation(op: str | None, actual: Any, target: Any) -> str:
    """Which side of its target a failed figure must move to: a range's bound is the
    one the figure is beyond (above the upper bound it must come down)."""
    if op == "between":
        try:
            above = actual is not None and target is not None and actual > target
        except TypeError:  # not two figures (a finding made by hand): the lower side
            above = False
        return "<=" if above else ">="
    return ">=" if op in (">=", ">") else "<="


class _Sentence:
    """A message template with a rule's constant words filled in, leaving its figures.

    `fill(finding)` gives exactly what filling the whole template with every parameter
    as shown text gives (`template.format(**params)`), in one format call; a template
    that does not format (an unknown placeholder, an unclosed brace) reads as written.
    """

    def __init__(
        self, explain: Explainer, rule_id: str, template: str, extra: dict[str, str]
    ) -> None:
        rule = explain.rules[rule_id]
        self.source, self.extra = template, extra
        self.shown = percent if rule_id in explain.percent else show
        # the grid its actual is shown on, kept apart from the threshold (`apart`)
        self.grid = SHARE_SCALE if rule_id in explain.percent else 10**4
        self.lang = explain.lang
        self.explain = explain
        self.op, self.unit = rule_op(rule), rule.unit
        self.threshold = reported_threshold(rule, explain.ruleset)
        max_points = getattr(rule.spec, "max_points", None)
        self.max_points = None if max_points is None else Fraction(max_points)
        constants = {
            "title": explain.titles[rule_id],
            "unit": _unit(rule.unit, explain.lang),
            "op": explain.op_text(self.op),
            "max_points": "" if self.max_points is None else show(self.max_points),
            **extra,
        }
        if self.threshold is not COMPUTED:
            constants["threshold"] = explain.threshold_text(
                self.threshold, self.op, self.shown
            )
        self.format, self.needs = _compile(template, constants)
        self.constant = None if self.needs else self.format.format_map({})

    def fits(self, finding: Finding) -> bool:
        """Whether the finding holds this rule's own operator, unit, most points and fixed
        threshold, the words compiled in."""
        return not (
            finding.op != self.op
            or (finding.unit or None) != (self.unit or None)
            or finding.max_points != self.max_points
            or (
                self.threshold is not COMPUTED
                and finding.threshold is not self.threshold
                and finding.threshold != self.threshold
            )
        )

    def fill(self, finding: Finding) -> str:
        if not self.fits(finding):
            return self._whole(
                finding
            )  # not this rule's own figures (a finding built elsewhere)
        if self.constant is not None:
            return self.constant
        return self.format.format_map(self.values(finding))

    def values(self, finding: Finding) -> dict[str, str]:
        """The finding's own figures as the sentence shows them."""
        values = {}
        for name in self.needs:
            if name == "actual":
                values[name] = self.shown(
                    apart(finding.actual, finding.threshold, self.grid), self.lang
                )
            elif name == "threshold":
                values[name] = self.explain.threshold_text(
                    finding.threshold, finding.op, self.shown
                )
            else:
                values[name] = "" if finding.points is None else show(finding.points)
        return values

    def _whole(self, finding: Finding) -> str:
        explain, shown = self.explain, self.shown
        params = {
            "title": explain.titles[finding.rule],
            "actual": shown(
                apart(finding.actual, finding.threshold, self.grid), self.lang
            ),
            "unit": _unit(finding.unit, self.lang),
            "threshold": explain.threshold_text(finding.threshold, finding.op, shown),
            "op": explain.op_text(finding.op),
            "points": "" if finding.points is None else show(finding.points),
            "max_points": ""
            if finding.max_points is None
            else show(finding.max_points),
            **self.extra,
        }
        try:
            return self.source.format(**params)
        except (KeyError, IndexError, ValueError):
            return self.source


def _compile(
    template: str, constants: dict[str, str], varying: tuple[str, ...] = _VARYING
) -> tuple[str, tuple[str, ...]]:
    """`template` with `constants` filled in (each by its own format spec) and the
    placeholders in `varying` kept; the template as written if it does not format."""
    out: list[str] = []
    needs: list[str] = []
    try:
        for literal, name, spec, conversion in Formatter().parse(template):
            out.append(literal.translate(_BRACES))
            if name is None:
                continue
            spec = spec or ""  # always a str where there is a field
            if name in constants:
                value = constants[name]
                if conversion:
                    value = _CONVERSIONS[conversion](value)
                out.append(format(value, spec).translate(_BRACES))
            elif name in varying and "{" not in spec:
                needs.append(name)
                out.append(
                    "{"
                    + name
                    + (f"!{conversion}" if conversion else "")
                    + (f":{spec}" if spec else "")
                    + "}"
                )
            else:
                raise KeyError(name)
        compiled = "".join(out)
        compiled.format_map(dict.fromkeys(needs, ""))  # what is kept must format too
    except (KeyError, IndexError, ValueError):
        return template.translate(_BRACES), ()
    return compiled, tuple(dict.fromkeys(needs))


class Explainer:
    """Writes one rule set's findings, remedies and summaries in one language."""

    def __init__(self, ruleset: RuleSet, lang: str) -> None:
        self.ruleset = ruleset
        self.lang = lang
        self.rules: dict[str, EffectiveRule] = {rule.id: rule for rule in ruleset.rules}
        self.kinds: dict[str, RuleKind] = {
            rule.id: get(rule.kind) for rule in ruleset.rules
        }
        self.positions = {rule.id: index for index, rule in enumerate(ruleset.rules)}
        # the score as the decision makes it, to say how far a score remedy raises it
        self.scorer = Scorer.for_kinds(
            [self.kinds[rule.id] for rule in ruleset.rules], ruleset.weights
        )
        self.titles = {
            rule.id: rule.spec.title.get(lang)
            if rule.spec.title is not None
            else rule.id
            for rule in ruleset.rules
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
                (
                    branch.name,
                    branch.title.get(lang) if branch.title else branch.name,
                    _compares_a_share(node, None, self.shares),
                )
                for branch, (node, _) in zip(
                    rule.spec.require_any, rule.branches, strict=True
                )
            ]
            for rule in ruleset.rules
            if rule.branches
        }
        self._ops = {
            op: text(f"op.{op}", lang) for op in (">=", ">", "<=", "<", "between")
        }
        self._sentences: dict[tuple[Any, ...], _Sentence] = {}
        self._option_words: dict[tuple[str, str, str], tuple[str, str, str | None]] = {}
        self._or = text("or", lang)

    # -- the words a kind's sentence uses (screening.kinds.Words) ----------------------
    def text(self, key: str, /, **params: Any) -> str:
        return text(key, self.lang, **params)

    def title(self, rule_id: str) -> str:
        return self.titles[rule_id]

    def fields(self, paths: tuple[str, ...]) -> str:
        return self.sep.join(self.field_title(path) for path in paths)

    def say(self, finding: Finding, key: str, /, **extra: str) -> str:
        return self._sentence(
            finding.rule, key, lambda: text(key, self.lang), extra
        ).fill(finding)

    def custom(self, finding: Finding) -> str | None:
        message = self.rules[finding.rule].spec.message
        if finding.status is not Status.FAIL or message is None:
            return None
        return self._sentence(
            finding.rule, "", lambda: message.get(self.lang), {}
        ).fill(finding)

    def _sentence(
        self, rule_id: str, key: str, template: Any, extra: dict[str, str]
    ) -> _Sentence:
        # compiled once per rule, template and constant words: what it holds is the rule's
        # own (title, unit, operator, a fixed threshold), never a project's figure
        entry = (rule_id, key, *extra.items()) if extra else (rule_id, key)
        found = self._sentences.get(entry)
        if found is None:
            found = self._sentences[entry] = _Sentence(self, rule_id, template(), extra)
        return found

    def sentence_of(
        self, rule_id: str, status: Status, figures: bool = True
    ) -> _Sentence | str | None:
        """How the sentence of a finding of `rule_id` with `status` and the rule's own
        figures reads, whatever the figures: a compiled sentence to fill, a constant
        text, or None when it cannot be told before the finding is made.

        The kind writes a probe finding's sentence, with this explainer's words except
        `say` and `custom`, which are recorded: a kind's choice of words depends only on
        what the probe holds (the status, that figures are present, the rule's operator,
        unit and fixed threshold), which a frame's user checks for each finding."""
        rule = self.rules[rule_id]
        kind = self.kinds[rule_id]
        threshold = reported_threshold(rule, self.ruleset)
        top = getattr(rule.spec, "max_points", None)
        probe = Finding(
            rule.id,
            rule.spec.group,
            rule.kind,
            status,
            actual=_PROBE if figures else None,
            threshold=_PROBE if threshold is COMPUTED else threshold,
            op=rule_op(rule),
            unit=rule.unit,
            points=_PROBE if top is not None else None,
            max_points=None if top is None else Fraction(top),
        )
        recorder = _Recorder(self)
        written = kind.sentence(probe, recorder)
        if recorder.used is None:
            return written  # no figure in it
        return recorder.used if written is _MARK else None

    def own(self, finding: Finding, holds: bool) -> str | None:
        """An info rule's own words: its `message` when the fact holds, else `otherwise`."""
        spec = self.rules[finding.rule].spec
        own = spec.message if holds else getattr(spec, "otherwise", None)
        if own is None:
            return None
        template = own.get(self.lang)
        try:
            return template.format(title=self.titles[finding.rule])  # type: ignore[no-any-return]
        except (KeyError, IndexError, ValueError):
            return template  # type: ignore[no-any-return]

    def any_sentence(self, finding: Finding) -> str:
        """A require_any rule: the branch that passed, or every branch's figures."""
        lang = self.lang
        title = self.titles[finding.rule]
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
        message = self.rules[finding.rule].spec.message
        if finding.status is Status.FAIL and message is not None:
            template = message.get(lang)
            try:
                return template.format(title=title, details=details)  # type: ignore[no-any-return]
            except (KeyError, IndexError, ValueError):
                return template  # type: ignore[no-any-return]
        key = {Status.FAIL: "any_fail", Status.MISSING: "any_missing"}.get(
            finding.status, "no_branch_applies"
        )
        return text(f"finding.{key}", lang, title=title, details=details)

    def _branch_detail(
        self, branch: BranchFinding, names: dict[str, tuple[str, bool]]
    ) -> str:
        lang = self.lang
        title, share = names[branch.name]
        shown = percent if share else show
        if branch.status is Status.MISSING:
            return text(
                "branch.missing", lang, branch=title, fields=self.fields(branch.missing)
            )
        if branch.status is Status.NOT_APPLICABLE:
            return text("branch.not_applicable", lang, branch=title)
        if branch.op is None or branch.actual is None:
            return text(f"branch.{branch.status.value}", lang, branch=title)
        return text(
            f"branch.numeric_{branch.status.value}",
            lang,
            branch=title,
            actual=shown(
                apart(branch.actual, branch.threshold, SHARE_SCALE if share else 10**4),
                lang,
            ),
            unit=_unit(branch.unit, lang),
            op=self.op_text(branch.op),
            threshold=self.threshold_text(branch.threshold, branch.op, shown),
        )

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
                relation = _relation(branch.op, branch.actual, remedy.target)
                what = text(
                    "remedy.numeric_none",
                    lang,
                    title=title,
                    relation=text(f"relation.{relation}", lang),
                    value=show(remedy.target),
                    unit=_unit(branch.unit, lang),
                )
            elif remedy.code in _INDUSTRY_REMEDIES:
                what = self._industries(remedy)
            else:
                what = text("remedy.condition", lang, title=title)
            parts.append(text("remedy.any_branch", lang, branch=title, remedy=what))
        return text("remedy.any", lang, branches=text("branch_sep", lang).join(parts))

    def op_text(self, op: str | None) -> str:
        return self._ops[op] if op else ""

    def threshold_text(self, threshold: Any, op: str | None, shown: Any) -> str:
        """A threshold as a sentence shows it (a between's two bounds as a range)."""
        if op == "between" and isinstance(threshold, tuple):
            low, high = threshold
            return text(
                "finding.between",
                self.lang,
                low=shown(low, self.lang),
                high=shown(high, self.lang),
            )
        return shown(threshold, self.lang)  # type: ignore[no-any-return]

    # -- what renderers ask -------------------------------------------------------------
    def field_title(self, path: str) -> str:
        spec = FIELDS.get(path)
        if spec is not None:
            return spec.title_en if self.lang == "en" else spec.title_zh
        ruleset = self.ruleset
        for table in (
            ruleset.inputs,
            ruleset.parameters,
            ruleset.metrics,
            ruleset.tables,
        ):
            declared = table.get(path)
            if declared is not None and declared.title is not None:
                return declared.title.get(self.lang)
        return path

    def message(self, finding: Finding) -> str:
        """The sentence explaining one finding, in the words its kind chooses."""
        return self.kinds[finding.rule].sentence(finding, self)

    def remedy(self, finding: Finding) -> str | None:
        """What would flip this finding, or None when nothing is to be done."""
        remedy = finding.remedy
        if remedy is None:
            return None
        lang = self.lang
        title = self.titles[finding.rule]
        if remedy.code == "veto":
            return text("remedy.veto", lang)
        if remedy.code == "condition":
            return text("remedy.condition", lang, title=title)
        if remedy.code == "condition_not":
            return text("remedy.condition_not", lang, title=title)
        if remedy.code in _INDUSTRY_REMEDIES:
            return self._industries(remedy)
        if remedy.code == "any":
            return self._any_remedy(finding)
        options = self._options(remedy)
        if remedy.code == "score":
            if options:
                return text(
                    "remedy.score", lang, options=options, gain=show(remedy.gain)
                )
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
        relation = _relation(finding.op, finding.actual, remedy.target)
        return text(
            "remedy.numeric_none",
            lang,
            title=title,
            relation=text(f"relation.{relation}", lang),
            value=self._target(finding, remedy.target, relation),
            unit=_unit(finding.unit, lang),
        )

    def _industries(self, remedy: Remedy) -> str:
        """An industry test's remedy: the GB/T 4754-2017 codes the project's industry
        must be in (or not), each named as the code list names it (in Chinese)."""
        lang = self.lang
        named = []
        for code in remedy.target:
            level = _INDUSTRY_LEVELS[min(len(code), 5) - 1]
            named.append(
                text(
                    "remedy.industry_item",
                    lang,
                    name=INDUSTRY_CODES.get(code, code),
                    level=text(f"industry_level.{level}", lang),
                    code=code if len(code) == 1 else code[1:],
                )
            )
        return text(f"remedy.{remedy.code}", lang, industries=self.sep.join(named))

    def _target(
        self, finding: Finding, target: Any, relation: str | None = None
    ) -> str:
        # a share's target reads as a percentage, as the finding's own sentence shows it
        share = finding.rule in self.percent
        shown = percent(target, self.lang) if share else show(target, self.lang)
        if relation is not None and shown in ("0", "0%") and _positive(target):
            # below what four decimals show (须使…不超过 0): two significant digits,
            # rounded the way that keeps `relation` met
            num, den = target.as_integer_ratio()
            num *= 100 if share else 1
            return tiny_bound(num, den, up=relation == ">=") + ("%" if share else "")
        if relation is not None and isinstance(target, (int, Fraction, Decimal)):
            # rounded the way that keeps `relation` met, as remedy options are
            value = Fraction(target)
            if share:
                return bound_text(value, relation, 2, 100) + "%"
            return bound_text(value, relation, 4)
        return shown

    def _options(self, remedy: Remedy, separator: str | None = None) -> str:
        return (separator or self._or).join(map(self._option, remedy.options))

    def _option(self, option: RemedyOption) -> str:
        # compiled once per field, relation and unit: the words before and after the
        # option's figure (or a template, where the figure has a format of its own)
        field, relation, _, _, unit = option
        entry = (field, relation, unit)
        words = self._option_words.get(entry)
        if words is None:
            lang = self.lang
            compiled = _compile(
                text("remedy.option", lang),
                {
                    "field": self.field_title(field),
                    "relation": text(f"relation.{relation}", lang),
                    "unit": _unit(unit, lang),
                },
                ("value",),
            )[0]
            words = self._option_words[entry] = _around(compiled)
        before, after, template = words
        if template is not None:
            return template.format_map({"value": _option_value(option, self.shares)})
        return before + _option_value(option, self.shares) + after

    def _finding_of(self, decision: Decision, rule_id: str) -> Finding:
        findings = decision.findings
        index = self.positions.get(
            rule_id, len(findings)
        )  # findings follow the rule set's order…
        if index < len(findings) and findings[index].rule == rule_id:
            return findings[index]
        return next(
            f for f in findings if f.rule == rule_id
        )  # …unless a caller built them otherwise

    def summary(
        self, decision: Decision, remedies: dict[str, str | None] | None = None
    ) -> list[str]:
        """What it would take for the project to pass, most decisive first (`remedies`:
        the findings' remedies by rule, where a renderer has already written them)."""
        if decision.outcome is Outcome.PASS:
            return []
        lang = self.lang
        lines = []
        if decision.vetoed_by:
            lines.append(
                text(
                    "summary.vetoed",
                    lang,
                    rules=self.sep.join(self.titles[r] for r in decision.vetoed_by),
                )
            )
        for rule_id in decision.rejected_by:
            remedy = (
                remedies[rule_id]
                if remedies is not None and rule_id in remedies
                else self.remedy(self._finding_of(decision, rule_id))
            )
            lines.append(
                text(
                    "summary.gate",
                    lang,
                    title=self.titles[rule_id],
                    remedy=remedy or "",
                )
            )
        if decision.missing:
            lines.append(
                text("summary.missing", lang, fields=self.fields(decision.missing))
            )
        for rule_id in decision.reviewed_by:
            # the way around the review, as the HTML report's 整改方向 gives it
            remedy = (
                remedies[rule_id]
                if remedies is not None and rule_id in remedies
                else self.remedy(self._finding_of(decision, rule_id))
            )
            title = self.titles[rule_id]
            lines.append(
                text("summary.review_rule_or", lang, title=title, remedy=remedy)
                if remedy
                else text("summary.review_rule", lang, title=title)
            )
        if (
            decision.pass_mark is not None
            and decision.score is not None
            and decision.score < decision.pass_mark
        ):
            shown = shown_score(
                decision.score, decision.pass_mark, decision.review_band
            )
            assert shown is not None  # the score is not None
            lines.append(
                text(
                    "summary.score_short",
                    lang,
                    score=show(shown),
                    pass_mark=show(decision.pass_mark),
                    gap=show(decision.pass_mark - shown),  # as the figures shown
                )
            )
            for finding, rise in self.score_rises(decision)[:3]:
                remedy = (
                    remedies[finding.rule]
                    if remedies is not None and finding.rule in remedies
                    else self.remedy(finding)
                )
                lines.append(self.improve_line(finding, rise, remedy))
        return lines

    def score_rises(self, decision: Decision) -> list[tuple[Finding, Points]]:
        """The score remedies of a decision, each with how far it raises the 0–100 score
        (`Scorer.rise`: a rule's own points are on another scale when weights apply or
        the rules' points do not add up to 100), most first; none that raises it by
        less than the 0.01 a score is shown to."""
        rises = []
        for finding in decision.findings:
            remedy = finding.remedy
            if remedy is None or remedy.code != "score" or remedy.gain is None:
                continue
            rise = self.scorer.rise(
                decision.findings, self.positions[finding.rule], remedy.gain
            )
            if rise is remedy.gain or rise * 200 >= 1:  # shown as 0.01 or more
                rises.append((finding, rise))
        if len(rises) > 1:
            rises.sort(key=_MOST_RISE_FIRST)
        return rises

    def improve_line(self, finding: Finding, rise: Points, remedy: str | None) -> str:
        """A summary's 提分途径 line: the remedy, and the score's rise when it is not the
        rule's own gain (weights, points not adding up to 100)."""
        if rise is finding.remedy.gain or rise == finding.remedy.gain:  # type: ignore[union-attr]
            return text("summary.improve", self.lang, text=remedy)
        return text(
            "summary.improve_rise",
            self.lang,
            text=remedy,
            rise=show(round_score(Fraction(rise))),
        )


_PROBE = Fraction(0)  # a probe's figures (never shown: `say` and `custom` are recorded)
_MARK = "\x00sentence\x00"


class _Recorder:
    """The explainer's words for a probe finding, noting the compiled sentence `say` or
    `custom` would fill (see Explainer.sentence_of)."""

    def __init__(self, explain: Explainer) -> None:
        self.explain = explain
        self.used: _Sentence | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.explain, name)

    def say(self, finding: Finding, key: str, /, **extra: str) -> str:
        self.used = self.explain._sentence(
            finding.rule, key, lambda: text(key, self.explain.lang), extra
        )
        return _MARK

    def custom(self, finding: Finding) -> str | None:
        message = self.explain.rules[finding.rule].spec.message
        if finding.status is not Status.FAIL or message is None:
            return None
        self.used = self.explain._sentence(
            finding.rule, "", lambda: message.get(self.explain.lang), {}
        )
        return _MARK


_built: dict[tuple[int, str], tuple[RuleSet, Explainer]] = {}


def explainer(ruleset: RuleSet, lang: str) -> Explainer:
    """The explainer for a rule set and language, built once per rule set object."""
    key = (id(ruleset), lang)
    hit = _built.get(key)
    if (
        hit is None or hit[0] is not ruleset
    ):  # the entry holds the rule set, so its id stays its own
        if len(_built) > 32:
            _built.clear()
        hit = _built[key] = (ruleset, Explainer(ruleset, lang))
    return hit[1]


def _pieces(
    template: str, constants: dict[str, str], holes: tuple[str, ...]
) -> tuple[str, ...] | None:
    """`template` with `constants` filled in, as the words around `holes`, each a bare
    placeholder met once and in this order: `(w₀, w₁, …)` with w₀ + v₁ + w₁ + … ==
    `template.format(**constants, **values)`; None for any other template."""
    compiled, needs = _compile(template, constants, holes)
    if needs != holes:
        return None
    words: list[str] = []
    names: list[str] = []
    for literal, name, spec, conversion in Formatter().parse(compiled):
        if name is None:
            words.append(literal)
            continue
        if spec or conversion or len(words) != len(names):
            return None
        words.append(literal)
        names.append(name)
    if len(words) == len(names):  # the template ends with a placeholder
        words.append("")
    return tuple(words) if tuple(names) == holes else None


class Prose:
    """A rule set's remedies and summary lines in one language, exactly as `Explainer`
    words them (`remedy`, `summary`), from words compiled once per rule set: a finding's
    figures are the only holes, filled by concatenation. What it has no compiled words
    for (either-or remedies, a remedy with no options, a template of another shape) it
    asks the explainer."""

    def __init__(self, explain: Explainer) -> None:
        self.explain = explain
        lang = self.lang = explain.lang
        titles = explain.titles
        self.veto = text("remedy.veto", lang)
        self.or_ = text("or", lang)
        self.score = _pieces(text("remedy.score", lang), {}, ("options", "gain"))
        self.option_template = text("remedy.option", lang)
        self.option_words: dict[tuple[str, str, str], tuple[Any, ...]] = {}
        self.conditions: dict[str, str] = (
            _by_rule(titles, "remedy.condition", lang) or {}
        )
        self.vetoed = _pieces(text("summary.vetoed", lang), {}, ("rules",))
        self.gates = _by_rule(titles, "summary.gate", lang, ("remedy",))
        self.reviews = _by_rule(titles, "summary.review_rule", lang)
        self.reviews_or = _by_rule(titles, "summary.review_rule_or", lang, ("remedy",))
        self.short = _pieces(
            text("summary.score_short", lang), {}, ("score", "pass_mark", "gap")
        )
        self.improve = _pieces(text("summary.improve", lang), {}, ("text",))

    def reason_words(
        self, probe: Finding, reason: str, names: tuple[str, ...]
    ) -> str | None:
        """How the sentence of `probe` not applicable for `reason` with text parameters
        `names` reads: the template at `finding.<reason>` with the rule's title filled
        in, to fill with their values by one format call; None when the kind words it
        otherwise (told from the probe with markers for values) or it does not format."""
        explain = self.explain
        try:
            template, needs = _compile(
                text(f"finding.{reason}", self.lang),
                {"title": explain.titles[probe.rule]},
                names,
            )
            markers = {name: f"\x00{index}\x00" for index, name in enumerate(names)}
            written = explain.message(
                probe._replace(reason=reason, reason_params=tuple(markers.items()))
            )
            if set(needs) <= set(names) and written == template.format_map(markers):
                return template
        except Exception:  # words that do not format: written per finding, as they fail
            return None
        return None

    def remedy(self, finding: Finding) -> str | None:
        """`Explainer.remedy(finding)`."""
        remedy = finding.remedy
        if remedy is None:
            return None
        code = remedy.code
        if code == "numeric" or code == "score":
            options = remedy.options
            if options:
                joined = self.options(options)
                if joined and code == "numeric":
                    return joined
                score = self.score
                if joined and score is not None:
                    gain: Any = remedy.gain  # an int where the points are whole
                    if type(gain) is int:
                        gained = str(gain)
                    else:
                        shown = figure(gain)
                        gained = show(gain) if shown is None else shown[1]
                    return score[0] + joined + score[1] + gained + score[2]
        elif code == "veto":
            return self.veto
        elif code == "condition":
            words = self.conditions.get(finding.rule)
            if words is not None:
                return words
        return self.explain.remedy(finding)

    def options(self, options: tuple[RemedyOption, ...]) -> str:
        """`Explainer._options`: each option's words around its bound, shown rounded in
        the safe direction (see `_option_value`)."""
        found = self.option_words
        texts = []
        for field, relation, num, den, unit in options:
            words = found.get((field, relation, unit))
            if words is None:
                words = self._option(field, relation, unit)
            before, after, template, scale, up, cents, suffix = words
            scaled = num * scale
            bound = -(-scaled // den) if up else scaled // den
            if bound == 0 and cents and not up and num > 0:
                # a positive upper bound below a hundredth: not shown as 0 (see
                # `small_bound`); the share's factor is the scale without its places
                shown = small_bound(num * (scale // 100), den) + suffix
            else:
                # `decimals(bound × 10⁴⁻ᵖˡᵃᶜᵉˢ)`, from the bound itself
                shown = (hundredths(bound) if cents else str(bound)) + suffix
            texts.append(
                before + shown + after
                if template is None
                else template.format_map({"value": shown})
            )
        return texts[0] if len(texts) == 1 else self.or_.join(texts)

    def _option(self, field: str, relation: str, unit: str) -> tuple[Any, ...]:
        explain, lang = self.explain, self.lang
        compiled = _compile(
            self.option_template,
            {
                "field": explain.field_title(field),
                "relation": text(f"relation.{relation}", lang),
                "unit": _unit(unit, lang),
            },
            ("value",),
        )[0]
        share = field in explain.shares
        places = 2 if share or unit not in _COUNTS else 0
        words = self.option_words[(field, relation, unit)] = (
            *_around(compiled),
            (100 if share else 1) * 10**places,
            relation in (">=", ">"),
            places == 2,  # the bound in hundredths, else whole
            "%" if share else "",
        )
        return words

    def summary(self, decision: Decision, remedies: dict[str, str | None]) -> list[str]:
        """`Explainer.summary(decision, remedies)`."""
        if decision.outcome is Outcome.PASS:
            return []
        explain = self.explain
        score, pass_mark = decision.score, decision.pass_mark
        if (
            self.vetoed is None
            or self.gates is None
            or self.reviews is None
            or self.reviews_or is None
            or self.short is None
            or self.improve is None
            or type(score) not in _RATIOS
            or type(pass_mark) not in _RATIOS
        ):
            return explain.summary(decision, remedies)
        lines = []
        if decision.vetoed_by:
            titles = explain.titles
            before, after = self.vetoed
            lines.append(
                before
                + explain.sep.join([titles[r] for r in decision.vetoed_by])
                + after
            )
        gates = self.gates
        for rule_id in decision.rejected_by:
            remedy = (
                remedies[rule_id]
                if rule_id in remedies
                else explain.remedy(explain._finding_of(decision, rule_id))
            )
            before, after = gates[rule_id]
            lines.append(before + (remedy or "") + after)
        if decision.missing:
            lines.append(
                text(
                    "summary.missing",
                    self.lang,
                    fields=explain.fields(decision.missing),
                )
            )
        for rule_id in decision.reviewed_by:
            remedy = (
                remedies[rule_id]
                if rule_id in remedies
                else explain.remedy(explain._finding_of(decision, rule_id))
            )
            if remedy:
                before, after = self.reviews_or[rule_id]
                lines.append(before + remedy + after)
            else:
                lines.append(self.reviews[rule_id])
        if pass_mark is None or score is None:
            return lines
        sn, sd = score.as_integer_ratio()
        pn, pd = pass_mark.as_integer_ratio()
        if sn * pd >= pn * sd:  # score ≥ pass mark (denominators are positive)
            return lines
        before, between, gap_before, after = self.short
        shown = figure(pass_mark)
        score_shown = score_hundredths(score, pass_mark, decision.review_band)
        lines.append(
            before
            + hundredths(score_shown)
            + between
            + (shown[1] if shown is not None else show(pass_mark))
            + gap_before
            + hundredths(scaled(pn * 100 - score_shown * pd, pd * 100, 100))
            + after
        )
        before, after = self.improve
        explain = self.explain
        for finding, rise in explain.score_rises(decision)[:3]:
            remedy = (
                remedies[finding.rule]
                if finding.rule in remedies
                else self.remedy(finding)
            )
            if rise is not finding.remedy.gain and rise != finding.remedy.gain:  # type: ignore[union-attr]
                lines.append(explain.improve_line(finding, rise, remedy))
                continue
            lines.append(
                before + remedy + after
                if type(remedy) is str
                else text("summary.improve", self.lang, text=remedy)
            )
        return lines


def _rise_order(a: tuple[Finding, Points], b: tuple[Finding, Points]) -> int:
    """`Explainer.score_rises`' order: the greater rise first, then by rule; compared
    by integer ratios (no Fraction made)."""
    an, ad = a[1].as_integer_ratio()
    bn, bd = b[1].as_integer_ratio()
    more, less = an * bd, bn * ad  # denominators are positive
    if more != less:
        return -1 if more > less else 1
    return -1 if a[0].rule < b[0].rule else 1 if a[0].rule > b[0].rule else 0


_MOST_RISE_FIRST = cmp_to_key(_rise_order)
_RATIOS = frozenset({type(None), int, Fraction})  # a score's types summed by ratios


def _by_rule(
    titles: dict[str, str], key: str, lang: str, holes: tuple[str, ...] = ()
) -> Any:
    """Per rule, the template at `key` with the rule's title filled in: the text, or the
    words around `holes`; None when the template has another shape."""
    template = text(key, lang)
    found: dict[str, Any] = {}
    for rule_id, title in titles.items():
        words = _pieces(template, {"title": title}, holes)
        if words is None:
            return None
        found[rule_id] = words if holes else words[0]
    return found

"""Titles for the ids a JSON-contract result carries (rules, fields), in zh or en.

The contract keeps machine ids (`vetoed_by`, `missing`, `rule`); renderers show titles.
With the rule sets applied at hand, titles come from them (found by the result's
sha256); without, a field's title comes from the project model and a rule's from the
start of its finding's message. And the input fields a rule's figure is computed from
(`figure_fields`), for a report that must say where a refused figure came from.
Layout-free: renderers decide how a title is shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from screening.compile import rule_op
from screening.expr import nodes as n
from screening.model.effective import EffectiveRule, RuleSet
from screening.model.project import FIELDS
from screening.report.explain import Explainer, explainer


def rule_title(finding: Mapping[str, Any]) -> str:
    """A short name for a finding's rule, read from its message (no rule set at hand).

    The "{title}：" a message begins with, else the message's first clause (veto
    messages are rule-level sentences), else the rule id.
    """
    message = finding.get("message") or ""
    for sep in ("：", ": ", "，", ", "):
        if sep in message:
            return message.split(sep, 1)[0]
    return message or str(finding.get("rule", ""))


def figure_fields(rule: EffectiveRule, ruleset: RuleSet) -> tuple[str, ...]:
    """The input fields rule's reported figure is computed from, metrics expanded, each
    once in the order written: the compared side of its comparison, else its value,
    else whatever it reads (a veto's fact, a require_any's branches)."""
    top, op = rule.condition, rule_op(rule)
    if isinstance(top, n.Call) and op == "between":
        nodes: list[n.Node | None] = [top.args[0]]
    elif isinstance(top, n.Compare) and op is not None:
        nodes = [top.left]
    elif rule.value is not None:
        nodes = [rule.value]
    else:
        nodes = [top, *(node for node, _ in rule.branches)]
    inputs, metrics = ruleset.inputs, ruleset.metric_nodes
    found: dict[str, None] = {}
    seen: set[str] = set()  # metrics expanded once (and never in a cycle)

    def walk(node: n.Node) -> None:
        if isinstance(node, n.Name):
            name = node.name
            if name in FIELDS or name in inputs:
                found[name] = None
            elif name in metrics and name not in seen:
                seen.add(name)
                walk(metrics[name])
        for child in n.children(node):
            walk(child)

    for node in nodes:
        if node is not None:
            walk(node)
    return tuple(found)


class Labels:
    """Rule and field titles for results screened with `rulesets`, in one language."""

    def __init__(
        self, rulesets: Iterable[RuleSet | None] = (), lang: str = "zh"
    ) -> None:
        self.lang = "en" if lang == "en" else "zh"
        self._explainers: dict[str, Explainer] = {
            rs.sha256: explainer(rs, self.lang) for rs in rulesets if rs is not None
        }

    def _explainer(self, result: Mapping[str, Any]) -> Explainer | None:
        if not self._explainers:
            return None
        sha = (result.get("ruleset") or {}).get("sha256")
        found = self._explainers.get(sha) if sha else None
        if found is None and len(self._explainers) == 1:
            found = next(iter(self._explainers.values()))
        return found

    def rule(self, result: Mapping[str, Any], rule_id: str) -> str:
        """The title of rule `rule_id` of the rule set `result` was screened with."""
        explain = self._explainer(result)
        if explain is not None and rule_id in explain.titles:
            return explain.titles[rule_id]
        for finding in result.get("findings") or ():
            if finding.get("rule") == rule_id:
                return rule_title(finding)
        return rule_id

    def field(self, result: Mapping[str, Any], path: str) -> str:
        """The title of input field `path` (a declared input or a project field)."""
        explain = self._explainer(result)
        if explain is not None:
            return explain.field_title(path)
        spec = FIELDS.get(path)
        if spec is None:
            return path
        return spec.title_en if self.lang == "en" else spec.title_zh

    def figure_fields(self, result: Mapping[str, Any], rule_id: str) -> tuple[str, ...]:
        """`figure_fields` of rule `rule_id`; none without its rule set at hand."""
        explain = self._explainer(result)
        rule = explain.rules.get(rule_id) if explain is not None else None
        if explain is None or rule is None:
            return ()
        return figure_fields(rule, explain.ruleset)

    def is_percent(self, result: Mapping[str, Any], rule_id: str) -> bool:
        """Whether the rule's figures read as percentages (a share) in its sentences."""
        explain = self._explainer(result)
        return explain is not None and rule_id in explain.percent

    def requirement(self, result: Mapping[str, Any], rule_id: str) -> str | None:
        """The comparison a check requires (>=, <, between …), as its finding has it."""
        explain = self._explainer(result)
        rule = explain.rules.get(rule_id) if explain is not None else None
        if rule is None:
            return None
        top = rule.condition
        if isinstance(top, n.Compare) and top.op in _NEGATED:
            # a fail_if rule reports the requirement, not the failure
            return (
                _NEGATED[top.op]
                if getattr(rule.spec, "fail_if", None) is not None
                else top.op
            )
        if isinstance(top, n.Call) and top.func == "between":
            return "between"
        return None


_NEGATED = {"<": ">=", "<=": ">", ">": "<=", ">=": "<"}

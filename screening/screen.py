"""Screen one project: prepare facts, run the engine, turn what fired into a Decision.

Python prepares each stratum's fact (exact arithmetic, missing inputs, guards),
the engine matches failing sides, and rules whose inputs were present and whose
failing side did not fire pass. Nothing here renders prose.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from screening.compile import Compiled, Part, RulePlan, compile_ruleset
from screening.engine import Engine, Fired, default_engine
from screening.expr.evaluate import Env, Missing, Undefined
from screening.findings import Decision, Finding, Kind, Remedy, Status
from screening.loader import pass_mark
from screening.model.effective import RuleSet
from screening.model.project import FIELDS, Project, flatten
from screening.remedy import Solver, next_band
from screening.score import decide, points_for, total_score


@dataclass
class _Ready:
    """A part's state before inference: ready, or missing / undefined with details."""

    ok: bool
    missing: tuple[str, ...] = ()
    undefined: Undefined | None = None


class Screener:
    """A compiled rule set bound to an engine; `screen` is called once per project."""

    def __init__(self, ruleset: RuleSet, engine: Engine | None = None) -> None:
        self.ruleset = ruleset
        self.compiled: Compiled = compile_ruleset(ruleset)
        self.engine = engine or default_engine()
        self.engine.register(self.compiled)
        mark, band = pass_mark(ruleset)
        self.pass_mark = Fraction(mark) if mark is not None else None
        self.review_band = Fraction(band)
        units = {path: f.unit for path, f in FIELDS.items()}
        units.update({path: i.unit or "" for path, i in ruleset.inputs.items()})
        self.solver = Solver(ruleset.metric_nodes, self.compiled.build, units)  # type: ignore[arg-type]
        self._by_stratum: list[list[RulePlan]] = [[] for _ in range(self.compiled.strata)]
        for plan in self.compiled.plans:
            self._by_stratum[plan.stratum].append(plan)

    def screen(self, project: Project) -> Decision:
        """The decision for one validated project."""
        return self.screen_values(flatten(project))

    def screen_values(self, values: dict[str, Any]) -> Decision:
        env = self.compiled.env(values)
        applies: dict[int, _Ready] = {}
        conditions: dict[int, _Ready] = {}
        derived: dict[str, bool | None] = {}

        def next_fact(stratum: int, fired: Fired) -> dict[str, Any] | None:
            if stratum > 0:
                for plan in self._by_stratum[stratum - 1]:
                    if plan.rule.kind == "derive":
                        value = self._derived_value(plan, applies, conditions, fired)
                        derived[plan.rule.spec.sets] = value  # type: ignore[union-attr]
                        if value is not None:
                            env.values[plan.rule.spec.sets] = value  # type: ignore[union-attr]
            fact: dict[str, Any] = {}
            for plan in self._by_stratum[stratum]:
                if plan.applies is not None:
                    applies[plan.index] = self._prepare(plan.applies, env, derived, fact)
                    if applies[plan.index].ok:
                        fact[plan.app_guard] = 1
                if plan.condition is not None:
                    conditions[plan.index] = self._prepare(plan.condition, env, derived, fact)
                    if conditions[plan.index].ok:
                        fact[plan.guard] = 1
            return fact or None

        fired = self.engine.infer(self.compiled, next_fact)
        findings = [self._finding(plan, env, applies, conditions, fired) for plan in self.compiled.plans]
        return self._decision(values, findings)

    # -- preparing facts ----------------------------------------------------------
    def _prepare(self, part: Part, env: Env, derived: dict[str, bool | None], fact: dict[str, Any]) -> _Ready:
        missing: set[str] = set()
        for name in part.native:
            if name in self.compiled.derived_keys:
                value = derived.get(name)
                if value is None:
                    missing.update(self._derive_inputs(name, env))
                    continue
                fact[self.compiled.derived_keys[name]] = value
            else:
                value = env.values.get(name)
                if value is None:
                    missing.add(name)
                    continue
                fact[self.compiled.field_keys[name]] = value
        if missing:
            return _Ready(False, tuple(sorted(missing)))
        for atom in part.atoms:
            try:
                fact[atom.key] = atom.fn(env)
            except Missing as exc:
                absent = {f for f in part.inputs if f not in env.values}
                # all inputs present means a parameter is unset (e.g. no region class fixed)
                return _Ready(False, tuple(sorted(absent or exc.names)))
            except Undefined as exc:
                return _Ready(False, undefined=exc)
        return _Ready(True)

    def _derive_inputs(self, name: str, env: Env) -> set[str]:
        plan = self.compiled.plans[self.compiled.derive_rule[name]]
        absent = {f for f in plan.inputs if f not in env.values}
        return absent or {name}

    def _derived_value(self, plan: RulePlan, applies: dict[int, _Ready], conditions: dict[int, _Ready],
                       fired: Fired) -> bool | None:
        app = applies.get(plan.index)
        if app is not None:
            if not app.ok:
                return None if app.undefined is None else False
            if (plan.index, "na") in fired:
                return False
        cond = conditions[plan.index]
        if not cond.ok:
            return None if cond.undefined is None else False
        return (plan.index, "true") in fired

    # -- findings -----------------------------------------------------------------
    def _finding(self, plan: RulePlan, env: Env, applies: dict[int, _Ready], conditions: dict[int, _Ready],
                 fired: Fired) -> Finding:
        rule = plan.rule
        base = {"rule": rule.id, "group": rule.spec.group, "kind": Kind(rule.kind), "unit": rule.unit}
        if rule.kind in ("score", "bonus"):
            base["max_points"] = Fraction(rule.spec.max_points)  # type: ignore[union-attr]
        app = applies.get(plan.index)
        if app is not None:
            if app.undefined is not None:
                return self._not_applicable(base, app.undefined)
            if not app.ok:
                return Finding(status=Status.MISSING, missing=app.missing, points=_zero(base), **base)
            if (plan.index, "na") in fired:
                return Finding(status=Status.NOT_APPLICABLE, reason="applies_if", **base)
        if rule.kind in ("score", "bonus") and plan.value is not None:
            return self._graded(plan, env, base)
        cond = conditions[plan.index]
        if cond.undefined is not None:
            return self._not_applicable(base, cond.undefined)
        if not cond.ok:
            return Finding(status=Status.MISSING, missing=cond.missing, points=_zero(base), **base)
        actual, threshold = self._reported(plan, env)
        if rule.kind == "derive":
            status = Status.PASS if (plan.index, "true") in fired else Status.FAIL
            return Finding(status=status, actual=status is Status.PASS, **base)
        failed = (plan.index, "fail") in fired
        if rule.kind == "bonus":
            points = Fraction(0) if failed else Fraction(rule.spec.points)  # type: ignore[union-attr, arg-type]
            return Finding(status=Status.FAIL if failed else Status.PASS, points=points, **base)
        status = Status.FAIL if failed else Status.PASS
        remedy = self._remedy(plan, env, actual, threshold) if failed else None
        return Finding(status=status, actual=actual, threshold=threshold, op=plan.op, remedy=remedy, **base)

    def _not_applicable(self, base: dict[str, Any], undefined: Undefined) -> Finding:
        return Finding(status=Status.NOT_APPLICABLE, reason=undefined.code, reason_params=undefined.params, **base)

    def _reported(self, plan: RulePlan, env: Env) -> tuple[Any, Any]:
        if plan.actual is None:
            return None, None
        try:
            return plan.actual(env), plan.threshold(env) if plan.threshold else None
        except (Missing, Undefined):
            return None, None

    def _graded(self, plan: RulePlan, env: Env, base: dict[str, Any]) -> Finding:
        try:
            value = plan.value(env)  # type: ignore[misc]
        except Missing:
            missing = tuple(f for f in plan.inputs if f not in env.values) or plan.inputs
            return Finding(status=Status.MISSING, missing=missing, points=Fraction(0), **base)
        except Undefined as exc:
            return self._not_applicable(base, exc)
        spec_rule = plan.rule.spec
        points = points_for(spec_rule, value)  # type: ignore[arg-type]
        status = Status.PASS if points > 0 else Status.FAIL
        remedy = None
        if points < base["max_points"]:
            step = next_band(spec_rule, value, points)  # type: ignore[arg-type]
            if step is not None:
                target, better = step
                relation = ">=" if target > value else "<="
                options = self.solver.options(plan.rule.value, relation, target, env)  # type: ignore[arg-type]
                remedy = Remedy("score", options, target, better - points)
        return Finding(status=status, actual=value, points=points, remedy=remedy, **base)

    def _remedy(self, plan: RulePlan, env: Env, actual: Any, threshold: Any) -> Remedy:
        rule = plan.rule
        if rule.kind == "veto":
            return Remedy("veto")
        if plan.op in (">=", ">", "<=", "<") and isinstance(threshold, Fraction) and isinstance(actual, Fraction):
            node = rule.condition.left  # type: ignore[union-attr]
            return Remedy("numeric", self.solver.options(node, plan.op, threshold, env), threshold)
        if plan.op == "between" and isinstance(actual, Fraction):
            low, high = threshold
            node = rule.condition.args[0]  # type: ignore[union-attr]
            relation, bound = (">=", low) if actual < low else ("<=", high)
            return Remedy("numeric", self.solver.options(node, relation, bound, env), bound)
        return Remedy("condition")

    # -- decision -----------------------------------------------------------------
    def _decision(self, values: dict[str, Any], findings: list[Finding]) -> Decision:
        score = total_score(findings, self.ruleset.weights) if self.ruleset.has_score or any(
            f.kind is Kind.BONUS for f in findings) else None
        outcome = decide(findings, score, self.pass_mark, self.review_band)
        missing = sorted({m for f in findings if f.status is Status.MISSING and f.kind is not Kind.DERIVE for m in f.missing})

        def failed(kind: Kind) -> tuple[str, ...]:
            return tuple(f.rule for f in findings if f.kind is kind and f.status is Status.FAIL)

        return Decision(
            project_id=_text(values.get("id")), project_name=_text(values.get("name")),
            ruleset_id=self.ruleset.id, ruleset_version=self.ruleset.version,
            ruleset_sha256=self.ruleset.sha256, as_of=self.ruleset.as_of, outcome=outcome,
            score=score, pass_mark=self.pass_mark, review_band=self.review_band,
            vetoed_by=failed(Kind.VETO), rejected_by=failed(Kind.GATE), reviewed_by=failed(Kind.REVIEW),
            missing=tuple(missing), findings=tuple(findings),
        )


def _zero(base: dict[str, Any]) -> Fraction | None:
    return Fraction(0) if "max_points" in base else None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


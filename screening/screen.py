"""Screen one project: prepare facts, run the engine, turn what fired into a Decision.

Python prepares each stratum's fact (exact arithmetic, which inputs are missing),
the engine matches failing sides, and rules whose inputs were present and whose
failing side did not fire pass. Nothing here renders prose.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Context, Decimal, Inexact, getcontext, setcontext
from fractions import Fraction
from typing import Any

from screening.compile import (
    Atom,
    BranchPlan,
    Compiled,
    Part,
    RulePlan,
    compile_ruleset,
)
from screening.engine import Engine, Fired, default_engine, field
from screening.expr.evaluate import EXACT, Env, Missing, Undefined
from screening.findings import BranchFinding, Decision, Finding, Kind, Remedy, Status
from screening.inputs import convert_inputs
from screening.loader import pass_mark
from screening.model.effective import RuleSet
from screening.model.project import FIELDS, Project, flatten
from screening.remedy import Solver, next_band
from screening.score import decide, points_for, total_score


@dataclass(frozen=True)
class _Ready:
    """A part's state before inference: ready, or missing / undefined with details.

    Hashable, as part of a memo key (an Undefined compares by identity: never a false hit).
    """

    ok: bool
    missing: tuple[str, ...] = ()
    undefined: Undefined | None = None


_READY = _Ready(True)


class Screener:
    """A compiled rule set bound to an engine; `screen` is called once per project."""

    def __init__(self, ruleset: RuleSet, engine: Engine | None = None) -> None:
        self.ruleset = ruleset
        self.compiled: Compiled = compile_ruleset(ruleset)
        compiled = self.compiled
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
        # per stratum: the derivations it sets, and the rules judged in it (未配置 ones never are)
        self._derivations = [[(p, p.rule.spec.sets) for p in plans if p.kind is Kind.DERIVE]  # type: ignore[union-attr]
                             for plans in self._by_stratum]
        # per stratum: fact key (native name or atom key) → the judged parts reading it,
        # as (plan index, True for its applies_if part / False for its condition)
        self._readers: list[dict[str, list[tuple[int, bool]]]] = []
        for plans in self._by_stratum:
            readers: dict[str, list[tuple[int, bool]]] = {}
            for plan in plans:
                if plan.unconfigured is not None:
                    continue  # never judged: see _finding
                for part, applies_part in ((plan.applies, True), (plan.condition, False)):
                    if part is not None:
                        for key in (*part.native, *(atom.key for atom in part.atoms)):
                            readers.setdefault(key, []).append((plan.index, applies_part))
            self._readers.append(readers)
        self._has_score = ruleset.has_score
        # Rules whose finding depends on no input value, only on what fired and on which
        # parts were ready: derivations, information, plain bonuses and 未配置 rules
        # (never judged).
        self._by_state = [
            p.unconfigured is not None
            or p.kind is Kind.DERIVE
            or p.kind is Kind.INFO
            or (p.kind is Kind.BONUS and p.value is None)
            for p in self.compiled.plans
        ]
        self._memos: list[dict[tuple[Any, ...], Finding]] = [{} for _ in self.compiled.plans]
        # per stratum: (name, fact key, whether derived, memo of its field texts by value)
        self._natives = [[(name, compiled.derived_keys.get(name) or compiled.field_keys[name],
                           name in compiled.derived_keys, {}) for name in names]
                         for names in compiled.stratum_natives]
        # per stratum and atom: the field text, or the Missing / Undefined that prevents it, by input values
        self._atom_memos: list[list[dict[tuple[Any, ...], Any]]] = [
            [{} for _ in atoms] for atoms in compiled.stratum_atoms
        ]
        self._atom_texts: list[list[dict[tuple[type, Any], str]]] = [  # an atom's field text by its value
            [{} for _ in atoms] for atoms in compiled.stratum_atoms
        ]
        # what a memo is keyed on: the one name read (most atoms and rules read one), or the names
        self._atom_reads = [[_key_names(atom.reads) for atom in atoms] for atoms in compiled.stratum_atoms]
        self._input_keys = [_key_names(plan.inputs) for plan in compiled.plans]
        self._exact, self._shown = EXACT.copy(), SHOWN.copy()
        self._fractions: dict[Decimal | Fraction, Fraction] = {}  # thresholds as Fractions, for remedies

    def screen(self, project: Project) -> Decision:
        """The decision for one validated project (its extra fields checked against `inputs:`)."""
        return self.screen_values(convert_inputs(flatten(project), self.ruleset.inputs))

    def screen_values(self, values: dict[str, Any]) -> Decision:
        """The decision for a project's flat values (as `flatten` and `convert_inputs` give them)."""
        outer = getcontext()
        # Every Decimal form below computes exactly or raises Inexact. One context for the
        # whole project, this screener's own (a trap sets its flags, which nothing reads).
        setcontext(self._exact)
        try:
            return self._screen(values)
        finally:
            setcontext(outer)

    def _screen(self, values: dict[str, Any]) -> Decision:
        env = self.compiled.env(values)
        applies: dict[int, _Ready] = {}
        conditions: dict[int, _Ready] = {}
        derived: dict[str, bool | None] = {}

        def next_fact(stratum: int, fired: Fired) -> list[str] | None:
            if stratum > 0:
                for plan, name in self._derivations[stratum - 1]:
                    value = self._derived_value(plan, applies, conditions, fired)
                    derived[name] = value
                    if value is not None:
                        env.values[name] = value
            fact: list[str] = []
            failed = self._fill(stratum, env, derived, fact)
            # only parts reading something that could not be filled are not ready; absent
            # from `applies` / `conditions` means ready
            readers, plans = self._readers[stratum], self.compiled.plans
            for index, applies_part in {entry for key in failed for entry in readers.get(key, ())}:
                plan = plans[index]
                if applies_part:
                    applies[index] = self._ready(plan.applies, env, failed)  # type: ignore[arg-type]
                else:
                    conditions[index] = self._ready(plan.condition, env, failed)  # type: ignore[arg-type]
            return fact or None

        fired = self.engine.infer(self.compiled, next_fact)
        sides: dict[int, int] = {}
        for index, side in fired:
            sides[index] = sides.get(index, 0) | _SIDE_BITS[side]
        # values only shown get their own environment (made when a finding is new): their
        # rounded metrics must never be memoised where an exact evaluation (a score band) would read them
        shown: Env | None = None
        value_of = env.values.get
        findings = []
        for plan, memo, by_state, inputs in zip(self.compiled.plans, self._memos, self._by_state, self._input_keys):
            # A finding is a function of the rule, what fired for it and its inputs'
            # values: a repeat hands back the same Finding (renderers memoise on it).
            # One memo per rule, so a rule whose figures never repeat (a ratio of two
            # amounts) does not evict the findings of rules whose inputs do.
            index = plan.index
            if by_state:  # its finding shows no input value: key on readiness
                key = (sides.get(index, 0), applies.get(index), conditions.get(index))
            else:
                key = (sides.get(index, 0), value_of(inputs) if type(inputs) is str else tuple(map(value_of, inputs)))
            finding = memo.get(key)
            if finding is None:
                if len(memo) >= FINDING_MEMO:
                    memo.clear()
                if shown is None:
                    shown = self.compiled.env(values)
                finding = memo[key] = self._finding(plan, env, shown, applies, conditions, fired)
            findings.append(finding)
        return self._decision(values, findings)

    # -- preparing facts ----------------------------------------------------------
    def _fill(self, stratum: int, env: Env, derived: dict[str, bool | None], fact: list[str]) -> dict[str, Any]:
        """Put every value and atom this stratum matches into `fact`, each computed once.

        Returns what could not be filled: name or atom key → Missing / Undefined.
        """
        failed: dict[str, Any] = {}
        value_of = env.values.get
        for name, key, is_derived, memo in self._natives[stratum]:
            value = derived.get(name) if is_derived else value_of(name)
            if value is None:
                failed[name] = Missing(frozenset(self._derive_inputs(name, env) if is_derived else (name,)))
                continue
            text = memo.get(value)
            if text is None:  # a field's text is a function of its value: checked and encoded once
                if len(memo) >= FINDING_MEMO:
                    memo.clear()
                text = memo[value] = field(key, value)
            fact.append(text)
        for atom, memo, texts, reads in zip(self.compiled.stratum_atoms[stratum], self._atom_memos[stratum],
                                            self._atom_texts[stratum], self._atom_reads[stratum]):
            # an atom is a function of the values it reads: repeats are looked up
            key = value_of(reads) if type(reads) is str else tuple(map(value_of, reads))
            result = memo.get(key)
            if result is None:
                if len(memo) >= FINDING_MEMO:
                    memo.clear()
                result = _atom_value(atom, env)
                if not isinstance(result, Exception):  # a sign or a truth value: a few texts per atom
                    value = result
                    result = texts.get((type(value), value))
                    if result is None:
                        result = texts[(type(value), value)] = field(atom.key, value)
                memo[key] = result
            if type(result) is str:
                fact.append(result)
            else:
                failed[atom.key] = result
        return failed

    def _ready(self, part: Part, env: Env, failed: dict[str, Any]) -> _Ready:
        """Whether every value `part` needs is in the fact; if not, what is missing or undefined."""
        if not failed:
            return _READY
        missing: set[str] = set()
        for name in part.native:
            problem = failed.get(name)
            if problem is not None:
                missing |= problem.names
        if missing:
            return _Ready(False, tuple(sorted(missing)))
        for atom in part.atoms:
            problem = failed.get(atom.key)
            if isinstance(problem, Undefined):
                return _Ready(False, undefined=problem)
            if problem is not None:
                undefined = _undefined_lookup(part.lookups, env)
                if undefined is not None:
                    return _Ready(False, undefined=undefined)
                absent = {f for f in part.inputs if f not in env.values}
                # all inputs present means a parameter is unset (e.g. no region class fixed)
                return _Ready(False, tuple(sorted(absent or problem.names)))
        return _READY

    def _derive_inputs(self, name: str, env: Env) -> set[str]:
        plan = self.compiled.plans[self.compiled.derive_rule[name]]
        absent = {f for f in plan.inputs if f not in env.values}
        return absent or {name}

    def _derived_value(self, plan: RulePlan, applies: dict[int, _Ready], conditions: dict[int, _Ready],
                       fired: Fired) -> bool | None:
        if plan.unconfigured is not None:
            return False
        if plan.applies is not None:
            app = applies.get(plan.index, _READY)
            if not app.ok:
                return None if app.undefined is None else False
            if (plan.index, "na") in fired:
                return False
        cond = conditions.get(plan.index, _READY)
        if not cond.ok:
            return None if cond.undefined is None else False
        return (plan.index, "true") in fired

    # -- findings -----------------------------------------------------------------
    def _finding(self, plan: RulePlan, env: Env, shown: Env, applies: dict[int, _Ready],
                 conditions: dict[int, _Ready], fired: Fired) -> Finding:
        rule = plan.rule
        kind = plan.kind
        rule_id, group, unit = rule.id, rule.spec.group, rule.unit
        graded = plan.max_points is not None
        zero = Fraction(0) if graded else None
        if plan.unconfigured is not None:
            reason = plan.unconfigured_reason
            what = "table" if reason == "table_not_configured" else "parameter"
            unset = Undefined(reason, **{what: plan.unconfigured})
            return self._not_applicable(plan, unset)
        if plan.applies is not None:
            app = applies.get(plan.index, _READY)
            if app.undefined is not None:
                return self._not_applicable(plan, app.undefined)
            if not app.ok:
                return Finding(rule_id, group, kind, Status.MISSING, unit=unit, points=zero,
                               max_points=plan.max_points, missing=app.missing)
            if (plan.index, "na") in fired:
                return Finding(rule_id, group, kind, Status.NOT_APPLICABLE, unit=unit, points=zero,
                               max_points=plan.max_points, reason="applies_if")
        if graded and plan.value is not None:
            return self._graded(plan, env)
        if plan.branches:
            ready = conditions.get(plan.index, _READY).ok
            return self._any_branch(plan, env, shown, ready, fired)
        cond = conditions.get(plan.index, _READY)
        if cond.undefined is not None:
            return self._not_applicable(plan, cond.undefined)
        if not cond.ok:
            return Finding(rule_id, group, kind, Status.MISSING, unit=unit, points=zero,
                           max_points=plan.max_points, missing=cond.missing)
        if kind is Kind.DERIVE:
            true = (plan.index, "true") in fired
            return Finding(rule_id, group, kind, Status.PASS if true else Status.FAIL, actual=true)
        if kind is Kind.INFO:  # pass: the fact holds (its message shows); fail: not
            holds = (plan.index, "true") in fired
            return Finding(rule_id, group, kind, Status.PASS if holds else Status.FAIL)
        if kind is Kind.BONUS:
            awarded = (plan.index, "true") in fired
            return Finding(rule_id, group, kind, Status.PASS if awarded else Status.FAIL,
                           points=plan.max_points if awarded else zero, max_points=plan.max_points)
        actual, threshold = self._reported(plan, shown)
        if (plan.index, "fail") in fired:
            return Finding(rule_id, group, kind, Status.FAIL, actual, threshold, plan.op, unit,
                           remedy=self._remedy(plan, env, actual, threshold))
        return Finding(rule_id, group, kind, Status.PASS, actual, threshold, plan.op, unit)

    def _not_applicable(self, plan: RulePlan, undefined: Undefined) -> Finding:
        zero = Fraction(0) if plan.max_points is not None else None
        return Finding(plan.rule.id, plan.rule.spec.group, plan.kind, Status.NOT_APPLICABLE, unit=plan.rule.unit,
                       points=zero, max_points=plan.max_points, reason=undefined.code,
                       reason_params=tuple(sorted(undefined.params.items())))

    def _reported(self, plan: RulePlan, env: Env) -> tuple[Any, Any]:
        """The actual and threshold values shown for a check (never used to decide it)."""
        if plan.actual is None:
            return None, None
        if plan.reported_plainly:  # a field against a constant or a table cell: read as they are
            try:
                return _shown_values(plan, env)
            except (Missing, Undefined):
                return None, None
            except ArithmeticError:  # a lookup key too long to spell exactly: as below, rounded
                pass
        setcontext(self._shown)  # shown to 4 decimals: a quotient may be rounded here
        try:
            return _shown_values(plan, env)
        except (Missing, Undefined):
            return None, None
        finally:
            setcontext(self._exact)

    def _graded(self, plan: RulePlan, env: Env) -> Finding:
        rule = plan.rule
        rule_id, group, unit = rule.id, rule.spec.group, rule.unit
        try:
            value = _as_fraction(_exact(plan.fast_value, plan.value, env))
        except Missing:
            undefined = _undefined_lookup(plan.value_lookups, env)
            if undefined is not None:
                return self._not_applicable(plan, undefined)
            missing = tuple(f for f in plan.inputs if f not in env.values) or plan.inputs
            return Finding(rule_id, group, plan.kind, Status.MISSING, unit=unit, points=Fraction(0),
                           max_points=plan.max_points, missing=missing)
        except Undefined as exc:
            return self._not_applicable(plan, exc)
        points = points_for(plan.bands, plan.linear, value)
        remedy = None
        if points < plan.max_points:  # type: ignore[operator]
            step = next_band(plan.bands, plan.linear, value, points)
            if step is not None:
                target, better = step
                relation = ">=" if target > value else "<="
                options = self.solver.options(rule.value, relation, target, env)  # type: ignore[arg-type]
                remedy = Remedy("score", options, target, better - points)
        return Finding(rule_id, group, plan.kind, Status.PASS if points > 0 else Status.FAIL, value,
                       unit=unit, points=points, max_points=plan.max_points, remedy=remedy)

    def _remedy(self, plan: RulePlan, env: Env, actual: Any, threshold: Any) -> Remedy:
        if plan.kind is Kind.VETO:
            return Remedy("veto")
        return self._check_remedy(plan.rule.condition, plan.op, env, actual, threshold)  # type: ignore[arg-type]

    def _check_remedy(
        self, top: Any, op: str | None, env: Env, actual: Any, threshold: Any
    ) -> Remedy:
        """What would meet a failed requirement `top`: input values for a comparison,
        else the condition itself."""
        numeric = isinstance(actual, (Decimal, Fraction))
        if (
            op in (">=", ">", "<=", "<")
            and numeric
            and isinstance(threshold, (Decimal, Fraction))
        ):
            threshold = self._threshold_fraction(threshold)
            return Remedy(
                "numeric", self.solver.options(top.left, op, threshold, env), threshold
            )
        if op == "between" and numeric:
            actual = _as_fraction(actual)
            low, high = map(_as_fraction, threshold)
            relation, bound = (">=", low) if actual < low else ("<=", high)
            return Remedy(
                "numeric", self.solver.options(top.args[0], relation, bound, env), bound
            )
        return Remedy("condition")

    def _any_branch(
        self, plan: RulePlan, env: Env, shown: Env, ready: bool, fired: Fired
    ) -> Finding:
        """A `require_any` rule: met when one branch is (the others' data then does not
        matter); otherwise missing while a branch lacks data, failed when every judged
        one fails. Which branch passed, and what each failed one would take, travel in
        `branches`."""
        rule = plan.rule
        results = tuple(
            self._branch(branch, env, shown, plan.kind is Kind.VETO)
            for branch in plan.branches
        )
        head = (rule.id, rule.spec.group, plan.kind)
        passed = next((r for r in results if r.status is Status.PASS), None)
        if (
            ready
        ):  # every branch judged: the engine's match decides, the branches explain
            passed = None if (plan.index, "fail") in fired else passed or results[0]
        if passed is not None:
            return Finding(
                *head,
                Status.PASS,
                passed.actual,
                passed.threshold,
                passed.op,
                passed.unit,
                branches=results,
            )
        missing = tuple(sorted({name for r in results for name in r.missing}))
        if missing:
            return Finding(*head, Status.MISSING, missing=missing, branches=results)
        if any(r.status is Status.FAIL for r in results):
            return Finding(
                *head,
                Status.FAIL,
                remedy=Remedy("veto" if plan.kind is Kind.VETO else "any"),
                branches=results,
            )
        return Finding(
            *head, Status.NOT_APPLICABLE, reason="no_branch_applies", branches=results
        )

    def _branch(
        self, branch: BranchPlan, env: Env, shown: Env, veto: bool
    ) -> BranchFinding:
        try:
            holds = _exact(branch.fast_test, branch.test, env)
        except Missing as exc:
            if (
                _undefined_lookup(branch.lookups, env) is not None
            ):  # a "/" cell: this branch does not apply
                return BranchFinding(branch.name, Status.NOT_APPLICABLE)
            absent = tuple(f for f in branch.inputs if f not in env.values) or tuple(
                sorted(exc.names)
            )
            return BranchFinding(branch.name, Status.MISSING, missing=absent)
        except Undefined:
            return BranchFinding(branch.name, Status.NOT_APPLICABLE)
        actual = threshold = None
        if branch.actual is not None:
            setcontext(self._shown)  # shown to 4 decimals, as a rule's own values are
            try:
                actual, threshold = _shown_values(branch, shown)  # type: ignore[arg-type]
            except (Missing, Undefined):
                pass
            finally:
                setcontext(self._exact)
        if holds:
            return BranchFinding(
                branch.name, Status.PASS, actual, threshold, branch.op, branch.unit
            )
        remedy = (
            None
            if veto
            else self._check_remedy(branch.node, branch.op, env, actual, threshold)
        )
        return BranchFinding(
            branch.name,
            Status.FAIL,
            actual,
            threshold,
            branch.op,
            branch.unit,
            remedy=remedy,
        )

    def _threshold_fraction(self, threshold: Decimal | Fraction) -> Fraction:
        # a rule's threshold is mostly one and the same value: converted once
        found = self._fractions.get(threshold)
        if found is None:
            if len(self._fractions) >= FINDING_MEMO:
                self._fractions.clear()
            found = self._fractions[threshold] = _as_fraction(threshold)
        return found

    # -- decision -----------------------------------------------------------------
    def _decision(self, values: dict[str, Any], findings: list[Finding]) -> Decision:
        # bonus points count only on top of a score: a rule set without score rules has none
        score = total_score(findings, self.ruleset.weights) if self._has_score else None
        missing: set[str] = set()
        vetoed, rejected, reviewed = [], [], []
        missing_hard = False  # a veto, gate or review rule lacks data
        for f in findings:  # one pass: this runs for every project of a batch
            status, kind = f.status, f.kind
            if status is Status.FAIL:
                if kind is Kind.VETO:
                    vetoed.append(f.rule)
                elif kind is Kind.GATE:
                    rejected.append(f.rule)
                elif kind is Kind.REVIEW:
                    reviewed.append(f.rule)
            elif status is Status.MISSING and kind not in _DECIDES_NOTHING:
                missing.update(f.missing)
                if kind is Kind.VETO or kind is Kind.GATE or kind is Kind.REVIEW:
                    missing_hard = True
        outcome = decide(bool(vetoed or rejected), missing_hard or bool(reviewed), score, self.pass_mark,
                         self.review_band)
        return Decision(
            project_id=_text(values.get("id")), project_name=_text(values.get("name")),
            project_company=_text(values.get("company")),
            ruleset_id=self.ruleset.id, ruleset_version=self.ruleset.version,
            ruleset_sha256=self.ruleset.sha256, as_of=self.ruleset.as_of, outcome=outcome,
            score=score, pass_mark=self.pass_mark, review_band=self.review_band,
            vetoed_by=tuple(vetoed), rejected_by=tuple(rejected),
            reviewed_by=tuple(reviewed), missing=tuple(sorted(missing)), findings=tuple(findings),
        )


# kinds whose missing data never sends a project to review nor lists fields to obtain
_DECIDES_NOTHING = (Kind.DERIVE, Kind.INFO)

# Entries per rule in the findings memo (keyed by fired sides and input values) and per
# atom in the atom memo: enough for the checks that repeat across a batch, few enough
# that memory stays flat.
FINDING_MEMO = 1_000
_SIDE_BITS = {"na": 1, "fail": 2, "true": 4}

# For values that are only shown: 28 significant digits, rounding allowed.
SHOWN = Context(prec=28)


def _shown_values(plan: RulePlan | BranchPlan, env: Env) -> tuple[Any, Any]:
    actual = plan.fast_actual(env) if plan.fast_actual else plan.actual(env)  # type: ignore[misc]
    return actual, (plan.fast_threshold or plan.threshold)(env) if plan.threshold else None


def _atom_value(atom: Atom, env: Env) -> Any:
    """An atom's value for the engine, or the Missing / Undefined that prevents it. Run inside EXACT.

    A returned exception is memoised: it is stripped of its traceback and context, which
    would otherwise keep this project's frames, and all its values, alive in the memo.
    """
    try:
        return atom.fast(env)
    except Inexact:  # a value Decimal cannot hold exactly: compute it as a rational
        try:
            return atom.fn(env)
        except (Missing, Undefined) as exc:
            return _bare(exc)
    except (Missing, Undefined) as exc:
        return _bare(exc)


def _key_names(names: tuple[str, ...]) -> str | tuple[str, ...]:
    return names[0] if len(names) == 1 else names


def _bare(exc: Exception) -> Exception:
    exc.__traceback__ = exc.__context__ = exc.__cause__ = None
    return exc


def _exact(fast: Any, slow: Any, env: Env) -> Any:
    """`fast` (Decimal, exact or refused) if it can, else `slow` (rationals). Run inside EXACT."""
    if fast is not None:
        try:
            return fast(env)
        except Inexact:
            pass
    return slow(env)


def _as_fraction(value: Any) -> Any:
    return Fraction(value) if isinstance(value, Decimal) else value


def _undefined_lookup(lookups: tuple[Any, ...], env: Env) -> Undefined | None:
    """The first lookup with no value for this project (its keys present), if any."""
    for lookup in lookups:
        try:
            lookup(env)
        except Undefined as exc:
            return exc
        except Missing:
            continue
    return None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


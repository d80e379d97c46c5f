"""Scheme files → a checked `Scheme`: schema, expressions, units, cross-references.

Every problem is reported at once, each at file:line:column with its field path
and, for an unknown key or name, a "did you mean". YAML is read by
`screening.source` (safe, positions kept); expressions are parsed and typed by
`screening.expr`, never evaluated by Python.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from screening.errors import Diagnostic, ExpressionError, RuleSetError, SourceSpan
from screening.evaluation import model as spec
from screening.evaluation.fast import condition_function, value_function
from screening.evaluation.fields import DERIVED, FIRM_FIELDS, FirmField
from screening.evaluation.scheme import (
    ClassRule,
    Condition,
    Expr,
    IndicatorDef,
    Scheme,
    TrackDef,
)
from screening.expr import nodes as n
from screening.expr.evaluate import compile_expr
from screening.expr.lexer import OffsetSpan
from screening.expr.parser import parse
from screening.expr.types import BOOL, TEXT, Symbol, Type, check_bool, check_number
from screening.expr.units import normalise_unit
from screening.loader import rules_dirs
from screening.model.diagnose import diagnostics_from
from screening.model.units import CANONICAL_UNIT
from screening.source import LoadedYaml, field_path, load_yaml_file

FOLDER = "evaluations"  # under each rules directory
CODE = "EVL"

# a number input's unit → the unit kind its cells are read with
_KIND_OF_UNIT = {unit: kind for kind, unit in CANONICAL_UNIT.items() if unit} | {
    "": "ratio"
}


class SchemeError(RuleSetError):
    """An evaluation scheme is malformed or inconsistent."""

    code = CODE


def scheme_dirs() -> list[Path]:
    """Where shipped schemes are looked for: `evaluations/` in each rules directory."""
    return [base / FOLDER for base in rules_dirs()]


def shipped_scheme_ids() -> list[str]:
    """Ids of the schemes in the first evaluations directory that exists."""
    for base in scheme_dirs():
        if base.is_dir():
            return sorted(p.stem for p in base.glob("*.yaml"))
    return []


def is_scheme_ref(ref: str) -> bool:
    """Whether `ref` names a scheme (evaluations/ID or a file in an evaluations folder)."""
    path = Path(ref)
    return ref.startswith(f"{FOLDER}/") or (
        path.suffix in (".yaml", ".yml") and path.parent.name == FOLDER
    )


def find_scheme(ref: str) -> Path:
    """A scheme id (`huangyan`, `evaluations/huangyan`) or a file path → the file."""
    path = Path(ref)
    if path.suffix in (".yaml", ".yml", ".json") and path.is_file():
        return path
    name = ref.removeprefix(f"{FOLDER}/")
    for base in scheme_dirs():
        candidate = base / f"{name}.yaml"
        if candidate.is_file():
            return _relative(candidate)
    close = difflib.get_close_matches(name, shipped_scheme_ids(), n=1, cutoff=0.5)
    hint = f"（是否想写 {close[0]}？/ did you mean {close[0]}?）" if close else ""
    raise SchemeError(
        f"找不到评价方案 {ref!r}{hint} / no such evaluation scheme "
        f"(shipped: {', '.join(shipped_scheme_ids()) or 'none'})"
    )


def _relative(path: Path) -> Path:
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def load_scheme(ref: str | Path) -> Scheme:
    """Read, validate and compile one scheme; SchemeError lists every problem."""
    path = find_scheme(str(ref))
    loaded = load_yaml_file(path)
    if not isinstance(loaded.data, dict):
        raise SchemeError(
            "评价方案应为映射（键: 值）/ a scheme is a mapping",
            SourceSpan(str(path), 1, 1),
        )
    try:
        model = spec.SchemeFile.model_validate(loaded.data)
    except ValidationError as exc:
        diagnostics = diagnostics_from(exc, loaded, CODE, spec.SchemeFile)
        raise SchemeError("", diagnostics=sorted(diagnostics, key=_order)) from None
    return _Builder(path, loaded, model).build()


def _order(d: Diagnostic) -> tuple[str, int, int]:
    span = d.span or SourceSpan("")
    return (span.path, span.line or 0, span.column or 0)


def _input_field(item: spec.Input) -> FirmField:
    kind = {"bool": "bool", "text": "text"}.get(item.type) or _KIND_OF_UNIT.get(
        normalise_unit(item.unit or "")
    )
    zh = item.title.zh
    return FirmField(
        item.name, kind or "ratio", zh, item.title.en or zh, tuple(item.headers)
    )


def _symbol(field: FirmField) -> Symbol:
    if field.kind == "bool":
        return Symbol("field", BOOL)
    if field.kind in ("text", "scale"):
        return Symbol("field", TEXT)
    if field.kind == "integer":
        return Symbol("field", Type("number"))
    return Symbol("field", Type("number", normalise_unit(field.unit or "") or None))


class _Builder:
    """One pass over a validated SchemeFile, collecting every problem."""

    def __init__(self, path: Path, loaded: LoadedYaml, model: spec.SchemeFile) -> None:
        self.path = path
        self.loaded = loaded
        self.model = model
        self.errors: list[Diagnostic] = []
        self.fields: dict[str, FirmField] = dict(FIRM_FIELDS)
        self.class_ids = [label.id for label in model.classes]

    def error(self, message: str, at: tuple[Any, ...], key: bool = False) -> None:
        span = self.loaded.key_span(at) if key else self.loaded.span(at)
        self.errors.append(Diagnostic(CODE, message, span, field_path(at)))

    def build(self) -> Scheme:
        m = self.model
        self._inputs()
        scope = {name: _symbol(f) for name, f in (self.fields | DERIVED).items()}
        scope = {k: v for k, v in scope.items() if self._in_scope(k)}
        self.scope = scope
        self._unique("classes", [c.id for c in m.classes])
        self._unique("tracks", [t.id for t in m.tracks])
        self._unique("exclusions", [c.id for c in m.exclusions])
        self._unique("adjustments", [c.id for c in m.adjustments])
        self._unique("overrides", [c.id for c in m.overrides])
        tracks = tuple(self._track(i, t) for i, t in enumerate(m.tracks))
        exclusions = tuple(
            Condition(
                c.id,
                c.title,
                self._condition(c.when, ("exclusions", i, "when")),
                if_missing=c.if_missing,
                basis=c.basis,
                note=c.note,
            )
            for i, c in enumerate(m.exclusions)
        )
        adjustments = tuple(
            Condition(
                c.id,
                c.title,
                self._condition(c.when, ("adjustments", i, "when")),
                points=Fraction(c.points),
                basis=c.basis,
                note=c.note,
            )
            for i, c in enumerate(m.adjustments)
        )
        overrides = []
        for i, c in enumerate(m.overrides):
            self._class_ref(c.class_, ("overrides", i, "class"))
            overrides.append(
                Condition(
                    c.id,
                    c.title,
                    self._condition(c.when, ("overrides", i, "when")),
                    class_id=c.class_,
                    basis=c.basis,
                    note=c.note,
                )
            )
        if self.errors:
            raise SchemeError("", diagnostics=sorted(self.errors, key=_order))
        raw = self.path.read_bytes()
        return Scheme(
            id=m.id,
            title=m.title,
            version=m.version,
            basis=m.basis,
            note=m.note,
            path=str(self.path),
            sha256=hashlib.sha256(raw).hexdigest(),
            fields=self.fields,
            tracks=tracks,
            exclusions=exclusions,
            adjustments=adjustments,
            bonus_limit=_fraction(m.limits.bonus),
            deduction_limit=_fraction(m.limits.deduction),
            overrides=tuple(overrides),
            classes=tuple(m.classes),
            not_rated=m.not_rated,
            promise_measures=tuple(m.promise_measures),
            source=m,
        )

    @staticmethod
    def _in_scope(name: str) -> bool:
        # dates are read for derived figures (production_months); expressions see numbers
        field = FIRM_FIELDS.get(name)
        return field is None or field.kind != "date"

    def _inputs(self) -> None:
        for i, item in enumerate(self.model.inputs):
            at = ("inputs", i)
            if item.name in FIRM_FIELDS or item.name in DERIVED:
                self.error(
                    f"输入 {item.name!r} 与标准字段同名 / clashes with a standard field",
                    at + ("name",),
                )
                continue
            if item.name in self.fields:
                self.error(f"输入 {item.name!r} 重复 / duplicate input", at + ("name",))
                continue
            if (
                item.type == "number"
                and normalise_unit(item.unit or "") not in _KIND_OF_UNIT
            ):
                units = "、".join(repr(u) for u in sorted(_KIND_OF_UNIT))
                self.error(
                    f"不支持的单位 {item.unit!r}（可用：{units}）/ unit not supported",
                    at + ("unit",),
                )
                continue
            self.fields[item.name] = _input_field(item)

    def _unique(self, section: str, ids: Iterable[str]) -> None:
        seen: set[str] = set()
        for i, item in enumerate(ids):
            if item in seen:
                self.error(f"id {item!r} 重复 / duplicate id", (section, i, "id"))
            seen.add(item)

    def _class_ref(self, class_id: str, at: tuple[Any, ...]) -> bool:
        if class_id in self.class_ids:
            return True
        close = difflib.get_close_matches(class_id, self.class_ids, n=1, cutoff=0.3)
        hint = f"（是否想写 {close[0]}？/ did you mean {close[0]}?）" if close else ""
        self.error(
            f"未定义的类别 {class_id!r}{hint}；classes 中有 {'、'.join(self.class_ids)} / "
            "unknown class",
            at,
        )
        return False

    def _expr(
        self, text: str, at: tuple[Any, ...], want: str
    ) -> tuple[Expr | None, Type | None]:
        try:
            node = parse(text)
            found = (check_bool if want == "bool" else check_number)(node, self.scope)
        except ExpressionError as exc:
            for diag in exc.diagnostics:
                offset = diag.span.offset if isinstance(diag.span, OffsetSpan) else 0
                self.errors.append(
                    Diagnostic(
                        diag.code,
                        diag.message,
                        self.loaded.text_span(at, text, offset),
                        field_path(at),
                    )
                )
            return None, None
        span = self.loaded.span(at)
        run = compile_expr(node, {}, {})
        test = condition_function(node, run) if want == "bool" else None
        return Expr(text, node, run, span, test), found

    def _condition(self, text: str, at: tuple[Any, ...]) -> Expr:
        expr, _ = self._expr(text, at, "bool")
        return expr  # type: ignore[return-value]  # None only when errors are raised

    def _track(self, index: int, track: spec.Track) -> TrackDef:
        at = ("tracks", index)
        when = self._condition(track.when, at + ("when",)) if track.when else None
        ids = [ind.id for ind in track.indicators]
        self._unique_in(at + ("indicators",), ids)
        indicators = tuple(
            self._indicator(at + ("indicators", i), ind)
            for i, ind in enumerate(track.indicators)
        )
        classes = self._classes(at + ("classes",), track.classes, ids)
        return TrackDef(
            track.id, track.title, when, indicators, classes, track.basis, track.note
        )

    def _unique_in(self, at: tuple[Any, ...], ids: list[str]) -> None:
        seen: set[str] = set()
        for i, item in enumerate(ids):
            if item in seen:
                self.error(f"id {item!r} 重复 / duplicate id", at + (i, "id"))
            seen.add(item)

    def _indicator(self, at: tuple[Any, ...], ind: spec.Indicator) -> IndicatorDef:
        expr, found = self._expr(ind.expr, at + ("expr",), "number")
        declared = normalise_unit(ind.unit)
        if found is not None and found.unit is not None and found.unit != declared:
            self.error(
                f"指标声明单位 {ind.unit!r}，但表达式得到 {found.unit!r} / "
                "declared unit does not match the expression",
                at + ("unit",),
            )
        numerator = denominator = None
        statistic = ind.benchmark.statistic
        if statistic in ("mean", "previous_mean") and ind.decimals is None:
            self.error(
                "均值基准需要 decimals（指标值先按几位小数四舍五入再求均值）/ "
                "a mean benchmark needs decimals (values are rounded before averaging)",
                at + ("benchmark", "statistic"),
            )
        if statistic in ("aggregate", "previous_aggregate") and expr is not None:
            node = expr.node
            if not (isinstance(node, n.Arith) and node.op == "/"):
                self.error(
                    "总量比基准需要形如 A / B 的指标（如 tax / land_mu）/ "
                    "an aggregate benchmark needs an indicator written A / B",
                    at + ("benchmark", "statistic"),
                )
            else:
                span = expr.span
                numerator = Expr(
                    ind.expr, node.left, compile_expr(node.left, {}, {}), span
                )
                denominator = Expr(
                    ind.expr, node.right, compile_expr(node.right, {}, {}), span
                )
        multiple = ind.benchmark.multiple
        return IndicatorDef(
            id=ind.id,
            title=ind.title,
            unit=ind.unit,
            weight=Fraction(ind.weight),
            decimals=ind.decimals,
            benchmark=ind.benchmark,
            multiple=Fraction(multiple) if multiple is not None else Fraction(1),
            cap=None if ind.cap == "none" else Fraction(ind.cap),
            floor=_fraction(ind.floor),
            missing=ind.missing,
            expr=expr,  # type: ignore[arg-type]  # None only when errors are raised
            numerator=numerator,
            denominator=denominator,
            basis=ind.basis,
            note=ind.note,
            span=self.loaded.span(at),
            value_of=value_function(expr.node, expr.run, ind.decimals)
            if expr
            else None,
        )

    def _classes(
        self, at: tuple[Any, ...], rule: spec.Classes, indicator_ids: list[str]
    ) -> ClassRule:
        ids = self.class_ids
        thresholds: tuple[tuple[str, Fraction], ...] = ()
        upper: tuple[tuple[str, Fraction], ...] = ()
        small_thresholds: tuple[tuple[str, Fraction], ...] = ()
        if rule.thresholds is not None:
            thresholds = self._cut_offs(
                at + ("thresholds",), rule.thresholds, decreasing=True
            )
        if rule.upper is not None:
            upper = self._cut_offs(at + ("upper",), rule.upper, decreasing=False)
            upper = tuple((c, share / 100) for c, share in upper)
            if upper and upper[-1][1] >= 1:
                self.error(
                    "末一类之前的累计份额应小于 100% / the shares must leave room for the last class",
                    at + ("upper", upper[-1][0]),
                )
        small = rule.small_population
        small_class = None
        if small is not None:
            if small.thresholds is not None:
                small_thresholds = self._cut_offs(
                    at + ("small_population", "thresholds"),
                    small.thresholds,
                    decreasing=True,
                )
            if small.class_ is not None and self._class_ref(
                small.class_, at + ("small_population", "class")
            ):
                small_class = small.class_
        tie_break = []
        for i, name in enumerate(rule.tie_break):
            if name in indicator_ids:
                tie_break.append(indicator_ids.index(name))
            else:
                close = difflib.get_close_matches(name, indicator_ids, n=1, cutoff=0.5)
                hint = (
                    f"（是否想写 {close[0]}？/ did you mean {close[0]}?）"
                    if close
                    else ""
                )
                self.error(
                    f"tie_break 中的 {name!r} 不是本序列的指标{hint} / not an indicator of this track",
                    at + ("tie_break", i),
                )
        return ClassRule(
            by=rule.by,
            thresholds=thresholds,
            upper=upper,
            count=rule.count,
            ties=rule.ties,
            tie_break=tuple(tie_break),
            small_below=small.below if small else None,
            small_thresholds=small_thresholds,
            small_class=small_class,
            last=ids[-1],
            spec=rule,
        )

    def _cut_offs(
        self, at: tuple[Any, ...], given: dict[str, Any], decreasing: bool
    ) -> tuple[tuple[str, Fraction], ...]:
        """Cut-offs for every class but the last, in class order, strictly monotone."""
        ids = self.class_ids
        expected = ids[:-1]
        for key in given:
            if key not in ids:
                self._class_ref(key, at + (key,))
            elif key == ids[-1]:
                self.error(
                    f"末一类 {key} 不写界限（其余企业都归入它）/ the last class takes the rest",
                    at + (key,),
                    key=True,
                )
        missing = [c for c in expected if c not in given]
        if missing:
            self.error(
                f"缺少类别 {'、'.join(missing)} 的界限（应为 {'、'.join(expected)}）/ "
                "a cut-off is needed for every class but the last",
                at,
            )
            return ()
        values = [(c, Fraction(given[c])) for c in expected]
        for (a, x), (b, y) in itertools.pairwise(values):
            if (x <= y) if decreasing else (x >= y):
                order = "递减" if decreasing else "递增"
                self.error(
                    f"类别 {a} 与 {b} 的界限应严格{order} / cut-offs must be strictly "
                    f"{'decreasing' if decreasing else 'increasing'} from best to worst",
                    at + (b,),
                )
        return tuple(values)


def _fraction(value: Any) -> Fraction | None:
    return None if value is None else Fraction(value)

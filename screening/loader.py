"""Rule-set files → one effective `RuleSet`: `extends`, overrides, disables, as-of dates.

Every expression is parsed and type-checked here, so a rule set that loads is one
the compiler can trust; every problem is reported with file, line and column.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import os
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from screening.errors import Diagnostic, ExpressionError, RuleSetError, SourceSpan
from screening.expr import nodes as n
from screening.expr.lexer import OffsetSpan
from screening.expr.parser import parse
from screening.expr.types import (
    BOOL,
    TEXT,
    Symbol,
    Type,
    check,
    check_bool,
    check_number,
    suggest,
)
from screening.expr.units import normalise_unit
from screening.model import ruleset as spec
from screening.model.diagnose import diagnostics_from
from screening.model.effective import Disabled, EffectiveRule, RuleSet
from screening.model.project import FIELDS
from screening.source import LoadedYaml, field_path, load_yaml_bytes, read_file

PASS_MARK = "pass_mark"
REVIEW_BAND = "review_band"


def rules_dirs() -> list[Path]:
    """Where shipped rule sets are looked for: $SCREENING_RULES, then the source tree.

    Never the current folder: a `rules/` folder there would stand in for the shipped
    rule sets, and every result would claim a shipped id for what it did not apply.
    A rule set of one's own is named by its file path, and labelled with it.
    """
    dirs = []
    if os.environ.get("SCREENING_RULES"):
        dirs.append(Path(os.environ["SCREENING_RULES"]))
    dirs.append(_source_rules())
    seen, unique = set(), []
    for d in dirs:
        key = d.resolve() if d.exists() else d
        if key not in seen:
            seen.add(key)
            unique.append(d)
    return unique


@cache
def _source_rules() -> Path:
    # the source tree's rules folder, resolved once: it does not move while we run
    return Path(__file__).resolve().parent.parent / "rules"


def _relative(path: Path) -> Path:
    # Messages read better as rules/x.yaml:12 than as an absolute path.
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def shipped_ids() -> list[str]:
    """Ids of the rule sets found in the first rules directory that exists."""
    for base in rules_dirs():
        if base.is_dir():
            return sorted(
                p.relative_to(base).with_suffix("").as_posix()
                for p in base.rglob("*.yaml")
                if p.relative_to(base).parts[0]
                != "evaluations"  # 亩均 schemes, not rule sets
            )
    return []


def find_ruleset(ref: str, folder: Path | None = None) -> Path:
    """A rule set id (`parks/x`) or a file path → the file.

    A relative file path is read from `folder` when one is given: the folder of the
    rule-set file whose `extends` names it, so a chain loads the same from anywhere
    (as a case file's `ruleset:` is read from the case file's folder). An id is
    always a shipped rule set's.
    """
    if folder is not None and _is_file_ref(ref) and not Path(ref).is_absolute():
        beside = folder / ref
        if beside.is_file():
            return _relative(beside)
        raise RuleSetError(f"找不到规则集文件 {beside} / no such file")
    if _is_path(ref):
        return Path(ref)
    if _is_file_ref(ref):
        raise RuleSetError(f"找不到规则集文件 {ref} / no such file")
    for base in rules_dirs():
        candidate = base / f"{ref}.yaml"
        if candidate.is_file():
            return _relative(candidate)
    import difflib  # only a misspelt id needs it: not imported by every command

    close = difflib.get_close_matches(ref, shipped_ids(), n=1, cutoff=0.5)
    hint = f"（是否想写 {close[0]}？/ did you mean {close[0]}?）" if close else ""
    raise RuleSetError(
        f"找不到规则集 {ref!r}{hint} / no such rule set (see `screening rules`)"
    )


class _Loaded:
    """One rule-set file as read: its positions, its model (None with schema errors)."""

    def __init__(
        self, path: Path, loaded: LoadedYaml, model: spec.RuleSetFile | None, raw: bytes
    ) -> None:
        self.path = path
        self.loaded = loaded
        self._model = model  # None with schema errors (reported; loading goes on)
        self.raw = raw

    @property
    def model(self) -> spec.RuleSetFile:
        """The checked model: asked for only once the whole chain loaded cleanly."""
        assert self._model is not None
        return self._model

    @property
    def id(self) -> str:
        if self._model is not None:
            return self._model.id
        given = self.loaded.data.get("id")
        return given if isinstance(given, str) else str(self.path)

    @property
    def extends(self) -> list[str]:
        if self._model is not None:
            return self._model.extends
        given = self.loaded.data.get("extends")
        if not isinstance(given, list):
            return []
        return [x for x in given if isinstance(x, str)]


def _read(path: Path, errors: list[Diagnostic]) -> _Loaded:
    """Read and check one file; schema errors go to `errors`, `extends` still count.

    A file whose bytes were read and validated cleanly before comes from the rule-set
    cache (`screening.rulecache`): the same positions and model, without building the
    model's schema; any other is read and validated here, and its problems reported.
    """
    from screening import rulecache

    raw = read_file(path)
    cached = rulecache.lookup(raw)
    if cached is not None:
        return _Loaded(path, cached.loaded(str(path)), cached.model, raw)
    loaded = load_yaml_bytes(raw, path)
    if not isinstance(loaded.data, dict):
        raise RuleSetError(
            "规则集文件应为映射（键: 值）/ a rule set is a mapping",
            SourceSpan(str(path), 1, 1),
        )
    model = None
    try:
        model = spec.RuleSetFile.model_validate(loaded.data)
    except ValidationError as exc:
        errors += diagnostics_from(exc, loaded, "RUL", spec.RuleSetFile)
    else:
        rulecache.store(raw, loaded, model)
    return _Loaded(path, loaded, model, raw)


def _order(d: Diagnostic) -> tuple[str, int, int]:
    span = d.span
    return (
        span.path if span else "",
        (span.line or 0) if span else 0,
        (span.column or 0) if span else 0,
    )


def shipped_id_of(path: Path) -> str | None:
    """The id a file under a rules directory must have (its path there), else None."""
    resolved = path.resolve()
    for base in rules_dirs():
        if not base.exists():
            continue
        folder = base.resolve()
        if folder in resolved.parents:
            return resolved.relative_to(folder).with_suffix("").as_posix()
    return None


def _identity(item: _Loaded) -> list[Diagnostic]:
    # A file under rules/ stands for the shipped rule set of its path: an id naming
    # another would make every result claim a rule set that was not applied.
    expected = shipped_id_of(item.path)
    if expected is None or expected == item.id:
        return []
    message = (
        f"规则集 id {item.id!r} 与文件位置不符，应为 {expected!r} / "
        "the id must be the path under rules/"
    )
    return [Diagnostic("VAL", message, item.loaded.span(("id",)), "id")]


def _chain(path: Path) -> list[_Loaded]:
    """The file and its ancestors, parents first, each once; cycles are errors.

    Every file's schema errors, identity errors and missing parents are gathered
    before anything is raised, so one run reports them all.
    """
    order: list[_Loaded] = []
    done: set[str] = set()
    errors: list[Diagnostic] = []

    def visit(p: Path, stack: list[str], span: SourceSpan | None) -> None:
        item = _read(p, errors)
        rid = item.id
        if rid in stack:
            cycle = " → ".join(stack + [rid])
            raise RuleSetError(f"extends 形成循环：{cycle} / cyclic extends", span)
        if rid in done:
            return
        errors.extend(_identity(item))
        for i, parent in enumerate(item.extends):
            parent_span = item.loaded.span(("extends", i))
            try:
                parent_path = find_ruleset(parent, p.parent)
            except RuleSetError as exc:
                message = f"extends: {exc.diagnostics[0].message}"
                errors.append(Diagnostic("RUL", message, parent_span))
                continue
            visit(parent_path, stack + [rid], parent_span)
        done.add(rid)
        order.append(item)

    visit(path, [], None)
    if errors:
        raise RuleSetError("", diagnostics=sorted(errors, key=_order))
    return order


def load_ruleset(
    ref: str | Path, as_of: dt.date | None = None, checked: bool = True
) -> RuleSet:
    """Load, merge and type-check a rule set; `as_of` keeps what was in force that day.
    `checked`: refuse one with the errors `validate` finds after loading (overlapping
    score bands, a table cell missing): never screened with, as it is never valid."""
    path = find_ruleset(str(ref))
    chain = _chain(path)
    top = chain[-1]
    for item in reversed(chain):
        # a parent not in force that day gives none of its parameters, tables or
        # disables either (its rules alone dropped, a 2025 province's disable of the
        # red-line veto judged a 2024 lead): refused, as the rule set itself would be
        effective = item.model.effective
        if as_of is None or effective is None or effective.covers(as_of):
            continue
        if item is top:
            message = (
                f"规则集 {top.model.id} 在 {as_of} 不在有效期内（{_period(effective)}）/ "
                "not in force on that date"
            )
        else:
            message = (
                f"上级规则集 {item.model.id} 在 {as_of} 不在有效期内（{_period(effective)}），"
                f"{top.model.id} 不能用于这一天 / the parent {item.model.id} is not in "
                f"force on that date, so {top.model.id} cannot be applied to it"
            )
        raise RuleSetError(message, item.loaded.span(("effective",)))
    merged = _merge(chain, as_of)
    _typecheck(merged, {item.model.id: item for item in chain})
    if checked:
        from screening.validate import semantic_errors

        errors = semantic_errors(merged)
        if errors:
            raise RuleSetError("", diagnostics=errors)
    if _is_path(str(ref)):
        merged.path = str(ref)
    elif not path.resolve().is_relative_to(_source_rules()):
        # an id found under $SCREENING_RULES: not the rule set shipped under that id
        merged.path = str(path)
    return merged


def load_chain(paths: list[Path], as_of: dt.date | None = None) -> RuleSet:
    """Merge and type-check the given files, parents first, as `load_ruleset` would merge
    the chain it resolves; `extends` is not resolved again (the register's snapshots are
    chains whose files keep their bytes, wherever the ids would resolve now)."""
    errors: list[Diagnostic] = []
    chain = [_read(path, errors) for path in paths]
    if errors:
        raise RuleSetError("", diagnostics=sorted(errors, key=_order))
    merged = _merge(chain, as_of)
    _typecheck(merged, {item.model.id: item for item in chain})
    return merged


def _is_file_ref(ref: str) -> bool:
    """Whether `ref` names a file (by its suffix) rather than a shipped id."""
    return Path(ref).suffix in (".yaml", ".yml", ".json")


def _is_path(ref: str) -> bool:
    """Whether `find_ruleset` reads `ref` as a file path rather than a shipped id."""
    return _is_file_ref(ref) and Path(ref).is_file()


def _period(eff: spec.Effective) -> str:
    return f"{eff.from_ or '…'} 至 {eff.to or '…'}"


def _in_force(effective: spec.Effective | None, as_of: dt.date | None) -> bool:
    return as_of is None or effective is None or effective.covers(as_of)


def _merge(chain: list[_Loaded], as_of: dt.date | None) -> RuleSet:
    top = chain[-1].model
    digest = hashlib.sha256()
    params: dict[str, spec.Parameter] = {}
    inputs: dict[str, spec.InputField] = {}
    tables: dict[str, spec.Table] = {}
    metrics: dict[str, spec.Metric] = {}
    # the built-in group titles are constants, not input: built as validation would
    groups = {
        k: spec.LocalText.model_construct(zh=zh, en=en)
        for k, (zh, en) in spec.GROUPS.items()
    }
    weights: dict[str, Decimal] | None = None
    points_total: Decimal | None = None
    rules: dict[str, EffectiveRule] = {}
    # derived fact → why its rule is not applied (zh, en)
    unset: dict[str, tuple[str, str]] = {}
    defined: set[str] = set()  # rule ids the chain defines, in force on as_of or not
    disabled: list[Disabled] = []
    provenance: dict[str, SourceSpan] = {}
    for item in chain:
        model, loaded = item.model, item.loaded
        digest.update(model.id.encode() + b"\0" + item.raw + b"\0")
        for name, param in model.parameters.items():
            params[name] = param
            provenance[f"parameters.{name}"] = loaded.span(("parameters", name))
        inputs.update(model.inputs)
        for name, table in model.tables.items():
            base = tables.get(name)
            if base is not None and set(table.model_fields_set) <= {
                "values",
                "note",
                "basis",
                "default",
            }:
                # A child that only fills or overrides cells keeps the parent's keys and unit.
                table = base.model_copy(
                    update={
                        "values": _deep_merge(base.values, table.values),
                        **{
                            k: getattr(table, k)
                            for k in table.model_fields_set
                            if k != "values"
                        },
                    }
                )
            if table.keys is None:
                raise RuleSetError(
                    f"查找表 {name} 需要 keys（键的名称）/ a table needs keys",
                    loaded.span(("tables", name)),
                )
            tables[name] = table
            provenance[f"tables.{name}"] = loaded.span(("tables", name))
        for name, metric in model.metrics.items():
            metrics[name] = metric
            provenance[f"metrics.{name}"] = loaded.span(("metrics", name))
        for name, group in model.groups.items():
            groups[name] = group.title
        if model.weights is not None:
            weights = dict(model.weights)
        if model.points_total is not None:
            points_total = model.points_total
        seen_here: set[str] = set()
        for index, rule in enumerate(model.rules):
            if rule.id in seen_here:
                raise RuleSetError(
                    f"规则 id {rule.id!r} 在同一文件中重复 / duplicate rule id",
                    loaded.span(("rules", index, "id")),
                )
            seen_here.add(rule.id)
            inherited = rule.id in defined
            defined.add(rule.id)
            if not (
                _in_force(model.effective, as_of) and _in_force(rule.effective, as_of)
            ):
                if rule.kind == "derive" and rule.effective is not None:
                    unset[rule.sets] = (
                        f"设定它的规则 {rule.id} 在 {as_of} 不在有效期内"
                        f"（{_period(rule.effective)}）",
                        f"the derive rule {rule.id} setting it is not in force on {as_of}",
                    )
                continue  # a parent's version, if any, stays in force
            previous = rules.pop(
                rule.id, None
            )  # an override moves to where the child puts it
            if (
                previous is not None
                and previous.origin != model.id
                and not rule.override
            ):
                raise RuleSetError(
                    f"规则 id {rule.id!r} 已在 {previous.origin}（{previous.source}）中定义；"
                    "如需替换请写 override: true / already defined by a parent; add override: true to replace it",
                    loaded.span(("rules", index, "id")),
                )
            # a parent's rule not in force on as_of (2008 indicators after 2023) leaves
            # the override standing alone: it replaces that rule on the days it is
            if rule.override and previous is None and not inherited:
                raise RuleSetError(
                    f"override: true，但上级规则集中没有规则 {rule.id!r}{suggest(rule.id, list(rules))} / "
                    "nothing to override",
                    loaded.span(("rules", index, "override")),
                )
            rules[rule.id] = EffectiveRule(
                rule, loaded.span(("rules", index)), model.id, position=("rules", index)
            )
        for index, off in enumerate(model.disable):
            span = loaded.span(("disable", index))
            if off.rule not in rules and off.rule not in defined:
                hint = suggest(off.rule, list(rules))
                raise RuleSetError(
                    f"disable: 没有规则 {off.rule!r}{hint} / no such rule to disable",
                    span,
                )
            off_rule = rules.pop(off.rule, None)  # not in force on as_of: nothing
            if off_rule is not None and off_rule.kind == "derive":
                unset[off_rule.spec.sets] = (
                    f"设定它的规则 {off.rule} 已被 {model.id} 停用（disable）",
                    f"the derive rule {off.rule} setting it is disabled by {model.id}",
                )
            disabled.append(Disabled(off.rule, off.reason, span))
    if as_of is not None:
        digest.update(b"as_of=" + as_of.isoformat().encode())
    return RuleSet(
        id=top.id,
        title=top.title,
        version=top.version,
        sha256=digest.hexdigest(),
        as_of=as_of,
        chain=[item.model.id for item in chain],
        files={item.model.id: str(item.path) for item in chain},
        effective=top.effective,
        basis=top.basis,
        parameters=params,
        inputs=inputs,
        tables=tables,
        metrics=metrics,
        metric_nodes={},
        metric_types={},
        groups=groups,
        weights=weights,
        rules=list(rules.values()),
        disabled=disabled,
        provenance=provenance,
        sources={item.model.id: item.loaded for item in chain},
        points_total=points_total,
        unset_facts=unset,
    )


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


# --- type checking -------------------------------------------------------------


def _value_type(value: Any, unit: str | None) -> Type:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, (int, Decimal)):
        return Type("number", normalise_unit(unit) if unit is not None else None)
    if isinstance(value, list) and value:
        return Type("list", item=_value_type(value[0], unit))
    if value is None and unit is not None:  # a number left 未配置: its unit says so
        return Type("number", normalise_unit(unit))
    return TEXT


def _table_type(table: spec.Table) -> Type:
    def first_leaf(node: Any) -> Any:
        while isinstance(node, dict) and node:
            node = next(iter(node.values()))
        return None if isinstance(node, dict) else node

    leaf = first_leaf(table.values)
    if leaf is None:
        leaf = table.default
    if isinstance(leaf, str):
        return TEXT
    return Type(
        "number", normalise_unit(table.unit) if table.unit is not None else None
    )


def _field_symbols(rs: RuleSet) -> dict[str, Symbol]:
    scope: dict[str, Symbol] = {}
    for path, field in FIELDS.items():
        if field.type == "number":
            scope[path] = Symbol("field", Type("number", normalise_unit(field.unit)))
        elif field.type == "bool":
            scope[path] = Symbol("field", BOOL)
        else:
            scope[path] = Symbol("field", TEXT)
    for path, declared in rs.inputs.items():
        if declared.type == "number":
            scope[path] = Symbol(
                "field", Type("number", normalise_unit(declared.unit or ""))
            )
        else:
            scope[path] = Symbol("field", BOOL if declared.type == "bool" else TEXT)
    return scope


def _overlap(a: EffectiveRule, b: EffectiveRule) -> bool:
    """Whether two rules are in force on some day together (by their `effective`)."""
    x, y = a.spec.effective, b.spec.effective
    if x is None or y is None:
        return True
    return (x.from_ is None or y.to is None or x.from_ <= y.to) and (
        y.from_ is None or x.to is None or y.from_ <= x.to
    )


def _typecheck(rs: RuleSet, files: dict[str, _Loaded]) -> None:
    errors: list[Diagnostic] = []
    scope = _field_symbols(rs)
    for name, param in rs.parameters.items():
        scope[name] = Symbol("parameter", _value_type(param.value, param.unit))
    for name, table in rs.tables.items():
        scope[name] = Symbol(
            "table", _table_type(table), key_count=len(table.keys or ())
        )
    for name, why in rs.unset_facts.items():
        scope[name] = Symbol("unset", BOOL, note=why)
    derived = [r for r in rs.rules if r.kind == "derive"]
    setters: dict[str, list[EffectiveRule]] = {}
    for rule in derived:
        earlier = setters.setdefault(rule.spec.sets, [])
        # in force together, the later would silently win (its sheet says 是, then 否);
        # an old and a new edition of the list, dated apart, each set it in turn
        first = next((e for e in earlier if _overlap(e, rule)), None)
        earlier.append(rule)
        if first is not None:
            errors.append(
                Diagnostic(
                    "RUL",
                    f"事实 {rule.spec.sets} 已由规则 {first.id} 设定：一个事实只能由一条"
                    f"派生规则设定（替换上级的规则请用同一 id 并写 override: true，"
                    "扩大范围请改写那一条的 when）/ this fact is already set by "
                    f"{first.id}: one derive rule per fact",
                    rs.span(rule.origin, rule.position + ("sets",)),
                    field_path(rule.position + ("sets",)) + f" [{rule.id}]",
                )
            )
        scope[rule.spec.sets] = Symbol("derived", BOOL)

    def locate(
        exc: ExpressionError,
        where: SourceSpan | None,
        text: str,
        path: tuple[Any, ...],
        origin: str,
    ) -> None:
        loaded = files[origin].loaded if origin in files else None
        for diag in exc.diagnostics:
            offset = diag.span.offset if isinstance(diag.span, OffsetSpan) else 0
            span = loaded.text_span(path, text, offset) if loaded else where
            errors.append(Diagnostic(diag.code, diag.message, span, field_path(path)))

    metric_origin = {
        name: _origin_of(rs.provenance.get(f"metrics.{name}"), rs)
        for name in rs.metrics
    }
    # Metrics may use one another: check in dependency order.
    pending = dict(rs.metrics)
    parsed: dict[str, n.Node] = {}
    for name, metric in rs.metrics.items():
        try:
            parsed[name] = parse(metric.expr)
        except ExpressionError as exc:
            locate(
                exc, None, metric.expr, ("metrics", name, "expr"), metric_origin[name]
            )
            pending.pop(name)
    progress = True
    while pending and progress:
        progress = False
        for name in list(pending):
            deps = n.names(parsed[name]) & set(rs.metrics)
            if deps & set(pending):
                continue
            pending.pop(name)
            progress = True
            try:
                found = check_number(parsed[name], scope)
            except ExpressionError as exc:
                locate(
                    exc,
                    None,
                    rs.metrics[name].expr,
                    ("metrics", name, "expr"),
                    metric_origin[name],
                )
                continue
            declared = rs.metrics[name].unit
            if (
                declared is not None
                and found.unit is not None
                and normalise_unit(declared) != found.unit
            ):
                errors.append(
                    Diagnostic(
                        "EXP",
                        f"指标 {name} 声明单位 {declared!r}，但表达式得到 {found.unit!r} / "
                        "declared unit does not match the expression",
                        rs.provenance.get(f"metrics.{name}"),
                        f"metrics.{name}.unit",
                    )
                )
            unit = normalise_unit(declared) if declared is not None else found.unit
            scope[name] = Symbol("metric", Type("number", unit))
            rs.metric_nodes[name] = parsed[name]
            rs.metric_types[name] = Type("number", unit)
    for name in pending:
        errors.append(
            Diagnostic(
                "EXP",
                f"指标 {name} 相互引用形成循环 / metrics refer to each other in a cycle",
                rs.provenance.get(f"metrics.{name}"),
                f"metrics.{name}.expr",
            )
        )

    typed_rules = []
    for rule in rs.rules:
        base = rule.position
        parts: dict[str, n.Node | None] = {}
        unit = None  # str | None, as for the metrics above
        branches: list[tuple[n.Node, str | None]] = []
        for index, branch in enumerate(getattr(rule.spec, "require_any", None) or ()):
            try:
                node = parse(branch.require)
                check_bool(node, scope)
                branches.append((node, _compared_unit(node, scope)))
            except ExpressionError as exc:
                where = base + ("require_any", index, "require")
                locate(exc, rule.source, branch.require, where, rule.origin)
        if branches and len(branches) == len(rule.spec.require_any):
            parts["require"] = n.Logic(0, "or", tuple(node for node, _ in branches))
        for key in ("require", "fail_if", "when", "value", "applies_if"):
            text = getattr(rule.spec, key, None)
            if text is None:
                continue
            try:
                node = parse(text)
                if key == "value":
                    unit = check_number(node, scope).unit
                else:
                    check_bool(node, scope)
                    if key in ("require", "fail_if"):
                        unit = _compared_unit(node, scope)
                parts[key] = node
            except ExpressionError as exc:
                locate(exc, rule.source, text, base + (key,), rule.origin)
        condition = parts.get("require") or parts.get("fail_if") or parts.get("when")
        resolved = _resolve_figures(rule, rs, unit, errors)
        graded = (getattr(rule.spec, "bands", None), getattr(rule.spec, "linear", None))
        figures = frozenset(
            getattr(item, key)
            for items in graded
            for item in items or ()
            for key in ("min", "max", "at", "points")
            if isinstance(getattr(item, key, None), str)
        )
        typed_rules.append(
            EffectiveRule(
                resolved,
                rule.source,
                rule.origin,
                condition,
                parts.get("value"),
                parts.get("applies_if"),
                unit,
                rule.position,
                tuple(branches),
                figures,
            )
        )
    rs.rules = typed_rules
    if errors:
        raise RuleSetError("", diagnostics=sorted(errors, key=_order))


def load_for_checks(ref: str | Path) -> tuple[RuleSet, list[Diagnostic]]:
    """A rule set merged for `validate`, with its expression errors (an unknown name, a
    unit mismatch) returned rather than raised, so the checks of everything else run
    in the same pass: every problem at once. What cannot be merged (a missing parent,
    a duplicate id) still raises."""
    path = find_ruleset(str(ref))
    chain = _chain(path)
    merged = _merge(chain, None)
    try:
        _typecheck(merged, {item.model.id: item for item in chain})
    except RuleSetError as exc:
        return merged, list(exc.diagnostics)
    return merged, []


def _resolve_figures(
    rule: EffectiveRule, rs: RuleSet, unit: str | None, errors: list[Diagnostic]
) -> Any:
    """The rule with each band bound and linear point named by a parameter replaced by
    its value; a bound's parameter must be a number in the unit of the rule's value."""
    spec_rule = rule.spec
    lists = {key: getattr(spec_rule, key, None) for key in ("bands", "linear")}
    if not any(spec.figures_named(items) for items in lists.values() if items):
        return spec_rule
    update: dict[str, Any] = {}
    for key, items in lists.items():
        if not items:
            continue
        resolved = []
        for index, item in enumerate(items):
            figures = {}
            for name in ("min", "max", "at", "points"):
                figure = getattr(item, name, None)
                if not isinstance(figure, str):
                    continue
                where = rule.position + (key, index, name)
                figures[name] = _figure(
                    figure, name == "points", unit, rs, where, rule.origin, errors
                )
            resolved.append(item.model_copy(update=figures))
        update[key] = resolved
    linear = update.get("linear")
    if (
        linear
        and all(isinstance(p.at, Decimal) for p in linear)
        and any(b.at <= a.at for a, b in itertools.pairwise(linear))
    ):
        errors.append(
            Diagnostic(
                "BND",
                "linear 的 at 必须递增（参数代入后）/ linear 'at' values must increase",
                rs.span(rule.origin, rule.position + ("linear",)),
                field_path(rule.position + ("linear",)),
            )
        )
    return spec_rule.model_copy(update=update)


def _figure(
    name: str,
    points: bool,
    unit: str | None,
    rs: RuleSet,
    where: tuple[Any, ...],
    origin: str,
    errors: list[Diagnostic],
) -> Any:
    """A band or linear figure's parameter → its value; a diagnostic, and the name
    kept, when it has none."""
    param = rs.parameters.get(name)
    span, path = rs.span(origin, where), field_path(where)
    value = None if param is None else param.value
    if param is None:
        errors.append(
            Diagnostic(
                "EXP",
                f"未定义的参数 {name!r}{suggest(name, list(rs.parameters))} / "
                "unknown parameter",
                span,
                path,
            )
        )
    elif isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        errors.append(
            Diagnostic(
                "EXP",
                f"参数 {name} 应为已设值的数值，实际为 {value!r} / "
                "the parameter must be a number",
                span,
                path,
            )
        )
    else:
        declared = normalise_unit(param.unit) if param.unit is not None else None
        expected = "" if points else unit
        expected_text = "分值" if points else f"评分值的单位 {unit!r}"
        if (
            declared is not None
            and expected is not None
            and declared != expected
            and not (points and declared == "分")
        ):
            errors.append(
                Diagnostic(
                    "EXP",
                    f"参数 {name} 的单位 {param.unit!r} 与{expected_text}不符 / "
                    "unit does not match",
                    span,
                    path,
                )
            )
        return Decimal(value)
    return name


def _compared_unit(node: n.Node, scope: dict[str, Symbol]) -> str | None:
    if isinstance(node, n.Compare) and node.op in ("<", "<=", ">", ">="):
        left, right = check(node.left, scope), check(node.right, scope)
        return left.unit if left.unit is not None else right.unit
    if isinstance(node, n.Call) and node.func == "between":
        return check(node.args[0], scope).unit
    return None


def _origin_of(span: SourceSpan | None, rs: RuleSet) -> str:
    if span is None:
        return rs.id
    for rid, path in rs.files.items():
        if path == span.path:
            return rid
    return rs.id


def pass_mark(rs: RuleSet) -> tuple[Decimal | None, Decimal]:
    """The pass mark (None when the rule set has no score rules) and the review band."""
    mark = rs.parameter(PASS_MARK)
    band = rs.parameter(REVIEW_BAND)
    return (
        Decimal(mark) if mark is not None and rs.has_score else None,
        Decimal(band) if band is not None else Decimal(0),
    )

"""Checks a schema cannot express, over an effective rule set; every problem at once.

Score bands that overlap or leave gaps, lookup tables with missing cells or keys
outside their domain, weights that do not add up, comparisons that can never
fire or never fail given a field's domain, unused definitions, missing `basis`.
Loading (`loader`) already reports YAML, schema, extends and expression errors.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import string
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from screening.compile import COMPUTED, constant_of
from screening.errors import Diagnostic, ScreeningError, SourceSpan
from screening.expr import nodes as n
from screening.loader import find_ruleset, load_for_checks, rules_dirs
from screening.model.effective import EffectiveRule, RuleSet
from screening.model.project import FIELDS, Land, Output, input_kinds, section_of
from screening.model.ruleset import Parameter, Table
from screening.source import field_path

ERROR, WARNING, NOTE = "error", "warning", "note"  # a note never changes the exit code


@dataclass(frozen=True)
class Report:
    """The diagnostics of one rule set file and whether it loaded."""

    ref: str
    diagnostics: tuple[Diagnostic, ...]

    @property
    def errors(self) -> int:
        return sum(d.severity == ERROR for d in self.diagnostics)

    @property
    def warnings(self) -> int:
        return sum(d.severity == WARNING for d in self.diagnostics)


def validate(ref: str) -> Report:
    """Load a rule set (id or path) and run every check on it."""
    try:
        # its expression errors beside every other check's findings, in one run
        ruleset, errors = load_for_checks(ref)
    except ScreeningError as exc:
        return Report(ref, tuple(_with_field(d) for d in exc.diagnostics))
    found = errors + check_ruleset(ruleset, typed=not errors)
    return Report(ref, tuple(sorted(found, key=_order)))


def semantic_errors(rs: RuleSet) -> list[Diagnostic]:
    """The errors of `check_ruleset` (score bands that overlap or leave gaps, a table
    key outside its domain or a missing cell): a rule set with one is not applied
    (`load_ruleset`), as `validate` refuses it."""
    found = [d for rule in rs.rules for d in _bands(rs, rule)] + _tables(rs)
    return sorted((d for d in found if d.severity == ERROR), key=_order)


def _with_field(d: Diagnostic) -> Diagnostic:
    """A loading problem with its field: a parent rule set that cannot be found (or
    extends in a cycle) is the file's `extends`, where its line and column point."""
    if d.field is None and d.message.startswith("extends"):
        return d._replace(field="extends")
    return d


def _engine(rs: RuleSet) -> list[Diagnostic]:
    """What the compiler refuses: a rule set beyond what the engine's design was measured
    for (rules, a condition matching more than the engine holds at once), derivation cycles."""
    from screening.compile import compile_ruleset

    try:
        compile_ruleset(rs)
    except ScreeningError as exc:
        return list(exc.diagnostics)
    return []


def _order(d: Diagnostic) -> tuple[str, int, int, str]:
    span = d.span or SourceSpan("")
    return (span.path, span.line or 0, span.column or 0, d.code)


def check_ruleset(rs: RuleSet, typed: bool = True) -> list[Diagnostic]:
    """Every semantic problem of a loaded rule set (errors and warnings). Not `typed`
    (an expression refused): what needs every expression (the compiler's limits,
    unused names) is left until they are fixed."""
    out: list[Diagnostic] = []
    for rule in rs.rules:
        out += _bands(rs, rule)
        out += _domains(rs, rule)
        out += _placeholders(rs, rule)
        if rule.spec.basis is None and _is_shipped(rs, rule.origin):
            out.append(
                _diag(
                    WARNING,
                    "VAL",
                    "规则缺少 basis（政策依据）/ rule has no basis",
                    rs,
                    rule,
                    ("id",),
                )
            )
    if typed:
        out += _engine(rs)
    out += _tables(rs)
    out += _unconfigured(rs)
    out += _zero_divisors(rs)
    out += _dated_facts(rs)
    out += _weights(rs)
    if typed:
        out += _unused(rs)
    return out


def _diag(
    severity: str,
    code: str,
    message: str,
    rs: RuleSet,
    rule: EffectiveRule,
    path: tuple[Any, ...],
) -> Diagnostic:
    return Diagnostic(
        code,
        message,
        rs.span(rule.origin, rule.position + path),
        field_path(rule.position + path) + f" [{rule.id}]",
        severity,
    )


def _is_shipped(rs: RuleSet, origin: str) -> bool:
    path = Path(rs.files.get(origin, "")).resolve()
    return any(base.resolve() in path.parents for base in rules_dirs() if base.exists())


# --- score bands -------------------------------------------------------------------


def _bands(rs: RuleSet, rule: EffectiveRule) -> list[Diagnostic]:
    bands = getattr(rule.spec, "bands", None)
    if not bands:
        return []
    out = []
    ordered = sorted(
        enumerate(bands), key=lambda item: (item[1].min is not None, item[1].min or 0)
    )
    for index, band in ordered:
        if band.min is not None and band.max is not None and band.max <= band.min:
            out.append(
                _diag(
                    ERROR,
                    "BND",
                    f"分档 min {band.min} 不小于 max {band.max} / empty band",
                    rs,
                    rule,
                    ("bands", index),
                )
            )
    for (i, low), (j, high) in itertools.pairwise(ordered):
        if (
            low.max is None
            or (high.min is not None and low.max > high.min)
            or high.min is None
        ):
            out.append(
                _diag(
                    ERROR,
                    "BND",
                    f"分档重叠：第 {i + 1} 档与第 {j + 1} 档 / bands {i + 1} and {j + 1} overlap",
                    rs,
                    rule,
                    ("bands", j),
                )
            )
        elif high.min is not None and low.max < high.min:
            out.append(
                _diag(
                    ERROR,
                    "BND",
                    f"分档之间有空档：[{low.max}, {high.min}) 不属于任何一档，得 0 分 / "
                    "gap between bands",
                    rs,
                    rule,
                    ("bands", j),
                )
            )
    first, last = ordered[0][1], ordered[-1][1]
    if first.min is not None and first.min > 0:
        out.append(
            _diag(
                WARNING,
                "BND",
                f"低于 {first.min} 的值不属于任何一档（得 0 分）；如属有意，请加一档 max: {first.min}, points: 0 / "
                "values below the first band get 0 points",
                rs,
                rule,
                ("bands", ordered[0][0]),
            )
        )
    if last.max is not None:
        out.append(
            _diag(
                WARNING,
                "BND",
                f"不低于 {last.max} 的值不属于任何一档（得 0 分）/ values above the last band get 0 points",
                rs,
                rule,
                ("bands", ordered[-1][0]),
            )
        )
    return out


# --- domains: comparisons that can never fire or never fail ------------------------

# the project's shares (0–1), read off the model: 装配率 and the like included
_FRACTIONS = {path for path, kind in input_kinds().items() if kind == "fraction"}


def _bounds(path: str) -> tuple[Fraction, Fraction] | None:
    if path in _FRACTIONS:
        return Fraction(0), Fraction(1)
    for model, prefix in ((Land, "land."), (Output, "output.")):
        name = path.removeprefix(prefix)
        if path.startswith(prefix) and name in model.model_fields:
            return Fraction(0), None  # type: ignore[return-value]
    if FIELDS.get(path) is not None and FIELDS[path].type == "number":
        return Fraction(0), None  # type: ignore[return-value]
    return None


def _domains(rs: RuleSet, rule: EffectiveRule) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for key in ("require", "fail_if", "require_any", "when", "applies_if"):
        text = getattr(rule.spec, key, None)
        node = rule.applies_if if key == "applies_if" else rule.condition
        if text is None or node is None:
            continue
        for atom in _walk(node):
            message = _never(atom, rs)
            if message:
                out.append(_diag(WARNING, "DOM", message, rs, rule, (key,)))
    return out


CONDITION_KEYS = ("require", "fail_if", "require_any", "when")


# the placeholders a rule's message may hold (docs/rule-language.md)
_PLACEHOLDERS = frozenset(
    {"title", "actual", "threshold", "unit", "op", "points", "max_points"}
)
_ANY_PLACEHOLDERS = frozenset({"title", "details"})  # a require_any rule's


def _placeholders(rs: RuleSet, rule: EffectiveRule) -> list[Diagnostic]:
    """A message with a placeholder its rule does not fill, or a brace left open: the
    whole message would be shown as written, its figures and title unfilled."""
    allowed = (
        _ANY_PLACEHOLDERS if getattr(rule.spec, "require_any", None) else _PLACEHOLDERS
    )
    shown = "、".join("{" + name + "}" for name in sorted(allowed))
    out = []
    for key in ("message", "otherwise"):
        texts = getattr(rule.spec, key, None)
        problems: dict[str, str] = {}  # zh → en, each said once for both languages
        for template in (getattr(texts, "zh", None), getattr(texts, "en", None)):
            if not template:
                continue
            try:
                names = {
                    name
                    for _, name, _, _ in string.Formatter().parse(template)
                    if name is not None
                }
            except ValueError:
                problems["括号不成对（原样的 { } 请写成 {{ }}）"] = "an unmatched brace"
                continue
            unknown = "、".join("{" + u + "}" for u in sorted(names - allowed))
            if unknown:
                problems[f"{unknown} 不是本规则可用的占位符（可用：{shown}）"] = (
                    f"{unknown} is not a placeholder this rule fills"
                )
        for zh, en in problems.items():
            out.append(
                _diag(
                    WARNING,
                    "MSG",
                    f"{key} 中 {zh}：整条消息将原样显示，不填入任何数值 / {key}: {en}; "
                    "the whole message would be shown as written",
                    rs,
                    rule,
                    (key,),
                )
            )
    return out


def _walk(node: n.Node) -> list[n.Node]:
    found = [node]
    for child in n.children(node):
        found += _walk(child)
    return found


def _never(node: n.Node, rs: RuleSet) -> str | None:
    if isinstance(node, n.Compare) and isinstance(node.left, n.Name):
        path = node.left.name
        spec = FIELDS.get(path)
        choices = (
            spec.choices
            if spec
            else tuple(rs.inputs[path].values or ())
            if path in rs.inputs
            else ()
        )
        literals = (
            [node.right]
            if isinstance(node.right, n.Text)
            else list(node.right.items)
            if isinstance(node.right, n.ListOf)
            else []
        )
        for literal in literals:
            if choices and isinstance(literal, n.Text) and literal.value not in choices:
                hint = difflib.get_close_matches(literal.value, list(choices), n=1)
                suggestion = (
                    f"（是否想写 {hint[0]}？/ did you mean {hint[0]}?）" if hint else ""
                )
                return f"{path} 不可能等于 {literal.value!r}（可选值：{', '.join(choices)}）{suggestion} / not a possible value"
        bounds = _bounds(path)
        if bounds and isinstance(node.right, n.Number):
            low, high = bounds
            value = node.right.value
            always = {
                ">=": value <= low,
                ">": value < low,
                "<": high is not None and value > high,
                "<=": high is not None and value >= high,
            }.get(node.op)
            never = {
                ">=": high is not None and value > high,
                ">": high is not None and value >= high,
                "<": value <= low,
                "<=": value < low,
            }.get(node.op)
            if always:
                return f"{path} {node.op} {_show(value)} 对取值范围内的任何值都成立，此比较不会改变结果 / always true for the field's range"
            if never:
                return f"{path} {node.op} {_show(value)} 对取值范围内的任何值都不成立 / never true for the field's range"
    if isinstance(node, n.Call) and node.func == "startswith":
        for prefix in node.args[1:]:
            if isinstance(prefix, n.Text) and not _valid_prefix(prefix.value):
                return f"行业代码前缀 {prefix.value!r} 不是 GB/T 4754-2017 代码的开头（如 C26、C2613）/ not an industry code prefix"
    return None


def _valid_prefix(prefix: str) -> bool:
    if len(prefix) < 1 or not prefix[0].isalpha():
        return False
    digits = prefix[1:]
    if not digits:
        return "A" <= prefix[0] <= "T"
    if not digits.isdigit() or len(digits) > 4:
        return False
    if len(digits) >= 2:
        return section_of(int(digits[:2])) == prefix[0]
    return True


def _show(value: Fraction) -> str:
    return (
        str(value.numerator)
        if value.denominator == 1
        else str(Decimal(value.numerator) / Decimal(value.denominator))
    )


# --- tables ------------------------------------------------------------------------


def _tables(rs: RuleSet) -> list[Diagnostic]:
    out = []
    for name, table in rs.tables.items():
        span = rs.provenance.get(f"tables.{name}")
        depth = len(table.keys or ())
        for path, leaf in _cells(table.values, ()):
            if len(path) != depth:
                out.append(
                    Diagnostic(
                        "TBL",
                        f"查找表 {name} 的单元 {'/'.join(path)} 层数与 keys（{depth} 层）不符 / "
                        "cell depth does not match keys",
                        span,
                        f"tables.{name}.values",
                    )
                )
                break
            if leaf is None:
                out.append(
                    Diagnostic(
                        "TBL",
                        f"查找表 {name} 的单元 {'/'.join(path)} 为空 / empty cell",
                        span,
                        f"tables.{name}.values",
                        WARNING,
                    )
                )
        if not table.domain or not table.values:
            continue
        for level, key_name in enumerate(table.keys or ()):
            allowed = table.domain.get(key_name)
            if allowed is None:
                continue
            for path, _ in _cells(table.values, ()):
                if len(path) > level and path[level] not in allowed:
                    hint = difflib.get_close_matches(path[level], allowed, n=1)
                    suggestion = f"（是否想写 {hint[0]}？）" if hint else ""
                    out.append(
                        Diagnostic(
                            "TBL",
                            f"查找表 {name} 的键 {path[level]!r} 不在 {key_name} 的取值域内{suggestion} / "
                            "key outside the declared domain",
                            span,
                            f"tables.{name}.values",
                        )
                    )
        if (
            all(key in table.domain for key in table.keys or ())
            and table.default is None
        ):
            present = {path for path, _ in _cells(table.values, ())}
            missing = [
                combo
                for combo in itertools.product(
                    *(table.domain[k] for k in table.keys or ())
                )
                if combo not in present
            ]
            if missing:
                shown = "、".join("/".join(c) for c in missing[:8]) + (
                    f" 等 {len(missing)} 个" if len(missing) > 8 else ""
                )
                out.append(
                    Diagnostic(
                        "TBL",
                        f"查找表 {name} 缺少单元：{shown}（可设 default）/ missing cells",
                        span,
                        f"tables.{name}.values",
                    )
                )
    return out


def _cells(node: Any, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any]]:
    if isinstance(node, dict):
        out = []
        for key, value in node.items():
            out += _cells(value, path + (str(key),))
        return out
    return [(path, node)]


def _unconfigured(rs: RuleSet) -> list[Diagnostic]:
    """Rules that read an empty table or a parameter without a value: they report 未配置
    for every project until it is filled. Each gap is noted, with its reason
    (`pending:`), in the rule set that defines it; a rule set inheriting gaps gets one
    line naming them."""
    read = {r.id: _names_read(rs, r, outside_coalesce=True) for r in rs.rules}
    gaps: list[tuple[str, str, str, Table | Parameter]] = [
        ("tables", "查找表", name, t)
        for name, t in rs.tables.items()
        if not t.values and t.default is None
    ]
    gaps += [
        ("parameters", "参数", name, p)
        for name, p in rs.parameters.items()
        if p.value is None
    ]
    out, inherited = [], []
    top_file = rs.files[rs.id]
    for section, label, name, item in gaps:
        users = [rule_id for rule_id, names in read.items() if name in names]
        if not users:
            continue
        span = rs.provenance.get(f"{section}.{name}")
        if span is None or span.path != top_file:
            inherited.append(name)
            continue
        titled = "、".join(_titled(rs, rule_id) for rule_id in users)
        why = (
            f"原因：{item.pending}" if item.pending else "（未写明原因：请加 pending）"
        )
        out.append(
            Diagnostic(
                "CFG",
                f"{label} {name} 未配置：规则 {titled} 对所有项目报告“未配置”，"
                f"不作判断。{why} / "
                "not configured: these rules judge no project until it is filled",
                span,
                f"{section}.{name}",
                NOTE,
            )
        )
        if not item.pending and _is_shipped(rs, rs.id):
            out.append(
                Diagnostic(
                    "CFG",
                    f"{label} {name} 未配置，但没有写明原因"
                    "（pending：为何未配置、由谁填写）/ "
                    "an unconfigured item should say why (pending:)",
                    span,
                    f"{section}.{name}",
                    WARNING,
                )
            )
    if inherited:
        out.append(
            Diagnostic(
                "CFG",
                f"继承的未配置项 {', '.join(inherited)}："
                "使用它们的规则对所有项目报告“未配置”；"
                f"原因见定义它们的规则集（{' → '.join(rs.chain[:-1])}）/ "
                "inherited unconfigured items; see the rule set defining them",
                rs.sources[rs.id].span(("extends",)),
                "extends",
                NOTE,
            )
        )
    return out


def _zero_divisors(rs: RuleSet) -> list[Diagnostic]:
    """Divisions by a 0 the rule set itself wrote (a literal, or a parameter whose
    value is 0): the figure is never computed, so the rule is not applicable to every
    project. A project's own 0 is its data (missing, see kinds.base.zero_divisor)."""

    def zeros(node: n.Node) -> list[str]:
        found = []
        for part in _walk(node):
            if isinstance(part, n.Arith) and part.op == "/":
                divisor = part.right
                value = constant_of(divisor, rs)
                if value is not COMPUTED and value == 0:
                    found.append(
                        f"{divisor.name}（为 0）"
                        if isinstance(divisor, n.Name)
                        else "0"
                    )
        return found

    out = []
    for name, node in rs.metric_nodes.items():
        for divisor in zeros(node):
            users = [r.id for r in rs.rules if name in _names_read(rs, r)]
            out.append(
                Diagnostic(
                    "DIV",
                    f"指标 {name} 除以 {divisor}：无法计算，"
                    f"规则 {'、'.join(_titled(rs, u) for u in users) or '（无）'} "
                    "对所有项目报告“不适用” / divides by a 0 of the rule set: "
                    "the rules reading it judge no project",
                    rs.provenance.get(f"metrics.{name}"),
                    f"metrics.{name}",
                    WARNING,
                )
            )
    for rule in rs.rules:
        for key, expr in (
            ("condition", rule.condition),
            ("value", rule.value),
            ("applies_if", rule.applies_if),
        ):
            if expr is None:
                continue
            if key == "condition":  # where the rule's file wrote it
                key = next(
                    (k for k in CONDITION_KEYS if getattr(rule.spec, k, None)), "id"
                )
            for divisor in zeros(expr):
                out.append(
                    _diag(
                        WARNING,
                        "DIV",
                        f"除以 {divisor}：无法计算，此规则对所有项目报告“不适用” / "
                        "divides by a 0 of the rule set: the rule judges no project",
                        rs,
                        rule,
                        (key,),
                    )
                )
    return out


def _dated_facts(rs: RuleSet) -> list[Diagnostic]:
    """A derived fact whose derive rules (dated: `effective`) leave days of a rule
    reading it uncovered: on such a day nothing sets the fact and the rule set cannot
    be applied at all (said now, not on that day)."""
    setters: dict[str, list[EffectiveRule]] = {}
    for rule in rs.rules:
        if rule.kind == "derive":
            setters.setdefault(rule.spec.sets, []).append(rule)
    out = []
    for fact, derives in setters.items():
        periods = [_span_of(d.spec.effective) for d in derives]
        if all(p == (None, None) for p in periods):
            continue
        for reader in rs.rules:
            if reader in derives or fact not in _names_read(rs, reader):
                continue
            if _covered(_span_of(reader.spec.effective), periods):
                continue
            shown = "；".join(
                f"{_titled(rs, d.id)} {p[0] or '…'} 至 {p[1] or '…'}"
                for d, p in zip(derives, periods, strict=True)
            )
            out.append(
                _diag(
                    WARNING,
                    "EFF",
                    f"读取派生事实 {fact}，但设定它的规则只在部分日期有效（{shown}）："
                    "其余日期本规则集无法使用；请给本规则同样的有效期，或补一条派生规则 / "
                    "reads a fact its dated derive rules leave unset on some days: the "
                    "rule set cannot be applied then; date this rule alike",
                    rs,
                    reader,
                    ("id",),
                )
            )
    return out


Span = tuple[dt.date | None, dt.date | None]


def _span_of(effective: Any) -> Span:
    return (None, None) if effective is None else (effective.from_, effective.to)


def _covered(days: Span, periods: list[Span]) -> bool:
    """Whether `periods` together cover every day of `days` (None: unbounded)."""
    start, end = days
    for low, high in sorted(periods, key=lambda p: p[0] or dt.date.min):
        if low is not None and (start is None or low > start):
            return False  # a gap before this period
        if high is None:
            return True
        if end is not None and high >= end:
            return True
        if start is None or high >= start:
            start = high + dt.timedelta(days=1)
    return False


def _names_read(
    rs: RuleSet, rule: EffectiveRule, outside_coalesce: bool = False
) -> set[str]:
    """Every name a rule reads, metrics expanded; `outside_coalesce`: only those read
    outside any coalesce(…) (inside one, a value-less parameter is a fallback not
    taken, never 未配置)."""
    outside = "coalesce" if outside_coalesce else None
    names: set[str] = set()
    for node in (rule.condition, rule.value, rule.applies_if):
        if node is not None:
            names |= n.names_read(node, rs.metric_nodes, outside)
    return names


def _titled(rs: RuleSet, rule_id: str) -> str:
    rule = next(r for r in rs.rules if r.id == rule_id)
    return (
        f"{rule_id}（{rule.spec.title.zh}）" if rule.spec.title is not None else rule_id
    )


# --- weights and totals -------------------------------------------------------------


def _weights(rs: RuleSet) -> list[Diagnostic]:
    out = []
    score_groups = {r.spec.group for r in rs.rules if r.kind == "score"}
    top = rs.sources[rs.id]
    if rs.weights is not None:
        total = sum(rs.weights.values(), Decimal(0))
        if total != 100:
            out.append(
                Diagnostic(
                    "WGT",
                    f"weights 合计 {total}，应为 100 / weights must add up to 100",
                    top.span(("weights",)),
                    "weights",
                )
            )
        for group in sorted(set(rs.weights) - score_groups):
            out.append(
                Diagnostic(
                    "WGT",
                    f"weights 中的类别 {group!r} 没有评分规则 / no score rule in this group",
                    top.span(("weights", group)),
                    f"weights.{group}",
                )
            )
        for group in sorted(score_groups - set(rs.weights)):
            out.append(
                Diagnostic(
                    "WGT",
                    f"类别 {group!r} 有评分规则但未设权重，其得分将被忽略 / group has no weight",
                    top.span(("weights",)),
                    "weights",
                )
            )
    if rs.points_total is not None:
        total = sum(
            (Decimal(r.spec.max_points) for r in rs.rules if r.kind == "score"),
            Decimal(0),
        )
        if total != rs.points_total:
            out.append(
                Diagnostic(
                    "WGT",
                    f"评分规则满分合计 {total}，与声明的 points_total {rs.points_total} 不符 / "
                    "max points do not add up as declared",
                    top.span(("points_total",)),
                    "points_total",
                )
            )
    return out


def _unused(rs: RuleSet) -> list[Diagnostic]:
    used: set[str] = set()
    for rule in rs.rules:
        used |= rule.figures  # parameters named in bands and linear points
        for node in (rule.condition, rule.value, rule.applies_if):
            if node is not None:
                used |= n.names(node)
    for node in rs.metric_nodes.values():
        used |= n.names(node)
    out = []
    reserved = {"pass_mark", "review_band"}
    top_file = rs.files[rs.id]
    for kind, names in (
        ("tables", rs.tables),
        ("metrics", rs.metrics),
        ("parameters", rs.parameters),
    ):
        for name in names:
            span = rs.provenance.get(f"{kind}.{name}")
            defined_here = (
                span is not None and span.path == top_file
            )  # a parent's definitions are its own concern
            if defined_here and name not in used and name not in reserved:
                out.append(
                    Diagnostic(
                        "USE",
                        f"{name} 已定义但未被本规则集使用（下级规则集可能使用）/ defined but not used here",
                        span,
                        f"{kind}.{name}",
                        WARNING,
                    )
                )
    return out


def resolve_refs(refs: list[str]) -> list[str]:
    """Rule set ids or files given on the command line; `all` means every shipped one."""
    from screening.loader import shipped_ids

    out: list[str] = []
    for ref in refs:
        if ref == "all":
            out += shipped_ids()
        elif Path(ref).is_dir():
            out += sorted(str(p) for p in Path(ref).rglob("*.yaml"))
        else:
            find_ruleset(ref) if not Path(ref).exists() else None
            out.append(ref)
    return out

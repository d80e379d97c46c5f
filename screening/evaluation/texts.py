"""Evaluation results → sentences in zh or en: why a firm has its points and class.

Titles, never internal ids, in Chinese output. Numbers are shown rounded half up
(as offices round); the decisions behind them were taken on exact values.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any

from screening.evaluation.evaluate import Points
from screening.evaluation.fast import round_ratio
from screening.evaluation.fields import DERIVED, DERIVED_FROM, FIRM_FIELDS
from screening.evaluation.population import Benchmark
from screening.evaluation.results import FirmResult
from screening.evaluation.scheme import Scheme, TrackDef

SCORE_PLACES = 2
RATIO_PLACES = 4


def _scaled(value: Fraction | int, places: int) -> int:
    """value × 10^places rounded half away from zero, as an integer (no Fraction built)."""
    if type(value) is int:
        scale: int = 10**places  # int ** int is typed Any (a negative power is a float)
        return value * scale
    return round_ratio(value.numerator, value.denominator, places)[0]


def decimal(value: Fraction | int | None, places: int) -> Decimal | None:
    """An exact value rounded half up to `places`, as a Decimal (None stays None)."""
    if value is None:
        return None
    return Decimal(_scaled(value, places)).scaleb(-places)


def _digits(k: int, places: int) -> str:
    """k ÷ 10^places written out, trailing zeros dropped."""
    sign = "-" if k < 0 else ""
    whole, part = divmod(abs(k), 10**places)
    if not part:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{part:0{places}d}".rstrip("0")


def show(value: Fraction | int | None, places: int = SCORE_PLACES) -> str:
    """A value as shown: rounded half up, trailing zeros dropped."""
    if value is None:
        return "—"
    return _digits(_scaled(value, places), places)


def json_number(
    value: Fraction | int | None, places: int = SCORE_PLACES
) -> int | float | None:
    """A value rounded half up to `places`, as a JSON number (an int when whole)."""
    if value is None:
        return None
    k = _scaled(value, places)
    unit: int = 10**places
    whole, part = divmod(k, unit)
    if not part:
        return whole
    return float(
        _digits(k, places)
    )  # the shortest float that reads back as these digits


def score_places(score: Fraction | None, track: TrackDef | None) -> int:
    """Places to show a score with: 2, or more when 2 would round it onto a class threshold.

    A firm at 129.9988 is B under "A ≥ 130"; shown as 130 it would look like an A.
    """
    if score is None or track is None:
        return SCORE_PLACES
    rule = track.classes
    cuts = [t for _, t in (*rule.thresholds, *rule.small_thresholds)]
    places = SCORE_PLACES
    while places < 8:
        shown = Fraction(_scaled(score, places), 10**places)
        if all((shown >= t) == (score >= t) for t in cuts):
            break
        places += 2
    return places


def exact(value: Fraction | None) -> str | None:
    """An exact value as text: an integer, a terminating decimal, or p/q."""
    if value is None:
        return None
    if value.denominator == 1:
        return str(value.numerator)
    den = value.denominator
    for prime in (2, 5):
        while den % prime == 0:
            den //= prime
    if den == 1:
        places = 0
        while (value * 10**places).denominator != 1:
            places += 1
        return show(value, places)
    return f"{value.numerator}/{value.denominator}"


def percent(share: Fraction, lang: str) -> str:
    """A share as a percentage (20%)."""
    return f"{show(share * 100, 2)}%"


_L: dict[str, dict[str, str]] = {
    "zh": {
        "sep": "；",
        "colon": "：",
        "fixed": "固定基准",
        "given": "命令行给定",
        "mean": "参评企业均值（{n} 家）",
        "median": "参评企业中位数（{n} 家）",
        "aggregate": "参评企业总量比（{n} 家，Σ分子 ÷ Σ分母）",
        "previous_mean": "上年均值 {base} × {multiple}",
        "previous_aggregate": "上年总量比 {base} × {multiple}",
        "indicator": "{title} {value}{unit}，基准 {benchmark}（{source}），比值 {ratio}，得 {points} 分（权重 {weight}{limit}）",
        "cap": "，比值封顶 {cap}",
        "floor": "，比值保底 {floor}",
        "capped": "，已封顶",
        "floored": "，已保底",
        "zero": "{title} 缺数据（{gap}），按方案计 0 分并标注（权重 {weight}）",
        "average": "{title} 缺数据（{gap}），按方案取本序列平均得分 {points} 分（权重 {weight}）",
        "missing_fields": "未提供 {fields}",
        "division_by_zero": "分母为 0，比值无定义",
        "bonus": "加分：{title} +{points}",
        "deduction": "减分：{title} −{points}",
        "bonus_limit": "加分合计以 {limit} 分为限，计 {points} 分",
        "deduction_limit": "减分合计以 {limit} 分为限，计 {points} 分",
        "score": "得分 {score}，在{track}中排第 {rank} 名（共 {of} 家）",
        "by_score": "{cls}：得分 ≥ {least}",
        "by_score_last": "{cls}：得分低于 {least}",
        "by_share": "{cls}：按排名份额，{bounds}；本企业第 {rank} 名",
        "share_bound": "前 {share}（{places} 名）以内为 {cls}",
        "share_rest": "其余为 {cls}",
        "small": "参评企业 {n} 家，少于 {below} 家，不按排名份额分类；",
        "small_class": "{cls}：参评企业 {n} 家，少于 {below} 家，按方案统一列为 {cls}",
        "tie": "与另外 {others} 家企业得分并列（含排序依据 {keys}），并列规则：{rule}",
        "tie_better": "同归较好一类",
        "tie_worse": "同归较差一类",
        "override": "{title}：由 {ranked} 调整为 {final}",
        "unknown": "无法判断「{title}」（{gap}），按未适用处理",
        "no_track": "不属于任何评价序列（{gap}）",
        "no_track_plain": "不属于任何评价序列",
        "excluded": "不参评：{title}",
        "excluded_unknown": "不参评：{title}（{gap}，按方案规定不参评）",
        "missing": "不参评：{title} 缺数据（{gap}），按方案规定不参评",
        "no_average": "不参评：本序列没有企业有「{title}」数据，无法取平均得分",
        "previous": "上年 {cls}，{score} 分；今年{move}",
        "previous_unrated": "上年未参评或未分类",
        "up": "上升",
        "down": "下降",
        "same": "持平",
        "basis": "依据",
    },
    "en": {
        "sep": "; ",
        "colon": ": ",
        "fixed": "fixed benchmark",
        "given": "given on the command line",
        "mean": "mean of the rated firms ({n})",
        "median": "median of the rated firms ({n})",
        "aggregate": "aggregate of the rated firms ({n}; Σ numerator ÷ Σ denominator)",
        "previous_mean": "last year's mean {base} × {multiple}",
        "previous_aggregate": "last year's aggregate {base} × {multiple}",
        "indicator": "{title} {value}{unit}, benchmark {benchmark} ({source}), ratio {ratio}, {points} points (weight {weight}{limit})",
        "cap": ", ratio capped at {cap}",
        "floor": ", ratio floored at {floor}",
        "capped": ", capped",
        "floored": ", floored",
        "zero": "{title} has no value ({gap}): 0 points as the scheme states, flagged (weight {weight})",
        "average": "{title} has no value ({gap}): the track's average, {points} points, as the scheme states (weight {weight})",
        "missing_fields": "{fields} not given",
        "division_by_zero": "the denominator is 0, the ratio is undefined",
        "bonus": "bonus: {title} +{points}",
        "deduction": "deduction: {title} −{points}",
        "bonus_limit": "bonuses are limited to {limit} in total: {points}",
        "deduction_limit": "deductions are limited to {limit} in total: {points}",
        "score": "score {score}, rank {rank} of {of} in {track}",
        "by_score": "{cls}: score ≥ {least}",
        "by_score_last": "{cls}: score below {least}",
        "by_share": "{cls}: by rank share, {bounds}; this firm ranks {rank}",
        "share_bound": "the first {share} ({places} places) are {cls}",
        "share_rest": "the rest are {cls}",
        "small": "{n} rated firms, fewer than {below}: not classed by rank shares; ",
        "small_class": "{cls}: {n} rated firms, fewer than {below}: all are {cls} as the scheme states",
        "tie": "tied with {others} other firm(s) (tie-break: {keys}); tie rule: {rule}",
        "tie_better": "all take the better class",
        "tie_worse": "all take the worse class",
        "override": "{title}: {ranked} becomes {final}",
        "unknown": 'could not decide "{title}" ({gap}): treated as not applying',
        "no_track": "in no track of the scheme ({gap})",
        "no_track_plain": "in no track of the scheme",
        "excluded": "not rated: {title}",
        "excluded_unknown": "not rated: {title} ({gap}; the scheme excludes the firm then)",
        "missing": "not rated: {title} has no value ({gap}); the scheme does not rate the firm then",
        "no_average": 'not rated: no firm of the track has "{title}", so no average can be taken',
        "previous": "last year {cls}, {score} points; this year {move}",
        "previous_unrated": "not rated or not classed last year",
        "up": "up",
        "down": "down",
        "same": "the same",
        "basis": "basis",
    },
}


def label(key: str, lang: str) -> str:
    """One phrase template in `lang` (zh unless en)."""
    return _L["en" if lang == "en" else "zh"][key]


def _t(key: str, lang: str, **params: Any) -> str:
    return label(key, lang).format(**params)


def field_title(scheme: Scheme, name: str, lang: str) -> str:
    """A firm field's title (用地面积), the scheme's input title, or the name itself."""
    field = scheme.fields.get(name) or DERIVED.get(name) or FIRM_FIELDS.get(name)
    if field is None:
        return name
    return field.en if lang == "en" else field.zh


def gap_text(scheme: Scheme, gap: tuple[Any, ...] | None, lang: str) -> str:
    """Why a value is missing: the fields not given, or an undefined ratio."""
    if not gap:
        return ""
    if gap[0] == "undefined":
        return label("division_by_zero", lang)
    names = gap[1] if len(gap) > 1 else ()
    if names and names[0] == "division_by_zero":
        return label("division_by_zero", lang)
    sep = ", " if lang == "en" else "、"
    # a derived value by the column to fill in (投产满月数 → 投产日期), once
    columns = dict.fromkeys(
        n if n in scheme.fields else DERIVED_FROM.get(n, n) for n in names
    )
    return _t(
        "missing_fields",
        lang,
        fields=sep.join(field_title(scheme, n, lang) for n in columns),
    )


def unit_name(unit: str | None, lang: str) -> str:
    """A unit in `lang`: 万元/亩 in Chinese, ×10k CNY/mu in English; "" for none.

    English names are the batch's: one table, messages/en.yaml `units`, read by
    `report.explain.unit_label` (the schemes' 吨标煤 and 万kWh are in it)."""
    if not unit:
        return ""
    if lang != "en":
        return unit
    from screening.report.explain import unit_label  # not at start-up

    return unit_label(unit, "en")


def unit_text(unit: str | None, lang: str) -> str:
    """A unit as shown after a figure: " 万元/亩", " ×10k CNY/mu"; "" for none."""
    return f" {unit_name(unit, lang)}" if unit else ""


def class_title(scheme: Scheme, class_id: str | None, lang: str) -> str:
    """A class's title (A类（优先发展类）); the not-rated label for None."""
    if class_id is None:
        return scheme.not_rated.get(lang)
    return scheme.class_label(class_id).title.get(lang)


def benchmark_source(b: Benchmark, n: int, lang: str) -> str:
    """Where a benchmark came from, in words."""
    if b.source in ("previous_mean", "previous_aggregate"):
        return _t(
            b.source,
            lang,
            base=show(b.base, RATIO_PLACES),
            multiple=show(b.multiple, 4),
        )
    if b.source in ("mean", "median", "aggregate"):
        text = _t(b.source, lang, n=n)
        if b.multiple != 1:
            text += f" × {show(b.multiple, 4)}"
        return text
    return label(b.source, lang)


@lru_cache(maxsize=4096)
def _constant(value: Fraction, places: int) -> str:
    # weights, benchmarks, caps: the same few values in every firm's sentences
    return show(value, places)


def indicator_line(scheme: Scheme, p: Points, lang: str, source: str) -> str:
    """One indicator's sentence: value, benchmark, ratio, points; or why it has no value."""
    ind = p.indicator
    title = ind.title.get(lang)
    weight = _constant(ind.weight, SCORE_PLACES)
    gap = gap_text(scheme, p.gap, lang)
    if p.substituted == "zero":
        return _t("zero", lang, title=title, gap=gap, weight=weight)
    if p.substituted == "average":
        return _t(
            "average", lang, title=title, gap=gap, points=show(p.points), weight=weight
        )
    places = ind.decimals if ind.decimals is not None else RATIO_PLACES
    limit = ""
    if ind.cap is not None:
        limit += _t("cap", lang, cap=_constant(ind.cap, 4)) + (
            label("capped", lang) if p.capped else ""
        )
    if ind.floor is not None:
        limit += _t("floor", lang, floor=_constant(ind.floor, 4)) + (
            label("floored", lang) if p.floored else ""
        )
    unit = unit_text(ind.unit, lang)
    return _t(
        "indicator",
        lang,
        title=title,
        value=show(p.value, places),
        unit=unit,
        benchmark=_constant(p.benchmark, max(places, RATIO_PLACES)),
        source=source,
        ratio=show(p.ratio, RATIO_PLACES),
        points=show(p.points),
        weight=weight,
        limit=limit,
    )


def reason_text(
    scheme: Scheme, track: TrackDef | None, reason: tuple[Any, ...] | None, lang: str
) -> str:
    """Why a firm is not rated, in a sentence."""
    if not reason:
        return ""
    code = reason[0]
    if code == "no_track":
        gap = gap_text(scheme, ("missing", reason[1]), lang) if reason[1] else ""
        return _t("no_track", lang, gap=gap) if gap else label("no_track_plain", lang)
    if code in ("excluded", "excluded_unknown"):
        item = next(c for c in scheme.exclusions if c.id == reason[1])
        gap = (
            gap_text(scheme, ("missing", reason[2]), lang)
            if code == "excluded_unknown"
            else ""
        )
        return _t(code, lang, title=item.title.get(lang), gap=gap)
    indicator = next(
        i for i in (track.indicators if track else ()) if i.id == reason[1]
    )
    if code == "no_average":
        return _t("no_average", lang, title=indicator.title.get(lang))
    return _t(
        "missing",
        lang,
        title=indicator.title.get(lang),
        gap=gap_text(scheme, reason[2], lang),
    )


def class_line(
    scheme: Scheme, firm: FirmResult, summary: Any, group: int, lang: str
) -> list[str]:
    """Why the class rule gave the firm its class (and a tie, when it straddles)."""
    track = firm.track
    assert track is not None and firm.ranked_class is not None
    rule = track.classes
    cls = class_title(scheme, firm.ranked_class, lang)
    lines = []
    if firm.class_rule == "score" or (
        firm.class_rule == "small_population" and rule.small_class is None
    ):
        thresholds = (
            rule.thresholds if firm.class_rule == "score" else rule.small_thresholds
        )
        prefix = (
            _t("small", lang, n=firm.of, below=rule.small_below)
            if firm.class_rule == "small_population"
            else ""
        )
        least = dict(thresholds).get(firm.ranked_class)
        if least is not None:
            lines.append(prefix + _t("by_score", lang, cls=cls, least=show(least)))
        else:
            lines.append(
                prefix
                + _t("by_score_last", lang, cls=cls, least=show(thresholds[-1][1]))
            )
    elif firm.class_rule == "small_population":
        lines.append(
            _t("small_class", lang, cls=cls, n=firm.of, below=rule.small_below)
        )
    else:
        bounds = [
            _t(
                "share_bound",
                lang,
                share=percent(share, lang),
                places=summary.places.get(c, 0),
                cls=class_title(scheme, c, lang),
            )
            for c, share in rule.upper
        ] + [_t("share_rest", lang, cls=class_title(scheme, rule.last, lang))]
        sep = "，" if lang != "en" else ", "
        lines.append(
            _t("by_share", lang, cls=cls, bounds=sep.join(bounds), rank=firm.rank)
        )
        if group > 1:
            keys = ", ".join(
                [label("score", lang).split(" ")[0] if lang == "en" else "得分"]
                + [track.indicators[i].title.get(lang) for i in rule.tie_break]
            )
            lines.append(
                _t(
                    "tie",
                    lang,
                    others=group - 1,
                    keys=keys,
                    rule=label(f"tie_{rule.ties}", lang),
                )
            )
    return lines


def why(
    scheme: Scheme,
    firm: FirmResult,
    summary: Any,
    group: int,
    lang: str,
    absent: frozenset[str] = frozenset(),
) -> list[str]:
    """Every sentence explaining a firm's result, in order.

    Conditions undecided only for want of a column the whole sheet lacks (`absent`)
    are said once for the run (see `run.evaluate_file`), not for every firm.
    """
    if not firm.rated:
        lines = [reason_text(scheme, firm.track, firm.measured.reason, lang)]
        return lines + unknown_lines(scheme, firm, lang, absent)
    lines = []
    for i, (p, b) in enumerate(zip(firm.points, summary.benchmarks, strict=True)):
        source = benchmark_source(b, summary.statistics[i].count, lang) if b else ""
        line = indicator_line(scheme, p, lang, source)
        if p.indicator.basis:
            line += f"{label('sep', lang)}{label('basis', lang)}{label('colon', lang)}{p.indicator.basis}"
        lines.append(line)
    for index in firm.measured.adjustments:
        item = scheme.adjustments[index]
        points = item.points or Fraction(0)
        key = "bonus" if points > 0 else "deduction"
        lines.append(
            _t(key, lang, title=item.title.get(lang), points=show(abs(points)))
        )
    applied = [scheme.adjustments[i].points or 0 for i in firm.measured.adjustments]
    raw_bonus = sum(p for p in applied if p > 0)
    raw_deduction = -sum(p for p in applied if p < 0)
    if raw_bonus != firm.bonus:
        lines.append(
            _t(
                "bonus_limit",
                lang,
                limit=show(scheme.bonus_limit),
                points=show(firm.bonus),
            )
        )
    if raw_deduction != firm.deduction:
        lines.append(
            _t(
                "deduction_limit",
                lang,
                limit=show(scheme.deduction_limit),
                points=show(firm.deduction),
            )
        )
    track_title = firm.track.title.get(lang) if firm.track else ""
    lines.append(
        _t(
            "score",
            lang,
            score=show(firm.score, score_places(firm.score, firm.track)),
            track=track_title,
            rank=firm.rank,
            of=firm.of,
        )
    )
    lines.extend(class_line(scheme, firm, summary, group, lang))
    if firm.override is not None:
        item = next(c for c in scheme.overrides if c.id == firm.override)
        lines.append(
            _t(
                "override",
                lang,
                title=item.title.get(lang),
                ranked=class_title(scheme, firm.ranked_class, lang),
                final=class_title(scheme, firm.class_id, lang),
            )
        )
    lines.extend(unknown_lines(scheme, firm, lang, absent))
    if firm.previous is not None:
        lines.append(previous_line(scheme, firm, lang))
    return lines


def unknown_lines(
    scheme: Scheme, firm: FirmResult, lang: str, absent: frozenset[str] = frozenset()
) -> list[str]:
    """Conditions (exclusions, adjustments, overrides) that could not be decided."""
    out = []
    for kind, item_id, names in firm.measured.unknown:
        if absent.issuperset(names):
            continue
        items = {
            "exclusion": scheme.exclusions,
            "adjustment": scheme.adjustments,
            "override": scheme.overrides,
        }[kind]
        item = next(c for c in items if c.id == item_id)
        out.append(
            _t(
                "unknown",
                lang,
                title=item.title.get(lang),
                gap=gap_text(scheme, ("missing", names), lang),
            )
        )
    return out


def move(scheme: Scheme, before: str | None, after: str | None) -> str | None:
    """up / down / same between two classes (None when either is unknown)."""
    ids = scheme.class_ids
    if before not in ids or after not in ids:
        return None
    a, b = ids.index(before), ids.index(after)
    return "same" if a == b else ("up" if b < a else "down")


def previous_line(scheme: Scheme, firm: FirmResult, lang: str) -> str:
    """Last year's class and score against this year's."""
    previous = firm.previous
    assert previous is not None
    direction = move(scheme, previous.class_id, firm.class_id)
    if direction is None:
        return label("previous_unrated", lang)
    return _t(
        "previous",
        lang,
        cls=class_title(scheme, previous.class_id, lang),
        score=show(previous.score),
        move=label(direction, lang),
    )

"""Evaluation results → the JSON shape, and the JSON / JSONL / CSV / text renderers.

Numbers appear twice where exactness matters: rounded half up for reading
(`score`), and exact (`score_exact`: an integer, a terminating decimal or p/q),
which is what classes were decided on and what next year's benchmarks read.
Keys come in a fixed order and nothing volatile (no clock, no absolute path) is
written, so the same input and scheme give byte-identical JSON. Layout only.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from screening.evaluation import texts
from screening.evaluation.promises import Action, PromiseCheck
from screening.evaluation.results import FirmResult, TrackSummary
from screening.evaluation.run import Evaluation
from screening.evaluation.scheme import Scheme, TrackDef
from screening.evaluation.texts import RATIO_PLACES, SCORE_PLACES, exact, json_number


def number(
    value: Fraction | int | None, places: int = SCORE_PLACES
) -> int | float | None:
    """A value rounded half up to `places`, as a JSON number (None stays null)."""
    return json_number(value, places)


@lru_cache(maxsize=4096)
def _constant_number(value: Fraction | None, places: int) -> int | float | None:
    return json_number(
        value, places
    )  # weights and benchmarks: the same in every record


def _bracketed(text: str, en: bool) -> str:
    """A note after a name: " (…)" in English, "（…）" in Chinese."""
    return f" ({text})" if en else f"（{text}）"


def _places(ind: Any) -> int:
    return ind.decimals if ind.decimals is not None else RATIO_PLACES


def scheme_dict(scheme: Scheme, lang: str) -> dict[str, Any]:
    """The scheme as outputs cite it."""
    return {
        "id": scheme.id,
        "title": scheme.title.get(lang),
        "version": scheme.version,
        "sha256": scheme.sha256,
        "basis": scheme.basis,
    }


def _shown_score(score: Fraction, track: TrackDef) -> int | float | None:
    """A score as shown: 2 places, more where 2 would put it on a threshold it does
    not reach (129.9988, not 130) — a firm's score and a class's range alike."""
    return number(score, texts.score_places(score, track))


def track_dict(ev: Evaluation, summary: TrackSummary, lang: str) -> dict[str, Any]:
    """One track's population: counts and shares by class, cut-offs, benchmarks, histogram."""
    scheme, track = ev.scheme, summary.track
    rated = summary.rated
    indicators = track.indicators
    shortfalls = sorted(
        (
            (ind, *summary.shortfalls[ind.id])
            for ind in indicators
            if ind.id in summary.shortfalls
        ),
        key=lambda item: (-item[2], indicators.index(item[0])),
    )
    last_count = summary.counts.get(scheme.class_ids[-1], 0)
    return {
        "id": track.id,
        "title": track.title.get(lang),
        "rated": rated,
        "not_rated": summary.not_rated,
        "rule": summary.rule,
        "classes": [
            {
                "class": c,
                "title": texts.class_title(scheme, c, lang),
                "firms": summary.counts.get(c, 0),
                "share": number(Fraction(summary.counts.get(c, 0), rated) * 100, 2)
                if rated
                else None,
                "by_rule": summary.ranked_counts.get(c, 0),
                "places": summary.places.get(c),
                # shown as a firm's own score is: never reading as on a threshold
                "min_score": _shown_score(summary.cutoffs[c][0], track)
                if c in summary.cutoffs
                else None,
                "max_score": _shown_score(summary.cutoffs[c][1], track)
                if c in summary.cutoffs
                else None,
            }
            for c in scheme.class_ids
        ],
        "benchmarks": [
            {
                "indicator": ind.id,
                "title": ind.title.get(lang),
                "unit": ind.unit,
                "value": number(b.value, max(_places(ind), RATIO_PLACES))
                if b
                else None,
                "value_exact": exact(b.value) if b else None,
                "source": b.source if b else None,
                "source_text": texts.benchmark_source(b, stat.count, lang)
                if b
                else None,
                "base": number(b.base, max(_places(ind), RATIO_PLACES))
                if b and b.base is not None
                else None,
                "multiple": number(b.multiple, 4) if b and b.base is not None else None,
                "average_points": number(avg) if avg is not None else None,
            }
            for ind, b, avg, stat in zip(
                indicators,
                summary.benchmarks,
                summary.averages or [None] * len(indicators),
                summary.statistics,
                strict=True,
            )
        ],
        "statistics": [
            {
                "indicator": ind.id,
                "count": stat.count,
                "mean_exact": exact(stat.mean),
                "median_exact": exact(stat.median),
                "aggregate_exact": exact(stat.aggregate),
            }
            for ind, stat in zip(indicators, summary.statistics, strict=True)
        ],
        "histogram": (
            {
                "low": number(summary.histogram.low),
                "width": number(summary.histogram.width),
                "counts": list(summary.histogram.counts),
            }
            if summary.histogram
            else None
        ),
        "last_class_shortfalls": [
            {
                "indicator": ind.id,
                "title": ind.title.get(lang),
                "below_benchmark": below,
                "mean_points_short": number(short / last_count) if last_count else None,
            }
            for ind, below, short in shortfalls
        ],
        "movers": [
            {"from": before, "to": after, "firms": n}
            for (before, after), n in sorted(
                summary.movers.items(),
                key=lambda item: (
                    scheme.class_ids.index(item[0][0]),
                    scheme.class_ids.index(item[0][1]),
                ),
            )
        ],
        "new": summary.new if ev.previous.source else None,
    }


def evaluation_dict(ev: Evaluation, lang: str) -> dict[str, Any]:
    """The run without its firms: scheme, counts, tracks, bad rows (the JSONL head line)."""
    return {
        "record": "evaluation",
        "scheme": scheme_dict(ev.scheme, lang),
        "year": ev.year,
        "input": ev.source,
        "previous": ev.previous.source,
        "benchmarks_given": {
            (f"{t}.{i}" if t else i): exact(v)
            for (t, i), v in sorted(ev.benchmarks_given.items(), key=str)
        },
        "counts": ev.counts.as_dict(),
        "tracks": [track_dict(ev, s, lang) for s in ev.tracks if s is not None],
        "errors": [e.__dict__ for e in ev.errors],
        "skipped": [e.__dict__ for e in ev.skipped],
        "warnings": [d.to_dict() for d in ev.warnings],
    }


def _summary_of(ev: Evaluation, firm: FirmResult) -> TrackSummary | None:
    if firm.track is None:
        return None
    return next(s for s in ev.tracks if s is not None and s.track.id == firm.track.id)


def promise_dict(check: PromiseCheck | None) -> dict[str, Any] | None:
    """A firm's promises against actuals."""
    if check is None:
        return None
    items = []
    for item in check.items:
        is_date = item.key in ("start", "production")
        items.append(
            {
                "promise": item.key,
                "promised": str(item.promised)
                if is_date
                else number(item.promised, RATIO_PLACES),  # type: ignore[arg-type]
                "actual": (str(item.actual) if item.actual else None)
                if is_date
                else number(item.actual, RATIO_PLACES),  # type: ignore[arg-type]
                "gap": item.gap if is_date else number(item.gap, RATIO_PLACES),
                "share": number(item.share * 100, 2)
                if item.share is not None
                else None,
                "status": item.status,
                "overdue": item.overdue,
            }
        )
    return {"items": items, "short": [item.key for item in check.short]}


def firm_dict(ev: Evaluation, firm: FirmResult, lang: str) -> dict[str, Any]:
    """One firm: figures, indicators, benchmark, points, score, rank, class and why."""
    scheme = ev.scheme
    summary = _summary_of(ev, firm)
    m = firm.measured
    flags = [
        texts.indicator_line(scheme, p, lang, "")
        for p in firm.points
        if p.substituted is not None
    ] + texts.unknown_lines(scheme, firm, lang, ev.absent)
    previous = firm.previous
    return {
        "record": "firm",
        "id": firm.firm_id,
        "name": m.name,
        "row": m.row,
        "track": firm.track.id if firm.track else None,
        "status": "rated" if firm.rated else "not_rated",
        "score": number(firm.score, texts.score_places(firm.score, firm.track)),
        "score_exact": exact(firm.score),
        "rank": firm.rank,
        "of": firm.of,
        "class": firm.class_id,
        "class_title": texts.class_title(scheme, firm.class_id, lang),
        "class_rule": firm.class_rule,
        "ranked_class": firm.ranked_class,
        "override": firm.override,
        "tied": firm.tied if firm.rated else None,
        "reason": (
            {
                "code": m.reason[0],
                "item": m.reason[1] if m.reason[0] != "no_track" else None,
            }
            if m.reason
            else None
        ),
        "indicators": [
            {
                "indicator": p.indicator.id,
                "title": p.indicator.title.get(lang),
                "value": number(p.value, _places(p.indicator)),
                "unit": p.indicator.unit,
                "benchmark": number(
                    p.benchmark, max(_places(p.indicator), RATIO_PLACES)
                ),
                "ratio": number(p.ratio, RATIO_PLACES),
                "weight": _constant_number(p.indicator.weight, SCORE_PLACES),
                "points": number(p.points),
                "capped": p.capped,
                "floored": p.floored,
                "substituted": p.substituted,
            }
            for p in firm.points
        ],
        "adjustments": [
            {
                "adjustment": scheme.adjustments[i].id,
                "title": scheme.adjustments[i].title.get(lang),
                "points": number(scheme.adjustments[i].points),
            }
            for i in m.adjustments
        ],
        "bonus": number(firm.bonus) if firm.rated else None,
        "deduction": number(firm.deduction) if firm.rated else None,
        "flags": flags,
        "previous": (
            {
                "class": previous.class_id,
                "score": number(previous.score),
                "change": number(firm.score - previous.score)
                if firm.score is not None and previous.score is not None
                else None,
                "move": texts.move(scheme, previous.class_id, firm.class_id),
            }
            if previous is not None
            else None
        ),
        "promise": promise_dict(firm.promise),
        "measures": [measure.title.get(lang) for measure in measures_of(scheme, firm)],
        "why": texts.why(scheme, firm, summary, firm.tied, lang, ev.absent),
        "figures": dict(m.figures),
    }


def measures_of(scheme: Scheme, firm: FirmResult) -> list[Any]:
    """The measures a firm's class brings, then those for promises it did not keep."""
    out = list(scheme.class_label(firm.class_id).measures) if firm.class_id else []
    if firm.promise is not None and firm.promise.short:
        out.extend(scheme.promise_measures)
    return out


def action_dict(scheme: Scheme, action: Action, lang: str) -> dict[str, Any]:
    """One 反制 list entry."""
    return {
        "id": action.firm_id,
        "name": action.name,
        "class": action.class_id,
        "class_title": texts.class_title(scheme, action.class_id, lang)
        if action.class_id
        else None,
        "reasons": list(action.reasons),
        "measures": [m.title.get(lang) for m in action.measures],
        "promise": promise_dict(action.check),
    }


def dumps(obj: Any) -> str:
    """One JSON text, Chinese kept readable, key order as built."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class JsonWriter:
    """The whole evaluation as one JSON document: head, then "firms", then "actions"."""

    def __init__(self, handle: IO[str], head: Mapping[str, Any]) -> None:
        self.handle = handle
        body = dumps(dict(head))
        handle.write(body[:-1] + ',"firms":[')
        self.first = True

    def add(self, firm: Mapping[str, Any]) -> None:
        """Append one firm."""
        self.handle.write(("\n" if self.first else ",\n") + dumps(firm))
        self.first = False

    def finish(
        self,
        actions: Iterable[Mapping[str, Any]],
        unmatched: Iterable[Mapping[str, Any]],
    ) -> None:
        """Close the firms list; write the 反制 list and promises with no evaluated firm."""
        self.handle.write(
            '\n],"actions":'
            + dumps(list(actions))
            + ',"unmatched_promises":'
            + dumps(list(unmatched))
            + "}\n"
        )


class JsonlWriter:
    """The head line (record: evaluation), one line per firm, then one per 反制 entry."""

    def __init__(self, handle: IO[str], head: Mapping[str, Any]) -> None:
        self.handle = handle
        handle.write(dumps(dict(head)) + "\n")

    def add(self, firm: Mapping[str, Any]) -> None:
        """Append one firm."""
        self.handle.write(dumps(firm) + "\n")

    def finish(
        self,
        actions: Iterable[Mapping[str, Any]],
        unmatched: Iterable[Mapping[str, Any]],
    ) -> None:
        """Append the 反制 entries (record: action) and unmatched promises."""
        for action in actions:
            self.handle.write(dumps({"record": "action", **action}) + "\n")
        for promise in unmatched:
            self.handle.write(dumps({"record": "unmatched_promise", **promise}) + "\n")


CSV_COLUMNS = (
    "track",
    "rank",
    "of",
    "id",
    "name",
    "status",
    "score",
    "class",
    "class_title",
    "ranked_class",
    "override",
    "bonus",
    "deduction",
    "indicators",
    "flags",
    "reason",
    "previous_class",
    "previous_score",
    "move",
    "promises_short",
    "measures",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # Excel runs such cells as formulas


def _safe(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


class CsvWriter:
    """One row per firm (CSV_COLUMNS), UTF-8 with BOM so Excel shows the Chinese."""

    def __init__(self, handle: IO[str], head: Mapping[str, Any]) -> None:
        self.writer = csv.writer(handle, lineterminator="\r\n")
        self.writer.writerow(CSV_COLUMNS)

    def add(self, firm: Mapping[str, Any]) -> None:
        """Append one firm's row."""
        previous = firm.get("previous") or {}
        indicators = "; ".join(
            f"{i['title']}={i['value'] if i['value'] is not None else '—'}/{i['benchmark']}→{i['points']}"
            for i in firm["indicators"]
        )
        reason = (
            "" if firm["status"] == "rated" else (firm["why"][0] if firm["why"] else "")
        )
        promise = firm.get("promise") or {}
        self.writer.writerow(
            [
                _safe(v)
                for v in (
                    firm["track"],
                    firm["rank"],
                    firm["of"],
                    firm["id"],
                    firm["name"],
                    firm["status"],
                    firm["score"],
                    firm["class"],
                    firm["class_title"],
                    firm["ranked_class"],
                    firm["override"],
                    firm["bonus"],
                    firm["deduction"],
                    indicators,
                    "; ".join(firm["flags"]),
                    reason,
                    previous.get("class"),
                    previous.get("score"),
                    previous.get("move"),
                    ";".join(promise.get("short") or ()),
                    "; ".join(firm["measures"]),
                )
            ]
        )

    def finish(
        self,
        actions: Iterable[Mapping[str, Any]],
        unmatched: Iterable[Mapping[str, Any]],
    ) -> None:
        """Nothing after the firms: the 反制 list has its own XLSX."""


_REASON_LABELS = {
    False: {
        "last_class": "末类",
        "investment_intensity": "投资强度",
        "output_intensity": "产出强度",
        "tax_per_mu": "亩均税收",
        "start": "开工日期",
        "production": "投产日期",
    },
    True: {
        "last_class": "last class",
        "investment_intensity": "investment intensity",
        "output_intensity": "output per mu",
        "tax_per_mu": "tax per mu",
        "start": "start",
        "production": "production",
    },
}


def action_reasons(action: Mapping[str, Any], en: bool) -> str:
    """Why a firm is on the 反制 list, for the text report: 末类, and each promise not
    kept with what was promised, what was done and by how much it falls short."""
    labels = _REASON_LABELS[en]
    items = {
        item["promise"]: item for item in (action.get("promise") or {}).get("items", [])
    }
    parts = []
    for reason in action["reasons"]:
        label = labels.get(reason, reason)
        item = items.get(reason)
        if item is None:
            parts.append(label)
        elif reason in ("start", "production"):
            late = item["gap"]
            if item["actual"] is None:
                parts.append(
                    f"{label} promised by {item['promised']}, none recorded"
                    + (f" ({late} days late)" if late is not None else "")
                    if en
                    else f"{label} 承诺 {item['promised']}，未见实际日期"
                    + (f"（逾期 {late} 天）" if late is not None else "")
                )
            else:
                parts.append(
                    f"{label} promised by {item['promised']}, actual {item['actual']}"
                    f" ({late} days late)"
                    if en
                    else f"{label} 承诺 {item['promised']}，实际 {item['actual']}"
                    f"（逾期 {late} 天）"
                )
        else:
            unit = texts.unit_name("万元/亩", "en" if en else "zh")
            share = f"{item['share']}%" if item["share"] is not None else "—"
            parts.append(
                f"{label} {item['actual']} {unit} against {item['promised']} promised"
                f" ({share})"
                if en
                else f"{label} 实际 {item['actual']}，承诺 {item['promised']} {unit}"
                f"（{share}）"
            )
    return ("; " if en else "；").join(parts)


def render_text(
    ev: Evaluation,
    firms: Iterable[Mapping[str, Any]],
    actions: Sequence[Mapping[str, Any]],
    lang: str,
    limit: int,
) -> str:
    """The evaluation for a terminal: population summary, then firms with their why."""
    head = evaluation_dict(ev, lang)
    en = lang == "en"
    out: list[str] = []
    counts = head["counts"]
    out.append(
        f"{ev.scheme.title.get(lang)}{_bracketed(f'{ev.scheme.id} {ev.scheme.version}', en)} · {ev.year}"
    )
    out.append(
        (
            f"rows {counts['rows']}: rated {counts['rated']}, not rated {counts['not_rated']}, invalid {counts['invalid']}, skipped {counts['skipped']} (totals rows)"
        )
        if en
        else f"共 {counts['rows']} 行：参评 {counts['rated']}，不参评 {counts['not_rated']}，无效 {counts['invalid']}，跳过 {counts['skipped']}（合计行）"
    )
    for track in head["tracks"]:
        out.append("")
        out.append(
            f"== {track['title']}{_bracketed(str(track['rated']) + (' rated' if en else ' 家参评'), en)}"
        )
        for cls in track["classes"]:
            share = f"{cls['share']}%" if cls["share"] is not None else "—"
            span = (
                f"{cls['min_score']}–{cls['max_score']}"
                if cls["min_score"] is not None
                else "—"
            )
            out.append(
                f"  {cls['title']}: {cls['firms']} ({share})  {'scores' if en else '得分'} {span}"
            )
        for b in track["benchmarks"] if track["rated"] else ():
            unit = texts.unit_text(b["unit"], lang)
            source = f" ({b['source_text']})" if en else f"（{b['source_text']}）"
            out.append(
                f"  {'benchmark' if en else '基准'} {b['title']}: {b['value']}{unit}{source}"
            )
        histogram = track["histogram"]
        if histogram:
            top = max(histogram["counts"]) or 1
            for i, n in enumerate(histogram["counts"]):
                low = histogram["low"] + i * histogram["width"]
                out.append(
                    f"  {low:>6}–{low + histogram['width']:<6} {'█' * max(1 if n else 0, round(30 * n / top))} {n}"
                )
        if track["last_class_shortfalls"] and any(
            s["below_benchmark"] for s in track["last_class_shortfalls"]
        ):
            out.append(
                "  "
                + ("what pulls the last class down:" if en else "末类企业主要短板：")
            )
            for s in track["last_class_shortfalls"][:3]:
                out.append(
                    f"    {s['title']}: {s['below_benchmark']} {'below benchmark' if en else '家低于基准'}, "
                    f"{'mean points short' if en else '平均少得'} {s['mean_points_short']}"
                )
        if track["movers"]:
            moves = ", ".join(
                f"{m['from']}→{m['to']} {m['firms']}"
                for m in track["movers"]
                if m["from"] != m["to"]
            )
            out.append("  " + ("movers: " if en else "类别变动：") + (moves or "—"))
    shown = 0
    for firm in firms:
        if shown >= limit:
            shown += 1
            continue
        shown += 1
        out.append("")
        rank = f"#{firm['rank']}/{firm['of']} " if firm["rank"] else ""
        score = f" {firm['score']}" if firm["score"] is not None else ""
        out.append(
            f"{rank}{firm['name'] or firm['id']}{_bracketed(firm['id'], en)}{score} {firm['class_title']}"
        )
        out.extend(f"  · {line}" for line in firm["why"])
    if shown > limit:
        out.append("")
        out.append(
            f"… {shown - limit} more firms (use -o out.xlsx)"
            if en
            else f"…… 另有 {shown - limit} 家企业未列出（用 -o 输出全部）"
        )
    if actions:
        out.append("")
        out.append("actions:" if en else "反制清单：")
        for action in actions:
            out.append(
                f"  {action['name'] or action['id']}{_bracketed(action['id'], en)}{' ' if en else ''}{action['class_title'] or ''} — {'; '.join(action['measures'])}"
            )
            out.append(
                ("    why: " if en else "    原因：") + action_reasons(action, en)
            )
    if head["errors"]:
        out.append("")
        out.append("invalid rows:" if en else "无效行：")
        for error in head["errors"]:
            out.append(
                f"  {Path(error['source']).name}:{error['row']} {error['column'] or ''}: {error['reason']}"
            )
    return "\n".join(out) + "\n"

"""Last year, for year-over-year comparison and previous-year benchmarks.

Three sources: last year's evaluation written by this tool (`.json` or `.jsonl`:
classes, scores and exact statistics); a published class list (CSV/XLSX with
统一社会信用代码 or 企业名称, 得分, 类别); or last year's firm figures, from which the
statistics a previous-year benchmark needs are computed with the same scheme.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

from screening.errors import SourceSpan
from screening.evaluation.evaluate import measure
from screening.evaluation.fields import FIRM_FIELDS, FirmField
from screening.evaluation.firms import read_firms
from screening.evaluation.population import Accumulator, Statistic
from screening.evaluation.results import Previous
from screening.evaluation.run import PreviousYear
from screening.evaluation.scheme import Scheme
from screening.io.columns import InputError

# Columns of a published class list.
RESULT_FIELDS: dict[str, FirmField] = {
    f.name: f
    for f in (
        FIRM_FIELDS["name"],
        FIRM_FIELDS["credit_code"],
        FirmField(
            "score",
            "ratio",
            "得分",
            "score",
            ("得分", "综合得分", "评价得分", "总分", "score"),
        ),
        FirmField(
            "class_id",
            "text",
            "类别",
            "class",
            ("类别", "评价类别", "分类", "等级", "评价等级", "class"),
        ),
        FirmField("track", "text", "评价序列", "track", ("评价序列", "track")),
    )
}


def fraction(text: Any) -> Fraction | None:
    """An exact value written by this tool ("p/q", a decimal, an integer) → Fraction."""
    if text is None:
        return None
    try:
        return Fraction(str(text))
    except (ValueError, ZeroDivisionError):
        return None


def read_previous(path: Path | str, scheme: Scheme) -> PreviousYear:
    """Last year's results: this tool's JSON/JSONL, or a class list spreadsheet."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".json":
        return _from_document(p, _load_json(p), scheme)
    if suffix in (".jsonl", ".ndjson"):
        return _from_lines(p, scheme)
    return _from_sheet(p, scheme)


def _load_json(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8-sig") as handle:
            return json.load(handle)
    except (OSError, ValueError) as exc:
        raise InputError(
            f"无法读取上年结果 / cannot read last year's results: {exc}",
            SourceSpan(str(path)),
        ) from None


def _statistics(
    summary: dict[str, Any], scheme: Scheme, out: PreviousYear, path: Path
) -> None:
    other = summary.get("scheme", {}).get("id")
    if other not in (None, scheme.id):
        raise InputError(
            f"上年结果来自方案 {other!r}，本次为 {scheme.id!r} / last year's results are of another scheme",
            SourceSpan(str(path)),
        )
    for track in summary.get("tracks") or ():
        for stat in track.get("statistics") or ():
            out.statistics[(track.get("id"), stat.get("indicator"))] = Statistic(
                int(stat.get("count") or 0),
                fraction(stat.get("mean_exact")),
                fraction(stat.get("median_exact")),
                fraction(stat.get("aggregate_exact")),
            )


def _firm(out: PreviousYear, firm: dict[str, Any]) -> None:
    firm_id = firm.get("id")
    if firm_id:
        out.results[str(firm_id)] = Previous(
            firm.get("class"), fraction(firm.get("score_exact")), firm.get("track")
        )


def _from_document(path: Path, doc: Any, scheme: Scheme) -> PreviousYear:
    if not isinstance(doc, dict) or "firms" not in doc:
        raise InputError(
            "不是本工具输出的评价结果 JSON / not an evaluation written by screening",
            SourceSpan(str(path)),
        )
    out = PreviousYear(str(path))
    _statistics(doc, scheme, out, path)
    for firm in doc.get("firms") or ():
        _firm(out, firm)
    return out


def _lines(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                try:
                    yield number, json.loads(line)
                except ValueError as exc:
                    raise InputError(
                        f"JSON 语法错误 / JSON syntax error: {exc}",
                        SourceSpan(str(path), number),
                    ) from None


def _from_lines(path: Path, scheme: Scheme) -> PreviousYear:
    out = PreviousYear(str(path))
    for _, obj in _lines(path):
        if obj.get("record") == "evaluation":
            _statistics(obj, scheme, out, path)
        elif obj.get("record") == "firm":
            _firm(out, obj)
    return out


def _from_sheet(path: Path, scheme: Scheme) -> PreviousYear:
    out = PreviousYear(str(path))
    table = read_firms(path, RESULT_FIELDS)
    try:
        for row in table:
            if row.values is None:
                if row.skipped is None:
                    raise InputError(
                        f"{row.column}: {row.reason}", SourceSpan(str(path), row.number)
                    )
                continue
            class_id = row.values.get("class_id")
            class_id = str(class_id).strip().upper()[:1] if class_id else None
            score = row.values.get("score")
            out.results[row.firm_id] = Previous(
                class_id,
                Fraction(score) if score is not None else None,
                row.values.get("track"),
            )
    finally:
        table.close()
    return out


def statistics_from_figures(
    path: Path | str, scheme: Scheme, year: int, sheet: str | None = None
) -> PreviousYear:
    """Last year's statistics computed from last year's firm figures with this scheme.

    The population is the same as an evaluation's: firms in a track, not excluded,
    with every indicator the scheme does not rate without.
    """
    accumulators = {
        (track.id, ind.id): Accumulator(ind)
        for track in scheme.tracks
        for ind in track.indicators
    }
    table = read_firms(path, scheme.fields, sheet)
    seen: set[str] = set()
    try:
        for seq, row in enumerate(table):
            if row.values is None or row.firm_id in seen:
                continue
            seen.add(row.firm_id)
            firm = measure(scheme, seq, row.number, row.values, year)
            if firm.track < 0 or firm.reason is not None:
                continue
            track = scheme.tracks[firm.track]
            for i, (ind, value) in enumerate(
                zip(track.indicators, firm.values, strict=True)
            ):
                if value is not None:
                    accumulators[(track.id, ind.id)].add(
                        value, firm.parts[i] if firm.parts else None
                    )
    finally:
        table.close()
    out = PreviousYear(str(path))
    out.statistics = {key: acc.statistic() for key, acc in accumulators.items()}
    return out

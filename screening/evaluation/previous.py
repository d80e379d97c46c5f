"""Last year, for year-over-year comparison and previous-year benchmarks.

Three sources: last year's evaluation written by this tool (`.json` or `.jsonl`:
classes, scores and exact statistics); a published class list (CSV/XLSX with
统一社会信用代码 or 企业名称, 得分, 类别); or last year's firm figures, from which the
statistics a previous-year benchmark needs are computed with the same scheme.
"""

from __future__ import annotations

import json
import re
import unicodedata
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
from screening.evaluation.run import PreviousYear, fold_name
from screening.evaluation.scheme import Scheme
from screening.io.tables import InputError

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
        name = firm.get("name")
        if name and str(name) == str(firm_id):  # known by its name only last year
            out.by_name.setdefault(fold_name(str(name)), str(firm_id))


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def class_names(scheme: Scheme) -> dict[str, str | None]:
    """What a published list may write in 类别 (folded) → the scheme's class id.

    A class's id (A), with 类 / 级 (A类), its titles (A类（优先发展类）, A (priority
    development)) and the title's bracketed part (优先发展类); the not-rated title
    (不参评, T类（不参评）) → None. Full-width forms and spaces are folded first.
    """
    out: dict[str, str | None] = {}

    def add(text: str | None, class_id: str | None) -> None:
        if not text:
            return
        folded = _fold(text)
        out.setdefault(folded, class_id)
        inner = re.fullmatch(r"(.*?)\((.+)\)", folded)
        if inner:
            out.setdefault(inner.group(1), class_id)
            out.setdefault(inner.group(2), class_id)

    for label in scheme.classes:
        for text in (label.id, label.id + "类", label.id + "级"):
            add(text, label.id)
        add(label.title.zh, label.id)
        add(label.title.en, label.id)
    add(scheme.not_rated.zh, None)
    add(scheme.not_rated.en, None)
    return out


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
        present = {column.field for column in table.columns}
        if not present & {"score", "class_id"}:
            raise InputError(
                "上年结果表没有「得分」或「类别」列：应为上年评价结果（统一社会信用代码或"
                "企业名称、得分、类别）或本工具输出的 JSON；上年企业数据请用 "
                "--previous-figures / last year's results have no 得分 (score) or 类别 "
                "(class) column: give last year's class list or this tool's JSON "
                "(last year's firm figures go to --previous-figures)",
                SourceSpan(str(path)),
            )
        names = class_names(scheme)
        for row in table:
            if row.values is None:
                if row.skipped is None:
                    raise InputError(
                        f"{row.column}: {row.reason}", SourceSpan(str(path), row.number)
                    )
                continue
            written = row.values.get("class_id")
            class_id = None
            if written is not None and _fold(str(written)):
                if _fold(str(written)) not in names:
                    known = "、".join(scheme.class_ids)
                    raise InputError(
                        f"类别: 无法识别的类别 {str(written)!r}（本方案的类别为 {known}，"
                        f"或其名称）/ unknown class {str(written)!r} (this scheme's "
                        f"classes: {', '.join(scheme.class_ids)}, or their titles)",
                        SourceSpan(str(path), row.number),
                    )
                class_id = names[_fold(str(written))]
            score = row.values.get("score")
            out.results[row.firm_id] = Previous(
                class_id,
                Fraction(score) if score is not None else None,
                row.values.get("track"),
            )
            if not row.values.get("credit_code") and row.values.get("name"):
                out.by_name.setdefault(fold_name(str(row.values["name"])), row.firm_id)
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

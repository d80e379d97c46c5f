"""Promises made at signing held against what a firm did, and the 反制 list.

A `PromiseRecord` is what was promised (fixed-asset investment or 投资强度, output
or 产出强度, tax or 亩均税收, start and production dates) and what was done. Records
come from a spreadsheet (`read_promises`, headers in `PROMISE_FIELDS`) or from any
iterable of records — the project register (项目库) feeds `promise_records` the
same way. Each comparison gives the gap as a figure and as a share; a firm short
of a promise beyond the user's tolerance, or in the scheme's last class, goes on
the 反制 list with the measures the scheme lists for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from screening.evaluation.fields import FIRM_FIELDS, FirmField
from screening.evaluation.firms import FirmRow, read_firms
from screening.evaluation.results import BadRow, FirmResult
from screening.evaluation.scheme import Scheme

# Columns of a promises spreadsheet (with 企业名称 / 统一社会信用代码 to join on).
PROMISE_FIELDS: dict[str, FirmField] = {
    f.name: f
    for f in (
        FIRM_FIELDS["name"],
        FIRM_FIELDS["credit_code"],
        FIRM_FIELDS["land_mu"],
        FirmField(
            "promised_fixed_assets",
            "money",
            "承诺固定资产投资",
            "promised fixed-asset investment",
            ("承诺固定资产投资", "约定固定资产投资", "promised fixed assets"),
            "non_negative",
        ),
        FirmField(
            "promised_investment_intensity",
            "intensity",
            "承诺投资强度",
            "promised investment intensity",
            (
                "承诺投资强度",
                "约定投资强度",
                "承诺亩均投资",
                "promised investment intensity",
            ),
            "non_negative",
        ),
        FirmField(
            "fixed_assets",
            "money",
            "已到位固定资产投资",
            "fixed-asset investment in place",
            (
                "已到位固定资产投资",
                "实际固定资产投资",
                "到位固定资产投资",
                "固定资产投资",
                "fixed assets in place",
            ),
            "non_negative",
        ),
        FirmField(
            "promised_revenue",
            "money",
            "承诺达产年营业收入",
            "promised annual revenue at full production",
            (
                "承诺达产年营业收入",
                "承诺年营业收入",
                "承诺营业收入",
                "承诺年产值",
                "promised revenue",
            ),
            "non_negative",
        ),
        FirmField(
            "promised_output_intensity",
            "intensity",
            "承诺产出强度",
            "promised output per mu",
            (
                "承诺产出强度",
                "承诺亩均产出",
                "承诺亩均营业收入",
                "promised output intensity",
            ),
            "non_negative",
        ),
        FirmField(
            "promised_tax",
            "money",
            "承诺达产年税收",
            "promised annual tax at full production",
            ("承诺达产年税收", "承诺年税收", "承诺税收", "promised tax"),
        ),
        FirmField(
            "promised_tax_per_mu",
            "intensity",
            "承诺亩均税收",
            "promised tax per mu",
            ("承诺亩均税收", "约定亩均税收", "promised tax per mu"),
        ),
        FIRM_FIELDS["revenue"],
        FIRM_FIELDS["tax"],
        FirmField(
            "promised_start",
            "date",
            "承诺开工日期",
            "promised start of construction",
            ("承诺开工日期", "约定开工日期", "承诺开工时间", "promised start"),
        ),
        FirmField(
            "actual_start",
            "date",
            "实际开工日期",
            "actual start of construction",
            ("实际开工日期", "开工日期", "实际开工时间", "actual start"),
        ),
        FirmField(
            "promised_production",
            "date",
            "承诺投产日期",
            "promised start of production",
            ("承诺投产日期", "约定投产日期", "承诺投产时间", "promised production"),
        ),
        FirmField(
            "actual_production",
            "date",
            "实际投产日期",
            "actual start of production",
            ("实际投产日期", "投产日期", "实际投产时间", "actual production"),
        ),
    )
}


@dataclass(frozen=True)
class PromiseRecord:
    """One firm's promises and actuals; figures in 万元, 亩, 万元/亩 (None: not known)."""

    firm_id: str  # credit code, or the name when no code is known
    name: str = ""
    land_mu: Decimal | None = None
    promised_fixed_assets: Decimal | None = None
    promised_investment_intensity: Decimal | None = None
    fixed_assets: Decimal | None = None  # in place
    promised_revenue: Decimal | None = None
    promised_output_intensity: Decimal | None = None
    promised_tax: Decimal | None = None
    promised_tax_per_mu: Decimal | None = None
    revenue: Decimal | None = (
        None  # of the evaluated year; else taken from the evaluation
    )
    tax: Decimal | None = None
    promised_start: dt.date | None = None
    actual_start: dt.date | None = None
    promised_production: dt.date | None = None
    actual_production: dt.date | None = None
    source: str = ""
    row: int | None = None


def promise_records(
    items: Iterable[Mapping[str, Any]], source: str = ""
) -> Iterator[PromiseRecord]:
    """Records from mappings keyed like PromiseRecord's fields (the register's rows)."""
    names = set(PromiseRecord.__dataclass_fields__)
    for item in items:
        values = {k: v for k, v in item.items() if k in names}
        firm_id = (
            values.pop("firm_id", None) or item.get("credit_code") or item.get("name")
        )
        yield PromiseRecord(
            firm_id=str(firm_id), source=values.pop("source", source), **values
        )


@dataclass
class PromiseFile:
    """Promise records read from a spreadsheet, and its rows that could not be read."""

    records: dict[str, PromiseRecord] = field(default_factory=dict)
    errors: list[BadRow] = field(default_factory=list)


def read_promises(path: Path | str, sheet: str | None = None) -> PromiseFile:
    """Read a promises spreadsheet (headers: PROMISE_FIELDS); bad rows are listed."""
    out = PromiseFile()
    table = read_firms(path, PROMISE_FIELDS, sheet)
    first: dict[str, int] = {}
    try:
        for row in table:
            _add(out, row, first)
    finally:
        table.close()
    return out


def _add(out: PromiseFile, row: FirmRow, first: dict[str, int]) -> None:
    if row.skipped is not None:
        return
    if row.values is None:
        out.errors.append(BadRow(row.source, row.number, row.column, row.reason or ""))
        return
    firm_id = row.firm_id
    if firm_id in first:
        out.errors.append(
            BadRow(
                row.source,
                row.number,
                None,
                f"与第 {first[firm_id]} 行为同一企业 / the same firm as row {first[firm_id]}",
            )
        )
        return
    first[firm_id] = row.number
    values = {k: v for k, v in row.values.items() if k not in ("credit_code",)}
    out.records[firm_id] = PromiseRecord(
        firm_id=firm_id, source=row.source, row=row.number, **values
    )


@dataclass(frozen=True)
class PromiseItem:
    """One promise against its actual: the gap as a figure (or days) and as a share."""

    key: (
        str  # investment_intensity / output_intensity / tax_per_mu / start / production
    )
    promised: Fraction | dt.date | None
    actual: Fraction | dt.date | None
    gap: (
        Fraction | int | None
    )  # actual − promised; for dates, days late (negative: early)
    share: Fraction | None  # gap ÷ promised (figures only)
    status: str  # met / short / unknown / not_due
    overdue: bool = False  # a date passed with nothing done


@dataclass(frozen=True)
class PromiseCheck:
    """Every promise of one firm, and whether any is short beyond the tolerance."""

    record: PromiseRecord
    items: tuple[PromiseItem, ...]

    @property
    def short(self) -> tuple[PromiseItem, ...]:
        """The promises not kept beyond the tolerance."""
        return tuple(item for item in self.items if item.status == "short")


@dataclass(frozen=True)
class Tolerance:
    """How far short of a promise is still accepted: a share of figures, days of dates."""

    share: Fraction = Fraction(0)
    days: int = 0


def _figure(value: Any) -> Fraction | None:
    return None if value is None else Fraction(value)


def _per_mu(amount: Any, land: Fraction | None) -> Fraction | None:
    if amount is None or not land:
        return None
    return Fraction(amount) / land


def check_promises(
    record: PromiseRecord,
    result: FirmResult | None,
    as_of: dt.date,
    tolerance: Tolerance,
) -> PromiseCheck:
    """Hold one firm's promises against its actuals (the evaluation's figures fill gaps).

    Land, the year's revenue and tax, and the date of production (the firms table's
    投产日期 / 实际投产日期) come from the evaluated firm when the record has none.
    """
    figures = dict(result.measured.figures) if result is not None else {}
    land = _figure(record.land_mu) or _figure(_decimal(figures.get("land_mu")))
    revenue = (
        record.revenue
        if record.revenue is not None
        else _decimal(figures.get("revenue"))
    )
    tax = record.tax if record.tax is not None else _decimal(figures.get("tax"))
    produced = record.actual_production
    if produced is None:
        # the firm's own 投产日期, unless it is before this project started (or was to
        # start): then it is an earlier plant's, not this promise's production
        firm_produced = _date(figures.get("production_start"))
        started = record.actual_start or record.promised_start
        if firm_produced is not None and (started is None or firm_produced >= started):
            produced = firm_produced
    items = [
        _compare(
            "investment_intensity",
            _figure(record.promised_investment_intensity)
            or _per_mu(record.promised_fixed_assets, land),
            _per_mu(record.fixed_assets, land),
            tolerance,
        ),
        _compare(
            "output_intensity",
            _figure(record.promised_output_intensity)
            or _per_mu(record.promised_revenue, land),
            _per_mu(revenue, land),
            tolerance,
        ),
        _compare(
            "tax_per_mu",
            _figure(record.promised_tax_per_mu) or _per_mu(record.promised_tax, land),
            _per_mu(tax, land),
            tolerance,
        ),
        _date_item(
            "start", record.promised_start, record.actual_start, as_of, tolerance
        ),
        _date_item(
            "production",
            record.promised_production,
            produced,
            as_of,
            tolerance,
        ),
    ]
    return PromiseCheck(record, tuple(item for item in items if item is not None))


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _date(text: str | None) -> dt.date | None:
    """A date the evaluation read (ISO text in `Measured.figures`), or None."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _compare(
    key: str, promised: Fraction | None, actual: Fraction | None, tolerance: Tolerance
) -> PromiseItem | None:
    if promised is None:
        return None  # nothing was promised
    if actual is None:
        return PromiseItem(key, promised, None, None, None, "unknown")
    gap = actual - promised
    share = gap / promised if promised else None
    short = share is not None and share < -tolerance.share
    return PromiseItem(key, promised, actual, gap, share, "short" if short else "met")


def _date_item(
    key: str,
    promised: dt.date | None,
    actual: dt.date | None,
    as_of: dt.date,
    tolerance: Tolerance,
) -> PromiseItem | None:
    if promised is None:
        return None
    if actual is None:
        late = (as_of - promised).days
        if late <= 0:
            return PromiseItem(key, promised, None, None, None, "not_due")
        status = "short" if late > tolerance.days else "met"
        return PromiseItem(key, promised, None, late, None, status, overdue=True)
    late = (actual - promised).days
    return PromiseItem(
        key, promised, actual, late, None, "short" if late > tolerance.days else "met"
    )


@dataclass(frozen=True)
class Action:
    """One firm on the 反制 list: why, and the measures the scheme lists for it."""

    firm_id: str
    name: str
    class_id: str | None
    reasons: tuple[str, ...]  # last_class / a promise key
    measures: tuple[Any, ...]  # scheme Measures
    check: PromiseCheck | None = None


def action_for(
    scheme: Scheme, result: FirmResult | None, check: PromiseCheck | None
) -> Action | None:
    """The 反制 entry of a firm in the last class or short of a promise; None otherwise."""
    reasons: list[str] = []
    measures: list[Any] = []
    class_id = result.class_id if result is not None else None
    if class_id is not None and class_id == scheme.class_ids[-1]:
        reasons.append("last_class")
        measures.extend(scheme.class_label(class_id).measures)
    if check is not None and check.short:
        reasons.extend(item.key for item in check.short)
        measures.extend(scheme.promise_measures)
    if not reasons:
        return None
    if result is not None:
        firm_id, name = result.firm_id, result.measured.name
    else:
        assert check is not None
        firm_id, name = check.record.firm_id, check.record.name
    return Action(firm_id, name, class_id, tuple(reasons), tuple(measures), check)

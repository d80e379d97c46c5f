"""The figures a bureau is judged on, per park and period (definitions in docs/register.md).

Period P = [start, end]; every figure is measured as of `end` (a stage counts when it
was reached on or before `end`):

* leads by stage (the stage each lead was in at `end`) and by the engine's decision;
  leads registered in P by decision; committee decisions with a meeting in P;
* 履约率 = signed in P and started (开工) by `end` ÷ signed in P;
* 开工率 = promised to start in P and started by `end` ÷ promised to start in P;
* 投产率 = promised to go into production in P and in production by `end` ÷ those
  (both over the leads signed by `end`, or registered by then with no signing);
* 资金到位率 = Σ investment in place by `end` (each lead's latest report) ÷ Σ promised
  total investment, over the leads signed in P that have a promise;
* projects ≥ 3000万 / 5000万 / 1亿 (the promised total, else the screened total) that
  were signed, started or went into production in P, against the targets file.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, literal, select

from screening.register.db import RegisterError
from screening.register.render import (
    amount,
    committee_label,
    decision_label,
    in_brackets,
    plain,
    stage_label,
    table,
)
from screening.register.schema import (
    ENDINGS,
    STAGES,
    actuals,
    committee_decisions,
    leads,
)
from screening.register.store import Register
from screening.register.targets import TARGET_STAGES, Targets

DEFAULT_BANDS = (
    Decimal(3000),
    Decimal(5000),
    Decimal(10000),
)  # 万元: ≥ 3000万, ≥ 5000万, ≥ 1亿
NO_PARK = "（未填园区）"
ALL = "合计"


@dataclass(frozen=True)
class Period:
    """A closed range of days and how it was asked for."""

    start: dt.date
    end: dt.date
    label: str

    @property
    def years(self) -> range:
        return range(self.start.year, self.end.year + 1)


def period_of(
    year: int | None,
    quarter: str | None,
    month: str | None,
    start: dt.date | None,
    end: dt.date | None,
    today: dt.date,
) -> Period:
    """The period asked for (one of year / quarter / month / from–to; default: this year)."""
    given = [x for x in (year, quarter, month) if x is not None]
    if len(given) > 1 or (given and (start or end)):
        raise RegisterError(
            "--year、--quarter、--month、--from/--to 只能选一种 / give one kind of period"
        )
    if year is not None:
        return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), f"{year}")
    if quarter is not None:
        match = re.fullmatch(r"(\d{4})[Qq]([1-4])", quarter.strip())
        if not match:
            raise RegisterError(
                f"季度应写作 2025Q2：{quarter!r} / a quarter is written 2025Q2"
            )
        y, q = int(match.group(1)), int(match.group(2))
        last = dt.date(y + (q == 4), 1 if q == 4 else 3 * q + 1, 1) - dt.timedelta(
            days=1
        )
        return Period(dt.date(y, 3 * q - 2, 1), last, f"{y}Q{q}")
    if month is not None:
        match = re.fullmatch(r"(\d{4})-(\d{2})", month.strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise RegisterError(
                f"月份应写作 2025-03：{month!r} / a month is written 2025-03"
            )
        y, m = int(match.group(1)), int(match.group(2))
        last = dt.date(y + (m == 12), 1 if m == 12 else m + 1, 1) - dt.timedelta(days=1)
        return Period(dt.date(y, m, 1), last, f"{y}-{m:02d}")
    first = start or dt.date(today.year, 1, 1)
    last = end or today
    if last < first:
        raise RegisterError(
            f"期间止 {last} 早于期间起 {first} / the period ends before it starts"
        )
    label = (
        f"{today.year} 年初至今" if start is None and end is None else f"{first}–{last}"
    )
    return Period(first, last, label)


def _stage_at(end: dt.date) -> Any:
    """SQL: the stage a lead was in at the end of `end` (from the days each was reached)."""
    c = leads.c
    whens = [(c.registered_on > end, None), (c.ended_on <= end, c.stage)] + [
        (getattr(c, column) <= end, literal(stage))
        for stage, column in (
            ("达产", "full_on"),
            ("投产", "producing_on"),
            ("开工", "started_on"),
            ("供地", "land_on"),
            ("签约", "signed_on"),
        )
    ]
    return case(*whens, else_=literal("洽谈"))


def _stock(conn: Any, end: dt.date, scope: list[Any]) -> tuple[list[Any], list[Any]]:
    """The leads registered by the end of `end`: (park, current stage, decision, count)
    rows, and (park, current stage, stage at `end`, count) rows moving some of them to
    the stage they were in at `end`.

    The current stage is the one `_stage_at` gives with every date reached (an ending,
    else the highest stage with a date: moves clear the dates of later stages), and
    `stage_on` is its date. So a lead whose `stage_on` is on or before `end` was in its
    current stage at `end` already, whatever the dates below it. The leads registered
    by `end` are counted by their current stage from a covering index, and only those
    that reached it after `end` are looked at again: they are read from a partial
    index of the leads that moved on after the day they were registered (a new lead is
    not in it, so storing a batch does not pay for it).
    """
    c = leads.c
    if end >= dt.date.today():
        # no stage is dated after today and every lead is registered by then
        current = select(c.park, c.stage, c.decision, func.count()).where(*scope)
        return list(conn.execute(current.group_by(c.park, c.stage, c.decision))), []
    registered = select(c.park, c.stage, c.decision, func.count()).where(
        c.registered_on <= end, *scope
    )
    then = _stage_at(end)
    moved = select(c.park, c.stage, then, func.count()).where(
        c.stage_on > end,
        c.registered_on <= end,
        c.stage_on > c.registered_on,  # the partial index's condition
        *scope,
    )
    return (
        list(conn.execute(registered.group_by(c.park, c.stage, c.decision))),
        list(conn.execute(moved.group_by(c.park, c.stage, then))),
    )


def _rate(numerator: int | Decimal, denominator: int | Decimal) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal("0.1"))


def compute_kpis(
    register: Register,
    period: Period,
    park: str | None = None,
    targets: Targets | None = None,
) -> dict[str, Any]:
    """Every KPI for every park (and all parks together) over `period`."""
    c = leads.c
    start, end = period.start, period.end
    # grouped by the column itself, in index order; a lead without a park is NO_PARK
    park_col = c.park
    scope = [c.park == park] if park is not None else []
    parks: dict[str, dict[str, Any]] = {}
    # the bands counted: the default ones and every one the targets file names
    bands = sorted(set(DEFAULT_BANDS) | (targets.bands() if targets else set()))

    def entry(name: str | None) -> dict[str, Any]:
        name = NO_PARK if name is None else name
        found = parks.get(name)
        if found is None:
            found = parks[name] = {
                "park": name,
                "leads": 0,
                "by_stage": dict.fromkeys(STAGES + ENDINGS, 0),
                "by_decision": {"pass": 0, "review": 0, "reject": 0, "none": 0},
                "registered_in_period": {
                    "pass": 0,
                    "review": 0,
                    "reject": 0,
                    "none": 0,
                },
                "committee": {"同意": 0, "不同意": 0, "暂缓": 0},
                "signed": 0,
                "signed_started": 0,
                "promised_start": 0,
                "promised_start_met": 0,
                "promised_production": 0,
                "promised_production_met": 0,
                "promised_total": Decimal(0),
                "invested": Decimal(0),
                "with_promise": 0,
                "bands": {stage: {str(b): 0 for b in bands} for stage in TARGET_STAGES},
            }
        return found

    with register.read() as conn:
        # stock at the end: one group per park, stage and decision
        registered, moved = _stock(conn, end, scope)
        for park_name, stage_name, decision, n in registered:
            item = entry(park_name)
            item["leads"] += n
            item["by_stage"][stage_name] += n
            item["by_decision"][decision or "none"] += n
        for park_name, stage_name, was, n in moved:
            item = entry(park_name)
            item["by_stage"][stage_name] -= n
            item["by_stage"][was] += n
        for row in conn.execute(
            select(park_col, c.decision, func.count())
            .where(c.registered_on >= start, c.registered_on <= end, *scope)
            .group_by(park_col, c.decision)
        ):
            entry(row[0])["registered_in_period"][row[1] or "none"] += row[2]
        cd = committee_decisions.c
        for row in conn.execute(
            select(park_col, cd.decision, func.count())
            .join(leads, leads.c.id == cd.lead_id)
            .where(cd.meeting_on >= start, cd.meeting_on <= end, *scope)
            .group_by(park_col, cd.decision)
        ):
            entry(row[0])["committee"][row[1]] += row[2]
        # cohorts: each read on its own (partial) index, so none scans the whole table.
        # A promised date counts for the leads the period holds: signed by its end (a
        # promise is made at signing), or registered by then when no signing is
        # recorded; a lead signed later, promising a date already past, is not in it
        # (always so when the period runs to today: no day is recorded after today,
        # and the cohort is then read from its index alone)
        promised_by_end = (
            None
            if end >= dt.date.today()
            else func.coalesce(c.signed_on, c.registered_on) <= end
        )
        for column, total_key, met_key, met_column, held in (
            ("signed_on", "signed", "signed_started", "started_on", None),
            (
                "promised_start",
                "promised_start",
                "promised_start_met",
                "started_on",
                promised_by_end,
            ),
            (
                "promised_production",
                "promised_production",
                "promised_production_met",
                "producing_on",
                promised_by_end,
            ),
        ):
            col, met = getattr(c, column), getattr(c, met_column)
            held_by = [] if held is None else [held]
            for row in conn.execute(
                select(park_col, func.count(), func.count(case((met <= end, 1))))
                .where(col >= start, col <= end, *held_by, *scope)
                .group_by(park_col)
            ):
                item = entry(row[0])
                item[total_key] += row[1]
                item[met_key] += row[2]
        # 资金到位率: each signed lead's latest report of investment in place by the end
        a = actuals.c
        last = (
            select(a.invested)
            .where(a.lead_id == c.id, a.reported_on <= end, a.invested.is_not(None))
            .order_by(a.reported_on.desc(), a.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        invested = (
            select(
                c.park.label("park"),
                c.promised_total.label("promised"),
                last.label("invested"),
            )
            .where(
                c.signed_on >= start,
                c.signed_on <= end,
                c.promised_total.is_not(None),
                *scope,
            )
            .subquery()
        )
        for park_name, n, promised, reported in conn.execute(
            select(
                invested.c.park,
                func.count(),
                func.sum(invested.c.promised),
                func.sum(invested.c.invested),
            ).group_by(invested.c.park)
        ):
            item = entry(park_name)
            item["with_promise"] += n
            item["promised_total"] += promised
            # amounts are ≥ 0: a sum of 0 means nothing was reported (as Decimal(0))
            item["invested"] += reported if reported else Decimal(0)
        # projects of at least each band reaching a stage in the period
        amount_col = func.coalesce(c.promised_total, c.investment_total)
        for stage_name, column in TARGET_STAGES.items():
            col = getattr(c, column)
            counts = [func.count(case((amount_col >= band, 1))) for band in bands]
            for row in conn.execute(
                select(park_col, *counts)
                .where(col >= start, col <= end, *scope)
                .group_by(park_col)
            ):
                item = entry(row[0])
                item["bands"][stage_name] = {
                    str(band): n for band, n in zip(bands, row[1:], strict=True)
                }
    if targets:  # a park with a target and no lead counted here has missed it: 0/N
        for name in targets.parks(period.years):
            if park is None or name == park:
                entry(name)
    total = _total(parks, entry)
    rows = [parks[k] for k in sorted(parks)] + ([total] if len(parks) != 1 else [])
    for item in rows:
        item["履约率"] = _rate(item["signed_started"], item["signed"])
        item["开工率"] = _rate(item["promised_start_met"], item["promised_start"])
        item["投产率"] = _rate(
            item["promised_production_met"], item["promised_production"]
        )
        item["资金到位率"] = _rate(item["invested"], item["promised_total"])
        for stage_name in TARGET_STAGES:
            item["bands"][stage_name] = {
                band: {
                    "count": n,
                    "target": targets.target(
                        item["park"], period.years, stage_name, Decimal(band)
                    )
                    if targets and item["park"] != ALL
                    else None,
                }
                for band, n in item["bands"][stage_name].items()
            }
        if targets and item["park"] == ALL:  # the sum of every park's target
            for stage_name in TARGET_STAGES:
                for band, cell in item["bands"][stage_name].items():
                    found = [
                        p["bands"][stage_name][band]["target"]
                        for p in parks.values()
                        if p["bands"][stage_name][band]["target"] is not None
                    ]
                    cell["target"] = sum(found) if found else None
    return {
        "period": {"label": period.label, "start": period.start, "end": period.end},
        "park": park,
        "targets": targets.path if targets else None,
        "parks": rows,
    }


def register_parks(register: Register, among: list[str] | None = None) -> list[str]:
    """The parks the register's leads name, sorted (a lead without one names none);
    with `among`, only those of them (one index probe each)."""
    c = leads.c
    named = c.park.is_not(None) if among is None else c.park.in_(among)
    with register.read() as conn:
        return sorted(
            conn.execute(select(c.park).where(named).group_by(c.park)).scalars()
        )


def close_parks(name: str, known: list[str]) -> list[str]:
    """The parks of `known` that `name` may have meant: one holding the other
    (铁山港 → 铁山港工业区) or spelled alike, closest first."""
    import difflib

    alike = difflib.get_close_matches(name, known, n=5, cutoff=0.6)
    holding = [k for k in known if (name in k or k in name) and k not in alike]
    return (holding + alike)[:5]


def unmatched_targets(
    register: Register, targets: Targets
) -> list[tuple[str, list[str]]]:
    """Each park of the targets file that no lead of the register is in, with the
    parks it may have meant: its target is shown as missed (0/N), perhaps a typo."""
    named = sorted({p for p, _year in targets.by_park_year})
    found = set(register_parks(register, named))
    missing = [name for name in named if name not in found]
    known = register_parks(register) if missing else []
    return [(name, close_parks(name, known)) for name in missing]


def _total(
    parks: dict[str, dict[str, Any]], make: Callable[[str], dict[str, Any]]
) -> dict[str, Any]:
    import copy

    if not parks:  # an empty entry for ALL (which `make` also adds to parks)
        return make(ALL)
    first = next(iter(parks.values()))
    total = copy.deepcopy(first)
    total["park"] = ALL
    for item in list(parks.values())[1:]:
        _accumulate(total, item)
    return total


def _accumulate(into: dict[str, Any], item: dict[str, Any]) -> None:
    for key, value in item.items():
        if key == "park":
            continue
        if isinstance(value, dict):
            for inner, number in value.items():
                if isinstance(number, dict):
                    for band, n in number.items():
                        into[key][inner][band] = into[key][inner].get(band, 0) + n
                else:
                    into[key][inner] = into[key].get(inner, 0) + number
        else:
            into[key] += value


_STAGE_WORDS = {
    "签约": ("签约", "signed"),
    "开工": ("开工", "started"),
    "投产": ("投产", "in production"),
}


def _band_label(band: str, lang: str) -> str:
    value = Decimal(band)
    if lang == "en":  # as the web's KPI page says it
        return f" ≥ {amount(value / 100)}M CNY"
    if value >= 10000 and value % 10000 == 0:
        return f"≥{amount(value / 10000)}亿"
    return f"≥{amount(value)}万"


_PARKS_EN = {ALL: "all parks", NO_PARK: "(no park)"}
_COMMITTEE = ("同意", "不同意", "暂缓")


def _park(name: str, lang: str) -> str:
    return _PARKS_EN.get(name, name) if lang == "en" else name


def _period_label(label: str, end: dt.date, lang: str) -> str:
    if lang == "en" and label.endswith("年初至今"):
        return f"{end.year} to date"
    return label


def render_kpis(report: dict[str, Any], lang: str) -> str:
    """The KPI report as text tables: one row per park."""
    zh = lang == "zh"
    p = report["period"]
    label = _period_label(p["label"], p["end"], lang)
    out = [
        f"考核指标 {label}（{p['start']} — {p['end']}，截至期末）"
        if zh
        else f"KPIs {label} ({p['start']} – {p['end']}, as of the end)"
    ]
    if report["targets"]:
        out.append(f"{'目标' if zh else 'targets'}: {report['targets']}")
    rows = report["parks"]
    stages = list(STAGES + ENDINGS)
    out += [
        "",
        "项目数（按期末阶段）/ leads by stage at the end:"
        if zh
        else "leads by stage at the end:",
    ]
    out += table(
        [("园区" if zh else "park")]
        + [stage_label(s, lang) for s in stages]
        + [("合计" if zh else "all")],
        [
            [_park(r["park"], lang)]
            + [str(r["by_stage"][s]) for s in stages]
            + [str(r["leads"])]
            for r in rows
        ],
    )
    decisions = ["pass", "review", "reject", "none"]
    out += [
        "",
        "按筛查结论（期末库存 / 本期新增）/ by decision (stock / new in period):"
        if zh
        else "by decision (stock / new in period):",
    ]
    out += table(
        [("园区" if zh else "park")]
        + [
            decision_label(d, lang) if d != "none" else ("未筛查" if zh else "none")
            for d in decisions
        ],
        [
            [_park(r["park"], lang)]
            + [
                f"{r['by_decision'][d]} / {r['registered_in_period'][d]}"
                for d in decisions
            ]
            for r in rows
        ],
    )
    out += [
        "",
        "委员会决定（本期会议）/ committee decisions in the period:"
        if zh
        else "committee decisions in the period:",
    ]
    out += table(
        [("园区" if zh else "park")] + [committee_label(k, lang) for k in _COMMITTEE],
        [
            [_park(r["park"], lang)] + [str(r["committee"][k]) for k in _COMMITTEE]
            for r in rows
        ],
    )

    def rate(value: Decimal | None, num: Any, den: Any) -> str:
        if value is None:
            return "—"
        shown = (
            f"{amount(num) if isinstance(num, Decimal) else num}/"
            f"{amount(den) if isinstance(den, Decimal) else den}"
        )
        return f"{value}%{in_brackets(shown, lang)}"

    out += ["", "考核率 / rates:" if zh else "rates:"]
    out += table(
        ["园区", "履约率", "资金到位率", "开工率", "投产率"]
        if zh
        else [
            "park",
            "signed → started",
            "investment in place",
            "due to start → started by the end",
            "due to produce → producing by the end",
        ],
        [
            [
                _park(r["park"], lang),
                rate(r["履约率"], r["signed_started"], r["signed"]),
                rate(r["资金到位率"], r["invested"], r["promised_total"]),
                rate(r["开工率"], r["promised_start_met"], r["promised_start"]),
                rate(
                    r["投产率"], r["promised_production_met"], r["promised_production"]
                ),
            ]
            for r in rows
        ],
    )
    out += [
        "",
        "重大项目（本期，实际/目标）/ projects by size in the period (count/target):"
        if zh
        else "projects by size in the period (count/target):",
    ]
    header = ["园区" if zh else "park"]
    cells: list[list[str]] = [[_park(r["park"], lang)] for r in rows]
    for stage_name in TARGET_STAGES:
        bands = list(rows[0]["bands"][stage_name]) if rows else []
        for band in bands:
            header.append(
                f"{_STAGE_WORDS[stage_name][0 if zh else 1]}{_band_label(band, lang)}"
            )
            for line, r in zip(cells, rows, strict=True):
                cell = r["bands"][stage_name][band]
                line.append(
                    str(cell["count"])
                    + (f"/{cell['target']}" if cell["target"] is not None else "")
                )
    out += table(header, cells)
    return "\n".join(out) + "\n"


# the workbook's columns after the stages (zh, en), as the text report words them; then
# the committee's decisions (the first, 同意, is 委员会同意 here)
_XLSX_COLUMNS = (
    ("项目数", "leads"),
    ("通过", "pass"),
    ("复核", "review"),
    ("否决", "reject"),
    ("未筛查", "not screened"),
    ("本期新增", "registered in the period"),
    ("签约", "signed"),
    ("签约已开工", "signed and started"),
    ("履约率%", "signed → started %"),
    ("承诺总投资(万元)", "promised investment (×10k CNY)"),
    ("到位资金(万元)", "investment in place (×10k CNY)"),
    ("资金到位率%", "investment in place %"),
    ("计划开工", "due to start"),
    ("已开工", "started by the end"),
    ("开工率%", "due to start → started by the end %"),
    ("计划投产", "due to produce"),
    ("已投产", "producing by the end"),
    ("投产率%", "due to produce → producing by the end %"),
    ("委员会同意", "committee agreed"),
)


def write_kpi_xlsx(path: str, report: dict[str, Any], lang: str) -> None:
    """The KPI report as a workbook (one sheet per table), written atomically."""
    from openpyxl import Workbook

    from screening.io.writers import atomic_open

    book = Workbook(write_only=True)
    zh = lang == "zh"
    sheet = book.create_sheet("考核指标" if zh else "KPIs")
    header = [
        "园区" if zh else "park",
        *(
            f"阶段:{s}" if zh else f"stage: {stage_label(s, lang)}"
            for s in STAGES + ENDINGS
        ),
        *(zh_ if zh else en for zh_, en in _XLSX_COLUMNS),
        *(committee_label(k, lang) for k in _COMMITTEE[1:]),
    ]
    bands = [
        (s, b)
        for s in TARGET_STAGES
        for b in (report["parks"][0]["bands"][s] if report["parks"] else {})
    ]
    stage_words = {s: words[0 if zh else 1] for s, words in _STAGE_WORDS.items()}
    header += [f"{stage_words[s]}{_band_label(b, lang)}" for s, b in bands] + [
        f"{stage_words[s]}{_band_label(b, lang)}{'目标' if zh else ' target'}"
        for s, b in bands
    ]
    p = report["period"]
    label = _period_label(p["label"], p["end"], lang)
    sheet.append([label + in_brackets(f"{p['start']} — {p['end']}", lang)])
    sheet.append(header)
    for r in report["parks"]:
        sheet.append(
            plain(
                [
                    _park(r["park"], lang),
                    *(r["by_stage"][s] for s in STAGES + ENDINGS),
                    r["leads"],
                    *(
                        r["by_decision"][d]
                        for d in ("pass", "review", "reject", "none")
                    ),
                    sum(r["registered_in_period"].values()),
                    r["signed"],
                    r["signed_started"],
                    r["履约率"],
                    r["promised_total"],
                    r["invested"],
                    r["资金到位率"],
                    r["promised_start"],
                    r["promised_start_met"],
                    r["开工率"],
                    r["promised_production"],
                    r["promised_production_met"],
                    r["投产率"],
                    *(r["committee"][k] for k in ("同意", "不同意", "暂缓")),
                    *(r["bands"][s][b]["count"] for s, b in bands),
                    *(r["bands"][s][b]["target"] for s, b in bands),
                ]
            )
        )
    with atomic_open(path, "wb") as handle:
        book.save(handle)


__all__ = [
    "Period",
    "close_parks",
    "compute_kpis",
    "period_of",
    "register_parks",
    "render_kpis",
    "unmatched_targets",
    "write_kpi_xlsx",
]

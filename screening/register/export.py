"""The register to XLSX for the office: leads, screenings, stages, committee decisions,
promises and actuals, one sheet each, streamed (write-only) and written atomically."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from screening.register.figures import ACTUAL_FORM, PROMISE_FORM, Figure
from screening.register.records import decode_findings
from screening.register.render import (
    committee_label,
    decision_label,
    plain,
    stage_label,
)
from screening.register.schema import (
    actuals,
    committee_decisions,
    promises,
    runs,
    screenings,
    snapshots,
    stage_events,
)
from screening.register.store import (
    Filters,
    Register,
    current_screenings,
    folder_file,
    ruleset_file,
)
from screening.report.explain import unit_label

_LEADS = [
    ("key", "项目编号", "lead"),
    ("name", "项目名称", "project"),
    ("company", "企业", "company"),
    ("park", "园区", "park"),
    ("industry", "行业代码", "industry"),
    ("investment_total", "总投资(万元)", "investment (×10k CNY)"),
    ("stage", "阶段", "stage"),
    ("stage_on", "阶段日期", "stage date"),
    ("decision", "筛查结论", "decision"),
    ("score", "得分", "score"),
    ("committee", "委员会决定", "committee"),
    ("committee_on", "会议日期", "meeting"),
    ("registered_on", "登记日期", "registered"),
    ("signed_on", "签约", "signed"),
    ("land_on", "供地", "land"),
    ("started_on", "开工", "started"),
    ("producing_on", "投产", "production"),
    ("full_on", "达产", "full"),
    ("ended_on", "终止/退出", "ended"),
    ("promised_total", "承诺总投资(万元)", "promised (×10k CNY)"),
    ("promised_start", "承诺开工", "start by"),
    ("promised_production", "承诺投产", "production by"),
]


def _lead_rows(
    register: Register, conn: Any, filters: Filters, lang: str, pks: list[int]
) -> Iterator[list[Any]]:
    for lead in register.iter_leads(conn, filters):
        pks.append(lead["lead_pk"])
        row = dict(lead)
        row["stage"] = stage_label(row["stage"], lang)
        row["decision"] = decision_label(row["decision"], lang)
        row["committee"] = committee_label(row["committee"], lang)
        yield plain([row.get(key) for key, _zh, _en in _LEADS])


def export_xlsx(
    register: Register, path: str, filters: Filters, lang: str
) -> dict[str, int]:
    """Write the workbook; returns how many leads, screenings and events it holds."""
    from openpyxl import Workbook

    from screening.io.writers import atomic_open

    zh = lang == "zh"
    book = Workbook(write_only=True)
    counts = {"leads": 0, "screenings": 0, "events": 0}
    pks: list[int] = []
    keys: dict[int, str] = {}
    with register.read() as conn:
        sheet = book.create_sheet("项目" if zh else "leads")
        sheet.append([zh_ if zh else en for _k, zh_, en in _LEADS])
        for cells in _lead_rows(register, conn, filters, lang, pks):
            sheet.append(cells)
            counts["leads"] += 1
        for row in conn.execute(select(*_key_columns()).where(_in(pks))):
            keys[row.id] = row.key
        sheet = book.create_sheet("筛查" if zh else "screenings")
        sheet.append(
            [
                "筛查编号",
                "项目编号",
                "规则集",
                "版本",
                "规则集文件",
                "基准日",
                "结论",
                "得分",
                "一票否决",
                "未通过",
                "缺数据",
                "来源",
                "行",
                "采用",
                "当前",
                "时间(UTC)",
                "记录人",
            ]
            if zh
            else [
                "screening",
                "lead",
                "rule set",
                "version",
                "rule-set file",
                "as of",
                "decision",
                "score",
                "vetoed by",
                "failed",
                "missing",
                "source",
                "row",
                "adopted",
                "current",
                "at (UTC)",
                "by",
            ]
        )
        for chunk in _slices(pks):
            current = set(current_screenings(conn, chunk).values())
            for s in conn.execute(
                select(
                    screenings,
                    snapshots.c.ruleset_id,
                    snapshots.c.version,
                    snapshots.c.as_of,
                    snapshots.c.rules,
                    runs.c.input,
                    runs.c.rules_ref,
                )
                .join(snapshots, snapshots.c.id == screenings.c.snapshot_id)
                .outerjoin(runs, runs.c.id == screenings.c.run_id)
                .where(screenings.c.lead_id.in_(chunk))
                .order_by(screenings.c.id)
            ):
                findings = decode_findings(s.findings, json.loads(s.rules))
                titles = {f["rule"]: f["title"][lang] for f in findings}
                sheet.append(
                    plain(
                        [
                            s.id,
                            keys[s.lead_id],
                            s.ruleset_id,
                            s.version,
                            ruleset_file(s.rules_ref),
                            s.as_of,
                            decision_label(s.decision, lang),
                            s.score,
                            "、".join(titles.get(r, r) for r in json.loads(s.vetoed)),
                            "、".join(
                                f["title"][lang] for f in findings if f["failure"]
                            ),
                            "、".join(json.loads(s.missing)),
                            folder_file(s.input, s.source_file) or s.input,
                            s.source_row,
                            s.adopted,
                            s.id in current,
                            s.screened_at,
                            s.actor,
                        ]
                    )
                )
                counts["screenings"] += 1
        for title, table, columns in (
            (
                ("阶段", "stages"),
                stage_events,
                [
                    ("stage", "阶段", "stage"),
                    ("on", "日期", "date"),
                    ("reason", "原因", "reason"),
                    ("note", "说明", "note"),
                    ("override", "越序记录", "override"),
                ],
            ),
            (
                ("委员会", "committee"),
                committee_decisions,
                [
                    ("decision", "决定", "decision"),
                    ("meeting_on", "会议日期", "meeting"),
                    ("note", "说明", "note"),
                    ("screening_id", "所依筛查", "screening"),
                ],
            ),
            (("承诺", "promises"), promises, _titled(PROMISE_FORM, first="signed_on")),
            (("实绩", "actuals"), actuals, _titled(ACTUAL_FORM)),
        ):
            sheet = book.create_sheet(title[0] if zh else title[1])
            sheet.append(
                ["项目编号" if zh else "lead"]
                + [zh_ if zh else en for _k, zh_, en in columns]
                + (["记录时间(UTC)", "记录人"] if zh else ["recorded (UTC)", "by"])
            )
            for chunk in _slices(pks):
                for row in conn.execute(
                    select(table).where(table.c.lead_id.in_(chunk)).order_by(table.c.id)
                ):
                    m = row._mapping
                    values = [m[k] for k, _zh, _en in columns]
                    if table is stage_events:
                        values[0] = stage_label(values[0], lang)
                    sheet.append(
                        plain(
                            [keys[m["lead_id"]], *values, m["recorded_at"], m["actor"]]
                        )
                    )
                    counts["events"] += 1
    with atomic_open(path, "wb") as handle:
        book.save(handle)
    return counts


def _titled(
    form: tuple[Figure, ...], first: str | None = None
) -> list[tuple[str, str, str]]:
    """A form's figures as sheet columns: name, Chinese and English titles as the lead
    page's form titles them, a figure's with its unit (总投资(万元), total investment
    (×10k CNY)); `first` leads (the promise sheet's signing date), and a note is 说明."""
    ordered = sorted(form, key=lambda f: f.name != first)  # stable: the form's order
    out = []
    for figure in ordered:
        zh, en = (
            ("说明", "note")
            if figure.name == "note"
            else (figure.title_zh, figure.title_en)
        )
        if figure.unit:
            zh, en = f"{zh}({figure.unit})", f"{en} ({unit_label(figure.unit, 'en')})"
        out.append((figure.name, zh, en))
    return out


def _key_columns() -> list[Any]:
    from screening.register.schema import leads

    return [leads.c.id, leads.c.key]


def _in(pks: list[int]) -> Any:
    from screening.register.schema import leads

    return leads.c.id.in_(pks) if pks else leads.c.id.is_(None)


def _slices(items: list[int], size: int = 500) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]

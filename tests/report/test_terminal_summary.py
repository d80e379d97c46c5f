"""The terminal's 通过所需 list keeps each item beside its bullet, however long, and
wraps it under its own text."""

from __future__ import annotations

from typing import Any

from screening.report.terminal import render_text

_LONG = (
    "须补充数据：行政办公及生活服务设施建筑面积占总建筑面积比例、建筑密度（建筑物基底"
    "面积占用地面积比例）、两高项目已落实总量控制、区域削减及煤炭消费减量替代等条件"
)


def _result(summary: str) -> dict[str, Any]:
    return {
        "project": {"id": "p-1", "name": "甲项目", "company": "甲公司"},
        "ruleset": {"id": "starter", "version": "1", "sha256": "0" * 64, "path": None},
        "as_of": "2026-01-01",
        "decision": "review",
        "score": None,
        "vetoed_by": [],
        "missing": [],
        "summary": summary,
        "findings": [],
    }


def test_a_long_item_stays_beside_its_bullet() -> None:
    text = render_text([_result(_LONG + "\n省级节能审查：须人工复核")], width=60)
    lines = text.splitlines()
    at = lines.index("通过所需：")
    first, *rest = lines[at + 1 :]
    assert first.startswith("  • 须补充数据：")
    wrapped = [line for line in rest if not line.lstrip().startswith("•")]
    assert wrapped and all(line.startswith("    ") for line in wrapped)
    shown = "".join(line.strip().removeprefix("• ") for line in lines[at + 1 :])
    assert shown == _LONG + "省级节能审查：须人工复核"
    assert all(line.strip() != "•" for line in lines)

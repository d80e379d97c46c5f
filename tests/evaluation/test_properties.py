"""Determinism: the order of rows never changes a class; the same input gives the same bytes."""

from __future__ import annotations

import csv
import json
import tempfile
from fractions import Fraction
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from screening.evaluation.loader import load_scheme
from screening.evaluation.outputs import write_outputs
from screening.evaluation.run import evaluate_file

HUAIAN = load_scheme("huaian-2024")
HUANGYAN = load_scheme("huangyan")
GIVEN = {
    (None, "tax_per_mu"): Fraction(20),
    (None, "revenue_per_mu"): Fraction(200),
    (None, "tax_per_energy"): Fraction(1),
}
HEADERS = ["企业名称", "统一社会信用代码", "企业规模", "用地面积(亩)", "税收实际贡献(万元)", "营业收入(万元)",
           "工业增加值(万元)", "综合能耗(吨标煤)", "主要污染物排放当量(吨)", "研发经费(万元)", "年平均职工人数",
           "投产日期", "受到行政处罚", "是否发生重大安全生产或环境污染事故"]  # fmt: skip
_CODE = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_W = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def _code(i: int) -> str:
    body = f"91320800{i:09d}"
    return (
        body
        + _CODE[
            (31 - sum(_CODE.index(c) * w for c, w in zip(body, _W, strict=True)) % 31)
            % 31
        ]
    )


# Figures drawn from small sets, so equal scores (ties) and exact boundaries are common.
firm = st.fixed_dictionaries(
    {
        "scale": st.sampled_from(["规上", "规下", ""]),
        "land": st.sampled_from(["2.9", "3", "10", "12.5"]),
        "tax": st.sampled_from(["0", "20", "40", "100", "180", "250", "", "abc"]),
        "revenue": st.sampled_from(["400", "1000", "2000", ""]),
        "added": st.sampled_from(["500", "1361.6", ""]),
        "energy": st.sampled_from(["40", "100", "505.4", "0"]),
        "emissions": st.sampled_from(["0.276197", "1", "", "0"]),
        "rd": st.sampled_from(["0", "302", ""]),
        "employees": st.sampled_from(["75.06", "100", ""]),
        "start": st.sampled_from(["2015-03-01", "2023-12-31", "2024-01-01", ""]),
        "penalised": st.sampled_from(["是", "否", ""]),
        "incident": st.sampled_from(["是", "否", "否", "否"]),
    }
)


def _write(path: Path, firms: list[dict[str, str]], order: list[int]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADERS)
        for i in order:
            f = firms[i]
            out.writerow([f"企业{i}", _code(i), f["scale"], f["land"], f["tax"], f["revenue"], f["added"],
                          f["energy"], f["emissions"], f["rd"], f["employees"], f["start"], f["penalised"],
                          f["incident"]])  # fmt: skip


def _results(path: Path, scheme) -> dict[str, tuple]:
    with evaluate_file(
        path, scheme, 2025, benchmarks=GIVEN if scheme is HUAIAN else None
    ) as ev:
        return {
            f.firm_id: (f.class_id, f.score, f.rank, f.measured.reason)
            for f in ev.firms()
        }


@settings(deadline=None)
@given(firms=st.lists(firm, min_size=1, max_size=45), data=st.data())
def test_shuffling_the_rows_changes_no_firms_class_score_or_rank(
    firms: list[dict[str, str]], data: st.DataObject
) -> None:
    order = data.draw(st.permutations(list(range(len(firms)))))
    with tempfile.TemporaryDirectory() as folder:
        first, second = Path(folder) / "a.csv", Path(folder) / "b.csv"
        _write(first, firms, list(range(len(firms))))
        _write(second, firms, order)
        for scheme in (HUAIAN, HUANGYAN):
            assert _results(first, scheme) == _results(second, scheme)


def _json(path: Path, out: Path, scheme=HUAIAN) -> bytes:
    given = GIVEN if scheme is HUAIAN else None
    with evaluate_file(path, scheme, 2025, benchmarks=given) as ev:
        write_outputs(ev, [("json", out)], "zh")
    return out.read_bytes()


@settings(deadline=None, max_examples=25)
@given(firms=st.lists(firm, min_size=1, max_size=30), data=st.data())
def test_the_same_input_gives_byte_identical_json_and_a_shuffle_only_moves_row_numbers(
    firms: list[dict[str, str]], data: st.DataObject
) -> None:
    order = data.draw(st.permutations(list(range(len(firms)))))
    with tempfile.TemporaryDirectory() as folder:
        source, shuffled = (
            Path(folder) / "firms.csv",
            Path(folder) / "shuffled" / "firms.csv",
        )
        shuffled.parent.mkdir()
        _write(source, firms, list(range(len(firms))))
        _write(shuffled, firms, order)
        once, again = (
            _json(source, Path(folder) / "1.json"),
            _json(source, Path(folder) / "2.json"),
        )
        assert once == again
        moved = json.loads(_json(shuffled, Path(folder) / "3.json"))
        original = json.loads(once)
        for doc in (original, moved):
            doc.pop("input")
            for firm_record in doc["firms"]:
                firm_record.pop("row")
            doc["errors"] = sorted(e["reason"] for e in doc["errors"])
            doc["warnings"] = [
                w["message"] for w in doc["warnings"]
            ]  # they name the input's path
        assert original == moved

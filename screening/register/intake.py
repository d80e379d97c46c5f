"""Storing projects in the register: project files one by one (`add`), or a batch input
(a spreadsheet, JSONL or a folder: `import`) through the batch's own screening path."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from screening.errors import ScreeningError
from screening.io.tables import DEFAULT_LIMITS, Limits
from screening.register.records import FindingCodec, record_of
from screening.register.sink import FolderFiles, RegisterSink, input_sha256
from screening.register.store import Pending, Register, StoreCounts

PROJECT_SUFFIXES = {".yaml", ".yml", ".json"}


@dataclass
class Intake:
    """What storing an input did: counts, each row's lead and decision, the bad rows."""

    rows: int = 0
    invalid: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    counts: StoreCounts = field(default_factory=StoreCounts)
    decisions: list[dict[str, Any]] = field(
        default_factory=list
    )  # add: one per project file


def add_projects(
    register: Register,
    paths: list[str],
    rules_ref: str | None,
    as_of: dt.date,
    lang: str,
    actor: str,
) -> Intake:
    """Screen project (or case) files and store each: one run per file, one transaction each."""
    from screening.cases import case_files, load_case
    from screening.inputs import convert_inputs
    from screening.loader import load_ruleset
    from screening.model.project import flatten
    from screening.report.contract import contract_bytes
    from screening.screener import Screener

    intake = Intake()
    screeners: dict[str, Screener] = {}
    codec = FindingCodec()
    files = case_files(list(paths))
    if not files:
        raise ScreeningError("没有找到项目文件 / no project files found")
    for path in files:
        case = load_case(path)
        ref = rules_ref or case.ruleset
        if ref is None:
            raise ScreeningError(
                f"{path}: 请用 --rules 指定规则集 / give --rules (the file names no ruleset)"
            )
        if ref not in screeners:
            screeners[ref] = Screener(load_ruleset(ref, as_of=as_of))
        screener = screeners[ref]
        values = convert_inputs(flatten(case.project), screener.ruleset.inputs)
        decision = screener.screen_values(values)
        line = contract_bytes(decision, screener.ruleset, lang)
        record = record_of(values, decision, line, codec)
        run = register.start_run(
            "add",
            screener.ruleset,
            ref,
            lang,
            actor,
            input_path=str(path),
            input_sha256=hashlib.sha256(Path(path).read_bytes()).hexdigest(),
        )
        counts = register.store(run, [Pending(1, decision.outcome.value, record)])
        register.finish_run(run, 1, counts, 0)
        intake.rows += 1
        intake.counts.add(counts)
        intake.decisions.append(
            {
                "file": str(path),
                "lead": counts.leads[0],
                "decision": decision.outcome.value,
                "score": record.score,
                "stored": bool(counts.stored),
            }
        )
    return intake


def import_input(
    register: Register,
    input_path: str,
    rules_ref: str,
    as_of: dt.date,
    lang: str,
    actor: str,
    columns_file: str | None = None,
    sheet: str | None = None,
    jobs: int = 1,
    kind: str = "import",
    limits: Limits = DEFAULT_LIMITS,
) -> Intake:
    """Screen a batch input (or project files) and store every screened row; `limits`
    bound what the input may hold."""
    from screening.batch import Invalid, run_batch
    from screening.io.columns import load_column_map, with_declared
    from screening.io.readers import read_rows
    from screening.loader import load_ruleset

    path = Path(input_path)
    if path.is_file() and path.suffix.lower() in PROJECT_SUFFIXES:
        return add_projects(register, [input_path], rules_ref, as_of, lang, actor)
    ruleset = load_ruleset(rules_ref, as_of=as_of)
    columns = load_column_map(columns_file) if columns_file else None
    intake = Intake()
    # a sheet's columns headed by the rule set's declared inputs are read into them,
    # as `screening batch` reads them (`BatchOutputs.run`)
    reading = with_declared(columns, ruleset.inputs)
    with read_rows(
        input_path, reading, sheet=sheet, deferred=True, limits=limits
    ) as stream:
        if stream.encoding and stream.format == "csv":
            intake.notes.append(f"{input_path}: 编码 / encoding {stream.encoding}")
        intake.notes += [str(w) for w in stream.warnings]
        header = stream.header
        run = register.start_run(
            kind,
            ruleset,
            rules_ref,
            lang,
            actor,
            input_path=str(input_path),
            input_sha256=input_sha256(input_path),
        )
        sink = RegisterSink(register, run, source=str(input_path))
        files = FolderFiles(stream.format)

        def on_result(item: Any) -> None:
            sink.add(item, files.next())

        def on_invalid(item: Invalid) -> None:
            files.next(item.source)
            column = item.field
            if header is not None and item.field:
                mapped = header.column_of(item.field)
                column = mapped.header if mapped is not None else item.field
            intake.invalid.append(
                {
                    "source": item.source,
                    "row": item.number,
                    "column": column,
                    "reason": item.reason,
                }
            )

        try:
            counts = run_batch(
                files.rows(stream.blocks()),  # a JSONL input's lines split by workers
                rules_ref,
                as_of,
                jobs,
                on_result,
                on_invalid,
                lang,
                None,
                columns,
                register=True,
            )
            sink.finish(counts.rows, counts.invalid)
        finally:
            sink.stop()
    intake.notes += sink.repeat_lines()
    intake.rows = counts.rows
    intake.counts = sink.counts
    return intake

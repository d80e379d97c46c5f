"""One pass over an evaluation's firms into every output, each written atomically.

Outputs are chosen by extension (.json .jsonl .csv .xlsx .html .txt), refused when
one would overwrite an input, and committed together at the end: a failed or
killed run leaves every target as it was and no temporary file behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from screening.errors import ScreeningError
from screening.evaluation.html import EvaluationPage
from screening.evaluation.promises import (
    Action,
    PromiseRecord,
    Tolerance,
    action_for,
    check_promises,
)
from screening.evaluation.report import (
    CsvWriter,
    JsonlWriter,
    JsonWriter,
    action_dict,
    evaluation_dict,
    firm_dict,
    promise_dict,
    render_text,
)
from screening.evaluation.run import Evaluation
from screening.evaluation.xlsx import EvaluationWorkbook
from screening.io.writers import atomic_open

FORMATS = {
    ".json": "json",
    ".jsonl": "jsonl",
    ".csv": "csv",
    ".xlsx": "xlsx",
    ".html": "html",
    ".txt": "text",
}
HTML_FIRMS = 500  # firms listed one by one in the HTML page


class OutputError(ScreeningError):
    """An output that cannot be written as asked."""

    code = "OUT"


def targets_of(
    outputs: Sequence[str], inputs: Iterable[str | Path | None]
) -> list[tuple[str, Path]]:
    """(format, path) per output; refused when unknown or when it would overwrite an input."""
    protected = {Path(p).resolve() for p in inputs if p is not None}
    out = []
    for output in outputs:
        path = Path(output)
        kind = FORMATS.get(path.suffix.lower())
        if kind is None:
            raise OutputError(
                f"{output}: 不支持的输出格式（可用 {' '.join(FORMATS)}）/ unsupported output format"
            )
        if path.resolve() in protected:
            raise OutputError(
                f"{output}: 输出会覆盖输入文件，已拒绝 / the output would overwrite an input"
            )
        out.append((kind, path))
    return out


@dataclass
class Written:
    """What a run wrote: the 反制 list, and how many promises matched no firm."""

    actions: list[Action] = field(default_factory=list)
    unmatched: int = 0


def write_outputs(
    ev: Evaluation,
    targets: Sequence[tuple[str, Path]],
    lang: str,
    *,
    promises: Mapping[str, PromiseRecord] | None = None,
    tolerance: Tolerance | None = None,
    as_of: dt.date | None = None,
    actions_path: Path | None = None,
    text_limit: int = 20,
) -> tuple[Written, str | None]:
    """Write every target in one pass over the firms; the text rendering when asked for."""
    day = as_of or dt.date(ev.year, 12, 31)
    tolerance = tolerance or Tolerance()
    records = dict(promises or {})
    if records:
        ev.promises = records
        ev.promise_check = lambda record, result: check_promises(
            record, result, day, tolerance
        )
    head = evaluation_dict(ev, lang)
    titles = {  # ids the XLSX and HTML show by title
        "track": {track.id: track.title.get(lang) for track in ev.scheme.tracks},
        "override": {o.id: o.title.get(lang) for o in ev.scheme.overrides},
        "class": {c.id: c.title.get(lang) for c in ev.scheme.classes},
    }
    written = Written()
    text_firms: list[Mapping[str, Any]] = []
    wants_text = any(kind == "text" for kind, _ in targets) or not targets
    with contextlib.ExitStack() as stack:
        sinks: list[Any] = []
        books: list[tuple[EvaluationWorkbook, Path]] = []
        pages: list[tuple[EvaluationPage, Path]] = []
        for kind, path in targets:
            if kind in ("json", "jsonl", "csv"):
                handle = stack.enter_context(
                    atomic_open(
                        path,
                        "w",
                        encoding="utf-8-sig" if kind == "csv" else "utf-8",
                        newline="",
                    )
                )
                sinks.append(
                    {"json": JsonWriter, "jsonl": JsonlWriter, "csv": CsvWriter}[kind](
                        handle, head
                    )
                )
            elif kind == "xlsx":
                book = EvaluationWorkbook(
                    head, ev.scheme.class_ids, lang, titles=titles
                )
                stack.callback(book.discard)
                books.append((book, path))
                sinks.append(book)
            elif kind == "html":
                page = EvaluationPage(head, lang, HTML_FIRMS, titles)
                pages.append((page, path))
                sinks.append(page)
        if actions_path is not None:
            action_book = EvaluationWorkbook(
                head, ev.scheme.class_ids, lang, actions_only=True
            )
            stack.callback(action_book.discard)
            books.append((action_book, actions_path))
            sinks.append(action_book)
        for firm in ev.firms():
            data = firm_dict(ev, firm, lang)
            for sink in sinks:
                sink.add(data)
            if wants_text and len(text_firms) <= text_limit:
                text_firms.append(data)
            action = action_for(ev.scheme, firm, firm.promise)
            if action is not None:
                written.actions.append(action)
        unmatched = []
        for firm_id, record in sorted(records.items()):
            if firm_id in ev.promised:
                continue
            check = check_promises(record, None, day, tolerance)
            unmatched.append(
                {"id": firm_id, "name": record.name, "promise": promise_dict(check)}
            )
            action = action_for(ev.scheme, None, check)
            if action is not None:
                written.actions.append(action)
        written.unmatched = len(unmatched)
        actions = [action_dict(ev.scheme, a, lang) for a in written.actions]
        for sink in sinks:
            sink.finish(actions, unmatched)
        # every file is committed when the stack closes, none if anything failed
        for book, path in books:
            book.save(stack.enter_context(atomic_open(path, "wb")))
        for page, path in pages:
            stack.enter_context(atomic_open(path, "w", newline="")).write(page.render())
        text = (
            render_text(ev, text_firms, actions, lang, text_limit)
            if wants_text
            else None
        )
        for kind, path in targets:
            if kind == "text" and text is not None:
                stack.enter_context(atomic_open(path, "w", newline="")).write(text)
    return written, text

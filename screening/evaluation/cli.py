"""The `screening evaluate` command: 回头看 — the yearly 亩均效益 evaluation of landed firms.

Parse options, call the library, render, return an exit code; registered on the
main group by `screening.cli` with one `add_command`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from fractions import Fraction
from pathlib import Path

import click

from screening.cli import date_value, lang_option, sheet_option
from screening.errors import ScreeningError

EXIT_ERROR = 2
MAX_NOTES = 50  # bad rows (and skipped ones) listed on stderr; all are in the outputs


def _benchmark(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> dict[tuple[str | None, str], Fraction]:
    out: dict[tuple[str | None, str], Fraction] = {}
    for value in values:
        match = re.fullmatch(
            r"\s*(?:([a-z][a-z0-9_\-]*)\.)?([a-z][a-z0-9_\-]*)\s*=\s*([0-9]+(?:\.[0-9]+)?)\s*",
            value,
        )
        if not match:
            raise click.BadParameter(
                f"应写成 指标=数值 或 序列.指标=数值，如 tax_per_mu=24.097 / expected INDICATOR=VALUE: {value!r}"
            )
        out[(match.group(1), match.group(2))] = Fraction(match.group(3))
    return out


def _share(ctx: click.Context, param: click.Parameter, value: str) -> Fraction:
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*%\s*", value)
    if not match:
        raise click.BadParameter(
            f"应写成百分数，如 10% / expected a percentage such as 10%: {value!r}"
        )
    return Fraction(match.group(1)) / 100


@click.command("evaluate")
@click.argument(
    "firms_path", metavar="FIRMS", type=click.Path(exists=True, dir_okay=False)
)
@click.option(
    "--scheme",
    "scheme_ref",
    required=True,
    metavar="ID|PATH",
    help="评价方案 id（rules/evaluations/ 下，如 huangyan、huaian-2024）或文件路径。",
)
@click.option(
    "--year",
    type=click.IntRange(1990, 2100),
    required=True,
    help="评价年度（数据所属年度）/ the year the figures are for.",
)
@click.option(
    "-o",
    "--output",
    "outputs",
    multiple=True,
    metavar="FILE",
    help="输出文件，可多次给出：.xlsx .html .json .jsonl .csv .txt；省略时输出到终端。",
)
@lang_option
@sheet_option
@click.option(
    "--previous",
    "previous_path",
    type=click.Path(exists=True, dir_okay=False),
    help="上年评价结果（本工具的 .json/.jsonl，或含 统一社会信用代码、得分、类别 的表格）/ last year's results.",
)
@click.option(
    "--previous-figures",
    type=click.Path(exists=True, dir_okay=False),
    help="上年企业数据表，用于计算上年均值等基准 / last year's firm figures, for previous-year benchmarks.",
)
@click.option(
    "--benchmark",
    "benchmarks",
    multiple=True,
    callback=_benchmark,
    metavar="IND=VALUE",
    help="直接给定基准值（可多次），如 tax_per_mu=12.5 或 above.tax_per_mu=12.5 / state a benchmark.",
)
@click.option(
    "--promises",
    "promises_path",
    type=click.Path(exists=True, dir_okay=False),
    help="承诺与实际情况表（承诺投资强度、已到位固定资产投资、承诺投产日期……）/ promises and actuals.",
)
@click.option(
    "--from-register",
    "from_register",
    is_flag=True,
    help="从项目库读取承诺与实绩（--db 指定库）/ promises and actuals from the register.",
)
@click.option(
    "--db",
    "db_ref",
    metavar="PATH|URL",
    help="项目库（默认 $SCREENING_DB 或 ./screening.db）/ the register database.",
)
@click.option(
    "--tolerance",
    default="0%",
    callback=_share,
    show_default=True,
    metavar="PCT",
    help="承诺指标允许的差距比例，超出即列入反制清单 / shortfall accepted before a firm is listed.",
)
@click.option(
    "--grace-days",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="开工、投产日期允许的逾期天数 / days late accepted.",
)
@click.option(
    "--as-of",
    callback=date_value,
    metavar="DATE",
    help="判断逾期的日期（默认评价年度 12 月 31 日）/ the day overdue dates are judged on.",
)
@click.option(
    "--actions",
    "actions_path",
    type=click.Path(dir_okay=False),
    metavar="FILE.xlsx",
    help="另存反制清单（XLSX）/ write the 反制 list to its own workbook.",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    default=None,
    help="并行进程数（默认 CPU 核数；小表不开进程）/ worker processes (default: CPU cores).",
)
@click.option(
    "--limit",
    type=click.IntRange(0),
    default=20,
    show_default=True,
    help="终端输出逐一列出的企业数 / firms listed in the terminal text.",
)
def evaluate(
    firms_path: str,
    scheme_ref: str,
    year: int,
    outputs: tuple[str, ...],
    lang: str,
    sheet: str | None,
    previous_path: str | None,
    previous_figures: str | None,
    benchmarks: dict[tuple[str | None, str], Fraction],
    promises_path: str | None,
    from_register: bool,
    db_ref: str | None,
    tolerance: Fraction,
    grace_days: int,
    as_of: dt.date | None,
    actions_path: str | None,
    jobs: int | None,
    limit: int,
) -> None:
    """回头看：亩均效益综合评价与承诺兑现核查 / Evaluate landed firms' yearly per-mu efficiency."""
    from screening.evaluation.loader import load_scheme
    from screening.evaluation.outputs import targets_of, write_outputs
    from screening.evaluation.previous import read_previous, statistics_from_figures
    from screening.evaluation.promises import Tolerance, read_promises
    from screening.evaluation.run import PreviousYear, evaluate_file

    inputs = (firms_path, previous_path, previous_figures, promises_path)
    try:
        targets = targets_of(list(outputs), inputs)
        if actions_path is not None:
            targets_of([actions_path], inputs)
            if not actions_path.lower().endswith(".xlsx"):
                raise ScreeningError(
                    f"{actions_path}: 反制清单输出应为 .xlsx / the 反制 list is written as .xlsx"
                )
        scheme = load_scheme(scheme_ref)
        previous = (
            read_previous(previous_path, scheme) if previous_path else PreviousYear()
        )
        if previous_figures:
            figures = statistics_from_figures(previous_figures, scheme, year - 1)
            previous.statistics.update(figures.statistics)
            previous.source = previous.source or figures.source
        promises = read_promises(promises_path) if promises_path else None
        if from_register:
            from screening.evaluation.promises import PromiseFile
            from screening.evaluation.register_source import promises_from_register

            found = promises_from_register(db_ref, year)
            if promises is not None:  # a promises file given as well: its rows win
                found.update(promises.records)
                promises.records = found
            else:
                promises = PromiseFile(found)
        with evaluate_file(
            firms_path,
            scheme,
            year,
            sheet=sheet,
            previous=previous,
            benchmarks=benchmarks,
            jobs=jobs or os.cpu_count() or 1,
        ) as ev:
            if promises is not None:
                ev.errors.extend(promises.errors)
            written, text = write_outputs(
                ev,
                targets,
                lang,
                promises=promises.records if promises else None,
                tolerance=Tolerance(tolerance, grace_days),
                as_of=as_of,
                actions_path=Path(actions_path) if actions_path else None,
                text_limit=limit,
            )
    except ScreeningError as exc:
        for diagnostic in exc.diagnostics:
            click.echo(str(diagnostic), err=True)
        sys.exit(EXIT_ERROR)
    if not outputs and text is not None:
        click.echo(text, nl=False)
    for warning in ev.warnings:
        click.echo(str(warning), err=True)
    for error in ev.errors[:MAX_NOTES] if outputs else ():
        where = f"{error.source}:{error.row}" + (
            f" [{error.column}]" if error.column else ""
        )
        click.echo(f"{where}: {error.reason}", err=True)
    if len(ev.errors) > MAX_NOTES:
        click.echo(
            f"…… 另有 {len(ev.errors) - MAX_NOTES} 个无效行见输出文件 / more invalid rows in the outputs",
            err=True,
        )
    for row in ev.skipped[:MAX_NOTES] if outputs else ():
        click.echo(f"{row.source}:{row.row}: {row.reason} [跳过 / skipped]", err=True)
    if len(ev.skipped) > MAX_NOTES:
        click.echo(
            f"…… 另有 {len(ev.skipped) - MAX_NOTES} 个跳过的行见输出文件 / more skipped rows in the outputs",
            err=True,
        )
    counts = ev.counts
    click.echo(
        f"共 {counts.rows} 行 = 参评 {counts.rated} + 不参评 {counts.not_rated} + 无效 {counts.invalid}"
        f" + 跳过 {counts.skipped}（合计行）；反制清单 {len(written.actions)} 家 / "
        f"rows {counts.rows} = rated {counts.rated} + not rated {counts.not_rated} + invalid {counts.invalid}"
        f" + skipped {counts.skipped} (totals rows)",
        err=True,
    )

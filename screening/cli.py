"""The `screening` command: parse options, call the library, render, return an exit code."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import os
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from screening.errors import ScreeningError

if TYPE_CHECKING:
    from screening.cases import Case

# The case and rule-set readers (pydantic), the renderers (rich, Jinja2), the screener
# and the larger commands are imported inside the commands that use them: `screening
# screen` imports what it needs, and after `run` has paused the garbage collector.

EXIT_OK, EXIT_FAIL, EXIT_ERROR = 0, 1, 2
_quick_exit: list[bool] = []  # set by a command that leaves nothing to clean up
_collector_paused: list[bool] = []  # set by `run` while the command starts
_as_command: list[bool] = []  # set by `run`: this process is the command, not a test


def run() -> None:
    """The `screening` command (its console script and `python -m screening`).

    After `screen`, whose output is written and flushed by then and which holds no
    files, processes or connections, the process leaves with `os._exit`: tearing
    down every module and object it made does nothing for the user and costs a short
    run about a sixth of its time (mypy's `--fast-exit` does the same). So does a
    `batch` that finished: its outputs committed, its workers stopped, the register
    closed (one that failed or was interrupted exits as usual). Every other command
    exits as usual; in tests, `main` is called and this never runs.

    The garbage collector is paused meanwhile: what `screen` makes on its way in
    (modules, classes, pydantic schemas, the compiled rule set) lives until that
    exit, and the collections that walk it again and again found nothing to free
    but cost a run about a tenth of its time. Every other command resumes it before
    it starts (see `main`): a batch or the web server collects as usual.

    For `screen`, pydantic's plugins are off unless `PYDANTIC_DISABLE_PLUGINS` is set
    (to anything, even empty, which turns them all on again): pydantic looks for them
    in the entry points of every installed distribution the first time it builds a
    validator, about 10 ms (2 %) of a run here, for observers (such as an
    APM's) that a one-shot screening of a file has no use for. Every other command,
    the web server and batch workers above all, keeps pydantic's default.
    """
    _as_command.append(True)
    if gc.isenabled():
        gc.disable()
        _collector_paused.append(True)
    try:
        main()
    except SystemExit as exc:
        code = exc.code
        if not _quick_exit or not (code is None or isinstance(code, int)):
            raise
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            raise exc from None  # a closed pipe: the usual exit reports it
        os._exit(code or 0)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """A ScreeningError becomes its diagnostics on stderr and exit code 2."""
    try:
        yield
    except ScreeningError as exc:
        for diagnostic in exc.diagnostics:
            click.echo(str(diagnostic), err=True)
        sys.exit(EXIT_ERROR)


def date_value(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> dt.date | None:
    """A date option's value (click callback): YYYY-MM-DD, or as offices type one
    (2026/3/5, 2026年3月5日), or a clear error."""
    if value is None:
        return None
    from screening.model.units import typed_date

    day = typed_date(value)
    if day is None:
        raise click.BadParameter(
            f"应为日期，如 2026-03-05 或 2026年3月5日 / expected a date such as "
            f"2026-03-05: {value!r}"
        )
    return day


rules_option = click.option(
    "--rules",
    "rules_ref",
    metavar="ID|PATH",
    help="规则集 id（见 `screening rules`）或文件路径；省略时用案例文件的 ruleset 键。",
)
# a command that screens rows, not case files: no case names its rule set
required_rules_option = click.option(
    "--rules",
    "rules_ref",
    required=True,
    metavar="ID|PATH",
    help="规则集 id 或文件路径。",
)
as_of_option = click.option(
    "--as-of",
    callback=date_value,
    metavar="DATE",
    help="按该日有效的规则评估（默认今天）/ rules in force on DATE (default today).",
)
jobs_option = click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    default=None,
    help="并行进程数（默认 CPU 核数）/ worker processes (default: CPU cores).",
)
columns_option = click.option(
    "--columns",
    "columns_file",
    type=click.Path(exists=True, dir_okay=False),
    help="列名映射文件（YAML 或 CSV：表头 → 字段）/ header → field map.",
)
sheet_option = click.option(
    "--sheet", help="XLSX 工作表名（默认第一个）/ worksheet name."
)
max_rows_option = click.option(
    "--max-rows",
    type=click.IntRange(1),
    default=None,
    metavar="N",
    help="输入的行数上限，含表头，如 Excel 所计（默认 1,048,576，即 Excel 的上限）；"
    "更大的 CSV 可调高 / most rows the input may hold, header included (default "
    "Excel's 1,048,576).",
)
lang_option = click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="输出语言 / output language.",
)


def input_limits(max_rows: int | None) -> Any:
    """The bounds an input is read within (`screening.io.tables.Limits`), with
    `--max-rows` if given."""
    from screening.io.tables import DEFAULT_LIMITS, Limits

    return DEFAULT_LIMITS if max_rows is None else Limits(max_rows=max_rows)


class LazyGroup(click.Group):
    """A group whose larger commands are imported when they are run (or listed), so
    that `screening screen` does not import the register or the 回头看 (click's
    "lazily loading subcommands" pattern)."""

    lazy: dict[str, str] = {
        "evaluate": "screening.evaluation.cli:evaluate",  # 回头看, issue 13
        "register": "screening.register.cli:register_group",  # the project register
        "db": "screening.register.cli:db_group",
        "serve": "screening.web.cli:serve",  # the web app, issue 12
        "users": "screening.web.cli:users",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.lazy:
            return super().get_command(ctx, name)
        import importlib

        module, attribute = self.lazy[name].split(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="screening")
@click.pass_context
def main(ctx: click.Context) -> None:
    """招商引资项目预评估 — screen investment projects against park policy rules."""
    if _collector_paused and ctx.invoked_subcommand != "screen":
        _collector_paused.clear()
        gc.enable()  # paused by `run` for `screen` only
    if _as_command and ctx.invoked_subcommand == "screen":
        os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")  # see `run`


@main.command()
@click.argument("projects", nargs=-1, required=True, type=click.Path(exists=True))
@rules_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown", "html"]),
    default="text",
    show_default=True,
    help="html：每个项目一页 A4 的评估单 / html: one printable A4 sheet a project.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="写入文件（原子写入，默认标准输出）/ write to FILE atomically (or stdout).",
)
@lang_option
@as_of_option
def screen(
    projects: tuple[str, ...],
    rules_ref: str | None,
    fmt: str,
    output: str | None,
    lang: str,
    as_of: dt.date | None,
) -> None:
    """逐个筛查项目（或案例）文件 / Screen project or case files (folders: every *.yaml)."""
    from screening.cases import case_files, load_case
    from screening.report.contract import render_json, to_contract
    from screening.screener import Screener

    _quick_exit.append(True)
    with user_errors():
        files = case_files(list(projects))
        if output:
            _refuse_over_input(Path(output), files)
        cases = [load_case(path) for path in files]
        if not cases:
            raise ScreeningError("没有找到项目文件 / no project files found")
        screeners: dict[tuple[str, dt.date], Screener] = {}
        results: list[dict[str, Any]] = []
        for case in cases:
            day = as_of or case.as_of or dt.date.today()  # --as-of, else the case's day
            screener = _screener_for(case, rules_ref, day, screeners)
            results.append(
                to_contract(_screen_case(screener, case), screener.ruleset, lang)
            )
    rulesets = [s.ruleset for s in screeners.values()]  # for rule and field titles
    if output:
        with user_errors():  # nor over a rule-set file
            files = [Path(f) for rs in rulesets for f in rs.files.values()]
            _refuse_over_input(Path(output), files)
    if fmt == "json":
        rendered = render_json(results[0] if len(results) == 1 else results)
    elif fmt == "markdown":
        from screening.report.markdown import render_markdown

        rendered = render_markdown(results, lang, rulesets)
    elif fmt == "html":
        from screening.report.html import render_project_html

        rendered = render_project_html(results, lang, rulesets)
    else:
        from screening.report.terminal import render_text

        color = output is None and sys.stdout.isatty()
        rendered = render_text(results, lang, color=color, rulesets=rulesets)
    if output:
        with user_errors():
            _write_report(Path(output), rendered)
    else:
        click.echo(rendered, nl=False)


def _refuse_over_input(output: Path, inputs: list[Path]) -> None:
    """An output never replaces an input (by the same path or by another)."""
    if not output.exists():
        return
    for source in inputs:
        if source.exists() and os.path.samefile(output, source):
            raise ScreeningError(
                f"{output}: 输出文件就是输入文件 {source}，拒绝覆盖 / "
                "the output is an input; not overwritten"
            )


def _write_report(path: Path, text: str) -> None:
    """Write a report atomically; a path that cannot be written is one clear error."""
    from screening.io.writers import atomic_write

    try:
        atomic_write(path, text)
    except OSError as exc:
        reason = exc.strerror or exc
        raise ScreeningError(f"{path}: 无法写入（{reason}）/ cannot write it") from None


def _screen_case(screener: Any, case: Case) -> Any:
    """Screen one case; an extra-field error is placed at its line in the case file."""
    from screening.errors import Diagnostic, ProjectError

    try:
        return screener.screen(case.project)
    except ProjectError as exc:
        placed = [
            Diagnostic(
                d.code,
                d.message,
                d.span
                or case.loaded.span(tuple(d.field.split(".")) if d.field else ()),
                d.field,
            )
            for d in exc.diagnostics
        ]
        raise ProjectError("", diagnostics=placed) from None


def _rules_for(case: Case, rules_ref: str | None) -> str:
    ref = rules_ref or case.ruleset
    if ref is None:
        raise ScreeningError(
            f"{case.path}: 请用 --rules 指定规则集 / give --rules (the file names no ruleset)"
        )
    return ref


def _screener_for(
    case: Case,
    rules_ref: str | None,
    day: dt.date,
    screeners: dict[tuple[str, dt.date], Any],
) -> Any:
    """The screener of a case's rule set (--rules, else its `ruleset:`) as of `day`, built
    once; a case's own `ruleset:` that is refused is reported at its line in the case file."""
    from screening.cases import ruleset_refused
    from screening.loader import load_ruleset
    from screening.screener import Screener

    ref = _rules_for(case, rules_ref)
    if (ref, day) not in screeners:
        try:
            screeners[ref, day] = Screener(load_ruleset(ref, as_of=day))
        except ScreeningError as exc:
            if rules_ref is not None:
                raise
            raise ruleset_refused(case, exc) from None
    return screeners[ref, day]


BATCH_FORMATS = {".jsonl": "jsonl", ".csv": "csv", ".xlsx": "xlsx", ".html": "html"}


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True))
@required_rules_option
@click.option(
    "-o",
    "--output",
    "outputs",
    multiple=True,
    required=True,
    metavar="FILE",
    help="输出文件，可多次给出：.xlsx .html .csv .jsonl / output file(s), by extension.",
)
@jobs_option
@columns_option
@sheet_option
@click.option(
    "--html-sections",
    type=click.IntRange(0),
    default=500,
    show_default=True,
    help="HTML 报告中逐项列出的项目数上限 / projects listed one by one in the HTML report.",
)
@click.option(
    "--register",
    "register_db",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[DB]",
    help="每行筛查结果存入项目库（默认 $SCREENING_DB 或 ./screening.db）/ store every screened row in the register.",
)
@max_rows_option
@lang_option
@as_of_option
def batch(
    input_path: str,
    rules_ref: str,
    outputs: tuple[str, ...],
    jobs: int | None,
    columns_file: str | None,
    sheet: str | None,
    html_sections: int,
    lang: str,
    as_of: dt.date | None,
    register_db: str | None,
    max_rows: int | None,
) -> None:
    """批量筛查表格（CSV、XLSX）、JSONL 或项目文件夹并出报告 / Screen a spreadsheet, JSONL or folder; write reports."""
    import os

    from screening.io.guard import (
        OutputLocks,
        companion_path,
        refuse_inputs,
        remove_stale_locks,
    )
    from screening.workers import Workers, WorkerSpec, parts_for, useful_workers

    day = as_of or dt.date.today()
    jobs = jobs or os.cpu_count() or 1
    caught: list[int] = []
    stored = None  # with --register, the register's sink
    try:
        with user_errors(), _signals_interrupt(caught), contextlib.ExitStack() as stack:
            targets = []
            for output in outputs:
                kind = BATCH_FORMATS.get(Path(output).suffix.lower())
                if kind is None:
                    raise ScreeningError(
                        f"{output}: 不支持的输出格式（可用 .xlsx .html .csv .jsonl）"
                        " / unsupported output format"
                    )
                targets.append((kind, Path(output)))
            written = [path for _, path in targets] + [companion_path(targets[0][1])]
            inputs = [
                Path(input_path),
                *(
                    Path(p)
                    for p in (columns_file, rules_ref)
                    if p and Path(p).is_file()
                ),
            ]
            refuse_inputs(written, inputs)  # before anything is read
            with OutputLocks(written):
                workers = None
                if jobs > 1:  # their start overlaps this process's (see workers)
                    kinds = [kind for kind, _ in targets]
                    spec = WorkerSpec(
                        rules_ref,
                        day,
                        lang,
                        columns_file,
                        parts_for(kinds),
                        register_db is not None,
                    )
                    now = useful_workers(Path(input_path), jobs)
                    workers = stack.enter_context(Workers.start(jobs, spec, now))
                from screening.batch_output import BatchOutputs
                from screening.io.writers import remove_stale
                from screening.loader import load_ruleset

                for folder in {path.parent for path in written}:
                    remove_stale(folder)  # what a killed run left
                    remove_stale_locks(folder)
                ruleset = load_ruleset(rules_ref, as_of=day)
                if register_db is not None:
                    from screening.register.sink import open_sink

                    stored = open_sink(
                        register_db or None, ruleset, rules_ref, lang, input_path
                    )
                sink = BatchOutputs(
                    targets,
                    ruleset,
                    day,
                    input_path,
                    lang,
                    html_sections,
                    register=stored,
                )
                sink.run(
                    rules_ref,
                    columns_file,
                    sheet,
                    jobs,
                    show_progress=sys.stderr.isatty(),
                    limits=input_limits(max_rows),
                    workers=workers,
                )
    except KeyboardInterrupt:
        click.echo(
            "已中断：未写出任何输出，临时文件已删除 / "
            "interrupted: no output written, temporary files removed",
            err=True,
        )
        # Everything is cleaned up by now (outputs, locks, workers, the register's
        # writer), so leave at once: at interpreter exit concurrent.futures joins its
        # queue's feeder thread, which can stay blocked on a pipe that the terminated
        # workers never read again, and the process would hang after the signal.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(128 + (caught[0] if caught else 2))
    for line in sink.notes:
        click.echo(line, err=True)
    for error in sink.shown_errors:
        column = f" {error['column']}:" if error["column"] else ""
        mark = "跳过 / skipped" if error["kind"] == "skipped" else "无效 / invalid"
        click.echo(
            f"{error['source']}:{error['row']}:{column} {error['reason']} [{mark}]",
            err=True,
        )
    if sink.error_count:
        more = sink.error_count - len(sink.shown_errors)
        click.echo(
            (f"另有 {more} 行未列出；" if more else "")
            + f"全部无效与跳过的行见 {sink.companion} / "
            f"every invalid and skipped row: {sink.companion}",
            err=True,
        )
    click.echo(sink.summary_line(), err=True)
    if stored is not None:
        click.echo(stored.summary_line(), err=True)
    # every output is on disk, the workers and the register closed: nothing is left
    # for the interpreter's teardown but freeing memory (see run)
    _quick_exit.append(True)


@contextlib.contextmanager
def _signals_interrupt(caught: list[int]) -> Iterator[None]:
    """SIGTERM and SIGHUP stop a batch as Ctrl-C does (KeyboardInterrupt), so its
    temporary files are removed and its workers stopped; the signal goes to `caught`."""
    import signal

    def interrupt(signum: int, frame: object) -> None:
        if not caught:
            caught.append(signum)
            raise KeyboardInterrupt

    names = [
        signal.SIGINT,
        signal.SIGTERM,
        *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else []),
    ]
    previous = {}
    try:
        for signum in names:
            previous[signum] = signal.signal(signum, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        pass
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@main.group(invoke_without_command=True)
@click.pass_context
def rules(ctx: click.Context) -> None:
    """列出随附规则集（id 与标题，每行一个）/ List the shipped rule sets, one per line."""
    from screening.loader import shipped_ids

    if ctx.invoked_subcommand is not None:
        return
    with user_errors():
        for rid in shipped_ids():
            click.echo(f"{rid}\t{_title(rid)}")


@cache
def _title(rid: str) -> str:
    from screening.loader import load_ruleset

    try:
        return load_ruleset(rid).title.zh
    except ScreeningError:
        return "（无法加载，运行 screening validate 查看）"


@rules.command("show")
@click.argument("ref", metavar="ID|PATH")
@as_of_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
def rules_show(ref: str, as_of: dt.date | None, fmt: str) -> None:
    """显示合并后的有效规则集及各部分的定义位置 / Show the merged rule set with provenance."""
    from screening.loader import load_ruleset
    from screening.report.workbench import render_rules_show

    # as of today by default, as `screen` and `batch` load it: the sha256 they report
    with user_errors():
        # shown as merged even with the errors validate reports: they are its to say
        ruleset = load_ruleset(ref, as_of=as_of or dt.date.today(), checked=False)
        click.echo(render_rules_show(ruleset, fmt), nl=False)


@main.command()
@click.argument("rulesets", nargs=-1, required=True, metavar="ID|PATH|all…")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@click.option(
    "--strict", is_flag=True, help="警告也算失败（退出码 1）/ exit 1 on warnings."
)
def validate(rulesets: tuple[str, ...], fmt: str, strict: bool) -> None:
    """检查规则集，逐条报告问题（文件:行:列）/ Check rule sets; every problem as file:line:column."""
    from screening.evaluation.loader import is_scheme_ref
    from screening.evaluation.validate import scheme_ids, validate_scheme
    from screening.report.workbench import render_validate
    from screening.validate import resolve_refs
    from screening.validate import validate as run_validate

    with user_errors():
        schemes = [ref for ref in rulesets if is_scheme_ref(ref)] + (
            scheme_ids() if "all" in rulesets else []
        )
        reports = [
            run_validate(ref)
            for ref in resolve_refs([r for r in rulesets if not is_scheme_ref(r)])
        ]
        reports += [validate_scheme(ref) for ref in schemes]
    click.echo(render_validate(reports, fmt), nl=False)
    if any(r.errors for r in reports):
        sys.exit(EXIT_ERROR)
    if strict and any(r.warnings for r in reports):
        sys.exit(EXIT_FAIL)


@main.command()
@click.argument(
    "which", type=click.Choice(["ruleset", "project", "evaluation", "evaluation-case"])
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="写入文件 / write to a file.",
)
def schema(which: str, output: str | None) -> None:
    """输出规则集或项目/案例文件的 JSON Schema / Print the JSON Schema for rule sets or projects."""
    from screening.schema import render_schema

    text = render_schema(which)
    if output:
        with user_errors():  # a folder that is missing or read-only: one line, exit 2
            _write_report(Path(output), text)  # atomically, as every other output
    else:
        click.echo(text, nl=False)


@main.command("test")
@click.argument("cases", nargs=-1, type=click.Path(exists=True))
@rules_option
@as_of_option
@click.option(
    "--coverage",
    "show_coverage",
    is_flag=True,
    help="每条规则被案例覆盖的情况 / rule coverage.",
)
def test_cases(
    cases: tuple[str, ...],
    rules_ref: str | None,
    as_of: dt.date | None,
    show_coverage: bool,
) -> None:
    """运行案例并核对预期结果 / Run case files against their expectations."""
    from screening.casecheck import check_case
    from screening.cases import case_files, default_cases, load_case
    from screening.coverage import Coverage
    from screening.report.workbench import render_coverage
    from screening.screener import Screener

    passed = failed = 0
    coverage = Coverage()
    with user_errors():
        screeners: dict[tuple[str, dt.date], Screener] = {}
        for path in case_files(list(cases) or default_cases()):
            case = load_case(path)
            if case.expect is None:
                continue
            # a case's own as_of wins: its expectations hold on that day
            day = case.as_of or as_of or dt.date.today()
            screener = _screener_for(case, rules_ref, day, screeners)
            decision = _screen_case(screener, case)
            coverage.add(screener.ruleset, decision)
            mismatches = check_case(case, decision)
            if mismatches:
                failed += 1
                for mismatch in mismatches:
                    click.echo(f"FAIL {path}: {mismatch}")
            else:
                passed += 1
    if show_coverage:
        click.echo(render_coverage(coverage), nl=False)
    click.echo(f"{passed} passed, {failed} failed")
    if failed:
        sys.exit(EXIT_FAIL)


@main.command()
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@click.argument("projects", nargs=-1, type=click.Path(exists=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
@as_of_option
def diff(
    old: str, new: str, projects: tuple[str, ...], fmt: str, as_of: dt.date | None
) -> None:
    """规则变更影响分析：OLD → NEW 对项目（默认 cases/）的影响 / Impact of changing OLD into NEW."""
    from screening.cases import case_files, default_cases, load_case
    from screening.diff import compare, rule_changes
    from screening.loader import load_ruleset
    from screening.report.workbench import render_diff
    from screening.screener import Screener

    day = as_of or dt.date.today()
    with user_errors():
        before, after = load_ruleset(old, as_of=day), load_ruleset(new, as_of=day)
        screeners = {day: (Screener(before), Screener(after))}
        pairs = []
        for path in case_files(list(projects) or default_cases()):
            case = load_case(path)
            if not projects and case.ruleset not in (None, before.id, after.id):
                continue  # by default, only the cases written for this rule set
            pid = case.project.id or str(path)
            on = case.as_of or day  # a case's own as_of wins, as in `screening test`
            if on not in screeners:
                screeners[on] = (
                    Screener(load_ruleset(old, as_of=on)),
                    Screener(load_ruleset(new, as_of=on)),
                )
            old_screener, new_screener = screeners[on]
            pairs.append(
                (
                    pid,
                    old_screener.screen(case.project),
                    new_screener.screen(case.project),
                )
            )
        impact = compare(rule_changes(before, after), pairs)
    click.echo(render_diff(impact, before, after, fmt), nl=False)


if __name__ == "__main__":  # pragma: no cover
    main()

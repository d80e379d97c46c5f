"""The `screening` command: parse options, call the library, render, return an exit code."""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import click

from screening.cases import Case, case_files, load_case
from screening.errors import ScreeningError
from screening.loader import load_ruleset, shipped_ids
from screening.model.effective import RuleSet
from screening.report.contract import render_json, to_contract
from screening.report.markdown import render_markdown
from screening.report.terminal import render_text

EXIT_OK, EXIT_FAIL, EXIT_ERROR = 0, 1, 2


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """A ScreeningError becomes its diagnostics on stderr and exit code 2."""
    try:
        yield
    except ScreeningError as exc:
        for diagnostic in exc.diagnostics:
            click.echo(str(diagnostic), err=True)
        sys.exit(EXIT_ERROR)


def _as_of(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"应为日期 YYYY-MM-DD / expected a date YYYY-MM-DD: {value!r}") from None


rules_option = click.option("--rules", "rules_ref", metavar="ID|PATH",
                            help="规则集 id（见 `screening rules`）或文件路径；省略时用案例文件的 ruleset 键。")
as_of_option = click.option("--as-of", callback=_as_of, metavar="DATE",
                            help="按该日有效的规则评估（默认今天）/ rules in force on DATE (default today).")
lang_option = click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
                           help="输出语言 / output language.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="screening")
def main() -> None:
    """招商引资项目预评估 — screen investment projects against park policy rules."""


@main.command()
@click.argument("projects", nargs=-1, required=True, type=click.Path(exists=True))
@rules_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@lang_option
@as_of_option
def screen(projects: tuple[str, ...], rules_ref: str | None, fmt: str, lang: str, as_of: dt.date | None) -> None:
    """Screen project (or case) files; folders are searched for *.yaml."""
    from screening.screen import Screener

    day = as_of or dt.date.today()
    with user_errors():
        cases = [load_case(path) for path in case_files(list(projects))]
        if not cases:
            raise ScreeningError("没有找到项目文件 / no project files found")
        screeners: dict[str, Screener] = {}
        results: list[dict[str, Any]] = []
        for case in cases:
            ref = _rules_for(case, rules_ref)
            if ref not in screeners:
                screeners[ref] = Screener(load_ruleset(ref, as_of=day))
            screener = screeners[ref]
            results.append(to_contract(screener.screen(case.project), screener.ruleset, lang))
    if fmt == "json":
        click.echo(render_json(results[0] if len(results) == 1 else results), nl=False)
    elif fmt == "markdown":
        click.echo(render_markdown(results, lang), nl=False)
    else:
        color = sys.stdout.isatty()
        click.echo(render_text(results, lang, color=color), nl=False)


def _rules_for(case: Case, rules_ref: str | None) -> str:
    ref = rules_ref or case.ruleset
    if ref is None:
        raise ScreeningError(f"{case.path}: 请用 --rules 指定规则集 / give --rules (the file names no ruleset)")
    return ref


@main.group(invoke_without_command=True)
@click.pass_context
def rules(ctx: click.Context) -> None:
    """List the shipped rule sets (id, title), one per line."""
    if ctx.invoked_subcommand is not None:
        return
    with user_errors():
        for rid in shipped_ids():
            click.echo(f"{rid}\t{_title(rid)}")


@cache
def _title(rid: str) -> str:
    try:
        return load_ruleset(rid).title.zh
    except ScreeningError:
        return "（无法加载，运行 screening validate 查看）"


def load_for_cli(ref: str, as_of: dt.date | None) -> RuleSet:
    return load_ruleset(ref, as_of=as_of)


if __name__ == "__main__":  # pragma: no cover
    main()

"""`screening register …` and `screening db …`: parse options, call the register, render."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any, TypeVar

import click

from screening.cli import (
    as_of_option,
    columns_option,
    date_value,
    input_limits,
    jobs_option,
    lang_option,
    max_rows_option,
    required_rules_option,
    sheet_option,
)

# Imported by screening.cli for every command: SQLAlchemy and the register itself are
# imported only when a register command runs. The top-level CLI's helpers (its error
# handler) are imported lazily too, since it imports this module.


def _cli() -> Any:
    from screening import cli

    return cli


def RegisterError(message: str, field: str | None = None) -> Exception:  # noqa: N802 - raised like a class
    """The register's error (exit 2, one line), imported when first raised."""
    from screening.register.db import RegisterError as error

    return error(message, field=field)


def actor_name(actor: str | None) -> str:
    """Who records it (see register.db.actor_name)."""
    from screening.register.db import actor_name as name

    return name(actor)


db_option = click.option(
    "--db",
    "db_ref",
    metavar="PATH|URL",
    envvar=None,
    help="项目库：SQLite 文件或 postgresql+psycopg:// 地址（默认 $SCREENING_DB 或 ./screening.db）"
    " / the register: a SQLite file or a PostgreSQL URL.",
)
actor_option = click.option(
    "--actor", help="记录人（默认 $SCREENING_USER 或系统用户名）/ who records it."
)
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)


# the filter options `_filters` declares, as the command function would receive them
_FILTER_OPTIONS = (
    "park",
    "stage",
    "decision",
    "industry",
    "date_from",
    "date_to",
    "min_investment",
    "max_investment",
    "committee",
)


def _filters(func: Any) -> Any:
    """The lead filter options, given to the command as one `filters` (a `Filters`):
    adding a filter is a change here and in `_make_filters`, not in every command."""

    @functools.wraps(func)
    def command(**options: Any) -> Any:
        given = {name: options.pop(name) for name in _FILTER_OPTIONS}
        with _cli().user_errors():
            filters = _make_filters(**given)
        return func(filters=filters, **options)

    for option in reversed(
        [
            click.option("--park", help="园区 / park."),
            click.option(
                "--stage", help="阶段：洽谈 签约 供地 开工 投产 达产 终止 退出 / stage."
            ),
            click.option(
                "--decision",
                type=click.Choice(["pass", "review", "reject"]),
                help="筛查结论 / decision.",
            ),
            click.option(
                "--industry",
                help="行业代码或前缀（C38 含 C3841）/ industry code or prefix.",
            ),
            click.option(
                "--from",
                "date_from",
                callback=date_value,
                metavar="DATE",
                help="登记日期自 / registered from.",
            ),
            click.option(
                "--to",
                "date_to",
                callback=date_value,
                metavar="DATE",
                help="登记日期至 / registered until.",
            ),
            click.option(
                "--min-investment",
                metavar="AMOUNT",
                help="总投资不低于（如 3000万、5000万、1亿）/ total investment at least.",
            ),
            click.option(
                "--max-investment",
                metavar="AMOUNT",
                help="总投资低于 / total investment below.",
            ),
            click.option(
                "--committee",
                help="委员会决定：同意 不同意 暂缓，或 未决定（当前筛查尚无委员会决定）"
                " / committee decision: agree, disagree, defer, or undecided (none on "
                "the current screening).",
            ),
        ]
    ):
        command = option(command)
    return command


def _money(text: str | None, option: str) -> Decimal | None:
    if text is None:
        return None
    from screening.model.units import UnitError, parse_amount

    try:
        value = parse_amount(text, "money")
    except UnitError as exc:
        raise RegisterError(f"{option}: {exc}") from None
    if value < 0:
        raise RegisterError(f"{option}: 金额应不小于 0 / must not be negative")
    return value


def _make_filters(
    park: str | None,
    stage: str | None,
    decision: str | None,
    industry: str | None,
    date_from: dt.date | None,
    date_to: dt.date | None,
    min_investment: str | None,
    max_investment: str | None,
    committee: str | None,
) -> Any:
    from screening.register.stages import stage_name
    from screening.register.store import Filters, committee_filter

    named, awaiting = committee_filter(committee) if committee else (None, None)
    return Filters(
        park=park,
        stage=stage_name(stage) if stage else None,
        decision=decision,
        industry=industry,
        registered_from=date_from,
        registered_to=date_to,
        min_investment=_money(min_investment, "--min-investment"),
        max_investment=_money(max_investment, "--max-investment"),
        committee=named,
        awaiting=awaiting,
    )


def _open(db_ref: str | None, create: bool = False) -> Any:
    from screening.register.store import Register

    return Register.open(db_ref, create=create)


def _echo(text: str) -> None:
    click.echo(text, nl=False)


@contextlib.contextmanager
def _options_named(options: dict[str, str]) -> Iterator[None]:
    """A refusal of the register's that names a field (`meeting_on`, `note`) names
    the command's option instead (--meeting-date, --note)."""
    from screening.errors import Diagnostic, ScreeningError

    try:
        yield
    except ScreeningError as exc:
        if not any(d.field in options for d in exc.diagnostics):
            raise
        named = [
            Diagnostic(d.code, f"{options[d.field]}: {d.message}", d.span)
            if d.field in options
            else d
            for d in exc.diagnostics
        ]
        raise type(exc)(named[0].message, diagnostics=named) from None


# --- screening db ---------------------------------------------------------------------


@click.group("db")
def db_group() -> None:
    """项目库数据库：结构版本与升级 / The register's database: schema version and upgrades."""


@db_group.command("upgrade")
@db_option
def db_upgrade(db_ref: str | None) -> None:
    """把项目库升级到当前结构版本（新库则创建）/ Migrate the register to the current schema (create it if new)."""
    from screening.register import db

    with _cli().user_errors():
        url = db.resolve_url(db_ref)
        engine = db.make_engine(url)
        with db.reachable(url):
            version = db.version_of(engine)
            if version.current is None and version.has_tables:
                raise RegisterError(
                    f"{db.shown_url(url)} 不是项目库（含有其他表）/ not a screening register"
                )
            before, after = db.upgrade(engine, url)
        engine.dispose()
    if before == after:
        click.echo(f"{db.shown_url(url)}: 已是最新版本 {after} / already at {after}")
    else:
        click.echo(
            f"{db.shown_url(url)}: {before or '（新建）'} → {after} / upgraded {before or 'new'} → {after}"
        )


@db_group.command("status")
@db_option
def db_status(db_ref: str | None) -> None:
    """显示项目库的结构版本 / Show the register's schema version."""
    from screening.register import db

    with _cli().user_errors():
        url = db.resolve_url(db_ref)
        path = db.sqlite_path(url)
        if path is not None and not path.exists():
            raise RegisterError(f"找不到项目库 {path} / no register at {path}")
        engine = db.make_engine(url)
        with db.reachable(url):
            version = db.version_of(engine)
        engine.dispose()
    state = (
        "最新 / current"
        if version.is_current
        else "需要升级：screening db upgrade / out of date"
    )
    click.echo(
        f"{db.shown_url(url)}: {version.current or '（空）/ empty'}，当前代码 {version.head}：{state}"
    )


# --- screening register ---------------------------------------------------------------


@click.group("register")
def register_group() -> None:
    """项目库：线索、筛查、阶段、委员会决定、承诺与实绩、考核指标 / The project register."""


@register_group.command("add")
@click.argument("projects", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--rules",
    "rules_ref",
    metavar="ID|PATH",
    help="规则集；省略时用案例文件的 ruleset 键。",
)
@as_of_option
@lang_option
@db_option
@actor_option
@format_option
def register_add(
    projects: tuple[str, ...],
    rules_ref: str | None,
    as_of: dt.date | None,
    lang: str,
    db_ref: str | None,
    actor: str | None,
    fmt: str,
) -> None:
    """筛查项目文件并存入项目库 / Screen project files and store them in the register."""
    from screening.register.intake import add_projects
    from screening.register.render import decision_label, render_json

    with _cli().user_errors(), _open(db_ref, create=True) as register:
        intake = add_projects(
            register,
            list(projects),
            rules_ref,
            as_of or dt.date.today(),
            lang,
            actor_name(actor),
        )
    for renamed in intake.counts.renamed:
        click.echo(renamed.line(), err=True)
    if fmt == "json":
        _echo(render_json(intake.decisions))
        return
    for d in intake.decisions:
        state = "已存入 / stored" if d["stored"] else "已有相同筛查 / already stored"
        click.echo(
            f"{d['lead']}\t{decision_label(d['decision'], lang)}\t{d['score'] if d['score'] is not None else ''}"
            f"\t{d['file']}\t{state}"
        )


@register_group.command("import")
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True))
@required_rules_option
@as_of_option
@columns_option
@sheet_option
@jobs_option
@max_rows_option
@lang_option
@db_option
@actor_option
def register_import(
    input_path: str,
    rules_ref: str,
    as_of: dt.date | None,
    columns_file: str | None,
    sheet: str | None,
    jobs: int | None,
    lang: str,
    db_ref: str | None,
    actor: str | None,
    max_rows: int | None,
) -> None:
    """筛查表格、JSONL、文件夹或项目文件并全部存入项目库 / Screen a batch input and store every row."""
    from screening.register.intake import import_input

    with _cli().user_errors(), _open(db_ref, create=True) as register:
        intake = import_input(
            register,
            input_path,
            rules_ref,
            as_of or dt.date.today(),
            lang,
            actor_name(actor),
            columns_file,
            sheet,
            jobs or os.cpu_count() or 1,
            limits=input_limits(max_rows),
        )
        url = register.url
    for note in intake.notes:
        click.echo(note, err=True)
    for bad in intake.invalid:
        where = f"{bad['source']}:{bad['row']}" + (
            f" ({bad['column']})" if bad["column"] else ""
        )
        click.echo(f"{where}: {bad['reason']}", err=True)
    c = intake.counts
    for renamed in c.renamed:
        click.echo(f"{input_path}:{renamed.row}: {renamed.line()}", err=True)
    from screening.register.db import shown_url

    click.echo(
        f"共 {intake.rows} 行：存入 {c.stored} 次筛查（新项目 {c.new_leads}，更新 {c.updated_leads}），"
        f"已有 {c.duplicates}，无效 {len(intake.invalid)} → {shown_url(url)} / {intake.rows} rows: "
        f"{c.stored} stored, {c.duplicates} already there, {len(intake.invalid)} invalid",
        err=True,
    )


@register_group.command("list")
@_filters
@click.option(
    "--limit",
    type=click.IntRange(1),
    default=50,
    show_default=True,
    help="每页条数 / rows per page.",
)
@click.option(
    "--offset", type=click.IntRange(0), default=0, help="跳过条数 / rows to skip."
)
@click.option("--all", "show_all", is_flag=True, help="全部列出 / every matching lead.")
@lang_option
@db_option
@format_option
def register_list(
    filters: Any,
    limit: int,
    offset: int,
    show_all: bool,
    lang: str,
    db_ref: str | None,
    fmt: str,
) -> None:
    """按园区、阶段、结论、行业、日期、金额筛选项目 / List leads by park, stage, decision, industry, date, amount."""
    from screening.register.render import render_json, render_leads

    with _cli().user_errors(), _open(db_ref) as register:
        total, rows = register.leads(filters, None if show_all else limit, offset)
    if fmt == "json":
        _echo(render_json({"total": total, "offset": offset, "leads": rows}))
    else:
        _echo(render_leads(total, rows, lang, offset))


@register_group.command("show")
@click.argument("lead")
@lang_option
@db_option
@format_option
def register_show(lead: str, lang: str, db_ref: str | None, fmt: str) -> None:
    """显示一个项目：资料、每次筛查、阶段与事件 / Show a lead with every screening, stage and event."""
    from screening.register.render import render_json, render_lead

    with _cli().user_errors(), _open(db_ref) as register:
        data = register.lead(lead)
        declared = register.input_titles(lead) if fmt != "json" else {}
    _echo(render_json(data) if fmt == "json" else render_lead(data, lang, declared))


@register_group.command("history")
@click.argument("lead")
@lang_option
@db_option
@format_option
def register_history(lead: str, lang: str, db_ref: str | None, fmt: str) -> None:
    """按时间列出项目的全部事件 / A lead's events in time order."""
    from screening.register.render import render_history, render_json

    with _cli().user_errors(), _open(db_ref) as register:
        events = register.history(lead)
        key = register.lead(lead)["key"]
        declared = register.input_titles(key) if fmt != "json" else {}
    _echo(
        render_json(events)
        if fmt == "json"
        else render_history(key, events, lang, declared)
    )


@register_group.command("stage")
@click.argument("lead")
@click.argument("stage")
@click.option(
    "--date",
    "on",
    callback=date_value,
    metavar="DATE",
    help="日期（默认今天）/ date (default today).",
)
@click.option("--reason", help="终止 / 退出的原因 / why it ended.")
@click.option("--note", help="说明 / note.")
@click.option(
    "--override",
    is_flag=True,
    help="允许不按顺序记录（须附 --note）/ record out of order (needs --note).",
)
@db_option
@actor_option
def register_stage(
    lead: str,
    stage: str,
    on: dt.date | None,
    reason: str | None,
    note: str | None,
    override: bool,
    db_ref: str | None,
    actor: str | None,
) -> None:
    """记录项目进入某阶段：洽谈 → 签约 → 供地 → 开工 → 投产 → 达产，或 终止 / 退出 / Record a stage."""
    with (
        _cli().user_errors(),
        _options_named({"note": "--note", "reason": "--reason"}),
        _open(db_ref) as register,
    ):
        done = register.record_stage(
            lead,
            stage,
            on or dt.date.today(),
            actor_name(actor),
            reason=reason,
            note=note,
            override=override,
        )
    click.echo(
        f"{done['lead']}: {done['from']} → {done['stage']}（{done['on']}）"
        + ("  [override]" if done["override"] else "")
    )


@register_group.command("committee")
@click.argument("lead")
@click.argument("decision", metavar="同意|不同意|暂缓")
@click.option(
    "--meeting-date",
    "meeting_on",
    callback=date_value,
    required=True,
    metavar="DATE",
    help="会议日期 / meeting date.",
)
@click.option("--note", help="说明 / note.")
@db_option
@actor_option
def register_committee(
    lead: str,
    decision: str,
    meeting_on: dt.date,
    note: str | None,
    db_ref: str | None,
    actor: str | None,
) -> None:
    """记录联席会议（委员会）的决定 / Record the committee's decision beside the engine's.

    同一会议日期再次记录即更正该日的决定（原决定保留在历史中）/ a second decision for
    the same meeting date corrects the first (which stays in the history)."""
    from screening.register.store import Filters

    with (
        _cli().user_errors(),
        _options_named({"meeting_on": "--meeting-date", "note": "--note"}),
        _open(db_ref) as register,
    ):
        done = register.record_committee(
            lead, decision, meeting_on, actor_name(actor), note
        )
        _total, (now,) = register.leads(Filters(keys=(done["lead"],)), 1)
    line = f"{done['lead']}: {done['decision']}（{done['meeting_on']}）"
    was = done["replaced"]
    if was is not None:  # the same meeting again: a correction, the first kept
        line += (
            f"，已更正本次会议的决定：原为 {was['decision']}（{was['actor']} 记录，"
            f"原决定保留在历史中）/ corrected this meeting's decision: it was "
            f"{was['decision']} (recorded by {was['actor']}; kept in the history)"
        )
    if now["committee_on"] != done["meeting_on"]:  # a later meeting's stays current
        line += (
            f"，已记入历史；当前决定仍为 {now['committee']}（{now['committee_on']}，"
            f"会议较晚）/ recorded in the history; the current decision stays "
            f"{now['committee']} ({now['committee_on']}, a later meeting)"
        )
    click.echo(line)


_F = TypeVar("_F", bound=Callable[..., Any])  # a command function, options added


def _figure_options(names: list[tuple[str, str, str]]) -> Callable[[_F], _F]:
    def wrap(func: _F) -> _F:
        for flag, dest, help_text in reversed(names):
            func = click.option(flag, dest, metavar="AMOUNT", help=help_text)(func)
        return func

    return wrap


def _read_figures(
    given: dict[str, str | None],
    kinds: dict[str, str],
    options: list[tuple[str, str, str]],
) -> dict[str, Any]:
    """The figures typed, each refusal naming the option as typed (`--total`)."""
    from screening.model.units import UnitError, parse_amount

    flags = {dest: flag for flag, dest, _help in options}
    out: dict[str, Any] = {}
    for name, text in given.items():
        if text is None:
            continue
        kind = kinds[name]
        option = flags[name]
        try:
            value = parse_amount(text, "count" if kind == "count" else kind)
        except UnitError as exc:
            raise RegisterError(f"{option}: {exc}") from None
        if value < 0:
            raise RegisterError(f"{option}: 应不小于 0 / must not be negative")
        if kind == "count":
            if value != value.to_integral_value():
                raise RegisterError(f"{option}: 应为整数 / must be a whole number")
            out[name] = int(value)
        else:
            out[name] = value
    return out


_PROMISE_OPTIONS = [
    ("--total", "total_investment", "承诺总投资（如 3.5亿）/ total investment."),
    ("--fixed-assets", "fixed_assets", "承诺固定资产投资 / fixed-asset investment."),
    ("--land", "land_mu", "用地（亩，或 公顷）/ land."),
    ("--output", "annual_output", "达产后年产值 / annual output at full production."),
    ("--tax", "annual_tax", "达产后年税收 / annual tax at full production."),
    ("--employees", "employees", "就业人数 / employment."),
    ("--energy", "energy_tce", "年综合能耗（吨标煤）/ energy use."),
]
_ACTUAL_OPTIONS = [
    ("--invested", "invested", "累计到位资金 / investment in place to date."),
    (
        "--fixed-assets",
        "fixed_assets_invested",
        "累计固定资产投资 / fixed assets in place to date.",
    ),
    ("--output", "annual_output", "当年产值 / output in the year."),
    ("--tax", "annual_tax", "当年税收 / tax in the year."),
    ("--employees", "employees", "就业人数 / employees."),
    ("--energy", "energy_tce", "年综合能耗 / energy use."),
]


@register_group.command("promise")
@click.argument("lead")
@_figure_options(_PROMISE_OPTIONS)
@click.option(
    "--signed-on",
    callback=date_value,
    metavar="DATE",
    help="签约日期（默认签约阶段的日期）/ signing date.",
)
@click.option(
    "--start-by",
    callback=date_value,
    metavar="DATE",
    help="承诺开工日期 / promised start.",
)
@click.option(
    "--production-by",
    callback=date_value,
    metavar="DATE",
    help="承诺投产日期 / promised production.",
)
@click.option("--note", help="说明 / note.")
@db_option
@actor_option
def register_promise(
    lead: str,
    signed_on: dt.date | None,
    start_by: dt.date | None,
    production_by: dt.date | None,
    note: str | None,
    db_ref: str | None,
    actor: str | None,
    **given: str | None,
) -> None:
    """记录签约时的承诺（投资、用地、产值、税收、就业、能耗、开工与投产日期）/ Record what was promised."""
    from screening.register.store import PROMISE_FIGURES

    with _cli().user_errors(), _options_named({"note": "--note"}):
        figures = _read_figures(given, PROMISE_FIGURES, _PROMISE_OPTIONS)
        with _open(db_ref) as register:
            done = register.record_promise(
                lead,
                figures,
                actor_name(actor),
                signed_on=signed_on,
                start_by=start_by,
                production_by=production_by,
                note=note,
            )
            # the promise it restates: the one before it (it keeps what is not given)
            stored = register.lead(done["lead"])["promises"]
            earlier = stored[-2] if len(stored) > 1 else None
        given_names = set(figures) | {
            name
            for name, value in (
                ("signed_on", signed_on),
                ("start_by", start_by),
                ("production_by", production_by),
            )
            if value is not None
        }
    click.echo(f"{done['lead']}: 承诺已记录 / promise recorded")
    for line in _restated(earlier, done, given_names):
        click.echo(f"  {line}")


def _restated(
    earlier: dict[str, Any] | None, now: dict[str, Any], given: set[str]
) -> list[str]:
    """What a promise restating `earlier` changed, repeated and kept of it, each figure
    by its title with its value (nothing when it is the lead's first promise)."""
    from screening.register.figures import PROMISE_FORM
    from screening.register.render import amount

    if earlier is None:
        return []
    forms = {f.name: f for f in PROMISE_FORM if f.name != "note"}

    def shown(name: str, value: Any) -> str:
        text = amount(value) if isinstance(value, Decimal) else str(value)
        return text + forms[name].unit

    def line(zh: str, en: str, items: list[tuple[str, str]]) -> str:
        return (
            f"{zh}：" + "，".join(f"{forms[n].title_zh} {text}" for n, text in items)
            + f" / {en}: " + ", ".join(forms[n].title_en for n, _text in items)
        )  # fmt: skip

    changed, unchanged, kept = [], [], []
    for name in forms:
        value, was = now.get(name), earlier.get(name)
        if name not in given:
            if value is not None:
                kept.append((name, shown(name, value)))
        elif was is None:
            changed.append((name, f"{shown(name, value)}（新增）"))
        elif was != value:
            changed.append((name, f"{shown(name, was)} → {shown(name, value)}"))
        else:
            unchanged.append((name, shown(name, value)))
    out = []
    if changed:
        out.append(line("改为", "changed", changed))
    if unchanged:
        out.append(line("与上次相同", "unchanged", unchanged))
    if kept:
        out.append(line("沿用上次承诺", "kept from the earlier promise", kept))
    return out


@register_group.command("actual")
@click.argument("lead")
@click.option(
    "--date",
    "on",
    callback=date_value,
    metavar="DATE",
    help="报告日期（默认今天）/ reported on.",
)
@click.option(
    "--year", type=int, help="年度数据所属年份 / the year yearly figures are for."
)
@_figure_options(_ACTUAL_OPTIONS)
@click.option("--note", help="说明 / note.")
@db_option
@actor_option
def register_actual(
    lead: str,
    on: dt.date | None,
    year: int | None,
    note: str | None,
    db_ref: str | None,
    actor: str | None,
    **given: str | None,
) -> None:
    """记录项目报告的实绩（到位资金、产值、税收…）/ Record what a project reported."""
    from screening.register.store import ACTUAL_FIGURES

    with _cli().user_errors(), _options_named({"note": "--note"}):
        figures = _read_figures(given, ACTUAL_FIGURES, _ACTUAL_OPTIONS)
        with _open(db_ref) as register:
            done = register.record_actual(
                lead,
                on or dt.date.today(),
                figures,
                actor_name(actor),
                year=year,
                note=note,
            )
    click.echo(f"{done['lead']}: 实绩已记录（{done['reported_on']}）/ actuals recorded")


@register_group.command("reproduce")
@click.argument("screening_id", type=int)
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    help="语言（默认当时的语言）/ language (default: as stored).",
)
@db_option
def register_reproduce(screening_id: int, lang: str | None, db_ref: str | None) -> None:
    """用保存的规则集快照重新生成一次筛查的 JSON 结果（逐字节相同）/ Make a stored screening's JSON contract again."""
    with _cli().user_errors(), _open(db_ref) as register:
        line, same = register.reproduce(screening_id, lang)
        stored_lang = register.screening(screening_id)["lang"]
    sys.stdout.buffer.write(line)
    sys.stdout.flush()
    if not same and (lang is None or lang == stored_lang):
        click.echo(
            f"重新生成的结果与保存的哈希不一致 / the contract does not match its stored sha256 "
            f"(screening {screening_id})",
            err=True,
        )
        sys.exit(1)


@register_group.command("rescreen")
@click.option(
    "--rules",
    "rules_ref",
    required=True,
    metavar="ID|PATH",
    help="新规则集 / the new rule set.",
)
@as_of_option
@_filters
@click.option(
    "--adopt",
    is_flag=True,
    help="新结果成为项目的当前结论（默认仅试算并保存）/ make the results current.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
@lang_option
@db_option
@actor_option
def register_rescreen(
    rules_ref: str,
    as_of: dt.date | None,
    filters: Any,
    adopt: bool,
    fmt: str,
    lang: str,
    db_ref: str | None,
    actor: str | None,
) -> None:
    """用新规则集重新筛查库中项目，保存结果并显示对实际项目的影响 / Rescreen stored leads; show the impact."""
    from screening.register.rescreen import render_rescreen, rescreen

    with _cli().user_errors(), _open(db_ref) as register:
        result = rescreen(
            register,
            rules_ref,
            as_of or dt.date.today(),
            filters,
            lang,
            actor_name(actor),
            adopt,
        )
    _echo(render_rescreen(result, fmt))
    click.echo(result.summary_line(), err=True)


@register_group.command("kpi")
@click.option("--park", help="只看一个园区 / one park only.")
@click.option("--year", type=int, help="年度 / a calendar year.")
@click.option("--quarter", metavar="YYYYQn", help="季度，如 2025Q2 / a quarter.")
@click.option("--month", metavar="YYYY-MM", help="月份 / a month.")
@click.option(
    "--from",
    "date_from",
    callback=date_value,
    metavar="DATE",
    help="期间起 / period from.",
)
@click.option(
    "--to", "date_to", callback=date_value, metavar="DATE", help="期间止 / period to."
)
@click.option(
    "--targets",
    "targets_file",
    type=click.Path(exists=True, dir_okay=False),
    help="目标文件（YAML，按园区和年度）/ targets per park and year.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "xlsx"]),
    help="输出格式（默认 text；给出 -o 时按其扩展名）/ output format "
    "(default text; with -o, its extension's).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="输出文件：.xlsx 或 .json，按扩展名 / output file, by extension (.xlsx, .json).",
)
@lang_option
@db_option
def register_kpi(
    park: str | None,
    year: int | None,
    quarter: str | None,
    month: str | None,
    date_from: dt.date | None,
    date_to: dt.date | None,
    targets_file: str | None,
    fmt: str | None,
    output: str | None,
    lang: str,
    db_ref: str | None,
) -> None:
    """考核指标：按园区和期间的阶段与结论、履约率、资金到位率、开工率、投产率、金额档次对目标 / KPIs."""
    from screening.register.kpi import (
        close_parks,
        compute_kpis,
        period_of,
        register_parks,
        render_kpis,
        unmatched_targets,
        write_kpi_xlsx,
    )
    from screening.register.render import render_json
    from screening.register.targets import load_targets

    with _cli().user_errors():
        fmt = _kpi_format(fmt, output)
        period = period_of(year, quarter, month, date_from, date_to, dt.date.today())
        targets = load_targets(targets_file) if targets_file else None
        with _open(db_ref) as register:
            if park is not None and not register_parks(register, [park]):
                known = register_parks(register)
                raise RegisterError(
                    _no_such_park(park, known, close_parks(park, known))
                )
            for name, close in unmatched_targets(register, targets) if targets else ():
                click.echo(
                    f"{targets_file}: 警告：目标中的园区「{name}」在项目库中没有项目，"
                    "按未完成目标计（0/N）"
                    + (f"；是否指「{'」「'.join(close)}」？" if close else "")
                    + f" / warning: no lead of the register is in park {name!r}: its "
                    "targets count as missed (0/N)"
                    + (f"; did you mean {', '.join(close)}?" if close else ""),
                    err=True,
                )
            report = compute_kpis(register, period, park, targets)
        if output is not None:
            from screening.io.writers import atomic_write

            if fmt == "xlsx":
                write_kpi_xlsx(output, report, lang)
            else:
                atomic_write(output, render_json(report))
    if output is not None:
        click.echo(f"{output}: 已写出 / written", err=True)
    elif fmt == "json":
        _echo(render_json(report))
    else:
        _echo(render_kpis(report, lang))


def _no_such_park(park: str, known: list[str], close: list[str]) -> str:
    """`register kpi --park` naming a park no lead is in: the parks there are."""
    if not known:
        return f"项目库中没有园区「{park}」（尚无填了园区的项目）/ no park {park!r} in the register (no lead names a park)"
    listed = known[:20] + (["…"] if len(known) > 20 else [])
    return (
        f"项目库中没有园区「{park}」"
        + (f"，是否指「{'」「'.join(close)}」" if close else "")
        + f"；现有园区：{'、'.join(listed)} / no park {park!r} in the register"
        + (f" (did you mean {', '.join(close)}?)" if close else "")
        + f"; its parks: {', '.join(listed)}"
    )


KPI_FORMATS = {".xlsx": "xlsx", ".json": "json"}  # what `register kpi -o` writes


def _kpi_format(fmt: str | None, output: str | None) -> str:
    """The format `register kpi` gives: its -o file's (by extension, as `screening
    batch` reads it), which --format may name but not contradict; else --format's."""
    if output is None:
        if fmt == "xlsx":
            raise RegisterError("--format xlsx 需要 -o 文件.xlsx / give -o FILE.xlsx")
        return fmt or "text"
    from pathlib import Path

    kind = KPI_FORMATS.get(Path(output).suffix.lower())
    if kind is None:
        raise RegisterError(
            f"{output}: 不支持的输出格式（可用 .xlsx .json）/ unsupported output "
            "format (.xlsx or .json)"
        )
    if fmt is not None and fmt != kind:
        raise RegisterError(
            f"--format {fmt} 与输出文件 {output} 的格式不符 / --format {fmt} does not "
            f"match the output file {output}"
        )
    return kind


@register_group.command("export")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="XLSX 文件 / the workbook.",
)
@_filters
@lang_option
@db_option
def register_export(
    output: str,
    filters: Any,
    lang: str,
    db_ref: str | None,
) -> None:
    """导出项目、筛查、阶段、委员会、承诺与实绩到 XLSX / Export leads, screenings and events to XLSX."""
    from screening.register.export import export_xlsx

    with _cli().user_errors():
        if not output.lower().endswith(".xlsx"):
            raise RegisterError(
                f"{output}: 导出文件应为 .xlsx / the export is an .xlsx workbook"
            )
        with _open(db_ref) as register:
            counts = export_xlsx(register, output, filters, lang)
    click.echo(
        f"{output}: {counts['leads']} 个项目，{counts['screenings']} 次筛查，{counts['events']} 条事件 / "
        f"{counts['leads']} leads, {counts['screenings']} screenings, {counts['events']} events",
        err=True,
    )

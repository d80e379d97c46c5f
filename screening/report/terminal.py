"""Decisions → a readable terminal table (rich), Chinese by default.

Everything printed is literal text: the console's markup is off, so a message or a
rule title in square brackets (`[见第5条]`, `[see art. 5]`) is printed whole, never
read as a rich style; styles are set only here, with `Text` and `style=`.
"""

from __future__ import annotations

from collections.abc import Iterable
from io import StringIO
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from screening.messages import status_label, text
from screening.model.effective import RuleSet
from screening.report.labels import Labels

_DECISION_STYLE = {"pass": "bold green", "review": "bold yellow", "reject": "bold red"}
_STATUS_STYLE = {
    "pass": "green",
    "fail": "red",
    "missing": "yellow",
    "not_applicable": "dim",
}


def render_text(
    contracts: list[dict[str, Any]],
    lang: str = "zh",
    width: int = 120,
    color: bool = False,
    rulesets: Iterable[RuleSet | None] = (),
) -> str:
    """Render decisions (JSON-contract dicts) as text tables; rule and field titles come
    from `rulesets`, the rule sets the results were screened with."""
    labels = Labels(rulesets, lang)
    buffer = StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=color,
        color_system="standard" if color else None,
        no_color=not color,
        highlight=False,
        emoji=False,
        markup=False,  # titles, messages and remedies come from rule sets and cases
    )
    for index, result in enumerate(contracts):
        if index:
            console.print()
        _render_one(console, result, lang, labels)
    return buffer.getvalue()


def _label(key: str, lang: str) -> str:
    return text(f"report.{key}", lang)


def ruleset_line(ruleset: dict[str, Any], lang: str) -> str:
    """`id vVERSION · sha256 prefix`, and the file when loaded from a path."""
    line = f"{ruleset['id']} v{ruleset['version']} · {ruleset['sha256'][:12]}"
    if ruleset.get("path"):
        line += f" · {_label('file', lang)} {ruleset['path']}"
    return line


def _render_one(
    console: Console, result: dict[str, Any], lang: str, labels: Labels
) -> None:
    project, ruleset = result["project"], result["ruleset"]
    decision = result["decision"]
    head = Text()
    head.append(
        f"{_label('project', lang)}："
        if lang == "zh"
        else f"{_label('project', lang)}: "
    )
    head.append(f"{project['name'] or ''} ({project['id'] or '-'})")
    console.print(head)
    line = Text()
    sep = "：" if lang == "zh" else ": "
    line.append(f"{_label('decision', lang)}{sep}")
    line.append(text(f"decision.{decision}", lang), style=_DECISION_STYLE[decision])
    if result["score"] is not None:
        line.append(f"    {_label('score', lang)}{sep}{result['score']}")
    line.append(f"    {_label('ruleset', lang)}{sep}{ruleset_line(ruleset, lang)}")
    if result.get("as_of"):
        line.append(f"    {_label('as_of', lang)}{sep}{result['as_of']}")
    console.print(line)
    list_sep = "、" if lang == "zh" else ", "
    if result["vetoed_by"]:
        vetoes = Text(f"{_label('vetoed_by', lang)}{sep}", style="red")
        for i, rule in enumerate(result["vetoed_by"]):
            vetoes.append(list_sep if i else "")
            vetoes.append(labels.rule(result, rule), style="red")
            vetoes.append(f" ({rule})", style="dim")
        console.print(vetoes)
    if result["missing"]:
        fields = list_sep.join(labels.field(result, path) for path in result["missing"])
        console.print(f"{_label('missing', lang)}{sep}{fields}", style="yellow")
    table = Table(show_lines=False, expand=True, pad_edge=False)
    titles = {f["rule"]: labels.rule(result, f["rule"]) for f in result["findings"]}
    # as wide as the widest id (a title wraps beneath it), within 40 columns
    widest = max((len(r) for r in titles), default=10)
    widest = min(widest, 40)
    table.add_column(_label("rule", lang), min_width=widest, max_width=max(widest, 24))
    table.add_column(_label("kind", lang), no_wrap=True)
    table.add_column(_label("status", lang), no_wrap=True)
    table.add_column(_label("points", lang), no_wrap=True, justify="right")
    table.add_column(_label("message", lang), ratio=1, overflow="fold")
    for finding in result["findings"]:
        points = (
            ""
            if finding["max_points"] is None
            else f"{finding['points']}/{finding['max_points']}"
        )
        message = finding["message"]
        if finding["remedy"] and finding["status"] in ("fail",):
            message += f"\n→ {finding['remedy']}"
        rule = Text(titles[finding["rule"]])
        rule.append(f"\n{finding['rule']}", style="dim")  # the id as secondary text
        # every cell a Text, as the console makes of a str (markup, emoji and
        # highlighting are off), so that rich does not make it twice: to measure
        # the column and again to render the cell
        table.add_row(
            rule,
            Text(text(f"kind.{finding['kind']}", lang)),
            Text(
                status_label(finding["kind"], finding["status"], lang),
                style=_STATUS_STYLE[finding["status"]],
            ),
            Text(points),
            Text(message),
        )
    console.print(table)
    if result.get("summary"):
        console.print(f"{_label('to_pass', lang)}{sep}", style="bold")
        # a grid, so that a long item wraps under its own text, not under the bullet
        # (rich would move an unbroken run of Chinese to the next line whole, leaving
        # the bullet alone on its line)
        items = Table.grid(padding=(0, 1, 0, 0), pad_edge=False)
        items.add_column(width=3, justify="right", no_wrap=True)
        items.add_column(overflow="fold")
        for item in result["summary"].split("\n"):
            items.add_row(Text("•"), Text(item))
        console.print(items)

"""Decisions → a readable terminal table (rich), Chinese by default."""

from __future__ import annotations

from io import StringIO
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from screening.messages import status_label, text

_DECISION_STYLE = {"pass": "bold green", "review": "bold yellow", "reject": "bold red"}
_STATUS_STYLE = {"pass": "green", "fail": "red", "missing": "yellow", "not_applicable": "dim"}


def render_text(contracts: list[dict[str, Any]], lang: str = "zh", width: int = 120, color: bool = False) -> str:
    """Render decisions (JSON-contract dicts) as text tables."""
    buffer = StringIO()
    console = Console(file=buffer, width=width, force_terminal=color, color_system="standard" if color else None,
                      no_color=not color, highlight=False, emoji=False)
    for index, result in enumerate(contracts):
        if index:
            console.print()
        _render_one(console, result, lang)
    return buffer.getvalue()


def _label(key: str, lang: str) -> str:
    return text(f"report.{key}", lang)


def _render_one(console: Console, result: dict[str, Any], lang: str) -> None:
    project, ruleset = result["project"], result["ruleset"]
    decision = result["decision"]
    head = Text()
    head.append(f"{_label('project', lang)}：" if lang == "zh" else f"{_label('project', lang)}: ")
    head.append(f"{project['name'] or ''} ({project['id'] or '-'})")
    console.print(head)
    line = Text()
    sep = "：" if lang == "zh" else ": "
    line.append(f"{_label('decision', lang)}{sep}")
    line.append(text(f"decision.{decision}", lang), style=_DECISION_STYLE[decision])
    if result["score"] is not None:
        line.append(f"    {_label('score', lang)}{sep}{result['score']}")
    line.append(f"    {_label('ruleset', lang)}{sep}{ruleset['id']} v{ruleset['version']}")
    if result.get("as_of"):
        line.append(f"    {_label('as_of', lang)}{sep}{result['as_of']}")
    console.print(line)
    if result["vetoed_by"]:
        console.print(f"{_label('vetoed_by', lang)}{sep}{', '.join(result['vetoed_by'])}", style="red")
    if result["missing"]:
        console.print(f"{_label('missing', lang)}{sep}{', '.join(result['missing'])}", style="yellow")
    table = Table(show_lines=False, expand=True, pad_edge=False)
    widest_rule = max((len(f["rule"]) for f in result["findings"]), default=10)
    table.add_column(_label("rule", lang), no_wrap=True, min_width=min(widest_rule, 40))
    table.add_column(_label("kind", lang), no_wrap=True)
    table.add_column(_label("status", lang), no_wrap=True)
    table.add_column(_label("points", lang), no_wrap=True, justify="right")
    table.add_column(_label("message", lang), ratio=1, overflow="fold")
    for finding in result["findings"]:
        points = "" if finding["max_points"] is None else f"{finding['points']}/{finding['max_points']}"
        message = finding["message"]
        if finding["remedy"] and finding["status"] in ("fail",):
            message += f"\n→ {finding['remedy']}"
        table.add_row(
            finding["rule"], text(f"kind.{finding['kind']}", lang),
            Text(status_label(finding["kind"], finding["status"], lang), style=_STATUS_STYLE[finding["status"]]),
            points, message,
        )
    console.print(table)
    if result.get("summary"):
        console.print(f"{_label('to_pass', lang)}{sep}", style="bold")
        for item in result["summary"].split("\n"):
            console.print(f"  • {item}")

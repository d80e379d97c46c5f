"""Decisions → Markdown, for minutes and documents."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from screening.messages import status_label, text
from screening.model.effective import RuleSet
from screening.report.labels import Labels


def _cell(value: Any) -> str:
    return "" if value is None else str(value).replace("|", "\\|").replace("\n", "<br>")


def render_markdown(
    contracts: list[dict[str, Any]],
    lang: str = "zh",
    rulesets: Iterable[RuleSet | None] = (),
) -> str:
    """Render decisions (JSON-contract dicts) as Markdown sections; rule and field
    titles come from `rulesets`, the rule sets the results were screened with."""
    labels = Labels(rulesets, lang)
    list_sep = "、" if lang == "zh" else ", "
    out: list[str] = []

    def label(key: str) -> str:
        return text(f"report.{key}", lang)

    for result in contracts:
        project, ruleset = result["project"], result["ruleset"]
        out.append(
            f"## {_cell(project['name'])}（{_cell(project['id'])}）"
            if lang == "zh"
            else f"## {_cell(project['name'])} ({_cell(project['id'])})"
        )
        out.append("")
        out.append(
            f"- **{label('decision')}**: {text('decision.' + result['decision'], lang)}"
        )
        if result["score"] is not None:
            out.append(f"- **{label('score')}**: {result['score']}")
        where = ""
        if ruleset.get("path"):
            comma = "，" if lang == "zh" else ", "
            where = f"{comma}{label('file')} `{ruleset['path']}`"
        out.append(
            f"- **{label('ruleset')}**: `{ruleset['id']}` v{ruleset['version']} "
            f"(sha256 `{ruleset['sha256'][:12]}`){where}"
        )
        if result.get("as_of"):
            out.append(f"- **{label('as_of')}**: {result['as_of']}")
        if result["vetoed_by"]:
            vetoes = list_sep.join(
                f"{_cell(labels.rule(result, r))} (`{r}`)" for r in result["vetoed_by"]
            )
            out.append(f"- **{label('vetoed_by')}**: {vetoes}")
        if result["missing"]:
            missing = result["missing"]
            fields = list_sep.join(_cell(labels.field(result, p)) for p in missing)
            out.append(f"- **{label('missing')}**: {fields}")
        out.append("")
        columns = ("rule", "kind", "status", "points", "message", "remedy", "basis")
        out.append("| " + " | ".join(label(c) for c in columns) + " |")
        out.append("|" + "---|" * len(columns))
        for f in result["findings"]:
            points = (
                "" if f["max_points"] is None else f"{f['points']}/{f['max_points']}"
            )
            out.append(
                "| "
                + " | ".join(
                    (
                        f"{_cell(labels.rule(result, f['rule']))}<br>`{f['rule']}`",
                        text("kind." + f["kind"], lang),
                        status_label(f["kind"], f["status"], lang),
                        points,
                        _cell(f["message"]),
                        _cell(f["remedy"]),
                        _cell(f["basis"]),
                    )
                )
                + " |"
            )
        if result.get("summary"):
            out.append("")
            out.append(f"**{label('to_pass')}**")
            out.append("")
            out.extend(f"- {line}" for line in result["summary"].split("\n"))
        out.append("")
    return "\n".join(out)

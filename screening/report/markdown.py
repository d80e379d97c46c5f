"""Decisions → Markdown, for minutes and documents."""

from __future__ import annotations

from typing import Any

from screening.messages import status_label, text


def _cell(value: Any) -> str:
    return "" if value is None else str(value).replace("|", "\\|").replace("\n", "<br>")


def render_markdown(contracts: list[dict[str, Any]], lang: str = "zh") -> str:
    """Render decisions (JSON-contract dicts) as Markdown sections."""
    out: list[str] = []
    label = lambda key: text(f"report.{key}", lang)  # noqa: E731
    for result in contracts:
        project, ruleset = result["project"], result["ruleset"]
        out.append(f"## {_cell(project['name'])}（{_cell(project['id'])}）" if lang == "zh"
                   else f"## {_cell(project['name'])} ({_cell(project['id'])})")
        out.append("")
        out.append(f"- **{label('decision')}**: {text('decision.' + result['decision'], lang)}")
        if result["score"] is not None:
            out.append(f"- **{label('score')}**: {result['score']}")
        out.append(f"- **{label('ruleset')}**: `{ruleset['id']}` v{ruleset['version']} (sha256 `{ruleset['sha256'][:12]}`)")
        if result.get("as_of"):
            out.append(f"- **{label('as_of')}**: {result['as_of']}")
        if result["vetoed_by"]:
            out.append(f"- **{label('vetoed_by')}**: {', '.join(result['vetoed_by'])}")
        if result["missing"]:
            out.append(f"- **{label('missing')}**: {', '.join(result['missing'])}")
        out.append("")
        columns = ("rule", "kind", "status", "points", "message", "remedy", "basis")
        out.append("| " + " | ".join(label(c) for c in columns) + " |")
        out.append("|" + "---|" * len(columns))
        for f in result["findings"]:
            points = "" if f["max_points"] is None else f"{f['points']}/{f['max_points']}"
            out.append("| " + " | ".join((
                f"`{f['rule']}`", text("kind." + f["kind"], lang), status_label(f["kind"], f["status"], lang), points,
                _cell(f["message"]), _cell(f["remedy"]), _cell(f["basis"]),
            )) + " |")
        if result.get("summary"):
            out.append("")
            out.append(f"**{label('to_pass')}**")
            out.append("")
            out.extend(f"- {line}" for line in result["summary"].split("\n"))
        out.append("")
    return "\n".join(out)

"""Bar charts as geometry for inline SVG, drawn on the server (no chart script).

Functions return plain dicts of bars (position, size, label, value); the templates
draw them, so every label is escaped like any other text on the page.
"""

from __future__ import annotations

from typing import Any

WIDTH = 460
ROW = 26  # height of one horizontal bar's row
LABEL = 110  # room for the labels left of the bars


def horizontal_bars(
    items: list[tuple[str, int | float]],
    css: str = "bar",
    targets: list[int | None] | None = None,
) -> dict[str, Any]:
    """One bar per (label, value), longest = the largest value (or target)."""
    values = [v for _, v in items] + [t for t in (targets or []) if t is not None]
    top = max(values, default=0) or 1
    span = WIDTH - LABEL - 60
    bars = []
    for i, (label, value) in enumerate(items):
        target = targets[i] if targets else None
        bars.append(
            {
                "label": label,
                "value": value,
                "y": i * ROW + 4,
                "width": round(span * value / top, 1),
                "target_x": None
                if target is None
                else round(LABEL + span * target / top, 1),
                "target": target,
                "css": css,
            }
        )
    return {
        "width": WIDTH,
        "height": len(items) * ROW + 8,
        "left": LABEL,
        "bars": bars,
    }


def stacked_share(parts: list[tuple[str, str, int]]) -> dict[str, Any]:
    """One bar split by (label, css, count), as shares of the whole."""
    total = sum(n for _, _, n in parts) or 1
    span = WIDTH - 20
    x = 10.0
    pieces = []
    for label, css, n in parts:
        width = span * n / total
        pieces.append(
            {
                "label": label,
                "css": css,
                "count": n,
                "x": round(x, 1),
                "width": round(width, 1),
            }
        )
        x += width
    return {
        "width": WIDTH,
        "height": 56,
        "pieces": pieces,
        "total": sum(n for *_, n in parts),
    }

"""zh and en message templates by key; the language is chosen when rendering."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

LANGS = ("zh", "en")


@cache
def catalogue(lang: str) -> dict[str, Any]:
    """All templates of one language (zh when the language is unknown)."""
    name = f"{lang if lang in LANGS else 'zh'}.yaml"
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    templates: dict[str, Any] = yaml.safe_load(text)
    return templates


def text(key: str, lang: str, /, **params: Any) -> str:
    """The template at dotted `key`, filled with `params`."""
    found = _templates.get((key, lang))
    if found is None:
        node: Any = catalogue(lang)
        for part in key.split("."):
            node = node[part]
        found = _templates[(key, lang)] = str(node)
    return found.format(**params) if params else found


_templates: dict[tuple[str, str], str] = {}  # (dotted key, lang) → template: a report asks for the same few


def status_label(kind: str, status: str, lang: str) -> str:
    """A status as shown for a kind: a derivation's pass reads 是, a bonus's fail 未加分."""
    by_kind = catalogue(lang)["status_by_kind"].get(kind, {})
    return str(by_kind.get(status) or catalogue(lang)["status"][status])

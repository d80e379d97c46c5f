"""zh and en message templates by key; the language is chosen when rendering."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

LANGS = ("zh", "en")
# libyaml's safe loader where PyYAML was built with it: several times faster to read
# the catalogue, which every report needs once
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def catalogue(lang: str) -> dict[str, Any]:
    """All templates of one language (zh when the language is unknown): the YAML
    file's, and a rule kind's own (`RuleKind.messages`) where the file has none."""
    from screening.kinds import KINDS

    lang = lang if lang in LANGS else "zh"
    text = (
        resources.files(__package__)
        .joinpath(f"{lang}.yaml")
        .read_text(encoding="utf-8")
    )
    templates: dict[str, Any] = yaml.load(text, Loader=_LOADER)  # a safe loader
    for kind in KINDS.values():
        _fill(templates, kind.messages.get(lang, {}))
    return templates


def _fill(into: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _fill(into[key], value)
        else:
            into.setdefault(key, value)


def text(key: str, lang: str, /, **params: Any) -> str:
    """The template at dotted `key`, filled with `params`."""
    found = _templates.get((key, lang))
    if found is None:
        node: Any = catalogue(lang)
        for part in key.split("."):
            node = node[part]
        found = _templates[(key, lang)] = str(node)
    return found.format(**params) if params else found


_templates: dict[
    tuple[str, str], str
] = {}  # (dotted key, lang) → template: a report asks for the same few


def status_label(kind: str, status: str, lang: str) -> str:
    """A status as shown for a kind: a derivation's pass reads 是, a bonus's fail 未加分."""
    by_kind = catalogue(lang)["status_by_kind"].get(kind, {})
    return str(by_kind.get(status) or catalogue(lang)["status"][status])

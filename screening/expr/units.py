"""Unit algebra for type checking: 万元 / 亩 = 万元/亩; 万元/亩 ≠ 万元/公顷."""

from __future__ import annotations

from collections import Counter

_SYNONYMS = {
    "吨标煤": "tce",
    "吨标准煤": "tce",
    "千瓦时": "kWh",
    "度": "kWh",
    "kwh": "kWh",
    "吨": "t",
    "人·年": "人",
    "人年": "人",
    "ha": "公顷",
    "hm2": "公顷",
    "mu": "亩",
}


def normalise_unit(text: str) -> str:
    """Canonical spelling of a unit: factors sorted, common factors cancelled."""
    num, den = _split(text)
    return _join(num, den)


def multiply(left: str, right: str) -> str:
    ln, ld = _split(left)
    rn, rd = _split(right)
    return _join(ln + rn, ld + rd)


def divide(left: str, right: str) -> str:
    ln, ld = _split(left)
    rn, rd = _split(right)
    return _join(ln + rd, ld + rn)


def _split(text: str) -> tuple[Counter[str], Counter[str]]:
    text = (text or "").replace(" ", "")
    if text in ("", "1"):
        return Counter(), Counter()
    parts = text.split("/")
    num = Counter(_factors(parts[0]))
    den: Counter[str] = Counter()
    for part in parts[1:]:
        den.update(_factors(part))
    return num, den


def _factors(part: str) -> list[str]:
    out = []
    for factor in (
        part.replace("*", "·").split("·") if part not in ("人·年",) else [part]
    ):
        factor = factor.strip("()")
        if factor and factor != "1":
            out.append(_SYNONYMS.get(factor, _SYNONYMS.get(factor.lower(), factor)))
    return out


def _join(num: Counter[str], den: Counter[str]) -> str:
    common = num & den
    num, den = num - common, den - common
    top = "·".join(sorted(num.elements())) or ("1" if den else "")
    bottom = "·".join(sorted(den.elements()))
    return f"{top}/{bottom}" if bottom else top

"""A rule whose kind is missing, misspelt as a key or unknown: every problem at once."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from screening.errors import RuleSetError
from tests.conftest import MINIMAL

KINDS = "'veto', 'gate', 'review', 'score', 'bonus', 'derive', 'info'"


def _problems(write_ruleset: Callable[..., object], rule: str) -> list[str]:
    with pytest.raises(RuleSetError) as info:
        write_ruleset(MINIMAL + "rules:\n" + rule)
    path = str(info.value.diagnostics[0].span.path)  # type: ignore[union-attr]
    return [str(d).replace(path, "F") for d in info.value.diagnostics]


def _rule(kind_line: str) -> str:
    # lines 5-10 of the file; the kind's line is 7
    return (
        "  - id: a.b\n"
        "    group: investment_intensity\n"
        f"    {kind_line}\n"
        "    title: {zh: 甲, en: a}\n"
        "    require: investment.fixed_assets > 1\n"
        "    basiss: x\n"
    )


BASISS = (
    "F:10:5: [RUL] 未知的键 'basiss'（是否想写 basis？/ did you mean basis?） / "
    "unknown key (rules[0].basiss)"
)


def test_a_misspelt_kind_key_is_named_at_its_line_with_the_rules_other_problems(
    write_ruleset: Callable[..., object],
) -> None:
    assert _problems(write_ruleset, _rule("kin: gate")) == [
        "F:7:5: [RUL] 未知的键 'kin'（是否想写 kind？/ did you mean kind?） / "
        "unknown key (rules[0].kin)",
        BASISS,
    ]


def test_a_misspelt_kind_key_checks_the_rule_as_the_kind_it_names(
    write_ruleset: Callable[..., object],
) -> None:
    rule = _rule("kinds: gate").replace("{zh: 甲, en: a}", "[甲]")
    assert _problems(write_ruleset, rule) == [
        "F:7:5: [RUL] 未知的键 'kinds'（是否想写 kind？/ did you mean kind?） / "
        "unknown key (rules[0].kinds)",
        "F:8:12: [RUL] 应为映射（键: 值）/ expected a mapping，实际为 ['甲'] "
        "(rules[0].title)",
        BASISS,
    ]


def test_a_rule_with_no_kind_still_reports_its_unknown_keys(
    write_ruleset: Callable[..., object],
) -> None:
    assert _problems(write_ruleset, _rule("note: 无")) == [
        "F:5:5: [RUL] 规则缺少 kind / a rule needs a kind (rules[0])",
        BASISS,
    ]


@pytest.mark.parametrize("kind_line", ["kind: gat", "kin: gat"])
def test_an_unknown_kind_is_named_at_its_value_with_the_rules_unknown_keys(
    write_ruleset: Callable[..., object], kind_line: str
) -> None:
    key = kind_line.split(":")[0]
    misspelt_key = (
        []
        if key == "kind"
        else [
            f"F:7:5: [RUL] 未知的键 {key!r}（是否想写 kind？/ did you mean kind?） / "
            f"unknown key (rules[0].{key})"
        ]
    )
    assert _problems(write_ruleset, _rule(kind_line)) == [
        *misspelt_key,
        f"F:7:{len(key) + 7}: [RUL] 未知的规则类型 'gat'（是否想写 gate？/ did you "
        f"mean gate?）；应为 {KINDS} 之一 / unknown rule kind (rules[0].{key})",
        BASISS,
    ]

"""Safe YAML loading: positions, exact numbers, refused tags and alias bombs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from screening.errors import YamlError
from screening.source import load_yaml_text


def test_numbers_are_exact_decimals_and_positions_are_kept() -> None:
    loaded = load_yaml_text("a: 0.7\nb:\n  - 1\n  - 2.50\n", "f.yaml")
    assert loaded.data == {"a": Decimal("0.7"), "b": [1, Decimal("2.50")]}
    assert str(loaded.span(("b", 1))) == "f.yaml:4:5"
    assert (
        str(loaded.span(("b", 9, "x"))) == "f.yaml:3:3"
    )  # nearest existing ancestor: the list
    again = load_yaml_text("a: 0.7\nb:\n  - 1\n  - 2.50\n", "f.yaml")
    assert again == loaded  # the same document, values and positions
    moved = load_yaml_text("a: 0.7\nb:\n\n  - 1\n  - 2.50\n", "f.yaml")
    assert moved.data == loaded.data and moved != loaded  # not at the same lines
    sub = loaded.sub(("b",))
    assert sub.data == [1, Decimal("2.50")] and str(sub.span((1,))) == "f.yaml:4:5"


def test_a_character_of_a_scalar_is_placed_in_the_file_whatever_its_style() -> None:
    text = 'plain: a >= b\nquoted: "a >= b"\nblock: |\n  a >= 1\n  and b >= c\n'
    loaded = load_yaml_text(text, "f.yaml")
    b = "a >= b".index("b")
    assert str(loaded.text_span(("plain",), "a >= b", b)) == "f.yaml:1:13"
    assert str(loaded.text_span(("quoted",), "a >= b", b)) == "f.yaml:2:15"  # the quote
    block = loaded.data["block"]
    c = block.index("c")
    assert str(loaded.text_span(("block",), block, c)) == "f.yaml:5:12"
    # a path with no position: the nearest value that has one
    assert str(loaded.text_span(("block", 0), block, c)) == "f.yaml:3:8"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "a: !!python/object/apply:os.system ['true']",
            "f.yaml:1:4: [YML] 不允许的 YAML 标签",
        ),
        ("a: !custom x", "f.yaml:1:4: [YML] 不允许的 YAML 标签"),
        ("a: [1\nb: 2", "f.yaml:2:2: [YML] YAML 语法错误"),
        ("a: 1\na: 2", "f.yaml:2:1: [YML] 重复的键 'a'"),
        ("a: 1\n---\nb: 2", "f.yaml:3:1: [YML] 一个文件只能包含一个 YAML 文档"),
    ],
)
def test_bad_yaml_is_refused_with_a_position(text: str, expected: str) -> None:
    with pytest.raises(YamlError) as info:
        load_yaml_text(text, "f.yaml")
    assert str(info.value).startswith(expected)


def test_billion_laughs_is_rejected_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    with pytest.raises(YamlError, match="别名炸弹"):
        load_yaml_text("\n".join(lines), "bomb.yaml")


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(YamlError):
        load_yaml_text("a: &a [*a]", "f.yaml")


def test_infinite_numbers_load_as_floats_for_the_schema_to_refuse() -> None:
    loaded = load_yaml_text("a: .inf\nb: -.inf\n")
    assert loaded.data["a"] == float("inf") and loaded.data["b"] == float("-inf")

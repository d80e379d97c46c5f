"""The rule-set cache: a file read from it is the file validated; anything else misses."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from screening import rulecache
from screening.errors import RuleSetError
from screening.loader import load_ruleset, shipped_id_of
from screening.model import ruleset as spec
from screening.model.effective import RuleSet
from screening.source import load_yaml_file, read_file

ROOT = Path(__file__).resolve().parents[2]
PARK = "parks/beihai-tieshangang-2023"
AS_OF = dt.date(2025, 6, 30)
RULESET = """\
id: mine
title: 测试规则集
version: "1"
parameters:
  floor: {value: 3000, unit: 万元/亩}
rules:
  - id: intensity
    kind: gate
    group: investment_intensity
    require: investment.fixed_assets / land.area_mu >= floor
"""


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test here has its own cache folder, never the user's."""
    monkeypatch.delenv("SCREENING_CACHE", raising=False)
    monkeypatch.setenv("SCREENING_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def entries(cache: Path) -> list[Path]:
    return sorted(cache.rglob("*.json"))


def validation_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on any validation of a rule-set file is an error: a load must hit."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a rule-set file was validated, not read from the cache")

    monkeypatch.setattr(spec.RuleSetFile, "model_validate", refuse)


def same_models(a: Any, b: Any) -> bool:
    """Equal values, and for models the same fields set, all the way down."""
    if isinstance(a, BaseModel):
        return (
            type(a) is type(b)
            and a.model_fields_set == b.model_fields_set
            and all(same_models(a.__dict__[k], b.__dict__[k]) for k in a.__dict__)
        )
    if isinstance(a, (list, tuple)):
        return (
            type(a) is type(b)
            and len(a) == len(b)
            and all(same_models(x, y) for x, y in zip(a, b, strict=True))
        )
    if isinstance(a, dict):
        return (
            type(b) is dict
            and list(a) == list(b)
            and all(same_models(a[k], b[k]) for k in a)
        )
    return type(a) is type(b) and a == b


def summary(rs: RuleSet) -> dict[str, Any]:
    """What a loaded rule set holds, positions included, for comparing two loads."""
    fields = dataclasses.asdict(rs) | {"sources": None}
    return {
        "fields": fields,
        "sources": {
            rid: (loaded.path, loaded.data, loaded.positions, loaded.keys)
            for rid, loaded in rs.sources.items()
        },
    }


def test_a_hit_gives_the_rule_set_that_validation_gives(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCREENING_CACHE", "0")
    uncached = load_ruleset(PARK, as_of=AS_OF)
    monkeypatch.delenv("SCREENING_CACHE")
    first = load_ruleset(PARK, as_of=AS_OF)  # misses, and stores both files
    assert len(entries(cache)) == 2
    validation_fails(monkeypatch)
    second = load_ruleset(PARK, as_of=AS_OF)
    assert summary(second) == summary(first) == summary(uncached)
    for a, b in zip(second.rules, uncached.rules, strict=True):
        assert same_models(a.spec, b.spec)
    assert same_models(second.parameters, uncached.parameters)
    assert same_models(second.tables, uncached.tables)


@pytest.mark.parametrize(
    "path",
    sorted(
        p
        for p in (ROOT / "rules").rglob("*.yaml")
        if "evaluations" not in p.parts and "schemes" not in p.parts
    ),
    ids=lambda p: p.relative_to(ROOT / "rules").as_posix(),
)
def test_every_shipped_file_reads_back_as_validated(path: Path) -> None:
    raw = read_file(path)
    loaded = load_yaml_file(path)
    model = spec.RuleSetFile.model_validate(loaded.data)
    rulecache.store(raw, loaded, model)
    entry = rulecache.lookup(raw)
    assert entry is not None
    assert same_models(entry.model, model)
    back = entry.loaded(str(path))
    assert (back.path, back.data, back.positions, back.keys) == (
        loaded.path,
        loaded.data,
        loaded.positions,
        loaded.keys,
    )
    assert shipped_id_of(path) == model.id


def test_a_changed_file_is_validated_again_and_its_errors_reported(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(RULESET, encoding="utf-8")
    assert load_ruleset(str(path)).parameter("floor") == 3000
    # the same file with a schema error and an expression error
    path.write_text(
        RULESET.replace("group: investment_intensity", "group: 1bad").replace(
            ">= floor", ">= flor"
        ),
        encoding="utf-8",
    )
    with pytest.raises(RuleSetError) as cached:
        load_ruleset(str(path))
    monkeypatch.setenv("SCREENING_CACHE", "0")
    with pytest.raises(RuleSetError) as uncached:
        load_ruleset(str(path))
    said = [str(d) for d in cached.value.diagnostics]
    assert said == [str(d) for d in uncached.value.diagnostics]
    assert any("mine.yaml:9" in line and "group" in line for line in said), said
    assert len(entries(cache)) == 1  # only the file that validated was kept


def test_an_expression_error_is_reported_on_a_hit_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the schema holds, so the file is cached; its expression is checked on every load
    path = tmp_path / "mine.yaml"
    path.write_text(RULESET.replace(">= floor", ">= flor"), encoding="utf-8")
    with pytest.raises(RuleSetError) as first:
        load_ruleset(str(path))
    validation_fails(monkeypatch)
    with pytest.raises(RuleSetError) as second:
        load_ruleset(str(path))
    lines = [str(d) for d in second.value.diagnostics]
    assert lines == [str(d) for d in first.value.diagnostics]
    assert any("flor" in line and "mine.yaml:10" in line for line in lines), lines


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # cut short
        lambda text: "not json",
        lambda text: json.dumps({"format": 999}),
        lambda text: text.replace(
            '"m":"screening.model.ruleset:Parameter"', '"m":"os:system"'
        ),
        lambda text: text.replace(
            '"m":"screening.model.ruleset:Parameter"', '"m":"builtins:object"'
        ),
        lambda text: text.replace('"value":3000', '"value":{"n":"three thousand"}'),
        lambda text: text.replace('"value"', '"valeur"'),
        # the document kept unread (as text inside the entry), its digest left as it was
        lambda text: text.replace('\\"floor\\"', '\\"flour\\"'),
    ],
    ids=[
        "cut",
        "not-json",
        "format",
        "os.system",
        "object",
        "bad-decimal",
        "bad-field",
        "unread-document",
    ],
)
def test_a_corrupt_or_foreign_entry_is_ignored_and_replaced(
    tmp_path: Path, cache: Path, damage: Any
) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(RULESET, encoding="utf-8")
    before = load_ruleset(str(path))
    (entry,) = entries(cache)
    text = entry.read_text(encoding="utf-8")
    damaged = damage(text)
    assert damaged != text
    entry.write_text(damaged, encoding="utf-8")
    assert rulecache.lookup(path.read_bytes()) is None
    after = load_ruleset(str(path))
    assert summary(after) == summary(before)
    assert entry.read_text(encoding="utf-8") == text  # written again, whole
    assert rulecache.lookup(path.read_bytes()) is not None


def test_an_entry_of_other_bytes_is_not_used(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(RULESET, encoding="utf-8")
    load_ruleset(str(path))
    (entry,) = entries(cache)
    other = RULESET.replace("3000", "2000").encode()
    # an entry copied under the other file's name still names the bytes it was made of
    entry.rename(entry.with_name(f"{rulecache._key(other)}.json"))
    assert rulecache.lookup(other) is None


def test_another_version_of_the_code_does_not_read_the_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(RULESET, encoding="utf-8")
    load_ruleset(str(path))
    assert rulecache.lookup(path.read_bytes()) is not None
    monkeypatch.setattr(rulecache, "fingerprint", lambda: "0" * 64)
    assert rulecache.lookup(path.read_bytes()) is None


@pytest.mark.parametrize("setting", ["0", "off", "false", "no"])
def test_the_cache_can_be_turned_off(
    setting: str, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCREENING_CACHE", setting)
    assert rulecache.folder() is None
    load_ruleset(PARK, as_of=AS_OF)
    assert not cache.exists()


def test_a_folder_that_cannot_be_written_costs_only_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("SCREENING_CACHE_DIR", str(blocker / "cache"))
    first = load_ruleset(PARK, as_of=AS_OF)
    assert summary(load_ruleset(PARK, as_of=AS_OF)) == summary(first)


def test_a_folder_others_can_write_is_neither_read_nor_written(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_ruleset(PARK, as_of=AS_OF)
    where = rulecache.folder()
    assert where is not None and len(entries(cache)) == 2
    where.chmod(0o777)
    raw = read_file(ROOT / "rules" / "national.yaml")
    assert rulecache.lookup(raw) is None
    for entry in entries(cache):
        entry.unlink()
    load_ruleset(PARK, as_of=AS_OF)
    assert entries(cache) == []


def test_the_cache_keeps_the_newest_entries(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rulecache, "MAX_ENTRIES", 3)
    path = tmp_path / "mine.yaml"
    for floor in range(1000, 1005):
        path.write_text(RULESET.replace("3000", str(floor)), encoding="utf-8")
        load_ruleset(str(path))
    assert len(entries(cache)) == 3
    assert rulecache.lookup(path.read_bytes()) is not None  # the last one stays


def test_where_the_cache_lives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCREENING_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    where = rulecache.folder()
    assert where is not None
    assert where.parent == tmp_path / "xdg" / "screening" / "rulesets"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")  # as the XDG spec says
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    where = rulecache.folder()
    assert where is not None
    assert where.parent == tmp_path / "home" / ".cache" / "screening" / "rulesets"

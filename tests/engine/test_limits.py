"""durable-rules 2.0.28's size limits, shown on the raw engine and contained by chunks.

Measured here: one assert handles at most 64 matches (a fixed stack in the C core's
handleAlpha: the 65th is error 303), and a fact holds at most 253 properties (251 of
ours besides `sid` and the stratum tag `t`; one more is error 302, and deleting the
session then fails with 309). The compiler splits each stratum's engine rules into
chunks of at most MAX_CHUNK_RULES rules reading at most MAX_CHUNK_PROPERTIES fact keys,
each loaded as its own ruleset, so a rule set of any size that validates screens every
candidate; `validate` reports what the design cannot hold.
"""

from __future__ import annotations

from typing import Any

import durable_rules_engine as core
import pytest

from screening.compile import MAX_CHUNK_PROPERTIES, MAX_CHUNK_RULES, compile_ruleset
from screening.engine import Engine, QuietHost
from screening.findings import Outcome, Status
from screening.model.project import Project
from screening.screener import Screener
from screening.validate import check_ruleset
from tests.conftest import MINIMAL

_HOST = QuietHost()


def _raw(name: str, rules: int, properties: int, failing: int) -> str:
    """Assert one fact of `properties` signs, `failing` of them negative, into a ruleset
    of `rules` rules each matching one negative sign; the firings counted, or the error."""
    definition: dict[str, Any] = {
        f"r{i}": {
            "all": [{"m": {"$and": [{"t": "s0"}, {"$lt": {f"x{i % properties}": 0}}]}}],
            "run": lambda closure: None,
        }
        for i in range(rules)
    }
    definition["warm"] = {"all": [{"m": {"t": "warm"}}], "run": lambda closure: None}
    _HOST.set_rulesets({name: definition})
    _HOST.assert_fact(name, {"sid": "w", "t": "warm"})
    _HOST.delete_state(name, "w")
    handle = _HOST.get_ruleset(name)._handle
    fields = ", ".join(f'"x{i}": {-1 if i < failing else 1}' for i in range(properties))
    try:
        _, state = core.assert_fact(handle, "{" + fields + ', "sid": "1", "t": "s0"}')
    except Exception as exc:  # the C core's bare Exception, with its error code
        try:
            core.delete_state(handle, "1")
        except Exception as deleted:
            return f"{exc} / {deleted}"
        return str(exc)
    fired = 0
    result = core.start_action_for_state(handle, state)
    message = result[1] if result else None
    while message:
        fired += 1
        message = core.complete_and_start_action(handle, state)
    core.delete_state(handle, "1")
    return f"fired {fired}"


def test_the_raw_engine_handles_64_matches_per_assert_and_refuses_the_65th() -> None:
    assert _raw("limit_64", 64, 64, 64) == "fired 64"
    assert _raw("limit_65", 65, 65, 65) == "Could not assert fact, error code: 303"
    assert (
        _raw("limit_100_64", 100, 100, 64) == "fired 64"
    )  # rules that do not match cost nothing


def test_the_raw_engine_holds_251_of_our_properties_per_fact() -> None:
    assert _raw("props_251", 10, 251, 1) == "fired 1"
    assert _raw("props_252", 10, 252, 1) == (
        "Could not assert fact, error code: 302 / Could not delete state, error code: 309"
    )


def _gates(count: int, step: int = 1) -> str:
    rules = "\n".join(
        f"  - {{id: g.n{i}, group: land_use, kind: gate, require: land.plot_ratio >= {i * step + 1}}}"
        for i in range(count)
    )
    return MINIMAL + "rules:\n" + rules + "\n"


@pytest.mark.parametrize("count", [MAX_CHUNK_RULES, MAX_CHUNK_RULES + 1, 65, 200])
def test_every_failing_check_is_found_past_the_engines_64_matches(
    write_ruleset, count: int
) -> None:
    ruleset = write_ruleset(_gates(count))
    compiled = compile_ruleset(ruleset)
    chunks = compiled.chunks[0]
    assert len(chunks) == -(
        -count // MAX_CHUNK_RULES
    )  # split in order, each inside the limits
    assert all(len(chunk.definition) <= MAX_CHUNK_RULES for chunk in chunks)
    decision = Screener(ruleset, engine=Engine()).screen(
        Project.model_validate({"land": {"plot_ratio": 0}})
    )
    assert decision.outcome is Outcome.REJECT
    assert [f.status for f in decision.findings] == [Status.FAIL] * count
    assert len(decision.rejected_by) == count


def test_a_stratum_of_more_atoms_than_a_fact_holds_is_split(write_ruleset) -> None:
    # 600 distinct comparisons: 600 atoms, more than twice what one fact holds
    ruleset = write_ruleset(_gates(600, step=0.01))
    compiled = compile_ruleset(ruleset)
    chunks = compiled.chunks[0]
    assert all(
        len(chunk.natives) + len(chunk.atoms) <= MAX_CHUNK_PROPERTIES
        for chunk in chunks
    )
    assert sum(len(chunk.atoms) for chunk in chunks) == 600
    fast = Screener(ruleset, engine=Engine()).screen(
        Project.model_validate({"land": {"plot_ratio": 3}})
    )
    slow = Screener(ruleset, reference=True).screen(
        Project.model_validate({"land": {"plot_ratio": 3}})
    )
    assert fast == slow
    assert (
        sum(f.status is Status.FAIL for f in fast.findings) == 600 - 201
    )  # 1, 1.01 … 3 pass


def test_a_condition_the_engine_cannot_match_at_once_is_reported_by_validate(
    write_ruleset,
) -> None:
    wide = " or ".join(
        f"land.plot_ratio >= {i}" for i in range(MAX_CHUNK_PROPERTIES + 1)
    )
    ruleset = write_ruleset(
        MINIMAL
        + f"rules:\n  - {{id: g.wide, group: land_use, kind: gate, require: '{wide}'}}\n"
    )
    problems = check_ruleset(ruleset)
    assert any(
        "超过推理引擎一次匹配的上限" in d.message and d.span and d.span.line == 5
        for d in problems
    ), problems

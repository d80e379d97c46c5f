"""One regression test per durable-rules quirk (../shared/NOTES-durable-rules.md).

Each test names the quirk; where it can, it shows the raw engine misbehaving and
the wrapper containing it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from durable.engine import MessageNotHandledException, MessageObservedException

from screening import engine as engine_module
from screening.compile import MAX_ENGINE_RULES, compile_ruleset
from screening.engine import Engine, QuietHost, field
from screening.errors import EngineError, RuleSetError
from screening.findings import Outcome
from screening.model.project import Project
from screening.screener import Screener
from tests.conftest import MINIMAL, ROOT

RULES = (
    MINIMAL
    + """\
    rules:
      - {id: env.red_line, group: environment, kind: veto, fail_if: environment.in_red_line}
      - {id: inv.total, group: investment_scale, kind: gate, require: investment.total >= 1000}
      - {id: meta.named, group: planning, kind: review, fail_if: id == "flagged"}
    """
)
PROJECT = {
    "id": "p1",
    "investment": {"total": 5000},
    "environment": {"in_red_line": False},
}


@pytest.fixture
def screener(write_ruleset) -> Screener:
    # an engine of its own: nothing another test matched is remembered
    return Screener(write_ruleset(RULES), engine=Engine())


_RAW = QuietHost()  # the raw engine, for showing each quirk


def get_host() -> QuietHost:
    return _RAW


def _raw_ruleset(name: str, rules: dict) -> None:
    _RAW.set_rulesets({name: rules})


def test_the_engine_host_starts_no_background_threads() -> None:
    import threading

    before = threading.active_count()
    engine = Engine()
    assert threading.active_count() == before
    # durable's own Host keeps its dispatch timers here; ours never creates them
    assert not hasattr(engine._host, "_d_timer") and not hasattr(
        engine._host, "_t_timer"
    )


def test_no_match_exception_is_a_normal_outcome(screener: Screener) -> None:
    _raw_ruleset(
        "raw_nomatch", {"r": {"all": [{"m": {"x": 1}}], "run": lambda c: None}}
    )
    with pytest.raises(MessageNotHandledException):
        get_host().assert_fact("raw_nomatch", {"sid": "1", "x": 2})
    # (the session is left alone: deleting it here would hit the unfired-session abort below)
    # the wrapper: a project that fails nothing matches no failing side and passes
    assert screener.screen(Project.model_validate(PROJECT)).outcome is Outcome.PASS


def test_duplicate_fact_exception_avoided_by_one_session_per_candidate(
    screener: Screener,
) -> None:
    _raw_ruleset("raw_dup", {"r": {"all": [{"m": {"x": 1}}], "run": lambda c: None}})
    get_host().assert_fact("raw_dup", {"sid": "1", "x": 1})
    with pytest.raises(MessageObservedException):
        get_host().assert_fact("raw_dup", {"sid": "1", "x": 1})
    get_host().delete_state("raw_dup", "1")
    project = Project.model_validate(PROJECT)
    outcomes = {
        screener.screen(project).outcome for _ in range(50)
    }  # the same project again and again
    assert outcomes == {Outcome.PASS}


def test_live_session_limit_is_never_reached(screener: Screener) -> None:
    _raw_ruleset(
        "raw_sessions", {"r": {"all": [{"m": {"x": 1}}], "run": lambda c: None}}
    )
    with pytest.raises(MemoryError):
        for i in range(1100):  # 1,025th live session fails inside the C core
            get_host().assert_fact("raw_sessions", {"sid": str(i), "x": 1})
    failing = Project.model_validate({**PROJECT, "investment": {"total": 10}})
    outcomes = [
        screener.screen(failing).outcome for _ in range(1500)
    ]  # sessions are deleted each time
    assert outcomes == [Outcome.REJECT] * 1500


def test_swallowed_action_errors_are_surfaced(
    screener: Screener, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(closure: object) -> None:
        raise RuntimeError("boom")

    _raw_ruleset("raw_swallow", {"r": {"all": [{"m": {"x": 1}}], "run": boom}})
    get_host().assert_fact(
        "raw_swallow", {"sid": "1", "x": 1}
    )  # durable's wrapper: no exception at all

    def broken(message: str) -> tuple[int, str]:
        raise RuntimeError("boom")

    monkeypatch.setattr(engine_module, "_fired_rule", broken)
    failing = Project.model_validate({**PROJECT, "investment": {"total": 10}})
    with pytest.raises(EngineError, match="boom"):
        screener.screen(failing)


def test_reserved_id_key_never_reaches_the_engine(screener: Screener) -> None:
    flat = str(
        [chunk.definition for chunks in screener.compiled.chunks for chunk in chunks]
    )
    assert (
        "'id'" not in flat and "'sid'" not in flat
    )  # user fields travel under generated keys
    decision = screener.screen(Project.model_validate({**PROJECT, "id": "flagged"}))
    assert decision.outcome is Outcome.REVIEW and decision.reviewed_by == (
        "meta.named",
    )
    with pytest.raises(EngineError, match="保留字"):
        field("id", "x")


def test_huge_floats_never_reach_the_engine() -> None:
    _raw_ruleset(
        "raw_float", {"r": {"all": [{"m": {"$gt": {"x": 1}}}], "run": lambda c: None}}
    )
    with pytest.raises(Exception, match="204"):
        get_host().assert_fact("raw_float", {"sid": "1", "x": 1e308})
    with pytest.raises(EngineError, match="不能交给推理引擎"):
        field("x0", 1e308)
    with pytest.raises(ValueError, match="investment.total"):
        Project.model_validate({"investment": {"total": 1e308}})


def test_cross_type_comparisons_are_never_relied_on() -> None:
    fired: list[int] = []
    _raw_ruleset(
        "raw_types",
        {"r": {"all": [{"m": {"$lt": {"x": 300}}}], "run": lambda c: fired.append(1)}},
    )
    get_host().assert_fact(
        "raw_types", {"sid": "1", "x": True}
    )  # True < 300 matches in the engine
    get_host().delete_state("raw_types", "1")
    assert fired == [1]
    with pytest.raises(
        ValueError, match="不是布尔值"
    ):  # the model refuses a boolean amount first
        Project.model_validate({"investment": {"total": True}})


def test_facts_are_asserted_one_per_call(
    screener: Screener, monkeypatch: pytest.MonkeyPatch
) -> None:
    host = screener.engine._host

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("assert_facts loses firings or segfaults; never call it")

    monkeypatch.setattr(host, "assert_facts", forbidden)
    failing = Project.model_validate({**PROJECT, "investment": {"total": 10}})
    assert [screener.screen(failing).outcome for _ in range(20)] == [
        Outcome.REJECT
    ] * 20


def test_rulesets_are_named_by_content_and_registered_once(write_ruleset) -> None:
    first = Screener(write_ruleset(RULES))
    again = Screener(write_ruleset(RULES))
    other = Screener(write_ruleset(RULES.replace(">= 1000", ">= 2000"), name="other"))
    assert first.compiled.name == again.compiled.name != other.compiled.name
    project = Project.model_validate({**PROJECT, "investment": {"total": 1500}})
    assert (again.screen(project).outcome, other.screen(project).outcome) == (
        Outcome.PASS,
        Outcome.REJECT,
    )


def test_a_rule_set_beyond_the_tested_design_is_refused(write_ruleset) -> None:
    rules = "\n".join(
        f"  - {{id: r.n{i}, group: land_use, kind: gate, require: land.plot_ratio >= {i}}}"
        for i in range(MAX_ENGINE_RULES + 1)
    )
    rs = write_ruleset(MINIMAL + "rules:\n" + rules + "\n")
    with pytest.raises(RuleSetError, match="超过已测试的上限"):
        compile_ruleset(rs)


def test_deleting_an_unfired_first_session_does_not_abort(tmp_path: Path) -> None:
    # Without the warm-up firing in Engine.register this process aborts (SIGABRT):
    # the first session ever deleted matched nothing, with `fractions` imported.
    script = tmp_path / "first.py"
    script.write_text(
        textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from screening.loader import load_ruleset
        from screening.model.project import Project
        from screening.screener import Screener
        screener = Screener(load_ruleset("starter"))
        decision = screener.screen(Project.model_validate({{"environment": {{"in_red_line": False}}}}))
        print(decision.outcome.value)
    """),
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "review"

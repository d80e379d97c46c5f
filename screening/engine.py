"""The only module that imports durable-rules; every quirk of it is contained here.

Quirks (see ../shared/NOTES-durable-rules.md; each has a test in tests/engine/):
* a fact matching no rule is "not handled" (MessageNotHandledException in the
  Python wrapper, result code 1 from the core) → a normal outcome: nothing failed;
* facts are never batched (assert_facts loses firings or segfaults) → one per call;
* one session per candidate, deleted afterwards (1,024 live sessions at most,
  duplicate-fact errors after ~54,000 facts in one session, memory growth);
* an exception inside an action is swallowed by durable's Python wrapper, which
  also costs a closure and two state JSON round trips per action → facts are
  asserted through the C core (`durable_rules_engine`) directly, each firing is
  read from the core's action queue and completed, and an error while recording
  one abandons the action and is raised as EngineError;
* fact keys named `id` loop forever → facts only carry generated keys (f0, x1, d0…);
* huge floats fail with error 204 and mixed-type comparisons silently misbehave →
  facts carry only text, booleans and small integers: every field of a fact is made
  by `field()`, which checks it (once per distinct key and value) and encodes it;
* rulesets live in one global host → named by content hash, registered once;
* the C core holds the GIL and has no locks → no threads: parallel batches use processes;
* `durable.lang.get_host()` starts two timer threads that call into the lock-free
  C core every 0.1–0.5 s and can run actions on their own thread, racing with
  the caller (seen here as a segfault) → a host of our own that starts none;
* deleting a session whose facts matched nothing, before any action has ever fired
  in that ruleset, aborts the process (found here; heap-dependent) → each ruleset
  fires a warm-up rule once when it is registered.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from typing import Any

import durable_rules_engine as core
from durable.engine import Host

from screening.compile import Compiled
from screening.errors import EngineError

Fired = set[tuple[int, str]]
# A fact is a list of fields, each made by `field()`: checked and JSON-encoded once, so a
# candidate's fact is joined from texts most earlier candidates already had.
NextFact = Callable[[int, Fired], list[str] | None]

_MAX_INT = 2**31
_NOT_HANDLED, _OBSERVED = 1, 2  # result codes of core.assert_fact
_WARMUP = "warmup"
_ACTION = re.compile(r'\{\s*"r(\d+)_([a-z]+)"')
_encode = json.JSONEncoder(ensure_ascii=False).encode  # = json.dumps(…, ensure_ascii=False), one encoder


class QuietHost(Host):
    """A durable-rules host without the background dispatch threads (we never use timers)."""

    def _run(self) -> None:
        return None


class Engine:
    """Runs compiled rule sets, one durable-rules session per candidate."""

    def __init__(self) -> None:
        self._host = QuietHost()
        self._registered: set[str] = set()
        self._handles: dict[str, int] = {}
        self._sids = itertools.count(1)

    def register(self, compiled: Compiled) -> None:
        """Load a compiled rule set into the engine once (by its content-hash name)."""
        if compiled.name in self._registered or not compiled.definition:
            return
        # durable-rules wants an action per rule; ours never run through it (see infer)
        rules = {key: {**body, "run": _unused_action} for key, body in compiled.definition.items()}
        rules[_WARMUP] = {"all": [{"m": {"t": _WARMUP}}], "run": _unused_action}
        try:
            self._host.set_rulesets({compiled.name: rules})
        except Exception as exc:  # the C core reports load failures as bare Exceptions
            raise EngineError(f"推理引擎无法加载规则集 / the engine could not load the rule set: {exc}") from None
        # Fire one action before any real session is deleted (see the module docstring).
        self._host.assert_fact(compiled.name, {"sid": _WARMUP, "t": _WARMUP})
        self._host.delete_state(compiled.name, _WARMUP)
        self._handles[compiled.name] = self._host.get_ruleset(compiled.name)._handle
        self._registered.add(compiled.name)

    def infer(self, compiled: Compiled, next_fact: NextFact) -> Fired:
        """Assert one fact per stratum into a fresh session; return the (rule, side) pairs fired.

        `next_fact(stratum, fired_so_far)` builds each fact, a list of `field()` texts, once
        the previous strata's derivations are known, or returns None when there is nothing to match.
        """
        fired: Fired = set()
        if not compiled.definition:
            for stratum in range(compiled.strata):
                next_fact(stratum, fired)
            return fired
        self.register(compiled)
        handle = self._handles[compiled.name]
        sid = str(next(self._sids))
        asserted = False
        try:
            for stratum in range(compiled.strata):
                fields = next_fact(stratum, fired)
                if fields is None:
                    continue
                asserted = True  # even an unmatched fact opens the session
                code, state = core.assert_fact(handle, f'{{{", ".join(fields)}, "sid": "{sid}", "t": "s{stratum}"}}')
                if code == _NOT_HANDLED:
                    continue  # no failing side matched: every ready rule passed
                if code == _OBSERVED:
                    raise EngineError(
                        "推理引擎把不同事实误判为重复（durable-rules 缺陷）/ the engine rejected a fact as a duplicate"
                    )
                self._drain(handle, state, fired)
        finally:
            if asserted:  # deleting a session that was never opened is error 309
                core.delete_state(handle, sid)
        return fired

    def _drain(self, handle: int, state: int, fired: Fired) -> None:
        """Take every queued firing of this session, record it, and complete it."""
        result = core.start_action_for_state(handle, state)
        message = result[1] if result else None
        while message:
            try:
                fired.add(_fired_rule(message))
            except BaseException as exc:
                core.abandon_action(handle, state)  # else the session stays locked by the action
                raise EngineError(f"规则动作执行出错 / a rule action failed: {exc!r}") from exc
            message = core.complete_and_start_action(handle, state)


def field(key: str, value: Any) -> str:
    """One field of a fact as JSON text (`"x3": -1`), checked: callers memoise it."""
    if key in _RESERVED:
        raise EngineError(f"事实键 {key!r} 为引擎保留字 / reserved fact key")
    kind = type(value)  # exact types: a subclass of int or str has no business in a fact
    if not (kind is bool or kind is str or (kind is int and -_MAX_INT < value < _MAX_INT)):
        raise EngineError(f"事实字段 {key} 的值 {value!r} 不能交给推理引擎 / value not allowed in a fact")
    return f"{_encode(key)}: {_encode(value)}"


_RESERVED = frozenset({"id", "sid", "t"})  # the engine's session key, a loop (see above), our stratum tag


def _fired_rule(message: str) -> tuple[int, str]:
    """A firing's rule index and side, from the action the core hands out.

    The message is `{"r12_fail":{"m":{…the fact…}}}`; only the rule name matters, so
    it is read from the front rather than by decoding the whole fact.
    """
    found = _ACTION.match(message)
    if found is None:
        raise ValueError(f"unexpected action {message[:80]!r}")
    return int(found[1]), found[2]


def _unused_action(closure: Any) -> None:
    return None


_default: Engine | None = None


def default_engine() -> Engine:
    """The process-wide engine: rulesets are registered once per process."""
    global _default
    if _default is None:
        _default = Engine()
    return _default

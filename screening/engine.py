"""The only module that imports durable-rules; every quirk of it is contained here.

Quirks (see ../shared/NOTES-durable-rules.md; each has a test in tests/engine/):
* a fact matching no rule is "not handled" (MessageNotHandledException in the
  Python wrapper, result code 1 from the core) → a normal outcome: nothing failed;
* facts are never batched (assert_facts loses firings or segfaults) → one per call;
* one session per fact, deleted afterwards (1,024 live sessions at most,
  duplicate-fact errors after ~54,000 facts in one session, memory growth); what a
  fresh session fires is a function of the fact's text, so the answer is remembered
  by that exact text and a repeated fact is not asserted again;
* at most 64 matches per assert, 255 properties per fact, and a hang loading ~500
  rules sharing a first test → the compiler splits rules into chunks well inside
  these (see compile.py), each loaded as its own ruleset;
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
from json.encoder import encode_basestring
from typing import Any

import durable_rules_engine as core
from durable.engine import Host

from screening.compile import Chunk
from screening.errors import EngineError

Fired = frozenset[tuple[int, str]]
NOTHING: Fired = frozenset()

_MAX_INT = 2**31
_NOT_HANDLED, _OBSERVED = 1, 2  # result codes of core.assert_fact
_WARMUP = "warmup"
_ACTION = re.compile(r'\{\s*"r(\d+)_([a-z]+)"')
_encode = json.JSONEncoder(
    ensure_ascii=False
).encode  # = json.dumps(…, ensure_ascii=False), one encoder
# Answers remembered per chunk. What a fresh session fires for a fact is a function of the
# fact's text alone, so an answer looked up by that exact text can never be stale; the
# bound only keeps memory flat when facts rarely repeat.
ANSWERS_KEPT = 20_000


class QuietHost(Host):
    """A durable-rules host without the background dispatch threads (we never use timers)."""

    def _run(self) -> None:
        return None


class Engine:
    """Matches facts against compiled chunks, one durable-rules session per fact."""

    def __init__(self) -> None:
        self._host = QuietHost()
        self._handles: dict[str, int] = {}
        self._answers: dict[str, dict[str, Fired]] = {}
        self._sids = itertools.count(1)

    def register(self, chunk: Chunk) -> None:
        """Load a chunk into the engine once (by its content-hash name)."""
        if chunk.name in self._handles:
            return
        # durable-rules wants an action per rule; ours never run through it (see match)
        rules = {
            key: {**body, "run": _unused_action}
            for key, body in chunk.definition.items()
        }
        rules[_WARMUP] = {"all": [{"m": {"t": _WARMUP}}], "run": _unused_action}
        try:
            self._host.set_rulesets({chunk.name: rules})
        except Exception as exc:  # the C core reports load failures as bare Exceptions
            raise EngineError(
                f"推理引擎无法加载规则集 / the engine could not load the rule set: {exc}"
            ) from None
        # Fire one action before any real session is deleted (see the module docstring).
        self._host.assert_fact(chunk.name, {"sid": _WARMUP, "t": _WARMUP})
        self._host.delete_state(chunk.name, _WARMUP)
        self._handles[chunk.name] = self._host.get_ruleset(chunk.name)._handle
        self._answers[chunk.name] = {}

    def match(self, chunk: Chunk, fields: str) -> Fired:
        """The (rule, side) pairs a fresh session fires for a fact of `fields` (joined
        `field()` texts), tagged with the chunk's stratum."""
        answers = self._answers.get(chunk.name)
        if answers is None:
            self.register(chunk)
            answers = self._answers[chunk.name]
        fired = answers.get(fields)
        if fired is None:
            if len(answers) >= ANSWERS_KEPT:
                answers.clear()
            fired = answers[fields] = self._assert(chunk, fields)
        return fired

    def _assert(self, chunk: Chunk, fields: str) -> Fired:
        handle = self._handles[chunk.name]
        sid = str(next(self._sids))
        fired: set[tuple[int, str]] = set()
        separator = ", " if fields else ""
        try:
            code, state = core.assert_fact(
                handle,
                f'{{{fields}{separator}"sid": "{sid}", "t": "s{chunk.stratum}"}}',
            )
        except Exception as exc:  # the C core's own limits, reported as bare Exceptions
            core.delete_state(handle, sid)
            raise EngineError(
                f"推理引擎无法处理该事实 / the engine could not match the fact: {exc}"
            ) from None
        try:
            if code == _OBSERVED:
                raise EngineError(
                    "推理引擎把不同事实误判为重复（durable-rules 缺陷）/ the engine rejected a fact as a duplicate"
                )
            if (
                code != _NOT_HANDLED
            ):  # not handled: no failing side matched, every ready rule passed
                self._drain(handle, state, fired)
        finally:
            core.delete_state(handle, sid)  # an unmatched fact opens the session too
        return frozenset(fired) if fired else NOTHING

    def _drain(self, handle: int, state: int, fired: set[tuple[int, str]]) -> None:
        """Take every queued firing of this session, record it, and complete it."""
        result = core.start_action_for_state(handle, state)
        message = result[1] if result else None
        while message:
            try:
                fired.add(_fired_rule(message))
            except BaseException as exc:
                core.abandon_action(
                    handle, state
                )  # else the session stays locked by the action
                raise EngineError(
                    f"规则动作执行出错 / a rule action failed: {exc!r}"
                ) from exc
            message = core.complete_and_start_action(handle, state)


def field(key: str, value: Any) -> str:
    """One field of a fact as JSON text (`"x3": -1`), checked."""
    if key in _RESERVED:
        raise EngineError(f"事实键 {key!r} 为引擎保留字 / reserved fact key")
    kind = type(
        value
    )  # exact types: a subclass of int or str has no business in a fact
    if not (
        kind is bool or kind is str or (kind is int and -_MAX_INT < value < _MAX_INT)
    ):
        raise EngineError(
            f"事实字段 {key} 的值 {value!r} 不能交给推理引擎 / value not allowed in a fact"
        )
    return f"{_encode(key)}: {_encode(value)}"


def text_field(key: str) -> Callable[[str], str]:
    """A maker of `field(key, text)` for text values: the key checked once, the text encoded."""
    prefix = field(key, "")[:-2]  # '"f3": '
    return lambda text: prefix + encode_basestring(text)


_RESERVED = frozenset(
    {"id", "sid", "t"}
)  # the engine's session key, a loop (see above), our stratum tag


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

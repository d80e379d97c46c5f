"""Evaluation cases: a small population file, a scheme, and the classes and scores expected.

A case file (YAML, under cases/evaluations/) names the scheme, the year and the
firms file beside it, and what must come out: counts, each firm's status, class,
exact score and rank, each track's class counts and rank-share places, bad rows,
the 反制 list. `check` evaluates the case and lists every difference.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from screening.evaluation.loader import CODE, SchemeError, load_scheme
from screening.evaluation.model import percent
from screening.evaluation.outputs import write_outputs
from screening.evaluation.previous import read_previous, statistics_from_figures
from screening.evaluation.promises import Tolerance, read_promises
from screening.evaluation.report import evaluation_dict, firm_dict
from screening.evaluation.run import PreviousYear, evaluate_file
from screening.model.diagnose import diagnostics_from
from screening.source import load_yaml_file


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class FirmExpect(_Model):
    """What one firm must come out as; keys left out are not checked."""

    status: Literal["rated", "not_rated"] | None = None
    class_: str | None = Field(default=None, alias="class")
    score: str | None = None  # exact: an integer, a decimal or p/q
    rank: int | None = None
    rule: Literal["score", "rank_share", "small_population"] | None = None
    ranked_class: str | None = None
    override: str | None = None
    reason: str | None = (
        None  # excluded / excluded_unknown / missing / no_track / no_average
    )
    reason_item: str | None = None
    substituted: dict[str, Literal["zero", "average"]] | None = None
    flags: int | None = None  # how many flags the firm's record carries
    move: Literal["up", "down", "same"] | None = None
    promises_short: list[str] | None = None


class TrackExpect(_Model):
    """What one track's population must come out as."""

    rated: int | None = None
    rule: Literal["score", "rank_share", "small_population"] | None = None
    counts: dict[str, int] | None = None
    places: dict[str, int] | None = None
    benchmarks: dict[str, str] | None = None  # indicator → exact value


class ErrorExpect(_Model):
    """A bad row expected in the run."""

    row: int
    column: str | None = None


class Expect(_Model):
    """Everything a case checks."""

    counts: dict[str, int] | None = None
    firms: dict[str, FirmExpect] = Field(default_factory=dict)
    tracks: dict[str, TrackExpect] = Field(default_factory=dict)
    errors: list[ErrorExpect] | None = None
    actions: list[str] | None = None  # firm ids on the 反制 list, in order


class EvaluationCase(_Model):
    """One evaluation case file."""

    scheme: str
    year: int
    description: str | None = None
    firms: str  # the population file, relative to the case file
    previous: str | None = None
    previous_figures: str | None = None
    benchmarks: dict[str, Decimal] = Field(default_factory=dict)
    promises: str | None = None
    tolerance: str = "0%"
    grace_days: int = 0
    expect: Expect


def load_case(path: Path | str) -> EvaluationCase:
    """Read and validate a case file; errors at file:line:column."""
    loaded = load_yaml_file(path)
    try:
        return EvaluationCase.model_validate(loaded.data)
    except ValidationError as exc:
        raise SchemeError(
            "", diagnostics=diagnostics_from(exc, loaded, CODE, EvaluationCase)
        ) from None


def run_case(
    path: Path | str,
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """Evaluate a case: (the run's head, every firm's record, the 反制 list)."""
    case = load_case(path)
    here = Path(path).parent
    scheme = load_scheme(case.scheme)
    previous = (
        read_previous(here / case.previous, scheme) if case.previous else PreviousYear()
    )
    if case.previous_figures:
        previous.statistics.update(
            statistics_from_figures(
                here / case.previous_figures, scheme, case.year - 1
            ).statistics
        )
    given = {
        (tuple(k.split(".", 1)) if "." in k else (None, k)): Fraction(v)
        for k, v in case.benchmarks.items()
    }
    promises = read_promises(here / case.promises) if case.promises else None
    with evaluate_file(
        here / case.firms, scheme, case.year, previous=previous, benchmarks=given
    ) as ev:  # type: ignore[arg-type]
        if promises is not None:
            ev.errors.extend(promises.errors)
        written, _ = write_outputs(
            ev,
            [],
            "zh",
            promises=promises.records if promises else None,
            tolerance=Tolerance(
                Fraction(percent(case.tolerance)) / 100, case.grace_days
            ),
        )
        head = evaluation_dict(ev, "zh")
        firms = [firm_dict(ev, firm, "zh") for firm in ev.firms()]
    actions = [{"id": a.firm_id, "reasons": list(a.reasons)} for a in written.actions]
    return head, firms, actions


def check(path: Path | str) -> list[str]:
    """Every difference between a case's expectations and its evaluation."""
    case = load_case(path)
    head, firms, actions = run_case(path)
    out: list[str] = []
    expect = case.expect
    for key, value in (expect.counts or {}).items():
        if head["counts"].get(key) != value:
            out.append(f"counts.{key}: expected {value}, got {head['counts'].get(key)}")
    by_id = {firm["id"]: firm for firm in firms}
    for firm_id, want in expect.firms.items():
        got = by_id.get(firm_id)
        if got is None:
            out.append(f"firm {firm_id}: not in the results")
            continue
        out.extend(_firm_diff(firm_id, want, got))
    tracks = {track["id"]: track for track in head["tracks"]}
    for track_id, want_track in expect.tracks.items():
        track = tracks.get(track_id)
        if track is None:
            out.append(f"track {track_id}: not in the results")
            continue
        out.extend(_track_diff(track_id, want_track, track))
    if expect.errors is not None:
        got_errors = [(e["row"], e["column"]) for e in head["errors"]]
        want_errors = [(e.row, e.column) for e in expect.errors]
        if [r for r, _ in got_errors] != [r for r, _ in want_errors] or any(
            c is not None and c != g
            for (_, c), (_, g) in zip(want_errors, got_errors, strict=False)
        ):
            out.append(f"errors: expected {want_errors}, got {got_errors}")
    if expect.actions is not None and [a["id"] for a in actions] != expect.actions:
        out.append(
            f"actions: expected {expect.actions}, got {[a['id'] for a in actions]}"
        )
    return out


def _firm_diff(firm_id: str, want: FirmExpect, got: dict[str, Any]) -> list[str]:
    out = []
    reason = got.get("reason") or {}
    promise = got.get("promise") or {}
    substituted = {
        i["indicator"]: i["substituted"] for i in got["indicators"] if i["substituted"]
    }
    actual = {
        "status": got["status"],
        "class_": got["class"],
        "score": got["score_exact"],
        "rank": got["rank"],
        "rule": got["class_rule"],
        "ranked_class": got["ranked_class"],
        "override": got["override"],
        "reason": reason.get("code"),
        "reason_item": reason.get("item"),
        "substituted": substituted,
        "flags": len(got["flags"]),
        "move": (got.get("previous") or {}).get("move"),
        "promises_short": promise.get("short"),
    }
    for key, value in want.model_dump(exclude_none=True).items():
        if key == "score":
            if (
                Fraction(value) != Fraction(str(actual["score"]))
                if actual["score"] is not None
                else True
            ):
                out.append(
                    f"firm {firm_id}: score expected {value}, got {actual['score']}"
                )
        elif actual[key] != value:
            name = "class" if key == "class_" else key
            out.append(
                f"firm {firm_id}: {name} expected {value!r}, got {actual[key]!r}"
            )
    return out


def _track_diff(track_id: str, want: TrackExpect, got: dict[str, Any]) -> list[str]:
    out = []
    counts = {c["class"]: c["firms"] for c in got["classes"]}
    places = {
        c["class"]: c["places"] for c in got["classes"] if c["places"] is not None
    }
    benchmarks = {b["indicator"]: b["value_exact"] for b in got["benchmarks"]}
    if want.rated is not None and got["rated"] != want.rated:
        out.append(f"track {track_id}: rated expected {want.rated}, got {got['rated']}")
    if want.rule is not None and got["rule"] != want.rule:
        out.append(f"track {track_id}: rule expected {want.rule}, got {got['rule']}")
    if (
        want.counts is not None
        and {k: counts.get(k) for k in want.counts} != want.counts
    ):
        out.append(f"track {track_id}: counts expected {want.counts}, got {counts}")
    if want.places is not None and places != want.places:
        out.append(f"track {track_id}: places expected {want.places}, got {places}")
    for indicator, value in (want.benchmarks or {}).items():
        got_value = benchmarks.get(indicator)
        if got_value is None or Fraction(got_value) != Fraction(value):
            out.append(
                f"track {track_id}: benchmark {indicator} expected {value}, got {got_value}"
            )
    return out

"""Checks a scheme's schema cannot express; every problem of a scheme at once.

Loading (`loader`) reports YAML, schema, expression, unit and reference errors;
here: weights that do not add up to 100, tracks no firm can reach, sources not
cited, an id that is not the file's name. Returns the same `Report` as a rule set's
validation, so `screening validate` lists both alike.
"""

from __future__ import annotations

from pathlib import Path

from screening.errors import Diagnostic, ScreeningError
from screening.evaluation.loader import find_scheme, load_scheme
from screening.evaluation.model import Sourced
from screening.source import load_yaml_file
from screening.validate import ERROR, WARNING, Report

CODE = "EVV"


def validate_scheme(ref: str) -> Report:
    """Load a scheme (id or path) and run every check on it."""
    try:
        scheme = load_scheme(ref)
    except ScreeningError as exc:
        return Report(ref, tuple(exc.diagnostics))
    loaded = load_yaml_file(scheme.path)
    out: list[Diagnostic] = []

    def warn(message: str, at: tuple[object, ...], severity: str = WARNING) -> None:
        out.append(
            Diagnostic(
                CODE, message, loaded.span(at), ".".join(str(p) for p in at), severity
            )
        )

    model = scheme.source
    if Path(scheme.path).stem != model.id:
        warn(
            f"方案 id {model.id!r} 与文件名不符，应为 {Path(scheme.path).stem!r} / the id must be the file name",
            ("id",),
        )
    for t, track in enumerate(model.tracks):
        total = sum(ind.weight for ind in track.indicators)
        if total != 100:
            warn(
                f"{track.id} 的权重合计为 {total}，不是 100 / weights add up to {total}, not 100",
                ("tracks", t, "indicators"),
            )
        if track.when is None and t < len(model.tracks) - 1:
            warn(
                "没有 when 的序列之后的序列不会有企业 / tracks after one without `when` are unreachable",
                ("tracks", t, "id"),
                ERROR,
            )
        for i, ind in enumerate(track.indicators):
            at = ("tracks", t, "indicators", i)
            _cited(warn, ind, at)
            if ind.benchmark.fixed is not None:
                _cited(warn, ind.benchmark, at + ("benchmark",))
        _cited(warn, track.classes, ("tracks", t, "classes"))
    for section in ("exclusions", "adjustments", "overrides"):
        for i, item in enumerate(getattr(model, section)):
            _cited(warn, item, (section, i))
    for c, label in enumerate(model.classes):
        for m, measure in enumerate(label.measures):
            _cited(warn, measure, ("classes", c, "measures", m))
    return Report(ref, tuple(out))


def _cited(warn: object, item: Sourced, at: tuple[object, ...]) -> None:
    if not item.basis:
        warn(  # type: ignore[operator]
            "缺少 basis（政策依据，或写明为本项目示例）/ no basis: cite the document, or say it is illustrative",
            at,
        )


def scheme_ids() -> list[str]:
    """Every shipped scheme as `evaluations/ID`, for `validate all`."""
    from screening.evaluation.loader import shipped_scheme_ids

    return [f"evaluations/{sid}" for sid in shipped_scheme_ids()]


__all__ = ["find_scheme", "scheme_ids", "validate_scheme"]

"""回头看: the yearly 亩均效益 evaluation of landed firms, and promises held against actuals.

The public API: `load_scheme` (a scheme id or file → a checked `Scheme`),
`evaluate_file` (a firms spreadsheet → an `Evaluation` whose `firms()` and
`class_list()` give every firm in rank order), `write_outputs` (every output in one
pass), `check_promises` / `promise_records` (promises against actuals, from any
source). `screening evaluate` is the command on top (`screening.evaluation.cli`).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# imported when first used: `screening --help` should not load openpyxl and Jinja2
_EXPORTS = {
    "Evaluation": "run",
    "check_promises": "promises",
    "evaluate_file": "run",
    "load_scheme": "loader",
    "promise_records": "promises",
    "write_outputs": "outputs",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(name)
    return getattr(import_module(f"screening.evaluation.{_EXPORTS[name]}"), name)

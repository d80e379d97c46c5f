"""A cache of rule-set files already read and validated, keyed on their exact bytes.

Reading a rule-set file means composing its YAML with every position and validating
it against the rule-set model, whose pydantic schema costs more to build than the
rest of a `screening screen` run. A file whose bytes have been validated before gives
the same positions and the same model again, so both are kept, as data, under the
user's cache folder: the entry is named by the sha256 of the file's bytes and of the
code that reads them (the model, the kinds' shapes, the YAML reader and the versions
of Python, pydantic and PyYAML), so an edited file or another version of the code
never finds an old entry, and its problems are reported exactly as without a cache.

Only files that validated cleanly are stored. An entry is JSON; reading one builds
the models it names (only the rule-set model's own classes) with `model_construct`,
without running any code an entry could name. The document itself and the positions
of its keys, which only a report of a problem reads, are kept as one JSON text inside
the entry and read when first asked for; its digest is checked with the entry. A corrupt, foreign or unreadable entry
is ignored (and replaced); a folder that cannot be written costs a cache miss, never
a failed run. `SCREENING_CACHE=0` turns the cache off; `SCREENING_CACHE_DIR` moves it
(default `$XDG_CACHE_HOME/screening`, else `~/.cache/screening`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import stat
import sys
import tempfile
from collections.abc import Callable
from decimal import Decimal
from functools import cache, partial
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel

from screening.model import ruleset as spec
from screening.source import LoadedYaml, NodeInfo

FORMAT = 3  # the layout of an entry; raise it when the encoding changes
MAX_ENTRIES = 256  # entries kept per version of the code, the newest
OFF = ("0", "off", "no", "false")
# what the fingerprint hashes besides versions: the code that turns bytes into an entry
_SOURCES = ("model/ruleset.py", "source.py", "rulecache.py")
_KINDS = "kinds"


class Entry(NamedTuple):
    """A file as `loader` reads it: its positions and model, and the rest of its document.

    A named tuple: a frozen dataclass costs `screening screen` about 1 ms to declare.
    """

    positions: dict[tuple[Any, ...], NodeInfo]
    model: spec.RuleSetFile
    later: Callable[[], tuple[Any, dict[tuple[Any, ...], NodeInfo]]]

    def loaded(self, path: str) -> LoadedYaml:
        """The document as `load_yaml_file(path)` would give it."""
        return LoadedYaml(path, None, self.positions, later=self.later)


def folder() -> Path | None:
    """The cache folder of this version of the code, or None when the cache is off."""
    if os.environ.get("SCREENING_CACHE", "").strip().lower() in OFF:
        return None
    explicit = os.environ.get("SCREENING_CACHE_DIR")
    if explicit:
        base = Path(explicit)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME", "")
        try:
            root = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
        except RuntimeError:  # no home folder to be found
            return None
        base = root / "screening"
    return base / "rulesets" / fingerprint()[:16]


@cache
def fingerprint() -> str:
    """The sha256 of everything besides a file's bytes that decides its entry."""
    import pydantic
    import pydantic_core
    import yaml

    digest = hashlib.sha256()
    versions = (
        FORMAT,
        sys.version,
        pydantic.VERSION,
        pydantic_core.__version__,
        yaml.__version__,
    )
    digest.update(repr(versions).encode())
    package = Path(__file__).resolve().parent
    files = [package / name for name in _SOURCES]
    files += sorted((package / _KINDS).glob("*.py"))
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _key(raw: bytes) -> str:
    return hashlib.sha256(fingerprint().encode() + b"\0" + raw).hexdigest()


def _trusted(where: Path) -> bool:
    """Whether `where` is a folder only this user can write (POSIX), so that no one
    else can place entries in it."""
    try:
        info = where.stat()
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode):
        return False
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return False
    return not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def lookup(raw: bytes) -> Entry | None:
    """The entry of a file with these bytes, or None (no cache, no entry, or a bad one)."""
    where = folder()
    if where is None or not _trusted(where):
        return None
    try:
        text = (where / f"{_key(raw)}.json").read_bytes()
        return _decode_entry(json.loads(text), raw)
    except Exception:  # any entry that does not read back is only a cache miss
        return None


def store(raw: bytes, loaded: LoadedYaml, model: spec.RuleSetFile) -> None:
    """Keep a cleanly validated file's document and model; any failure is silent."""
    where = folder()
    if where is None:
        return
    try:
        entry = _encode_entry(raw, loaded, model)
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _trusted(where):
            return
        text = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
        handle, temporary = tempfile.mkstemp(dir=where, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temporary, where / f"{_key(raw)}.json")
        except BaseException:
            os.unlink(temporary)
            raise
        _prune(where)
    except (OSError, TypeError, ValueError):
        return  # a folder that cannot be written, or a value JSON cannot hold


def _prune(where: Path) -> None:
    """Keep the newest `MAX_ENTRIES` entries of this version of the code."""
    entries = sorted((path.stat().st_mtime_ns, path) for path in where.glob("*.json"))
    for _, path in entries[:-MAX_ENTRIES]:
        path.unlink(missing_ok=True)


# --- the encoding: JSON with a one-letter tag for what JSON cannot tell apart ---------
# None, bool, int, str and lists are JSON's own; {"n": "1.5"} a Decimal, {"f": "inf"} a
# float, {"t": "2024-06-30"} a date, {"T": …} a datetime, {"u": […]} a tuple,
# {"d": [[key, value], …]} a dict, {"m": class, "s": fields set, "v": {field: value}}
# a model of `screening.model.ruleset` or a kind's shape.


class _Corrupt(ValueError):
    """An entry that is not one this module wrote."""


def _encode(value: Any, models: dict[str, type[BaseModel]]) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return {"n": str(value)}
    if isinstance(value, float):
        return {"f": repr(value)}
    if isinstance(value, dt.datetime):
        return {"T": value.isoformat()}
    if isinstance(value, dt.date):
        return {"t": value.isoformat()}
    if isinstance(value, list):
        return [_encode(item, models) for item in value]
    if isinstance(value, tuple):
        return {"u": [_encode(item, models) for item in value]}
    if isinstance(value, dict):
        return {
            "d": [[_encode(k, models), _encode(v, models)] for k, v in value.items()]
        }
    if isinstance(value, BaseModel) and _name(type(value)) in models:
        return {
            "m": _name(type(value)),
            "s": sorted(value.model_fields_set),
            "v": {name: _encode(item, models) for name, item in value.__dict__.items()},
        }
    raise TypeError(f"not kept in the rule-set cache: {type(value).__name__}")


def _decode(value: Any, models: dict[str, type[BaseModel]]) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, list):
        return [_decode(item, models) for item in value]
    if not isinstance(value, dict) or len(value) not in (1, 3):
        raise _Corrupt(value)
    if len(value) == 3:
        return _decode_model(value, models)
    ((tag, inner),) = value.items()
    if tag == "n" and isinstance(inner, str):
        return Decimal(inner)
    if tag == "f" and isinstance(inner, str):
        return float(inner)
    if tag == "t" and isinstance(inner, str):
        return dt.date.fromisoformat(inner)
    if tag == "T" and isinstance(inner, str):
        return dt.datetime.fromisoformat(inner)
    if tag == "u" and isinstance(inner, list):
        return tuple(_decode(item, models) for item in inner)
    if tag == "d" and isinstance(inner, list):
        return {_decode(k, models): _decode(v, models) for k, v in inner}
    raise _Corrupt(tag)


def _decode_model(value: dict[str, Any], models: dict[str, type[BaseModel]]) -> Any:
    model = models.get(str(value.get("m")))
    fields, given = value.get("v"), value.get("s")
    if model is None or not isinstance(fields, dict) or not isinstance(given, list):
        raise _Corrupt(value.get("m"))
    if set(fields) != set(model.model_fields) or not set(given) <= set(fields):
        raise _Corrupt(value["m"])
    return model.model_construct(
        set(given), **{name: _decode(item, models) for name, item in fields.items()}
    )


def _name(model: type[Any]) -> str:
    return f"{model.__module__}:{model.__qualname__}"


def _models() -> dict[str, type[BaseModel]]:
    """The classes an entry may name: the rule-set model's, the kinds' shapes among them
    (looked up each time: a kind registered later is a class like the others)."""
    found: dict[str, type[BaseModel]] = {}
    pending: list[type[BaseModel]] = [spec._Model]
    while pending:
        model = pending.pop()
        found[_name(model)] = model
        pending.extend(model.__subclasses__())
    return found


def _encode_positions(
    positions: dict[tuple[Any, ...], NodeInfo], models: dict[str, type[BaseModel]]
) -> list[list[Any]]:
    return [
        [
            _encode(list(path), models),
            info.line,
            info.column,
            info.style,
            info.end_line,
            info.indent,
        ]
        for path, info in positions.items()
    ]


def _decode_positions(
    rows: Any, models: dict[str, type[BaseModel]]
) -> dict[tuple[Any, ...], NodeInfo]:
    if not isinstance(rows, list):
        raise _Corrupt("positions")
    out: dict[tuple[Any, ...], NodeInfo] = {}
    for path, line, column, style, end_line, indent in rows:
        if type(line) is not int or type(column) is not int:
            raise _Corrupt("position")
        if type(path) is not list:
            raise _Corrupt("path")
        key = tuple(path)
        if dict in map(type, key):
            # a path is keys and indexes: JSON's own types but for a rare Decimal or
            # date key, which is tagged as values are
            key = tuple(
                _decode(part, models) if type(part) is dict else part for part in key
            )
        out[key] = NodeInfo(line, column, style, end_line, indent)
    return out


def _encode_entry(
    raw: bytes, loaded: LoadedYaml, model: spec.RuleSetFile
) -> dict[str, Any]:
    models = _models()
    # the document and its keys' positions, which only a report of a problem reads (a
    # screening never does): kept as one JSON text inside the entry, read when first
    # asked for, and checked by its digest with the rest of the entry
    later = json.dumps(
        [_encode(loaded.data, models), _encode_positions(loaded.keys, models)],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return {
        "format": FORMAT,
        "fingerprint": fingerprint(),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "positions": _encode_positions(loaded.positions, models),
        "model": _encode(model, models),
        "later": later,
        "later_sha256": _digest(later),
    }


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _decode_entry(entry: Any, raw: bytes) -> Entry:
    if not isinstance(entry, dict) or entry.get("format") != FORMAT:
        raise _Corrupt("format")
    if entry.get("fingerprint") != fingerprint():
        raise _Corrupt("fingerprint")
    if entry.get("sha256") != hashlib.sha256(raw).hexdigest():
        raise _Corrupt("sha256")
    later = entry.get("later")
    if not isinstance(later, str) or entry.get("later_sha256") != _digest(later):
        raise _Corrupt("later")
    models = _models()
    model = _decode(entry["model"], models)
    if not isinstance(model, spec.RuleSetFile):
        raise _Corrupt("model")
    return Entry(
        _decode_positions(entry["positions"], models),
        model,
        partial(_decode_later, later),
    )


def _decode_later(text: str) -> tuple[Any, dict[tuple[Any, ...], NodeInfo]]:
    """The document and its keys' positions from an entry's `later` text, which its
    digest vouches for as this module's own writing."""
    models = _models()
    data, keys = json.loads(text)
    return _decode(data, models), _decode_positions(keys, models)

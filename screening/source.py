"""Safe YAML loading that keeps where every value came from.

YAML is composed into nodes with the safe loader, custom tags and alias bombs are
refused before any Python object is built, and numbers become exact `int` or
`Decimal` (never float) so a threshold written as 0.7 is exactly 0.7.
This module knows nothing about rule sets or projects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from screening.errors import SourceSpan, YamlError

try:  # the C composer is several times faster; both are safe loaders
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

# Expanding aliases can turn a 1 KB file into billions of nodes ("billion laughs").
MAX_NODES = 200_000
MAX_BYTES = 20 * 1024 * 1024

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_ALLOWED_TAGS = {_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP, _MAP, _SEQ}

Path_ = tuple[Any, ...]


class NodeInfo(NamedTuple):
    """Start of a value in the file (1-based) and its scalar style.

    A named tuple, not a dataclass: one is made for every node of every file read,
    and a rule-set cache hit remakes a thousand at once (a third of the time).
    """

    line: int
    column: int
    style: str | None = None
    end_line: int | None = None
    indent: int | None = None  # a block scalar's: the column its lines start at


class LoadedYaml:
    """A parsed document with the position of every value, keyed by its path.

    A plain class, not a dataclass: declaring a dataclass compiles its methods from
    source, a millisecond of every `screening screen`.
    """

    __slots__ = ("path", "_data", "positions", "_keys", "_later")

    def __init__(
        self,
        path: str,
        data: Any,
        positions: dict[Path_, NodeInfo] | None = None,
        keys: dict[Path_, NodeInfo] | None = None,
        later: Callable[[], tuple[Any, dict[Path_, NodeInfo]]] | None = None,
    ) -> None:
        self.path = path
        self._data = data
        self.positions: dict[Path_, NodeInfo] = {} if positions is None else positions
        self._keys: dict[Path_, NodeInfo] = {} if keys is None else keys
        # what gives the document and its keys' positions when first asked for: a
        # rule-set cache hit keeps them unread, as a screening never asks (see rulecache)
        self._later = later

    @property
    def data(self) -> Any:
        """The document as plain values."""
        if self._later is not None:
            self._read_later()
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        self._data = value

    @property
    def keys(self) -> dict[Path_, NodeInfo]:
        """The position of each mapping key, by the path of its entry."""
        if self._later is not None:
            self._read_later()
        return self._keys

    def _read_later(self) -> None:
        assert self._later is not None
        self._data, self._keys = self._later()
        self._later = None

    def __repr__(self) -> str:
        return f"LoadedYaml(path={self.path!r}, data={self.data!r})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        mine = (self.path, self.data, self.positions, self.keys)
        return mine == (other.path, other.data, other.positions, other.keys)

    __hash__ = None  # type: ignore[assignment]  # mutable, as the dataclass was

    def span(self, at: Path_ = ()) -> SourceSpan:
        """The span of the value at `at`, or of its nearest ancestor that exists."""
        at = tuple(at)
        while at and at not in self.positions:
            at = at[:-1]
        info = self.positions.get(at)
        if info is None:
            return SourceSpan(self.path)
        return SourceSpan(self.path, info.line, info.column)

    def key_span(self, at: Path_) -> SourceSpan:
        """The span of the key of the entry at `at` (falls back to its value)."""
        info = self.keys.get(tuple(at))
        if info is None:
            return self.span(at)
        return SourceSpan(self.path, info.line, info.column)

    def info(self, at: Path_) -> NodeInfo | None:
        return self.positions.get(tuple(at))

    def text_span(self, at: Path_, text: str, offset: int) -> SourceSpan:
        """The position of character `offset` of the scalar `text` at `at`, so that a
        problem in an expression points at its token: a block scalar's lines counted,
        an opening quote skipped."""
        info = self.info(at)
        if info is None:
            return self.span(at)
        if info.style in ("|", ">"):
            # a folded scalar's (`>`) lines are joined by spaces in its value: there
            # the line can come out early, never past the character
            before = text[:offset]
            line = info.line + 1 + before.count("\n")
            column = (info.indent or 1) + offset - (before.rfind("\n") + 1)
            return SourceSpan(self.path, line, column)
        quote = 1 if info.style in ('"', "'") else 0
        return SourceSpan(self.path, info.line, info.column + quote + offset)

    def sub(self, prefix: Path_) -> LoadedYaml:
        """A view of one sub-tree whose paths are relative to `prefix`."""
        n = len(prefix)
        positions = {p[n:]: i for p, i in self.positions.items() if p[:n] == prefix}
        keys = {p[n:]: i for p, i in self.keys.items() if p[:n] == prefix}
        value = self.data
        for key in prefix:
            value = value[key]
        return LoadedYaml(self.path, value, positions, keys)


def field_path(path: Path_) -> str:
    """A YAML path as users read it: ("rules", 0, "require") → rules[0].require."""
    out = ""
    for part in path:
        out += (
            f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
        )
    return out


def load_yaml_file(path: str | Path) -> LoadedYaml:
    """Read and safely parse one YAML (or JSON) file."""
    return load_yaml_bytes(read_file(path), path)


def read_file(path: str | Path) -> bytes:
    """A file's bytes, refusing one too large to be a rule set or a project."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise YamlError(
                f"文件过大（{size} 字节）/ file too large", SourceSpan(str(p))
            )
        return p.read_bytes()
    except OSError as exc:
        raise YamlError(
            f"无法读取文件 / cannot read file: {exc.strerror}", SourceSpan(str(p))
        ) from None


def load_yaml_bytes(raw: bytes, path: str | Path) -> LoadedYaml:
    """Safely parse the bytes of file `path` (UTF-8, a BOM allowed)."""
    name = str(Path(path))
    try:
        decoded = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise YamlError(
            f"文件不是 UTF-8 编码 / file is not UTF-8 (byte {exc.start})",
            SourceSpan(name),
        ) from None
    return load_yaml_text(decoded, name)


def load_yaml_text(text: str, path: str = "<string>") -> LoadedYaml:
    """Parse YAML text safely, keeping positions; one document only."""
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        span = (
            SourceSpan(path, mark.line + 1, mark.column + 1)
            if mark
            else SourceSpan(path)
        )
        problem = exc.problem or exc.context or "syntax error"
        raise YamlError(f"YAML 语法错误 / YAML syntax error: {problem}", span) from None
    except yaml.YAMLError as exc:
        # ReaderError (a control character, say) has a character position but no mark.
        raise YamlError(
            f"YAML 读取错误 / YAML reader error: {exc}", SourceSpan(path)
        ) from None
    if len(nodes) > 1:
        raise YamlError(
            "一个文件只能包含一个 YAML 文档 / one document per file",
            _span(path, nodes[1]),
        )
    loaded = LoadedYaml(path, None)
    if nodes and nodes[0] is not None:
        builder = _Builder(path, loaded.positions, loaded.keys, text)
        loaded.data = builder.build(nodes[0], ())
    return loaded


def _span(path: str, node: yaml.Node) -> SourceSpan:
    return SourceSpan(path, node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    """Turns a node graph into plain values, refusing tags and runaway aliases."""

    def __init__(
        self,
        path: str,
        positions: dict[Path_, NodeInfo],
        keys: dict[Path_, NodeInfo],
        text: str,
    ) -> None:
        self.path = path
        self.positions = positions
        self.keys = keys
        self.text = text
        # the text's lines, split when a block scalar needs its indentation
        self.lines: list[str] | None = None
        self.count = 0
        self.active: set[int] = set()

    def _indent(self, first: int) -> int | None:
        """The column (1-based) of the first non-blank line from line index `first`:
        where a block scalar's lines start."""
        if self.lines is None:
            self.lines = self.text.split("\n")
        for line in self.lines[first:]:
            if line.strip():
                return len(line) - len(line.lstrip(" ")) + 1
        return None

    def build(self, node: yaml.Node, at: Path_) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise YamlError(
                f"YAML 展开后节点过多（>{MAX_NODES}），疑似别名炸弹 / "
                "too many nodes after alias expansion (alias bomb?)",
                _span(self.path, node),
            )
        if node.tag not in _ALLOWED_TAGS:
            raise YamlError(
                f"不允许的 YAML 标签 {node.tag!r} / tag not allowed",
                _span(self.path, node),
            )
        style = getattr(node, "style", None)
        self.positions[at] = NodeInfo(
            node.start_mark.line + 1,
            node.start_mark.column + 1,
            style,
            node.end_mark.line + 1,
            self._indent(node.start_mark.line + 1) if style in ("|", ">") else None,
        )
        if id(node) in self.active:
            raise YamlError(
                "YAML 别名形成循环 / recursive alias", _span(self.path, node)
            )
        if isinstance(node, yaml.MappingNode):
            self.active.add(id(node))
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.build(key_node, at + ("<key>",))
                if isinstance(key, (dict, list)):
                    raise YamlError(
                        "映射的键必须是标量 / mapping keys must be scalars",
                        _span(self.path, key_node),
                    )
                if key in out:
                    raise YamlError(
                        f"重复的键 {key!r} / duplicate key", _span(self.path, key_node)
                    )
                mark = key_node.start_mark
                self.keys[at + (key,)] = NodeInfo(mark.line + 1, mark.column + 1)
                out[key] = self.build(value_node, at + (key,))
            self.positions.pop(at + ("<key>",), None)
            self.active.discard(id(node))
            return out
        if isinstance(node, yaml.SequenceNode):
            self.active.add(id(node))
            items = [self.build(child, at + (i,)) for i, child in enumerate(node.value)]
            self.active.discard(id(node))
            return items
        assert isinstance(node, yaml.ScalarNode)  # a composed document has no others
        return self._scalar(node)

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        text = node.value
        tag = node.tag
        if tag == _STR:
            return text
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return text.lower() in ("true", "yes", "on", "y")
        if tag == _INT:
            try:
                return yaml.constructor.SafeConstructor().construct_yaml_int(node)
            except (ValueError, TypeError):
                return text
        if tag == _FLOAT:
            cleaned = text.replace("_", "")
            if cleaned.lower().lstrip("+-") in (".inf", ".nan"):
                # Kept as a float so the schema reports it with every other problem.
                return float(cleaned.replace(".", ""))
            try:
                return Decimal(cleaned)
            except InvalidOperation:
                return text
        if tag == _TIMESTAMP:
            try:
                value = yaml.constructor.SafeConstructor().construct_yaml_timestamp(
                    node
                )
            except (ValueError, TypeError):
                return text
            return (
                value.date()
                if isinstance(value, dt.datetime) and len(text) <= 10
                else value
            )
        return text  # pragma: no cover - tags are filtered above

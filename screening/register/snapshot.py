"""The effective rule set of a screening, kept so any stored decision can be made again.

A snapshot is the bytes of every file of the `extends` chain (root first), with their
rule set ids and the as-of date: exactly what the rule set's sha256 covers. Loading a
snapshot writes those bytes to a temporary folder and merges them in the same order,
so the rule set is the one the screening ran under, whatever has since happened to
the files under rules/; the sha256 is checked both when a snapshot is taken and when
it is loaded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from screening.model.effective import EffectiveRule, RuleSet
from screening.register.db import RegisterError


@dataclass(frozen=True)
class SnapshotFile:
    """One file of an extends chain."""

    ruleset_id: str
    path: str
    content: bytes


@dataclass(frozen=True)
class Snapshot:
    """An effective rule set as stored: what identifies it and the files it is made of."""

    sha256: str
    ruleset_id: str
    version: str
    as_of: dt.date | None
    title: str
    rules: list[
        tuple[str, str, str, str]
    ]  # id, kind, zh and en titles, in effective order
    files: tuple[SnapshotFile, ...]

    @property
    def rules_json(self) -> str:
        return json.dumps(self.rules, ensure_ascii=False)


def chain_sha256(files: tuple[SnapshotFile, ...], as_of: dt.date | None) -> str:
    """The rule set sha256 the loader computes for these files and as-of date."""
    digest = hashlib.sha256()
    for item in files:
        digest.update(item.ruleset_id.encode() + b"\0" + item.content + b"\0")
    if as_of is not None:
        digest.update(b"as_of=" + as_of.isoformat().encode())
    return digest.hexdigest()


def take_snapshot(ruleset: RuleSet) -> Snapshot:
    """The snapshot of a loaded rule set; refuses one whose files changed since loading."""
    files = []
    for rid in ruleset.chain:
        path = ruleset.files[rid]
        try:
            content = Path(path).read_bytes()
        except OSError as exc:
            raise RegisterError(
                f"{path}: 无法读取规则集文件 / cannot read the rule set file: {exc.strerror}"
            ) from None
        files.append(SnapshotFile(rid, path, content))
    chain = tuple(files)
    if chain_sha256(chain, ruleset.as_of) != ruleset.sha256:
        raise RegisterError(
            f"规则集 {ruleset.id} 的文件在加载后被修改，请重新运行 / the rule set's files changed while running; run again"
        )
    return Snapshot(
        ruleset.sha256,
        ruleset.id,
        ruleset.version,
        ruleset.as_of,
        ruleset.title.zh,
        [_rule_entry(rule) for rule in ruleset.rules],
        chain,
    )


def _rule_entry(rule: EffectiveRule) -> tuple[str, str, str, str]:
    title = rule.spec.title
    return (
        rule.id,
        rule.kind,
        title.zh if title else rule.id,
        (title.en or title.zh) if title else rule.id,
    )


def load_snapshot(
    files: tuple[SnapshotFile, ...], as_of: dt.date | None, sha256: str
) -> RuleSet:
    """The rule set a snapshot holds, merged from its own bytes in their stored order."""
    # The loader's own steps for one chain (read, merge, type-check), given the chain
    # rather than resolving `extends` again: ids resolve through rules/ and the working
    # folder, which may hold other files by now.
    from screening.loader import load_chain

    with tempfile.TemporaryDirectory(prefix="screening-snapshot-") as folder:
        chain = []
        for position, item in enumerate(files):
            path = (
                Path(folder)
                / f"{position:02d}-{Path(item.path).name or 'ruleset.yaml'}"
            )
            path.write_bytes(item.content)
            chain.append(path)
        ruleset = load_chain(chain, as_of)
    if ruleset.sha256 != sha256:
        raise RegisterError(
            f"规则集快照校验失败（sha256 {sha256[:12]}…）/ the stored rule set does not match its sha256"
        )
    return ruleset

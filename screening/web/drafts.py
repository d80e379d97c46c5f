"""Draft rule sets uploaded by policy staff, and the local rule sets adopted from them.

A draft is kept as it was uploaded (`<data>/drafts/<key>/draft.yaml`, the uploaded
name only shown) and checked as `screening validate` and `screening test` check a
file. Adopting copies it, unchanged, to `<data>/rules/<id>-<sha256>.yaml`: an adopted
file is never rewritten, so a screening that names it can always be read again.
A draft may extend shipped rule sets by id only, never a file on the server.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from pathlib import Path
from typing import Any

import yaml

from screening.errors import ScreeningError

MAX_DRAFT_BYTES = 1 << 20
_KEY = re.compile(r"[0-9a-f]{24}")


class DraftRefused(ScreeningError):
    """A draft that is not accepted for checking (size, encoding, extends a file)."""

    code = "RUL"


def save_draft(root: Path, content: bytes, filename: str, owner: str) -> str:
    """Keep an uploaded draft; its key."""
    if len(content) > MAX_DRAFT_BYTES:
        raise DraftRefused(
            f"规则集文件超过 {MAX_DRAFT_BYTES:,} 字节 / a rule set file is at most "
            f"{MAX_DRAFT_BYTES:,} bytes",
            field="file",
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DraftRefused(
            "规则集文件应为 UTF-8 编码 / expected UTF-8", field="file"
        ) from None
    _refuse_file_extends(text)
    key = secrets.token_hex(12)
    folder = root / key
    folder.mkdir(parents=True)
    (folder / "draft.yaml").write_text(text, encoding="utf-8")
    meta = {
        "filename": Path(filename.replace("\\", "/")).name[:255] or "draft.yaml",
        "owner": owner,
        "uploaded_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
    (folder / "meta.json").write_text(
        json.dumps(meta, ensure_ascii=False), encoding="utf-8"
    )
    return key


def _refuse_file_extends(text: str) -> None:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return  # `validate` reports it with its line
    parents = data.get("extends") if isinstance(data, dict) else None
    for parent in parents if isinstance(parents, list) else []:
        if isinstance(parent, str) and (
            Path(parent).suffix.lower() in (".yaml", ".yml", ".json")
            or parent.startswith((".", "/", "~"))
        ):
            raise DraftRefused(
                f"extends 只能引用已发布的规则集 id，不能引用文件：{parent!r} / "
                "extends names shipped rule set ids, not files",
                field="extends",
            )


def draft_path(root: Path, key: str) -> Path:
    """The draft's file (a key of ours only: never a path from the request)."""
    if not _KEY.fullmatch(key) or not (root / key / "draft.yaml").is_file():
        raise DraftRefused(f"没有草稿 {key} / no such draft")
    return root / key / "draft.yaml"


def draft_meta(root: Path, key: str) -> dict[str, Any]:
    draft_path(root, key)
    meta: dict[str, Any] = json.loads(
        (root / key / "meta.json").read_text(encoding="utf-8")
    )
    meta["key"] = key
    impact = root / key / "impact.json"
    meta["impact"] = (
        json.loads(impact.read_text(encoding="utf-8")) if impact.is_file() else None
    )
    return meta


def list_drafts(root: Path, limit: int = 30) -> list[dict[str, Any]]:
    """The newest drafts first."""
    folders = [p for p in root.iterdir() if p.is_dir() and _KEY.fullmatch(p.name)]
    folders.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return [draft_meta(root, p.name) for p in folders[:limit]]


def adopted_file(rules: Path, ruleset_id: str, sha256: str, content: bytes) -> Path:
    """Where an adopted rule set is kept (written once; the same content, same file)."""
    slug = re.sub(r"[^0-9A-Za-z_.-]+", "-", ruleset_id).strip("-.") or "ruleset"
    path = rules.resolve() / f"{slug}-{sha256[:12]}.yaml"  # found from any folder
    if not path.exists():
        temp = path.with_suffix(".tmp")
        temp.write_bytes(content)
        temp.replace(path)
    return path

"""What a screening is stored as: values and compact findings as JSON text, the keys
that make storing idempotent, and the folded names that identify a company or lead.

Pure functions with no database: batch workers call `record_of` in parallel, so the
writing process only inserts. Values keep their types exactly (a Decimal's digits, an
int, a bool, text): `decode_values(values_json(v)) == v`, type for type, so a stored
screening can be screened again to the byte.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, NamedTuple

from screening.findings import Decision, Finding, Status
from screening.kinds import FAILING
from screening.report.explain import json_string, number, shown_score

STATUS_CODES = {
    Status.PASS: "p",
    Status.FAIL: "f",
    Status.MISSING: "m",
    Status.NOT_APPLICABLE: "n",
}
STATUS_NAMES = {code: status.value for status, code in STATUS_CODES.items()}


# --- values ---------------------------------------------------------------------------


def _value_text(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return json_string(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is Decimal:
        text = str(value)
        # JSON reads a number without a point or an exponent as an int: "4500E0" keeps
        # Decimal('4500') a Decimal (same digits, same exponent) when read back
        return text if ("." in text or "E" in text) else text + "E0"
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    raise TypeError(f"cannot store a {kind.__name__} value")


def values_json(values: dict[str, Any]) -> str:
    """The flat values as a JSON object, keys in their order, types kept exactly."""
    keys = _keys
    parts = []
    for name, value in values.items():
        # a Decimal is written from its own digits every time: equal Decimals (0.5,
        # 0.50) are one memo key, and would be written as whichever came first
        key = keys.get(name)
        if key is None:
            if len(keys) >= 10_000:
                keys.clear()
            key = keys[name] = json_string(name) + ": "
        parts.append(key + _value_text(value))
    return "{" + ", ".join(parts) + "}"


_keys: dict[str, str] = {}  # a key's JSON text, by key


def decode_values(text: str) -> dict[str, Any]:
    """`values_json` read back: Decimals as Decimals, ints as ints."""
    return json.loads(text, parse_float=Decimal)  # type: ignore[no-any-return]


# --- findings -------------------------------------------------------------------------


def _json_text(value: Any) -> str:
    """A value as the contract shows it (numbers rounded to 4 places), as JSON text."""
    shown = number(value) if isinstance(value, (Fraction, Decimal, tuple)) else value
    kind = type(shown)
    if shown is None:
        return "null"
    if kind is bool:
        return "true" if shown else "false"
    if kind is int:
        return int.__repr__(shown)
    if kind is float:
        return float.__repr__(shown)
    if kind is str:
        return json_string(shown)
    if kind is list:
        return "[" + ",".join(map(_json_text, shown)) + "]"
    return json_string(str(shown))


def finding_entry(finding: Finding) -> str:
    """One finding as `[status, actual, points]` JSON, trailing nulls left out."""
    code = STATUS_CODES[finding.status]
    actual, points = finding.actual, finding.points
    if points is not None:
        return f'["{code}",{_json_text(actual)},{_json_text(points)}]'
    if actual is not None:
        return f'["{code}",{_json_text(actual)}]'
    return f'["{code}"]'


class FindingCodec:
    """Compact findings for a run: a repeated Finding (the screener hands back the same
    object for the same inputs) is encoded once."""

    def __init__(self) -> None:
        self._memo: dict[int, tuple[Finding, str]] = {}

    def encode(self, findings: tuple[Finding, ...]) -> str:
        memo = self._memo
        parts = []
        for finding in findings:
            hit = memo.get(id(finding))
            if hit is None or hit[0] is not finding:
                if len(memo) >= 50_000:
                    memo.clear()
                hit = memo[id(finding)] = (finding, finding_entry(finding))
            parts.append(hit[1])
        return "[" + ",".join(parts) + "]"


FAILING_KINDS = FAILING  # a missed bonus or a false derivation is no failure


def decode_findings(text: str, rules: list[list[str]]) -> list[dict[str, Any]]:
    """Stored findings with their rules (the snapshot's [id, kind, zh, en] list):
    rule, kind, title, status, actual, points, and whether it is a failure."""
    out = []
    for (rule, kind, zh, en), entry in zip(rules, json.loads(text), strict=True):
        entry = entry + [None] * (3 - len(entry))
        status = STATUS_NAMES[entry[0]]
        out.append(
            {
                "rule": rule,
                "kind": kind,
                "title": {"zh": zh, "en": en},
                "status": status,
                "actual": entry[1],
                "points": entry[2],
                "failure": status == "fail" and kind in FAILING_KINDS,
            }
        )
    return out


# --- one screened row, as a worker hands it to the writer -----------------------------


class Record(NamedTuple):
    """What the register stores of one screened row (besides its lead and run)."""

    values: str  # values_json
    values_sha: (
        bytes  # sha256 of `values` (a made-up id left out): the idempotence key's
    )
    findings: str
    vetoed: str
    missing: str
    score: Decimal | None  # as the contract shows it
    contract_sha256: bytes  # of the contract line (UTF-8, with its newline)
    ident: tuple[
        str | None, str | None, str | None, str | None, str | None, Decimal | None
    ]
    # (project id, name, company, park, industry code, investment.total in 万元)
    identity: str | None = None  # identity_of(company, name), made by the worker


def _names(items: tuple[str, ...]) -> str:
    return "[" + ", ".join(map(json_string, items)) + "]" if items else "[]"


def record_of(
    values: dict[str, Any],
    decision: Decision,
    line: bytes,
    codec: FindingCodec,
    made_up_id: str | None = None,
) -> Record:
    """The record of one screened row: `line` is its contract line as the batch writes it.

    `made_up_id` is the id the reader gives a row that has none (`leads-row12`): such
    an id names a row, not a project, so the lead is identified otherwise. The id is
    stripped (`"api-1 "` is `api-1`, copied from a sheet or a form); blank, it is none.
    """
    text = values_json(values)
    score = shown_score(decision.score, decision.pass_mark, decision.review_band)
    get = values.get
    made_up = made_up_id is not None and get("id") == made_up_id
    # the values a screening is known by leave a made-up id out: the same rows from a
    # copy of the file under another name (or one row further down) are no new
    # screening; the values stored keep it (the contract line holds it)
    keyed = (
        values_json({k: v for k, v in values.items() if k != "id"}) if made_up else text
    )
    total = get("investment.total")
    company, name = _text(get("company")), _text(get("name"))
    return Record(
        text,
        hashlib.sha256(keyed.encode()).digest(),
        codec.encode(decision.findings),
        _names(decision.vetoed_by),
        _names(decision.missing),
        None
        if score is None
        else Decimal(score.numerator) / Decimal(score.denominator),
        hashlib.sha256(line).digest(),
        (
            None if made_up else project_id(get("id")),
            name,
            company,
            _text(get("park")),
            _text(get("industry.code")),
            total if type(total) is Decimal else None,
        ),
        identity_of(company, name),
    )


def row_id(source: str, number: int) -> str:
    """The id a batch reader gives a row without one (see io.readers)."""
    stem = _stems.get(source)
    if stem is None:
        stem = _stems[source] = Path(source).stem
    return f"{stem}-row{number}"


_stems: dict[str, str] = {}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def project_id(value: Any) -> str | None:
    """A project id as the register keys leads by: stripped, and None when blank."""
    return None if value is None else str(value).strip() or None


# --- identity -------------------------------------------------------------------------


def fold(name: str) -> str:
    """A name as compared: NFKC (full-width → half-width), spaces removed, case folded."""
    found = _folded.get(name)
    if found is None:
        if len(_folded) >= 100_000:
            _folded.clear()
        found = _folded[name] = "".join(
            unicodedata.normalize("NFKC", name).split()
        ).casefold()
    return found


_folded: dict[str, str] = {}


def identity_of(company: str | None, name: str | None) -> str | None:
    """A digest of the folded company and project name (32 hex digits), or None without both."""
    if not company or not name:
        return None
    return hashlib.sha256(f"{fold(company)}\0{fold(name)}".encode()).hexdigest()[:32]


class Renamed(NamedTuple):
    """A row whose project id found a lead stored under another name or company: the
    lead takes the row's (the id is the key), and whoever stored it says so."""

    lead: str  # the lead's id
    row: int | None  # the row of the run's input
    old_name: str | None
    new_name: str | None
    old_company: str | None
    new_company: str | None

    def changed(self) -> dict[str, tuple[str | None, str | None]]:
        """What changed ("name", "company"): (old, new), a name written another way
        (spaces, full-width forms, case) being no change."""
        out = {}
        for what, old, new in (
            ("name", self.old_name, self.new_name),
            ("company", self.old_company, self.new_company),
        ):
            if _folded_or_none(old) != _folded_or_none(new):
                out[what] = (old, new)
        return out

    def line(self) -> str:
        """The warning in Chinese and English, naming only what changed."""
        zh, en = [], []
        for what, (old, new) in self.changed().items():
            zh.append(f"{_TITLES[what]} {old or '（无）'} → {new or '（无）'}")
            en.append(f"{what} {old or '(none)'} → {new or '(none)'}")
        return (
            f"项目 {self.lead} 已存在，名称或企业不同，已按本行更新："
            f"{'；'.join(zh)} / lead {self.lead} exists under another name or "
            f"company and is updated from this row: {'; '.join(en)}"
        )


_TITLES = {"name": "项目名称", "company": "企业名称"}


def _folded_or_none(name: str | None) -> str | None:
    return None if name is None else fold(name)


def generated_key(
    identity: str | None,
    run_input_sha: str | None,
    row: int | None,
    values_sha: bytes = b"",
) -> str:
    """A lead id for a project that brings none: from its company and name, else from
    where it came from (so that storing the same input again finds the same lead) —
    for one from no input row (the web's, whose id was blank), its values."""
    if identity is not None:
        return "L" + identity[:16]
    seed = f"{run_input_sha or ''}\0{row or 0}".encode()
    if row is None:  # not one key for every such project
        seed += b"\0" + values_sha
    return "R" + hashlib.sha256(seed).hexdigest()[:16]


def screening_key(lead_key: str, ruleset_sha256: str, values_sha: bytes) -> bytes:
    """The idempotence key: the same lead, rule set (with its as-of) and values are
    stored once, however often the input is stored again."""
    digest = hashlib.sha256(
        lead_key.encode() + b"\0" + ruleset_sha256.encode() + b"\0" + values_sha
    )
    return digest.digest()[:16]

"""Stages of a lead (洽谈 → 签约 → 供地 → 开工 → 投产 → 达产, or 终止 / 退出) and the rules
for moving between them. Pure: the register applies them inside its transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from screening.register.db import RegisterError
from screening.register.schema import ENDINGS, STAGES

STAGE_EN = {
    "洽谈": "negotiating",
    "签约": "signed",
    "供地": "land supplied",
    "开工": "started",
    "投产": "in production",
    "达产": "at full production",
    "终止": "terminated",
    "退出": "exited",
}
_ALIASES = {en.replace(" ", "_"): zh for zh, en in STAGE_EN.items()} | {
    "negotiating": "洽谈",
    "signed": "签约",
    "land": "供地",
    "started": "开工",
    "production": "投产",
    "full": "达产",
    "terminated": "终止",
    "exited": "退出",
}
# the lead's column holding the date each stage was reached
DATE_COLUMN = {
    "签约": "signed_on",
    "供地": "land_on",
    "开工": "started_on",
    "投产": "producing_on",
    "达产": "full_on",
    "终止": "ended_on",
    "退出": "ended_on",
}


def stage_name(text: str) -> str:
    """A stage as typed (Chinese, or its English name) → its Chinese name."""
    value = text.strip()
    if value in STAGES or value in ENDINGS:
        return value
    found = _ALIASES.get(value.lower().replace(" ", "_"))
    if found is None:
        raise RegisterError(
            f"未知阶段 {text!r}（可用：{' → '.join(STAGES)}，或 {' / '.join(ENDINGS)}）/ unknown stage"
        )
    return found


@dataclass(frozen=True)
class Move:
    """A stage change as it will be recorded: the dates to set and to clear."""

    stage: str
    on: dt.date
    set_dates: dict[str, dt.date]
    clear_dates: tuple[str, ...]
    override: bool


def plan_move(
    current: str,
    current_on: dt.date,
    target: str,
    on: dt.date,
    *,
    today: dt.date,
    reason: str | None,
    note: str | None,
    override: bool,
) -> Move:
    """Check a move from `current` (reached on `current_on`) to `target` on `on`.

    Refused: a date in the future; an ending without a reason; anything out of order
    (back, a skipped stage, the same stage again, after an ending, a date before the
    current stage's) unless `override` with a note. 洽谈 is where every lead starts,
    from the day it was entered; a stage dated earlier moves that day back (the
    register does so), since the lead was evidently in negotiation by then.
    """
    if on > today:
        raise RegisterError(
            f"日期 {on} 晚于今天（{today}）/ a date in the future is refused"
        )
    if override and not (note and note.strip()):
        raise RegisterError(
            "--override 需要 --note 说明原因 / an override needs a note saying why"
        )
    problems = []
    if target in ENDINGS:
        if not (reason and reason.strip()):
            raise RegisterError(
                f"{target} 需要 --reason 说明原因 / {STAGE_EN[target]} needs a reason"
            )
        if current in ENDINGS:
            problems.append(f"项目已{current} / already {STAGE_EN[current]}")
    elif current in ENDINGS:
        problems.append(
            f"项目已{current}，不能再进入 {target} / already {STAGE_EN[current]}"
        )
    else:
        have, want = STAGES.index(current), STAGES.index(target)
        if want < have:
            problems.append(
                f"{target} 在当前阶段 {current} 之前 / {STAGE_EN[target]} comes before "
                f"{STAGE_EN[current]}"
            )
        elif want == have and not (target == "洽谈" and current == "洽谈"):
            problems.append(f"项目已处于 {target} / already {STAGE_EN[target]}")
        elif want > have + 1:
            skipped = "、".join(STAGES[have + 1 : want])
            problems.append(
                f"跳过了 {skipped}（当前 {current}）/ skips {', '.join(STAGE_EN[s] for s in STAGES[have + 1 : want])}"
            )
    # 洽谈 dates from when the lead was entered: an earlier stage date moves it back
    if on < current_on and current != "洽谈":
        problems.append(
            f"日期 {on} 早于当前阶段 {current} 的日期 {current_on} / the date is before the current stage's"
        )
    if problems and not override:
        raise RegisterError(
            "；".join(problems)
            + "。如确需记录，请加 --override --note 说明 / out of order: "
            "give --override with a --note to record it anyway"
        )
    set_dates: dict[str, dt.date] = {}
    clear: list[str] = []
    if target in ENDINGS:
        set_dates["ended_on"] = on
    else:
        if target in DATE_COLUMN:
            set_dates[DATE_COLUMN[target]] = on
        # going back (with an override) forgets the stages after the target, and reopens
        later = STAGES[STAGES.index(target) + 1 :]
        clear = [DATE_COLUMN[s] for s in later] + (
            ["ended_on"] if current in ENDINGS else []
        )
    return Move(target, on, set_dates, tuple(clear), bool(problems))

"""Delivery tracking as plain records: task statuses, units, reporting cycles, checklist rows.

Nothing here touches a database or a file. The names follow issue 4 and the design glossary:
a ``Task`` is a plan leaf someone must deliver; it has one lead unit (牵头单位), any number of
supporting units (配合单位), a deadline (完成时限) and milestones (阶段目标).

Status *codes* used by the vectorised analytics are the positions in :data:`TASK_STATUSES`,
so that order is part of the contract: append new statuses, never reorder.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

TaskStatus = Literal[
    "not_started", "on_track", "lagging", "overdue", "completed", "completed_late", "suspended"
]
TASK_STATUSES: tuple[str, ...] = (
    "not_started",
    "on_track",
    "lagging",
    "overdue",
    "completed",
    "completed_late",
    "suspended",
)
#: The statuses that count as delivered in completion rates (see ``analytics.completion``).
COMPLETED_STATUSES: frozenset[str] = frozenset({"completed", "completed_late"})

# Wording follows the 督查/调度通报 tables offices circulate: 未启动 / 正常推进 / 进度滞后 /
# 逾期未完成 / 已完成 / 逾期完成 / 暂停实施. "逾期未完成" rather than a bare "逾期" keeps it
# distinct from "逾期完成" when both sit in one column.
TASK_STATUS_LABELS_ZH: dict[str, str] = {
    "not_started": "未启动",
    "on_track": "正常推进",
    "lagging": "进度滞后",
    "overdue": "逾期未完成",
    "completed": "已完成",
    "completed_late": "逾期完成",
    "suspended": "暂停实施",
}
TASK_STATUS_LABELS_EN: dict[str, str] = {
    "not_started": "not started",
    "on_track": "on track",
    "lagging": "lagging",
    "overdue": "overdue",
    "completed": "completed",
    "completed_late": "completed late",
    "suspended": "suspended",
}

# Other words offices write in a 状态 column, read as the same status on import.
_STATUS_SYNONYMS_ZH: dict[str, str] = {
    "未开始": "not_started",
    "尚未启动": "not_started",
    "未开展": "not_started",
    "推进中": "on_track",
    "正在推进": "on_track",
    "进行中": "on_track",
    "按进度推进": "on_track",
    "按计划推进": "on_track",
    "有序推进": "on_track",
    "滞后": "lagging",
    "进展滞后": "lagging",
    "推进滞后": "lagging",
    "逾期": "overdue",
    "超期": "overdue",
    "超期未完成": "overdue",
    "完成": "completed",
    "已办结": "completed",
    "办结": "completed",
    "超期完成": "completed_late",
    "延期完成": "completed_late",
    "暂停": "suspended",
    "暂缓": "suspended",
    "暂缓实施": "suspended",
    "中止": "suspended",
}


def _status_key(text: str) -> str:
    """Fold width and case and drop spaces, so ``已 完成`` and ``Completed`` still match."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(folded.split()).replace("-", "_")


_STATUS_LOOKUP: dict[str, str] = {
    **{_status_key(k): v for k, v in _STATUS_SYNONYMS_ZH.items()},
    **{_status_key(label): name for name, label in TASK_STATUS_LABELS_ZH.items()},
    **{_status_key(label): name for name, label in TASK_STATUS_LABELS_EN.items()},
    **{_status_key(name): name for name in TASK_STATUSES},
}


def parse_task_status(text: str) -> str:
    """Read a status written as its code, Chinese label, English label or a common synonym.

    Raises ``ValueError`` naming the text when it is none of these.

    >>> parse_task_status("进度滞后"), parse_task_status("逾期"), parse_task_status("Completed late")
    ('lagging', 'overdue', 'completed_late')
    """
    status = _STATUS_LOOKUP.get(_status_key(str(text)))
    if status is None:
        allowed = "、".join(TASK_STATUS_LABELS_ZH.values())
        raise ValueError(f"unknown task status {text!r}; use one of {allowed}")
    return status


UnitKind = Literal["department", "district", "city", "working_group", "other"]
UNIT_KINDS: tuple[str, ...] = ("department", "district", "city", "working_group", "other")
UNIT_KIND_LABELS_ZH: dict[str, str] = {
    "department": "部门",
    "district": "区县",
    "city": "设区市",
    "working_group": "专题工作组",
    "other": "其他",
}


@dataclass(frozen=True, slots=True)
class WorkingGroup:
    """A thematic working group (专题工作组), a unit of kind ``working_group``."""

    code: str
    name: str
    short_name: str


# The 13 groups the Jiangsu implementation plan's press conference names (seed 000: "交通、信息、
# 科技、环保、信用、人力社保、金融、商务、产业合作、能源、食品安全、城市合作、应急协同等13个
# 专题工作组"), in the order given there.
JIANGSU_WORKING_GROUPS: tuple[WorkingGroup, ...] = tuple(
    WorkingGroup(code, f"{short}专题工作组", short)
    for code, short in (
        ("transport", "交通"),
        ("information", "信息"),
        ("science_technology", "科技"),
        ("environment", "环保"),
        ("credit", "信用"),
        ("human_resources_social_security", "人力社保"),
        ("finance", "金融"),
        ("commerce", "商务"),
        ("industrial_cooperation", "产业合作"),
        ("energy", "能源"),
        ("food_safety", "食品安全"),
        ("city_cooperation", "城市合作"),
        ("emergency_coordination", "应急协同"),
    )
)

ReviewState = Literal["submitted", "accepted", "returned"]
REVIEW_STATES: tuple[str, ...] = ("submitted", "accepted", "returned")
REVIEW_STATE_LABELS_ZH: dict[str, str] = {
    "submitted": "待审核",
    "accepted": "审核通过",
    "returned": "退回修改",
}

CycleKind = Literal["monthly", "quarterly", "ad_hoc"]
CYCLE_KINDS: tuple[str, ...] = ("monthly", "quarterly", "ad_hoc")
CYCLE_KIND_LABELS_ZH: dict[str, str] = {
    "monthly": "月度调度",
    "quarterly": "季度调度",
    "ad_hoc": "专项调度",
}

#: The checklist's header cells, exactly and in this order (issue 4, machine-readable output).
CHECKLIST_HEADERS: tuple[str, ...] = (
    "序号",
    "任务",
    "牵头单位",
    "配合单位",
    "完成时限",
    "阶段目标",
    "进展情况",
    "状态",
)
#: Hidden columns after 状态 that let an exported checklist be matched back to its tasks.
CHECKLIST_KEY_HEADER = "任务编号"
CHECKLIST_GROUP_HEADER = "所属部分"

#: Deadlines written as these phrases mean "standing task, no deadline": such a task is never
#: overdue and is not judged against elapsed time. The phrase itself is kept as ``deadline_note``.
STANDING_DEADLINE_PHRASES: tuple[str, ...] = (
    "长期坚持",
    "持续推进",
    "长期推进",
    "持续实施",
    "长期",
    "持续",
    "常态化",
    "常态化推进",
)

#: Deadlines outside these years (inclusive) are typing errors, not plans; both the checklist
#: reader and ``ChecklistRow`` refuse them, which also keeps clear of Excel's 1900 date bugs.
DEADLINE_YEARS: tuple[int, int] = (1950, 2200)


@dataclass(slots=True)
class ChecklistRow:
    """One task as a row of the responsibility checklist (责任清单).

    Parameters
    ----------
    label
        序号: the plan's numbering as printed (``"1."``, ``"（三）"``) or a running number.
    title
        任务: the task text.
    lead_unit
        牵头单位: one unit name; ``""`` while unassigned.
    supporting_units
        配合单位: unit names, in the order written.
    deadline
        完成时限: the last day the task is due, or ``None``.
    deadline_note
        A standing-task phrase from :data:`STANDING_DEADLINE_PHRASES` (e.g. ``"长期坚持"``) when
        ``deadline`` is ``None`` on purpose; ``""`` otherwise.
    milestones
        阶段目标, free text.
    progress
        进展情况, free text.
    status
        状态 as a code from :data:`TASK_STATUSES`, or ``None`` when blank. On export it is the
        computed status; on import it is what the file says, and the store decides what to do
        with it (statuses are computed, so an imported one is a unit's claim, not a fact).
    task_key
        The task's stable key in the store (hidden column 任务编号); ``None`` for a new row.
    group_path
        The headings of the plan parts the task sits under, outermost first (hidden column).
    row
        The spreadsheet row it was read from (as Excel numbers it), ``None`` when not read from
        a file; not part of what the row says, so two equal rows from different lines are equal.
    """

    label: str
    title: str
    lead_unit: str = ""
    supporting_units: list[str] = field(default_factory=list)
    deadline: date | None = None
    deadline_note: str = ""
    milestones: str = ""
    progress: str = ""
    status: str | None = None
    task_key: str | None = None
    group_path: tuple[str, ...] = ()
    row: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        # Checked here so that a row the exporter accepts is a row the importer reads back.
        if self.status is not None and self.status not in TASK_STATUSES:
            raise ValueError(f"status must be one of {TASK_STATUSES}, got {self.status!r}")
        if self.deadline is not None and not (
            DEADLINE_YEARS[0] <= self.deadline.year <= DEADLINE_YEARS[1]
        ):
            raise ValueError(f"deadline {self.deadline} is outside the years {DEADLINE_YEARS}")
        if self.deadline_note:
            if self.deadline is not None:
                raise ValueError("deadline_note is only for tasks without a deadline")
            if self.deadline_note not in STANDING_DEADLINE_PHRASES:
                raise ValueError(
                    f"deadline_note must be one of {STANDING_DEADLINE_PHRASES}, "
                    f"got {self.deadline_note!r}"
                )
        self.group_path = tuple(self.group_path)
        self.supporting_units = list(self.supporting_units)

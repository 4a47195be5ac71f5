"""Reporting reminders (报送提醒): which units still owe reports in an open cycle that is due soon.

yrdplan runs on intranets without mail, so a reminder is a list, not a message: the office sees,
for each open reporting cycle due within ``reminders.days_before`` days (or overdue), the lead
units whose reports are not in, with their contact, and downloads it (.xlsx / .csv) to send
round; a unit reporter sees its own line as a banner on "my tasks".

What is owed is what completeness counts (:func:`cycles.expected_pairs`): the lead unit's report
on each task the cycle expects. A report the office returned is owed again, since the unit must
resubmit it.

Settings (in ``instance_settings``, audited, on the settings page):

* ``reminders.enabled`` — 1 (default) or 0; 0 turns reminders off everywhere.
* ``reminders.days_before`` — remind this many days before the due date (default 3).
"""

from __future__ import annotations

import csv
import io
import math
from datetime import date

from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo
from yrdplan.errors import InputError
from yrdplan.services import cycles as cycle_service
from yrdplan.services.callers import require_caller, require_manager
from yrdplan.store.repos import tasks as task_repo
from yrdplan.store.repos.instance_settings import read_setting, write_setting

DAYS_KEY = "reminders.days_before"
ENABLED_KEY = "reminders.enabled"
DEFAULT_DAYS = 3
DEFAULT_ENABLED = 1
#: A cycle's window is at most a quarter; a longer lead time would remind of every open cycle.
MAX_DAYS = 90

#: Columns of the downloadable list, in order, with their Chinese headers (the list is sent
#: round as it is).
COLUMNS: dict[str, str] = {
    "cycle": "调度",
    "plan": "规划",
    "due_on": "截止日期",
    "days_left": "剩余天数",
    "unit_code": "单位代码",
    "unit": "责任单位",
    "contact": "联系人/电话",
    "owed": "未报送任务数",
    "tasks": "未报送任务",
}


def reminder_days(session: Session) -> float:
    value = read_setting(session, DAYS_KEY)
    return float(value) if value is not None else float(DEFAULT_DAYS)


def reminders_enabled(session: Session) -> float:
    value = read_setting(session, ENABLED_KEY)
    return float(value) if value is not None else float(DEFAULT_ENABLED)


def set_reminder_days(session: Session, value: float, user: UserInfo | None) -> float:
    """Remind ``value`` whole days (0 to 90) before a cycle's due date."""
    require_manager(user, "change the reminders")
    if not (
        isinstance(value, int | float) and math.isfinite(value) and value == int(value)
    ) or not (0 <= value <= MAX_DAYS):
        raise InputError(f"days before the due date: a whole number from 0 to {MAX_DAYS}")
    write_setting(session, DAYS_KEY, str(float(value)))
    return float(value)


def set_reminders_enabled(session: Session, value: float, user: UserInfo | None) -> float:
    """Turn reminders on (1) or off (0)."""
    require_manager(user, "change the reminders")
    if value not in (0, 1):
        raise InputError("reminders: 1 (on) or 0 (off)")
    write_setting(session, ENABLED_KEY, str(float(value)))
    return float(value)


def due_reminders(
    session: Session, *, today: date | None = None, unit_id: int | None = None
) -> list[dict]:
    """One row per (open cycle, lead unit) with reports owed, for cycles due within the lead time
    or overdue; nearest due date first. No caller check: use :func:`office_reminders` or
    :func:`my_reminders`."""
    today = today or date.today()
    if not reminders_enabled(session):
        return []
    days = reminder_days(session)
    rows: list[dict] = []
    for cycle in cycle_service.open_cycles(session, today):
        days_left = (cycle.due_on - today).days
        if days_left > days:
            continue
        outstanding = {
            (r.task_id, r.unit_id)
            for r in task_repo.reports(session, cycle_ids=[cycle.id])
            if r.review_state != "returned"
        }
        owed: dict[int, list] = {}
        for task, lead in cycle_service.expected_pairs(session, cycle):
            if (unit_id is None or lead == unit_id) and (task.id, lead) not in outstanding:
                owed.setdefault(lead, []).append(task)
        if not owed:
            continue
        units = task_repo.units_by_id(session, owed)
        plan = task_repo.plans_by_id(session, {cycle.plan_id}).get(cycle.plan_id)
        for lead, tasks in owed.items():
            unit = units[lead]
            rows.append(
                {
                    "cycle_id": cycle.id,
                    "cycle": cycle.name,
                    "plan": plan.code if plan else None,
                    "due_on": cycle.due_on,
                    "days_left": days_left,
                    "overdue": days_left < 0,
                    "unit_code": unit.code,
                    "unit": unit.name,
                    "contact": unit.contact,
                    "owed": len(tasks),
                    "task_ids": [t.id for t in tasks],
                    "tasks": "；".join(f"{t.label} {t.title}".strip() for t in tasks),
                }
            )
    rows.sort(key=lambda r: (r["due_on"], r["cycle_id"], r["unit_code"]))
    return rows


def office_reminders(session: Session, user: UserInfo, *, today: date | None = None) -> dict:
    """The office's reminders list with the settings it was drawn with."""
    require_manager(user, "see the reminders")
    return {
        "enabled": bool(reminders_enabled(session)),
        "days_before": int(reminder_days(session)),
        "as_of": today or date.today(),
        "rows": due_reminders(session, today=today),
    }


def my_reminders(session: Session, user: UserInfo, *, today: date | None = None) -> list[dict]:
    """A unit reporter's own reminders (the banner on "my tasks"); nothing for other roles."""
    user = require_caller(user)
    if user.role != "unit_reporter" or not user.unit_id:
        return []
    return due_reminders(session, today=today, unit_id=user.unit_id)


def reminders_file(rows: list[dict], fmt: str) -> tuple[str, bytes]:
    """The list as ``csv`` (UTF-8 with a BOM, for Excel) or ``xlsx``, Chinese headers."""
    table = [list(COLUMNS.values())] + [[_cell(r[c]) for c in COLUMNS] for r in rows]
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(table)
        return "reminders.csv", ("\ufeff" + buffer.getvalue()).encode("utf-8")
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = "报送提醒"
        for line in table:
            sheet.append(line)
        out = io.BytesIO()
        book.save(out)
        return "reminders.xlsx", out.getvalue()
    raise InputError(f"a reminders list is .csv or .xlsx, not {fmt!r}")


def _cell(value):
    return value.isoformat() if isinstance(value, date) else value

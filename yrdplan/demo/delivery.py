"""The delivery-tracking demo: units, the Nanjing plan's assignments, and simulated reporting.

Two steps of ``yrdplan init`` (not with ``--no-demo``):

1. :func:`load_demo_units` — the units in ``yrdplan/data/delivery_demo.toml`` and the 13 Jiangsu
   working groups, registered for the seed plans. They come before the demo accounts, so that
   the unit reporters (``nj_fgw`` …) can belong to them.
2. :func:`load_demo_delivery` — the illustrative assignments of that file, then
   :func:`generate_reporting`, the **seeded generator** of deadlines, progress and reports.

The generator
-------------
Everything random comes from one ``random.Random(seed)`` (seed in the TOML file), consumed in a
fixed order (tasks by id), so the same seed and the same ``today`` give the same rows.

* **Deadline** of each top-level task: 2022, 2023, 2025, 2026 or 2027 year-end, or a standing
  task (长期坚持), drawn with weights 10/10/25/25/20/10 %. Tasks due after 2025 start three
  years before their deadline (the next round of work) unless a milestone is due earlier; the
  others when the plan was issued.
* **Pace** ``p`` ~ uniform(0.6, 1.25): the task's progress at date ``d`` is
  ``100 · p · (d − start) / (deadline − start)``, plus noise of
  ±3 points, never falling, capped at 100; standing tasks are scheduled as if due 2025-12-31
  and stop at 95 %. A task whose progress reached 100 % before the first cycle was completed
  on the day it did so.
* **Cycles**: quarterly 调度 for the four quarters before the one containing ``today`` (closed)
  and for that quarter (open), each opening on the quarter's first day and due ten days after
  its end.
* **Reports** by each task's lead unit: in closed cycles 80 % on time, 12 % late, 8 % missing;
  in the open cycle 60 % submitted so far. Status follows progress (completed at 100 %, lagging
  more than 15 points behind time elapsed). About 15 % raise a blocker from a short list.
* **Review**: in closed cycles 90 % accepted, 10 % returned; in the open cycle half accepted,
  15 % returned, the rest awaiting review. Accepting updates the task as the office's accept
  does (``cycles.review_report``).

Every row made here is ``is_simulated`` and every page shows it as 演示数据.
"""

from __future__ import annotations

import fnmatch
import hashlib
import random
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from yrdplan.domain.people import SYSTEM_CALLER
from yrdplan.domain.tasks import JIANGSU_WORKING_GROUPS
from yrdplan.ingest.free_text import normalise_milestone
from yrdplan.services import task_edits
from yrdplan.services.units import add_unit, register_units
from yrdplan.store.repos import plans as plan_repo
from yrdplan.store.repos import tasks as task_repo
from yrdplan.store.schema import (
    DataSource,
    EvidenceFile,
    Plan,
    ProgressReport,
    ReportingCycle,
    Task,
    Unit,
    User,
)

DEMO_PLAN = "nj-implementation-2020"
_DEADLINES = (
    (date(2022, 12, 31), 10),
    (date(2023, 12, 31), 10),
    (date(2025, 12, 31), 25),
    (date(2026, 12, 31), 25),
    (date(2027, 12, 31), 20),
    (None, 10),
)
# Tasks due after 2025 belong to the next round of work: they start three years before.
_ROUND_YEARS = 3
_STANDING_SCHEDULE = date(2025, 12, 31)
_BLOCKERS = (
    "跨市协调机制尚未建立，需省级层面统筹推进",
    "项目用地指标紧张，前期手续办理滞后",
    "资金缺口较大，需争取省级专项资金支持",
    "数据共享接口标准不一，需区域层面统一规范",
    "涉及多个部门审批事项，协调难度较大",
)
_NARRATIVES = (
    "{title}按计划推进，本季度召开专题协调会，累计完成{percent}%。",
    "本季度重点推进{title}相关工作，形成阶段性成果，累计完成{percent}%。",
    "{title}：牵头制定年度工作方案并分解落实，累计完成{percent}%。",
)


def _config() -> dict:
    with (resources.files("yrdplan.data") / "delivery_demo.toml").open("rb") as handle:
        return tomllib.load(handle)


def load_demo_units(session: Session) -> str:
    """Create the demo's units and register them for the seed plans."""
    config = _config()
    for spec in config["unit"]:
        add_unit(
            session,
            code=spec["code"],
            name=spec["name"],
            kind=spec.get("kind", "department"),
            region_code=spec.get("region"),
            aliases=spec.get("aliases", []),
            user=SYSTEM_CALLER,
        )
    for group in JIANGSU_WORKING_GROUPS:
        add_unit(
            session,
            code=f"js-wg-{group.code.replace('_', '-')}",
            name=group.name,
            kind="working_group",
            region_code="320000",
            aliases=[f"{group.short_name}组"],
            user=SYSTEM_CALLER,
        )
    codes = list(session.scalars(select(Unit.code)))
    registered = 0
    known_plans = {p.code for p in plan_repo.list_plans(session)}
    for plan_code, patterns in config["registry"].items():
        if plan_code not in known_plans:
            continue
        wanted = [c for c in codes if any(fnmatch.fnmatch(c, p) for p in patterns)]
        registered += register_units(session, plan_code, wanted, user=SYSTEM_CALLER)
    return f"{len(codes)} units, {registered} plan registrations"


def _task_by_label(tasks: list[Task], number: int | str) -> Task | None:
    found = [
        t for t in tasks if t.parent_task_id is None and t.label.rstrip(".、．") == str(number)
    ]
    return found[0] if len(found) == 1 else None


def _assign(session: Session, plan: Plan, config: dict, rng: random.Random) -> list[Task]:
    tasks = task_repo.tasks_of_plan(session, plan.id)
    touched = []
    for task in tasks:  # deadlines first, in id order, so the draw order is fixed
        deadline = rng.choices([d for d, _ in _DEADLINES], [w for _, w in _DEADLINES])[0]
        units = config["assign"].get(task.label.rstrip(".、．"), [])
        change = task_edits.TaskUpdate(
            lead_unit=units[0] if units else None,
            supporting_units=units[1:],
            deadline=deadline,
            deadline_note="" if deadline else "长期坚持",
            milestones=[
                task_edits.MilestoneIn(*normalise_milestone(line, None))
                for line in config["milestones"].get(task.label.rstrip(".、．"), [])
            ],
        )
        start = date(deadline.year - _ROUND_YEARS + 1, 1, 1) if deadline else None
        if (
            start
            and deadline.year > 2025
            and all(m.due_date is None or m.due_date >= start for m in change.milestones)
        ):
            change.start_date = start
        task_edits.apply_update(session, task, change)
        task.is_simulated = True
        touched.append(task)
    for spec in config.get("subtask", []):
        parent = _task_by_label(tasks, spec["parent"])
        if parent is None:
            continue
        if parent.deadline is not None and parent.deadline < date.fromisoformat(spec["deadline"]):
            parent.deadline = date.fromisoformat(spec["deadline"])
        sub = task_edits.add_subtask(
            session,
            parent.id,
            spec["title"],
            change=task_edits.TaskUpdate(
                lead_unit=spec["lead"],
                supporting_units=spec.get("supporting", []),
                deadline=date.fromisoformat(spec["deadline"]),
                is_major_project=True,
                planned_investment=spec.get("planned_investment"),
                location_code=spec.get("location"),
            ),
            user=SYSTEM_CALLER,
        )
        sub.is_simulated = True
        touched.append(sub)
    for spec in config.get("decompose", []):
        lower = _task_by_label(tasks, spec["task"])
        upper_plan = session.scalar(select(Plan).where(Plan.code == spec["upper_plan"]))
        if lower is None or upper_plan is None:
            continue
        uppers = [
            t
            for t in task_repo.tasks_of_plan(session, upper_plan.id)
            if spec["upper_title"] in t.title
        ]
        if len(uppers) == 1:
            task_edits.apply_update(
                session, lower, task_edits.TaskUpdate(upper_task_id=uppers[0].id)
            )
    session.flush()
    return touched


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _quarters(today: date, past: int = 4) -> list[tuple[date, date]]:
    """(first day, last day) of the ``past`` quarters before today's and of today's, oldest first."""
    start = _quarter_start(today)
    result = []
    for _ in range(past + 1):
        end = (
            date(start.year + (start.month + 2) // 12, (start.month + 2) % 12 + 1, 1)
        ) - timedelta(days=1)
        result.append((start, end))
        start = _quarter_start(start - timedelta(days=1))
    return list(reversed(result))


@dataclass
class _Track:
    """One task's simulated trajectory."""

    task: Task
    pace: float
    start: date
    schedule_end: date
    cap: float
    percent: float = 0.0

    def progress_at(self, day: date, noise: float) -> float:
        span = max((self.schedule_end - self.start).days, 1)
        target = 100.0 * self.pace * (day - self.start).days / span + noise
        self.percent = min(self.cap, max(self.percent, round(max(target, 0.0))))
        return self.percent

    def crossed_100_on(self) -> date:
        span = (self.schedule_end - self.start).days
        return self.start + timedelta(days=round(span / self.pace))


def _reporters(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(User.unit_id, User.id).where(User.unit_id.is_not(None)).order_by(User.id)
    )
    result: dict[int, int] = {}
    for unit_id, user_id in rows:
        result.setdefault(unit_id, user_id)
    return result


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(9 + rng.randrange(9), rng.randrange(60)))


def generate_reporting(
    session: Session, plan: Plan, tasks: list[Task], *, seed: int, today: date
) -> dict:
    """Simulated cycles and reports for ``tasks`` (see the module docstring); returns counts."""
    rng = random.Random(seed)
    start = plan.issued_on or date(today.year - 1, 1, 1)
    quarters = _quarters(today)
    first_open = quarters[0][0]
    office = session.scalar(select(User.id).where(User.role == "office").order_by(User.id))
    reporters = _reporters(session)
    tracks = []
    for task in sorted(tasks, key=lambda t: t.id):
        standing = task.deadline is None
        track = _Track(
            task=task,
            pace=rng.uniform(0.6, 1.25),
            start=task.start_date or start,
            schedule_end=_STANDING_SCHEDULE if standing else task.deadline,
            cap=95.0 if standing else 100.0,
        )
        if not standing and track.crossed_100_on() < first_open:
            task.completed_on = track.crossed_100_on()
            task.percent = 100.0
            task.progress_text = "已完成（演示数据）"
        tracks.append(track)
    counts = {"cycles": 0, "reports": 0, "accepted": 0}
    for number, (q_start, q_end) in enumerate(quarters):
        is_open = number == len(quarters) - 1
        cycle = ReportingCycle(
            plan_id=plan.id,
            name=f"{q_start.year}年第{(q_start.month - 1) // 3 + 1}季度调度（演示）",
            kind="quarterly",
            opens_on=q_start,
            due_on=q_end + timedelta(days=10),
            status="open" if is_open else "closed",
            closed_at=None if is_open else datetime.combine(q_end + timedelta(days=30), time(18)),
            created_by=office,
            is_simulated=True,
        )
        session.add(cycle)
        session.flush()
        counts["cycles"] += 1
        for track in tracks:
            counts_row = _simulate_report(
                session, cycle, track, rng, today, is_open, office, reporters
            )
            for key, value in counts_row.items():
                counts[key] += value
    session.flush()
    return counts


def _simulate_report(
    session: Session,
    cycle: ReportingCycle,
    track: _Track,
    rng: random.Random,
    today: date,
    is_open: bool,
    office: int | None,
    reporters: dict[int, int],
) -> dict:
    task = track.task
    # Draws happen for every task in every cycle, so one task's outcome never shifts another's.
    draw_submit, draw_late, draw_review = rng.random(), rng.random(), rng.random()
    draw_blocker, noise = rng.random(), rng.uniform(-3, 3)
    narrative_template, blocker_text = rng.choice(_NARRATIVES), rng.choice(_BLOCKERS)
    delay = rng.randrange(1, 20)
    if not task.lead_unit_id or task.is_suspended:
        return {}
    if task.completed_on is not None and task.completed_on < cycle.opens_on:
        return {}
    if is_open:
        submitted = draw_submit < 0.6
        day = min(today, cycle.opens_on + timedelta(days=delay)) if submitted else None
    else:
        submitted = draw_submit >= 0.08
        late = draw_late < 0.13
        day = (
            cycle.due_on + timedelta(days=delay)
            if late
            else cycle.due_on - timedelta(days=delay % 10)
        )
    if not submitted or day is None or day > today:
        return {}
    percent = track.progress_at(day, noise)
    elapsed = 100.0 * (day - track.start).days / max((track.schedule_end - track.start).days, 1)
    if percent >= 100:
        status = "completed"
    elif percent <= 0:
        status = "not_started"
    elif task.deadline is not None and percent < min(elapsed, 100) - 15:
        status = "lagging"
    else:
        status = "on_track"
    if is_open:
        state = (
            "accepted" if draw_review < 0.5 else "returned" if draw_review < 0.65 else "submitted"
        )
    else:
        state = "accepted" if draw_review < 0.9 else "returned"
    report = ProgressReport(
        cycle_id=cycle.id,
        task_id=task.id,
        unit_id=task.lead_unit_id,
        status=status,
        percent=float(percent),
        narrative=narrative_template.format(title=task.title, percent=f"{percent:g}"),
        blockers=blocker_text if draw_blocker < 0.15 and status != "completed" else "",
        submitted_by=reporters.get(task.lead_unit_id),
        submitted_at=_at(day, rng),
        review_state=state,
        reviewed_by=office if state != "submitted" else None,
        reviewed_at=_at(min(today, day + timedelta(days=3)), rng) if state != "submitted" else None,
        review_comment="请补充佐证材料并细化下一步工作安排（演示数据）"
        if state == "returned"
        else "",
        is_simulated=True,
    )
    session.add(report)
    session.flush()
    if rng.random() < 0.2:
        content = f"{task.title}：工作推进情况说明（演示数据，非真实材料）\n".encode()
        session.add(
            EvidenceFile(
                report_id=report.id,
                filename="推进情况说明（演示）.txt",
                content_type="text/plain; charset=utf-8",
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                content=content,
            )
        )
    if state == "accepted":
        task.percent = report.percent
        task.progress_text = report.narrative
        if status == "completed" and task.completed_on is None:
            task.completed_on = report.submitted_at.date()
    return {"reports": 1, "accepted": int(state == "accepted")}


def load_demo_delivery(session: Session, *, today: date | None = None) -> str:
    """Assign the Nanjing plan's tasks and simulate its reporting (see the module docstring)."""
    plan = session.scalar(select(Plan).where(Plan.code == DEMO_PLAN))
    if plan is None:
        return "no Nanjing plan: skipped"
    config = _config()
    rng = random.Random(config["seed"])
    tasks = _assign(session, plan, config, rng)
    counts = generate_reporting(
        session, plan, tasks, seed=config["seed"] + 1, today=today or date.today()
    )
    session.add(
        DataSource(
            kind="demo",
            name="yrdplan.demo.delivery.py",
            note=f"simulated delivery data (演示数据), seed {config['seed']}; "
            "assignments are an illustration, not the plan's",
        )
    )
    return (
        f"{len(tasks)} tasks assigned, {counts['cycles']} cycles, {counts['reports']} reports "
        f"({counts['accepted']} accepted), all simulated"
    )

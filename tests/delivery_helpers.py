"""Helpers for the delivery-tracking tests: a small synthetic plan whose numbers are easy to check
by hand, its units and reporters, and the audit-log row count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from sqlalchemy import func, select

from yrdplan.domain.people import SYSTEM_CALLER
from yrdplan.services.accounts import hash_password
from yrdplan.services.units import add_unit
from yrdplan.store.repos import users as user_repo
from yrdplan.store.schema import AuditEntry, Plan, Task

#: The synthetic plan: (key, label, title, area). Areas: 交通 has 3 tasks, 生态 has 2.
PLAN_TASKS = (
    ("一/1", "1.", "建设城际铁路", "交通"),
    ("一/2", "2.", "改造高速公路", "交通"),
    ("一/3", "3.", "整合港口资源", "交通"),
    ("二/4", "4.", "治理长江岸线", "生态"),
    ("二/5", "5.", "联防联控大气污染", "生态"),
)
UNITS = (
    ("t-jt", "测试交通局", "department", None, ["交通局"]),
    ("t-hb", "测试生态环境局", "department", None, []),
    ("t-fg", "测试发展改革委", "department", None, []),
    ("t-qx", "测试区", "district", "320102", []),
)


@dataclass
class SyntheticPlan:
    code: str
    plan_id: int
    task_ids: dict[str, int]  # label without dot -> id

    def task(self, number: int | str) -> int:
        return self.task_ids[str(number)]


def make_plan(
    database, code: str = "t-plan", *, issued_on: date = date(2024, 1, 1)
) -> SyntheticPlan:
    """A confirmed plan with five tasks, four units registered, and reporters for two of them."""
    with database.write() as session:
        plan = Plan(
            code=code,
            title="测试规划",
            kind="implementation_plan",
            region_code="320100",
            issued_on=issued_on,
            status="confirmed",
        )
        session.add(plan)
        session.flush()
        ids = {}
        for key, label, title, area in PLAN_TASKS:
            task = Task(
                plan_id=plan.id, key=key, label=label, title=title, area=area, region_code="320100"
            )
            session.add(task)
            session.flush()
            ids[label.rstrip(".")] = task.id
        for unit_code, name, kind, region, aliases in UNITS:
            add_unit(
                session,
                code=unit_code,
                name=name,
                kind=kind,
                region_code=region,
                aliases=aliases,
                plans=[code],
                user=SYSTEM_CALLER,
            )
        plan_id = plan.id
    return SyntheticPlan(code=code, plan_id=plan_id, task_ids=ids)


@lru_cache(maxsize=1)
def _demo_password_hash() -> str:
    # Argon2 is slow on purpose; hash the shared test password once per run.
    return hash_password("yrdplan-demo")


def add_reporter(database, username: str, unit_code: str) -> None:
    """A unit reporter with the demo password."""
    with database.write() as session:
        user_repo.add_user(
            session,
            username=username,
            password_hash=_demo_password_hash(),
            role="unit_reporter",
            display_name=username,
            unit_code=unit_code,
        )


def user_info(database, username: str):
    with database.read() as session:
        return user_repo.to_info(session, user_repo.find_user(session, username))


def audit_count(database) -> int:
    with database.read() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry))

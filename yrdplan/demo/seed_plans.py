"""The five seed plans, imported at init through the same pipeline as `yrdplan plan import`."""

from __future__ import annotations

import tomllib
from datetime import date
from importlib import resources

from sqlalchemy.orm import Session

from yrdplan.domain.people import SYSTEM_CALLER
from yrdplan.ingest.plan_text import parse_plan
from yrdplan.services.plans import PlanMeta, confirm_version, import_plan
from yrdplan.store.schema import DataSource


def seed_specs() -> list[dict]:
    with (resources.files("yrdplan.data") / "seeds" / "seeds.toml").open("rb") as handle:
        return tomllib.load(handle)["plan"]


def load_seed_plans(session: Session) -> str:
    folder = resources.files("yrdplan.data") / "seeds"
    tasks = targets = 0
    specs = seed_specs()
    for spec in specs:
        with resources.as_file(folder / spec["file"]) as path:
            parsed = parse_plan(path)
        meta = PlanMeta(
            kind=spec["kind"],
            code=spec["code"],
            title=spec["title"],
            region=spec.get("region"),
            parent=spec.get("parent"),
            issuer=spec.get("issuer"),
            issued_on=date.fromisoformat(spec["issued_on"]) if spec.get("issued_on") else None,
            round=spec.get("round", ""),
        )
        result = import_plan(session, parsed, meta, user=SYSTEM_CALLER)
        confirmed = confirm_version(session, result.code, user=SYSTEM_CALLER)
        tasks += confirmed["tasks_created"]
        targets += confirmed["targets"]
    session.add(
        DataSource(
            kind="plans",
            name="yrdplan/data/seeds",
            note="the five seed plan documents as scraped from the web",
        )
    )
    return f"{len(specs)} plans, {tasks} tasks, {targets} targets"

"""Indicators, targets, observations, task links and monitor runs in the store.

Observations and targets are revised, never overwritten: a new value for the same key adds a row
and clears ``is_current`` on the one it replaces. The current observation of a (region,
indicator, period) is the one with the greatest ``(vintage, id)``: vintages compare as text, so
ISO dates (``2025-03-31``) or labels that start with one order as they should. A value imported
with an older vintage than the current one is kept as history and does not become current.

Bulk inserts go through SQLAlchemy Core (tens of thousands of demo rows at init) and are audited
with :func:`~yrdplan.store.audit.record_bulk_insert`; the rare updates (``is_current`` flips) go
through the ORM, whose audit hook records them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from yrdplan.domain.indicators import Indicator, Observation, Target
from yrdplan.errors import ConflictError
from yrdplan.store.audit import record_bulk_insert
from yrdplan.store.schema import (
    IndicatorRecord,
    InstanceSetting,
    MonitorResult,
    MonitorRun,
    ObservationRecord,
    RegionChange,
    TargetRecord,
    Task,
    TaskIndicator,
    TaskSupportingUnit,
    Unit,
    User,
    utcnow,
)
from yrdplan.store.versions import read_versions

# Rows per INSERT statement: well under SQLite's and PostgreSQL's parameter limits.
_CHUNK = 2000


@dataclass(frozen=True, slots=True)
class StoredObservation:
    """An observation as read back: the domain fields plus its row id."""

    id: int
    region_code: str
    indicator_code: str
    period: str
    value: float
    source: str
    vintage: str
    is_simulated: bool
    note: str


@dataclass(frozen=True, slots=True)
class WriteSummary:
    """What a revision-aware write did: rows added, revisions made, unchanged rows skipped."""

    added: int = 0
    revised: int = 0
    unchanged: int = 0
    historical: int = 0  # older vintage than the current row: kept, not current


# -- indicators -------------------------------------------------------------------------------


def upsert_indicators(session: Session, indicators: Sequence[Indicator]) -> tuple[int, int]:
    """Add new catalogue entries and update existing ones by code; returns (added, updated)."""
    existing = {
        row.code: row
        for row in session.scalars(
            select(IndicatorRecord).where(IndicatorRecord.code.in_([i.code for i in indicators]))
        )
    }
    added = updated = 0
    for indicator in indicators:
        values = {
            "name": indicator.name,
            "name_en": indicator.name_en,
            "unit": indicator.unit,
            "direction": indicator.direction,
            "kind": indicator.kind,
            "area": indicator.area,
            "definition": indicator.definition,
            "aggregation": indicator.aggregation,
            "weight_indicator": indicator.weight_indicator,
            "formula": indicator.formula,
            "frequency": indicator.frequency,
            "synonyms": list(indicator.synonyms),
        }
        row = existing.get(indicator.code)
        if row is None:
            session.add(IndicatorRecord(code=indicator.code, **values))
            added += 1
            continue
        changed = False
        for name, value in values.items():
            if getattr(row, name) != value:
                setattr(row, name, value)
                changed = True
        updated += changed
    session.flush()
    return added, updated


# -- observations -----------------------------------------------------------------------------


def _observation_query(vintage: str | None):
    columns = (
        ObservationRecord.id,
        ObservationRecord.region_code,
        ObservationRecord.indicator_code,
        ObservationRecord.period,
        ObservationRecord.value,
        ObservationRecord.source,
        ObservationRecord.vintage,
        ObservationRecord.is_simulated,
        ObservationRecord.note,
    )
    if vintage is None:
        return select(*columns).where(ObservationRecord.is_current.is_(True)), None
    # As of a past vintage: per key the newest row whose vintage is not later than it.
    rank = (
        func.row_number()
        .over(
            partition_by=(
                ObservationRecord.region_code,
                ObservationRecord.indicator_code,
                ObservationRecord.period,
            ),
            order_by=(ObservationRecord.vintage.desc(), ObservationRecord.id.desc()),
        )
        .label("rank")
    )
    inner = select(*columns, rank).where(ObservationRecord.vintage <= vintage).subquery()
    return select(*[inner.c[c.key] for c in columns]).where(inner.c.rank == 1), inner


def observations(
    session: Session,
    *,
    vintage: str | None = None,
    regions: Iterable[str] | None = None,
    indicators: Iterable[str] | None = None,
) -> list[StoredObservation]:
    """Current observations, or those that were current as of ``vintage``, in key order."""
    query, inner = _observation_query(vintage)
    table = ObservationRecord if inner is None else inner.c
    if regions is not None:
        query = query.where(table.region_code.in_(list(regions)))
    if indicators is not None:
        query = query.where(table.indicator_code.in_(list(indicators)))
    query = query.order_by(table.indicator_code, table.region_code, table.period)
    return [StoredObservation(*row) for row in session.execute(query)]


def observation_history(
    session: Session, region_code: str, indicator_code: str
) -> list[StoredObservation]:
    """Every stored revision of one series, oldest vintage first."""
    query = (
        select(
            ObservationRecord.id,
            ObservationRecord.region_code,
            ObservationRecord.indicator_code,
            ObservationRecord.period,
            ObservationRecord.value,
            ObservationRecord.source,
            ObservationRecord.vintage,
            ObservationRecord.is_simulated,
            ObservationRecord.note,
        )
        .where(
            ObservationRecord.region_code == region_code,
            ObservationRecord.indicator_code == indicator_code,
        )
        .order_by(ObservationRecord.period, ObservationRecord.vintage, ObservationRecord.id)
    )
    return [StoredObservation(*row) for row in session.execute(query)]


def vintages(session: Session) -> list[str]:
    """The distinct vintages stored, oldest first."""
    return list(
        session.scalars(
            select(ObservationRecord.vintage).distinct().order_by(ObservationRecord.vintage)
        )
    )


def add_observations(
    session: Session,
    records: Sequence[Observation],
    *,
    created_by: int | None = None,
    note: str = "",
) -> WriteSummary:
    """Write observations as revisions of what is stored (rules in the module docstring).

    A record identical to the current row (same vintage, value and source) is skipped, so
    importing one file twice changes nothing.
    """
    if not records:
        return WriteSummary()
    codes = sorted({r.indicator_code for r in records})
    regions = sorted({r.region_code for r in records})
    current: dict[tuple[str, str, str], ObservationRecord] = {}
    # Load the current rows of the touched series only (ORM objects: flips are audited).
    for code in codes:
        query = select(ObservationRecord).where(
            ObservationRecord.indicator_code == code,
            ObservationRecord.is_current.is_(True),
        )
        if len(regions) < 500:
            query = query.where(ObservationRecord.region_code.in_(regions))
        for row in session.scalars(query):
            current[(row.region_code, row.indicator_code, row.period)] = row
    now = utcnow()
    rows: list[dict] = []
    pending: dict[tuple[str, str, str], dict] = {}  # rows of this batch that are current so far
    added = revised = unchanged = historical = 0
    # Oldest vintage first, so that two vintages of one key in one file end with the newest current.
    for record in sorted(records, key=lambda r: r.vintage):
        key = (record.region_code, record.indicator_code, record.period)
        old = pending.get(key) or current.get(key)
        old_fields = None
        if isinstance(old, dict):
            old_fields = (old["vintage"], old["value"], old["source"])
        elif old is not None:
            old_fields = (old.vintage, old.value, old.source)
        is_current = True
        if old_fields is None:
            added += 1
        elif old_fields == (record.vintage, float(record.value), record.source):
            unchanged += 1
            continue
        elif old_fields[0] > record.vintage:
            is_current = False
            historical += 1
        else:
            if isinstance(old, dict):
                old["is_current"] = False
            else:
                old.is_current = False
            revised += 1
        row = {
            "region_code": record.region_code,
            "indicator_code": record.indicator_code,
            "period": record.period,
            "value": float(record.value),
            "source": record.source,
            "vintage": record.vintage,
            "is_simulated": bool(record.is_simulated),
            "is_current": is_current,
            "note": record.note or note,
            "created_at": now,
            "created_by": created_by,
        }
        rows.append(row)
        if is_current:
            pending[key] = row
    session.flush()  # the flips first: one current row per key at every moment
    bulk_insert(session, ObservationRecord, rows, note=note)
    return WriteSummary(added, revised, unchanged, historical)


def bulk_insert(session: Session, model, rows: list[dict], note: str = "") -> None:
    """Core INSERT of ``rows`` into ``model``'s table in chunks, audited with their new ids."""
    table = model.__table__
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        ids = session.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), chunk
        ).scalars()
        audited = [{"id": row_id, **row} for row_id, row in zip(ids, chunk, strict=True)]
        if getattr(model, "__audited__", True):
            record_bulk_insert(session, table.name, audited, note=note)


def count_observations(session: Session, *, simulated: bool | None = None) -> int:
    query = (
        select(func.count())
        .select_from(ObservationRecord)
        .where(ObservationRecord.is_current.is_(True))
    )
    if simulated is not None:
        query = query.where(ObservationRecord.is_simulated.is_(simulated))
    return session.scalar(query) or 0


# -- targets ----------------------------------------------------------------------------------


def current_targets(
    session: Session, *, indicators: Iterable[str] | None = None
) -> list[TargetRecord]:
    query = select(TargetRecord).where(TargetRecord.is_current.is_(True))
    if indicators is not None:
        query = query.where(TargetRecord.indicator_code.in_(list(indicators)))
    return list(session.scalars(query.order_by(TargetRecord.indicator_code, TargetRecord.id)))


def target_key(target: Target) -> str:
    """The key that ties the revisions of an imported target together."""
    return f"table:{target.region_code or target.group_code}:{target.indicator_code}:{target.year}"


_TARGET_FIELDS = (
    "indicator_code",
    "region_code",
    "group_code",
    "year",
    "comparator",
    "value",
    "value_high",
    "base_year",
    "base_value",
    "relative_change",
    "standard",
)


def add_targets(
    session: Session, targets: Sequence[Target], *, created_by: int | None = None, note: str = ""
) -> WriteSummary:
    """Write targets as revisions keyed by region (or group), indicator and year.

    A target that says which revision it was edited from (``edited_from``) is refused with
    ``ConflictError`` when a newer one has been saved since: nothing of the call is written.
    """
    added = revised = unchanged = 0
    for target in targets:
        key = target_key(target)
        values = {name: getattr(target, name) for name in _TARGET_FIELDS}
        old = session.scalar(
            select(TargetRecord).where(
                TargetRecord.target_key == key, TargetRecord.is_current.is_(True)
            )
        )
        if target.edited_from is not None:
            check_target_revision(session, key, old, target.edited_from)
        revision = 1
        if old is not None:
            if all(getattr(old, k) == v for k, v in values.items()):
                unchanged += 1
                continue
            old.is_current = False
            revision = old.revision + 1
            revised += 1
        else:
            added += 1
        session.add(
            TargetRecord(
                target_key=key, revision=revision, created_by=created_by, note=note, **values
            )
        )
    session.flush()
    return WriteSummary(added, revised, unchanged)


def check_target_revision(
    session: Session, key: str, current: TargetRecord | None, edited_from: int
) -> None:
    """Refuse an edit of ``key`` made from revision ``edited_from`` when a newer one exists,
    saying what changed since and who changed it."""
    now = current.revision if current is not None else 0
    if now == edited_from:
        return
    history = {r.revision: r for r in target_history(session, key)}
    seen = history.get(edited_from)
    changes = {
        name: getattr(current, name)
        for name in _TARGET_FIELDS
        if current is not None and (seen is None or getattr(seen, name) != getattr(current, name))
    }
    names = dict(session.execute(select(User.id, User.username)).all())
    by = [
        names.get(r.created_by, "the command line") for n, r in history.items() if n > edited_from
    ]
    what = ", ".join(f"{name} → {value!r}" for name, value in changes.items()) or "no values"
    raise ConflictError(
        f"target {key} was revised since you opened it (revision {now}, yours {edited_from}): "
        f"{what} (by {', '.join(dict.fromkeys(by)) or 'someone else'}); "
        "reload it and make your change again",
        changes=changes | {"revision": now},
    )


def target_history(session: Session, key: str) -> list[TargetRecord]:
    return list(
        session.scalars(
            select(TargetRecord)
            .where(TargetRecord.target_key == key)
            .order_by(TargetRecord.revision)
        )
    )


# -- crosswalk --------------------------------------------------------------------------------


def region_changes(session: Session) -> list[RegionChange]:
    return list(
        session.scalars(select(RegionChange).order_by(RegionChange.effective_date, RegionChange.id))
    )


def replace_region_changes(
    session: Session, rows: Sequence[tuple[str, str, float, date, str]]
) -> int:
    """Store crosswalk rows; rows of the same (from_code, effective_date) are replaced."""
    keys = {(r[0], r[3]) for r in rows}
    for change in session.scalars(select(RegionChange)):
        if (change.from_code, change.effective_date) in keys:
            session.delete(change)
    session.flush()
    session.add_all(
        RegionChange(from_code=f, to_code=t, weight=w, effective_date=d, note=n)
        for f, t, w, d, n in rows
    )
    session.flush()
    return len(rows)


# -- task links -------------------------------------------------------------------------------


def task_links(session: Session, indicators: Iterable[str] | None = None) -> dict[str, list[int]]:
    """Indicator code -> ids of the tasks that serve it."""
    query = select(TaskIndicator.indicator_code, TaskIndicator.task_id)
    if indicators is not None:
        query = query.where(TaskIndicator.indicator_code.in_(list(indicators)))
    links: dict[str, list[int]] = {}
    for code, task_id in session.execute(query.order_by(TaskIndicator.task_id)):
        links.setdefault(code, []).append(task_id)
    return links


def add_task_links(session: Session, pairs: Iterable[tuple[int, str]]) -> int:
    """Add (task id, indicator code) links that are not there yet; returns how many were new."""
    existing = set(session.execute(select(TaskIndicator.task_id, TaskIndicator.indicator_code)))
    new = [
        TaskIndicator(task_id=t, indicator_code=c)
        for t, c in dict.fromkeys(pairs)
        if (t, c) not in existing
    ]
    session.add_all(new)
    session.flush()
    return len(new)


def tasks_with_units(session: Session, task_ids: Iterable[int]) -> list[tuple[Task, Unit | None]]:
    """The tasks with their lead unit (None while the delivery side has not assigned one)."""
    ids = list(task_ids)
    if not ids:
        return []
    query = (
        select(Task, Unit)
        .outerjoin(Unit, Unit.id == Task.lead_unit_id)
        .where(Task.id.in_(ids))
        .order_by(Task.plan_id, Task.id)
    )
    return [(task, unit) for task, unit in session.execute(query)]


def supporting_units(session: Session, task_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
    """Per task, the (code, name) of its supporting units in their order on the task."""
    ids = list(task_ids)
    if not ids:
        return {}
    query = (
        select(TaskSupportingUnit.task_id, Unit.code, Unit.name)
        .join(Unit, Unit.id == TaskSupportingUnit.unit_id)
        .where(TaskSupportingUnit.task_id.in_(ids))
        .order_by(TaskSupportingUnit.task_id, TaskSupportingUnit.position)
    )
    out: dict[int, list[tuple[str, str]]] = {}
    for task_id, code, name in session.execute(query):
        out.setdefault(task_id, []).append((code, name))
    return out


# -- monitor runs -----------------------------------------------------------------------------


def add_run(session: Session, run: MonitorRun, results: list[dict]) -> None:
    """Store a run and its result rows (derived data: not audited)."""
    session.add(run)
    session.flush()
    for start in range(0, len(results), _CHUNK):
        session.execute(insert(MonitorResult.__table__), results[start : start + _CHUNK])


def latest_run(
    session: Session, *, fingerprint: str | None = None, full: bool = True
) -> MonitorRun | None:
    """The newest run (with this fingerprint, and unfiltered with default options if ``full``)."""
    query = select(MonitorRun).order_by(MonitorRun.computed_at.desc(), MonitorRun.run_id.desc())
    if fingerprint is not None:
        query = query.where(MonitorRun.fingerprint == fingerprint)
    for run in session.scalars(query.limit(50)):
        if not full or (not run.scope and run.options.get("default", False)):
            return run
    return None


def run_results(session: Session, run_id: str) -> list[MonitorResult]:
    return list(
        session.scalars(
            select(MonitorResult).where(MonitorResult.run_id == run_id).order_by(MonitorResult.id)
        )
    )


def run_components(session: Session, run_id: str) -> list[dict]:
    """The stored rows of one run: their components only, no ORM objects to build."""
    query = (
        select(MonitorResult.components)
        .where(MonitorResult.run_id == run_id)
        .order_by(MonitorResult.id)
    )
    return [dict(components) for components in session.scalars(query)]


def data_fingerprint(session: Session) -> str:
    """A short summary of the monitor's inputs; it changes whenever any of them does.

    Counts and highest ids catch every insert (revisions are inserts); the catalogue entries
    that change a calculation (direction, formula, aggregation, weight, frequency) are hashed,
    since editing an indicator updates its row in place.
    """
    parts = []
    for model, key in (
        (ObservationRecord, ObservationRecord.id),
        (TargetRecord, TargetRecord.id),
        (RegionChange, RegionChange.id),
        (TaskIndicator, TaskIndicator.task_id),
    ):
        count, top = session.execute(select(func.count(), func.max(key)).select_from(model)).one()
        parts.append(f"{count}.{top or 0}")
    definitions = session.execute(
        select(
            IndicatorRecord.code,
            IndicatorRecord.direction,
            IndicatorRecord.formula,
            IndicatorRecord.aggregation,
            IndicatorRecord.weight_indicator,
            IndicatorRecord.frequency,
        ).order_by(IndicatorRecord.code)
    ).all()
    # A value edited in place changes no count: the tables' data versions catch that too.
    versions = read_versions(session)
    inputs = [
        versions.get(model.__tablename__, 0)
        for model in (ObservationRecord, TargetRecord, RegionChange, TaskIndicator, IndicatorRecord)
    ]
    # The office's warning thresholds (instance settings ``warnings.*``) change the levels too.
    thresholds = session.execute(
        select(InstanceSetting.key, InstanceSetting.value)
        .where(InstanceSetting.key.startswith("warnings."))
        .order_by(InstanceSetting.key)
    ).all()
    definitions = [
        *(tuple(row) for row in definitions),
        tuple(inputs),
        *(tuple(row) for row in thresholds),
    ]
    digest = hashlib.sha256(repr(definitions).encode()).hexdigest()[:16]
    return "/".join([*parts, digest])

"""Indicator data in the store: import catalogues, targets and observations; list them.

Every import is all-or-nothing: the file is read completely (ingest never writes), the store's
own checks run (unknown references, missing denominators, a steward's regions), and only a file
with no error is written, in the caller's one transaction. Otherwise :class:`ImportFailed` carries
every problem with its file, row and column, and nothing is written.

Observations are revised, not overwritten (see :mod:`yrdplan.store.repos.indicators`). Without a
vintage in the file or on the command line, a value's vintage is the import date (ISO), so
later imports supersede earlier ones and any past state can be recomputed.
"""

from __future__ import annotations

import tomllib
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from functools import cache
from importlib import resources

from sqlalchemy.orm import Session

from yrdplan.domain.indicators import Indicator, Observation, Target
from yrdplan.domain.people import UserInfo
from yrdplan.domain.problems import Problem
from yrdplan.errors import InputError, NotFoundError, PermissionDenied
from yrdplan.ingest.indicators_table import formula_references, read_indicators
from yrdplan.ingest.lookups import RegionLookup
from yrdplan.ingest.observations import ObservationOptions, RangeRule, read_observations
from yrdplan.ingest.source import Readable, as_source
from yrdplan.ingest.targets_table import read_targets
from yrdplan.services.callers import require_caller, require_manager, user_id_of
from yrdplan.services.catalogue import stored_indicators
from yrdplan.services.import_report import ImportReport, fail_on_errors
from yrdplan.store.repos import indicators as repo
from yrdplan.store.repos import regions as region_repo

# -- shipped settings -------------------------------------------------------------------------


@cache
def monitoring_settings() -> dict:
    """``yrdplan/data/monitoring.toml``: standards, plausible ranges, task keywords."""
    with (resources.files("yrdplan.data") / "monitoring.toml").open("rb") as handle:
        return tomllib.load(handle)


def range_rules() -> dict[str, RangeRule]:
    return {
        code: RangeRule(rule.get("low"), rule.get("high"), rule.get("severity", "warning"))
        for code, rule in monitoring_settings().get("ranges", {}).items()
    }


def resolve_standard(standard: str | None, indicator_code: str) -> float | None:
    """The limit a named standard sets for an indicator (GB 3095-2012 → PM2.5 ≤ 35), or None."""
    if not standard:
        return None
    for name, limits in monitoring_settings().get("standards", {}).items():
        if name.replace(" ", "").lower() in standard.replace(" ", "").lower():
            value = limits.get(indicator_code)
            return float(value) if value is not None else None
    return None


# -- lookups from the store -------------------------------------------------------------------


def region_lookup(session: Session) -> RegionLookup:
    """Every region ever recorded (past units such as 江干区 too) and every region group."""
    regions = region_repo.list_regions(session, include_history=True)
    return RegionLookup.from_records(regions, region_repo.list_groups(session))


# -- indicators -------------------------------------------------------------------------------


def import_indicators(
    session: Session, file: Readable, *, sheet: str | None = None, name: str | None = None
) -> ImportReport:
    """Add or update catalogue entries from a table (``code,name,unit,direction`` …), a path or
    an upload (``name`` names it)."""
    existing = stored_indicators(session)
    source = as_source(file, name)
    indicators, problems = read_indicators(source, existing=existing.keys(), sheet=sheet)
    name = source.name
    fail_on_errors(name, problems)
    added, updated = repo.upsert_indicators(session, indicators)
    return ImportReport(
        name,
        "indicators",
        len(indicators),
        added,
        updated,
        len(indicators) - added - updated,
        problems,
    )


def get_indicator(session: Session, code: str) -> Indicator:
    indicators = stored_indicators(session)
    if code not in indicators:
        found = [c for c in indicators if c.lower() == code.lower()]
        if not found:
            raise NotFoundError(f"unknown indicator {code!r}")
        code = found[0]
    return indicators[code]


def indicator_public(indicator: Indicator) -> dict:
    """The documented JSON of one catalogue entry."""
    return {
        "code": indicator.code,
        "name": indicator.name,
        "name_en": indicator.name_en,
        "unit": indicator.unit,
        "direction": indicator.direction,
        "kind": indicator.kind,
        "area": indicator.area,
        "aggregation": indicator.aggregation,
        "weight_indicator": indicator.weight_indicator,
        "formula": indicator.formula,
        "frequency": indicator.frequency,
        "definition": indicator.definition,
        "synonyms": list(indicator.synonyms),
    }


# -- targets ----------------------------------------------------------------------------------


def import_targets(
    session: Session,
    file: Readable,
    *,
    sheet: str | None = None,
    user: UserInfo,
    name: str | None = None,
) -> ImportReport:
    """Add targets (or new revisions of targets) from a table (``region_code,indicator_code,…``),
    a path or an upload (``name`` names it).

    Targets are the plans' commitments: only the office (or an admin) sets them."""
    actor_id = user_id_of(require_manager(user, "import targets"))
    source = as_source(file, name)
    name = source.name
    indicators = stored_indicators(session)
    targets, problems = read_targets(
        source, regions=region_lookup(session), indicators=indicators, sheet=sheet
    )
    problems += _check_standards(targets, name)
    fail_on_errors(name, problems)
    summary = repo.add_targets(session, targets, created_by=actor_id, note=f"imported from {name}")
    return ImportReport(
        name,
        "targets",
        len(targets),
        summary.added,
        summary.revised,
        summary.unchanged,
        0,
        problems,
    )


def _check_standards(targets: list[Target], file: str) -> list[Problem]:
    problems = []
    for target in targets:
        if target.value is None and target.standard and target.comparator != "relative":
            if resolve_standard(target.standard, target.indicator_code) is None:
                problems.append(
                    Problem(
                        "unknown_standard",
                        f"standard {target.standard!r} sets no known limit for "
                        f"{target.indicator_code}; give the value (see monitoring.toml)",
                        severity="warning",
                        file=file,
                        column="standard",
                        value=target.standard,
                    )
                )
    return problems


def target_public(row) -> dict:
    """The documented JSON of one stored target revision."""
    return {
        "id": row.id,
        "target_key": row.target_key,
        "revision": row.revision,
        "region_code": row.region_code,
        "group_code": row.group_code,
        "indicator_code": row.indicator_code,
        "year": row.year,
        "comparator": row.comparator,
        "value": row.value,
        "value_high": row.value_high,
        "base_year": row.base_year,
        "base_value": row.base_value,
        "relative_change": row.relative_change,
        "standard": row.standard,
        "plan_id": row.plan_id,
        "note": row.note,
    }


def list_targets(
    session: Session, *, region: str | None = None, indicator: str | None = None
) -> list[dict]:
    rows = repo.current_targets(session, indicators=[indicator] if indicator else None)
    if region:
        groups = {g.code for g in region_repo.list_groups(session) if region in g.members}
        rows = [
            r
            for r in rows
            if r.region_code == region or r.group_code in groups or r.group_code == region
        ]
    return [target_public(r) for r in rows]


# -- observations -----------------------------------------------------------------------------


def import_observations(
    session: Session,
    file: Readable,
    *,
    source: str = "",
    vintage: str | None = None,
    sheet: str | None = None,
    user: UserInfo | None,
    progress: bool = True,
    console: object | None = None,
    today: Callable[[], date] = date.today,
    name: str | None = None,
) -> ImportReport:
    """Read an observation table and store its values as revisions, or nothing at all.

    Parameters
    ----------
    file : path, binary file object or Source
        CSV, Excel or Parquet, long or wide (see
        :func:`yrdplan.ingest.observations.read_observations`), on disk or uploaded.
    source, vintage : str
        Defaults for rows without their own; the vintage defaults to today's date.
    user : UserInfo, optional
        Who imports through the web: a data steward may write only the regions assigned to
        them and the regions within those; office and admin may write any. ``None`` (the
        command line, which has the database file) writes any.
    progress, console :
        Rich progress bar for large files (the CLI).
    name : str, optional
        The file name problems give (an upload's own name; default the path's).

    Raises
    ------
    ImportFailed
        Any error in the file; the exception lists every problem.
    PermissionDenied
        A steward's file touches a region that is not theirs (naming the rows).
    """
    user = require_caller(user)
    table = as_source(file, name)
    name = table.name
    records, problems = read_observations(
        table,
        regions=region_lookup(session),
        indicators=stored_indicators(session),
        source_default=source,
        vintage_default=vintage or today().isoformat(),
        sheet=sheet,
        progress=progress,
        options=ObservationOptions(ranges=range_rules(), console=console),
    )
    fail_on_errors(name, problems)
    check_region_rights(session, user, {r.region_code for r in records})
    problems += missing_denominators(session, records, name)
    summary = repo.add_observations(
        session, records, created_by=user_id_of(user), note=f"imported from {name}"
    )
    return ImportReport(
        name,
        "observations",
        len(records),
        summary.added,
        summary.revised,
        summary.unchanged,
        summary.historical,
        problems,
        simulated=any(r.is_simulated for r in records),
    )


def editable_regions(session: Session, user: UserInfo) -> set[str] | None:
    """The region codes ``user`` may write observations for; None means every region."""
    user = require_caller(user)
    if user.can_manage:
        return None
    if user.role != "data_steward":
        return set()
    allowed = set(user.region_codes)
    regions = region_repo.list_regions(session, include_history=True)
    # A steward of a city also keeps its districts' data: walk the hierarchy down.
    grew = True
    while grew:
        below = {r.code for r in regions if r.parent_code in allowed} - allowed
        allowed |= below
        grew = bool(below)
    return allowed


def check_region_rights(session: Session, user: UserInfo | None, regions: set[str]) -> None:
    user = require_caller(user)
    allowed = editable_regions(session, user)
    if allowed is None:
        return
    refused = sorted(regions - allowed)
    if refused:
        mine = ", ".join(sorted(user.region_codes)) or "none"
        raise PermissionDenied(
            f"{user.username} may edit data of regions {mine} only; refused: {', '.join(refused[:10])}"
        )


def missing_denominators(session: Session, records: list[Observation], file: str) -> list[Problem]:
    """Warnings where a derived indicator cannot be computed for lack of one of its components.

    For each imported value of a component of a formula indicator (RAIL_KM of RAIL_DENSITY), the
    other components (AREA_KM2) must have a value for the same region and period in the file or
    the store; one warning per derived indicator and missing component, with the count and the
    first example.
    """
    indicators = stored_indicators(session)
    users: dict[str, list[tuple[str, list[str]]]] = defaultdict(list)
    for code, indicator in indicators.items():
        if indicator.formula:
            references = formula_references(indicator.formula)
            for reference in references:
                users[reference].append((code, references))
    touched = {r.indicator_code for r in records} & set(users)
    if not touched:
        return []
    needed = {ref for code in touched for _, refs in users[code] for ref in refs}
    have = {
        (o.region_code, o.indicator_code, o.period)
        for o in repo.observations(session, indicators=needed)
    }
    have |= {(r.region_code, r.indicator_code, r.period) for r in records}
    missing: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for record in records:
        for derived, references in users.get(record.indicator_code, ()):
            for reference in references:
                if (record.region_code, reference, record.period) not in have:
                    missing[(derived, reference)].append((record.region_code, record.period))
    problems = []
    for (derived, reference), where in sorted(missing.items()):
        region, period = where[0]
        problems.append(
            Problem(
                "missing_denominator",
                f"{derived} cannot be computed for {len(where)} region-period(s) without "
                f"{reference} (e.g. {region} {period})",
                severity="warning",
                file=file,
                column=reference,
            )
        )
    return problems


def add_observation_values(
    session: Session,
    records: list[Observation],
    *,
    user: UserInfo | None,
    today: Callable[[], date] = date.today,
    name: str | None = None,
) -> ImportReport:
    """Store corrected or new values typed in the web form or sent to the API, as revisions."""
    user = require_caller(user)
    if not records:
        raise InputError("no observations given")
    indicators = stored_indicators(session)
    known = {r.code for r in region_repo.list_regions(session, include_history=True)}
    problems = []
    from yrdplan.domain.periods import parse_period

    for number, record in enumerate(records, start=1):
        indicator = indicators.get(record.indicator_code)
        if record.region_code not in known:
            problems.append(
                Problem(
                    "unknown_region",
                    f"unknown region {record.region_code!r}",
                    row=number,
                    column="region_code",
                )
            )
        if indicator is None:
            problems.append(
                Problem(
                    "unknown_indicator",
                    f"unknown indicator {record.indicator_code!r}",
                    row=number,
                    column="indicator_code",
                )
            )
        try:
            period = parse_period(record.period)
            if indicator is not None and period.frequency != indicator.frequency:
                problems.append(
                    Problem(
                        "period_frequency",
                        f"{period} is a {period.frequency}; {indicator.code} is by {indicator.frequency}",
                        row=number,
                        column="period",
                    )
                )
            record.period = str(period)
        except ValueError as err:
            problems.append(Problem("bad_period", str(err), row=number, column="period"))
        if record.value != record.value or record.value in (float("inf"), float("-inf")):
            problems.append(
                Problem("not_a_number", "value is not a finite number", row=number, column="value")
            )
        record.vintage = record.vintage or today().isoformat()
    keys = [(r.region_code, r.indicator_code, r.period, r.vintage) for r in records]
    if len(set(keys)) != len(keys):
        problems.append(
            Problem("duplicate", "the same region, indicator, period and vintage twice")
        )
    fail_on_errors("request", problems)
    check_region_rights(session, user, {r.region_code for r in records})
    summary = repo.add_observations(session, records, created_by=user_id_of(user))
    return ImportReport(
        "request",
        "observations",
        len(records),
        summary.added,
        summary.revised,
        summary.unchanged,
        summary.historical,
    )


def observation_public(row: repo.StoredObservation) -> dict:
    """The documented JSON of one stored observation."""
    return {
        "region_code": row.region_code,
        "indicator_code": row.indicator_code,
        "period": row.period,
        "value": row.value,
        "source": row.source,
        "vintage": row.vintage,
        "simulated": row.is_simulated,
        "note": row.note,
    }


def list_observations(
    session: Session,
    *,
    region: str | None = None,
    indicator: str | None = None,
    vintage: str | None = None,
) -> list[dict]:
    rows = repo.observations(
        session,
        vintage=vintage,
        regions=[region] if region else None,
        indicators=[indicator] if indicator else None,
    )
    return [observation_public(r) for r in rows]

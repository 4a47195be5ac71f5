"""Regions, region groups and outlines in the store."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from yrdplan.domain.regions import LEVELS, Region, RegionGroup
from yrdplan.errors import InputError, NotFoundError
from yrdplan.store.schema import (
    DataSource,
    RegionGroupMember,
    RegionOutline,
)
from yrdplan.store.schema import (
    Region as RegionRow,
)
from yrdplan.store.schema import (
    RegionGroup as RegionGroupRow,
)


def add_regions(session: Session, regions: list[Region], source: DataSource) -> int:
    session.add(source)
    session.flush()
    for region in regions:
        row = RegionRow(
            code=region.code,
            name=region.name,
            name_en=region.name_en,
            level=region.level,
            parent_code=region.parent_code,
            province_code=region.province_code,
            valid_from=region.valid_from,
            valid_to=region.valid_to,
            area_km2=region.area_km2,
            source_id=source.id,
        )
        session.add(row)
        if region.outline:
            session.flush()
            session.add(
                RegionOutline(
                    region_id=row.id, geometry=region.outline, tolerance=region.outline_tolerance
                )
            )
    return len(regions)


def add_group(
    session: Session, group: RegionGroup, created_by: int | None = None
) -> RegionGroupRow:
    if session.scalar(select(RegionGroupRow.id).where(RegionGroupRow.code == group.code)):
        raise InputError(f"region group {group.code!r} exists already")
    known = set(session.scalars(select(RegionRow.code)))
    unknown = [code for code in group.members if code not in known]
    if unknown:
        raise NotFoundError(f"region group {group.code!r}: unknown region code {unknown[0]}")
    row = RegionGroupRow(
        code=group.code,
        name=group.name,
        name_en=group.name_en,
        description=group.description,
        kind=group.kind,
        created_by=created_by,
    )
    session.add(row)
    session.flush()
    session.add_all(RegionGroupMember(group_id=row.id, region_code=code) for code in group.members)
    return row


def _to_domain(row: RegionRow) -> Region:
    return Region(
        code=row.code,
        name=row.name,
        name_en=row.name_en,
        level=row.level,
        parent_code=row.parent_code,
        province_code=row.province_code,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        area_km2=row.area_km2,
    )


def list_regions(
    session: Session,
    *,
    level: str | None = None,
    group: str | None = None,
    as_of: date | None = None,
    include_history: bool = False,
    parent: str | None = None,
) -> list[Region]:
    """Regions in code order; current ones unless ``as_of`` or ``include_history`` says otherwise.

    ``parent`` keeps the regions one level below that code.
    """
    if level is not None and level not in LEVELS:
        raise InputError(f"level {level!r} is not one of {', '.join(LEVELS)}")
    query = select(RegionRow).order_by(RegionRow.code, RegionRow.valid_from)
    if level:
        query = query.where(RegionRow.level == level)
    if parent is not None:
        query = query.where(RegionRow.parent_code == parent)
    if group:
        group_row = find_group(session, group)
        members = select(RegionGroupMember.region_code).where(
            RegionGroupMember.group_id == group_row.id
        )
        query = query.where(RegionRow.code.in_(members))
    regions = [_to_domain(row) for row in session.scalars(query)]
    if include_history:
        return regions
    if as_of is None:
        return [r for r in regions if r.valid_to is None]
    return [r for r in regions if r.is_valid_on(as_of)]


def find_group(session: Session, name_or_code: str) -> RegionGroupRow:
    row = session.scalar(
        select(RegionGroupRow).where(
            (RegionGroupRow.code == name_or_code) | (RegionGroupRow.name == name_or_code)
        )
    )
    if row is None:
        known = ", ".join(session.scalars(select(RegionGroupRow.code).order_by(RegionGroupRow.id)))
        raise NotFoundError(f"region group {name_or_code!r} not found (known: {known})")
    return row


def list_groups(session: Session) -> list[RegionGroup]:
    groups = []
    for row in session.scalars(select(RegionGroupRow).order_by(RegionGroupRow.id)):
        members = list(
            session.scalars(
                select(RegionGroupMember.region_code)
                .where(RegionGroupMember.group_id == row.id)
                .order_by(RegionGroupMember.region_code)
            )
        )
        groups.append(
            RegionGroup(
                code=row.code,
                name=row.name,
                name_en=row.name_en,
                description=row.description,
                members=members,
                kind=row.kind,
            )
        )
    return groups


def get_region(session: Session, code: str) -> Region:
    row = session.scalar(
        select(RegionRow).where(RegionRow.code == code, RegionRow.valid_to.is_(None))
    )
    if row is None:
        raise NotFoundError(f"unknown region code {code!r}")
    return _to_domain(row)


def region_names(
    session: Session, *, include_history: bool = False, include_groups: bool = False
) -> dict[str, str]:
    """Code → name of the current regions (and past versions, and region groups, if asked)."""
    query = select(RegionRow.code, RegionRow.name).order_by(
        RegionRow.valid_from.is_(None), RegionRow.valid_from
    )
    if not include_history:
        query = query.where(RegionRow.valid_to.is_(None))
    names = dict(session.execute(query).all())
    if include_groups:
        names.update(session.execute(select(RegionGroupRow.code, RegionGroupRow.name)).all())
    return names


def outlines(session: Session, level: str) -> list[tuple[str, str, str]]:
    """(code, name, GeoJSON geometry) of the current regions of ``level`` that have an outline."""
    query = (
        select(RegionRow.code, RegionRow.name, RegionOutline.geometry)
        .join(RegionOutline, RegionOutline.region_id == RegionRow.id)
        .where(RegionRow.level == level, RegionRow.valid_to.is_(None))
        .order_by(RegionRow.code)
    )
    return [tuple(row) for row in session.execute(query)]

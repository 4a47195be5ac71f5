"""Inputs of the regional-coordination use cases: which regions, which values, which groups.

A region left out of a calculation is listed with a ``reason`` code — ``no_value``,
``no_weight``, ``not_positive`` (β needs positive values), ``too_many_missing`` (an index
build) — and a ``detail`` in English for the command line.

Values come through the monitor's series book (:func:`yrdplan.services.monitor.load_series`),
so derived indicators (GDP per capita, R&D intensity, …) are computed from their components and
every series is carried onto today's boundaries.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from yrdplan.analytics.series import Formula, SeriesBook
from yrdplan.domain.indicators import Indicator
from yrdplan.domain.periods import parse_period
from yrdplan.errors import InputError, NotFoundError
from yrdplan.services.catalogue import stored_indicators
from yrdplan.services.monitor import MonitorOptions, load_series
from yrdplan.store.repos import regions as region_repo
from yrdplan.store.schema import ObservationRecord

DEFAULT_REGIONS = "cities"
#: Fields of ``yrdplan disparity --format json`` that other tools rely on (README).
REST = "rest"  # the label of regions in none of the groups named with --by


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    level: str
    province: str
    parent: str


@dataclass
class Panel:
    """Values of one indicator (and its weight) for a set of regions, by period."""

    indicator: Indicator
    places: list[Place]
    periods: list[str]
    values: np.ndarray  # regions × periods, NaN where missing
    weights: np.ndarray | None  # regions × periods
    weight_code: str | None
    simulated: bool
    names: dict[str, str] = field(default_factory=dict)


# -- inputs -------------------------------------------------------------------------------------


def _places(session: Session, level: str | None = None) -> dict[str, Place]:
    out = {}
    for r in region_repo.list_regions(session, level=level):
        out[r.code] = Place(r.code, r.name, r.level, r.province_code or "", r.parent_code or "")
    return out


def resolve_regions(session: Session, spec: str | None, level: str = "city") -> list[Place]:
    """The regions named by ``spec``: a group code or name (``cities``, ``central``, ``sunan``),
    a province code (its cities, or its counties with ``level="county"``), a region code, or
    several of these joined by commas. Default: the 41 cities."""
    if level not in ("city", "county"):
        raise InputError(f"--level {level!r} is not city or county")
    spec = spec or DEFAULT_REGIONS
    every = _places(session)
    groups = {g.code: g for g in region_repo.list_groups(session)}
    by_name = {g.name: g for g in groups.values()}
    chosen: dict[str, Place] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        group = groups.get(part) or by_name.get(part)
        if group is not None:
            members = [every[c] for c in group.members if c in every]
            if level == "county" and group.code in ("cities", "provinces"):
                members = [p for p in every.values() if p.level == "county"]
        elif part in every and every[part].level == "province":
            members = [p for p in every.values() if p.province == part and p.level == level]
            if level == "city" and part == "310000":
                members = [every["310100"]] if "310100" in every else members
        elif part in every:
            members = [every[part]]
        else:
            known = ", ".join(groups)
            raise NotFoundError(
                f"--regions {part!r}: not a region group ({known}), province or region code"
            )
        for place in members:
            chosen.setdefault(place.code, place)
    if not chosen:
        raise InputError(f"--regions {spec!r}: no regions")
    return sorted(chosen.values(), key=lambda p: p.code)


def default_weight(indicators: dict[str, Indicator], code: str) -> str | None:
    """The weight a page uses for ``code``: its catalogue weight, else resident population."""
    indicator = indicators[code]
    if indicator.weight_indicator and indicator.weight_indicator in indicators:
        return indicator.weight_indicator
    return "POP" if "POP" in indicators and code != "POP" else None


def _book(
    session: Session, indicators: dict[str, Indicator], code: str, vintage: str | None
) -> SeriesBook:
    book, _, _ = load_series(session, indicators, MonitorOptions(indicator=code, vintage=vintage))
    return book


def period_key(label: str) -> float:
    return parse_period(label).decimal_year


def load_panel(
    session: Session,
    indicator: str,
    places: Sequence[Place],
    *,
    weight: str | None = None,
    vintage: str | None = None,
) -> Panel:
    """Values (and weights) of ``indicator`` for ``places`` in every period with data."""
    indicators = stored_indicators(session)
    if indicator not in indicators:
        raise NotFoundError(f"--indicator {indicator!r}: no such indicator in the catalogue")
    if weight is not None and weight not in indicators:
        raise NotFoundError(f"--weight {weight!r}: no such indicator in the catalogue")
    book = _book(session, indicators, indicator, vintage)
    series = [book.series(p.code, indicator) for p in places]
    wbook = _book(session, indicators, weight, vintage) if weight else None
    wseries = [wbook.series(p.code, weight) for p in places] if wbook else None
    periods = sorted({period for s in series for period in s}, key=period_key)
    values = np.full((len(places), len(periods)), np.nan)
    weights = np.full(values.shape, np.nan) if wseries is not None else None
    simulated = False
    for i, s in enumerate(series):
        for j, period in enumerate(periods):
            point = s.get(period)
            if point is not None:
                values[i, j] = point.value
                simulated = simulated or point.simulated
            if wseries is not None:
                wpoint = wseries[i].get(period)
                if wpoint is not None:
                    weights[i, j] = wpoint.value
                    simulated = simulated or (point is not None and wpoint.simulated)
    return Panel(indicators[indicator], list(places), periods, values, weights, weight, simulated)


def group_labels(
    session: Session, places: Sequence[Place], by: str
) -> tuple[list[str], dict[str, str]]:
    """Each region's group label for ``--by`` and label -> display name."""
    names = region_repo.region_names(session, include_groups=True)
    if by == "province":
        return [p.province for p in places], {
            p.province: names.get(p.province, p.province) for p in places
        }
    if by == "city":
        if any(p.level != "county" for p in places):
            raise InputError("--by city: needs county-level regions (--level county)")
        return [p.parent for p in places], {p.parent: names.get(p.parent, p.parent) for p in places}
    groups = {g.code: g for g in region_repo.list_groups(session)}
    wanted = [g.strip() for g in by.split(",") if g.strip()]
    label_of: dict[str, str] = {}
    for code in wanted:
        group = groups.get(code) or next((g for g in groups.values() if g.name == code), None)
        if group is None:
            raise NotFoundError(
                f"--by {code!r}: not province, city or a region group ({', '.join(groups)})"
            )
        members = set(group.members) & {p.code for p in places}
        if not members:
            raise InputError(f"--by {code!r}: group {group.name} has none of the regions chosen")
        for member in members:
            label_of.setdefault(member, group.code)
    labels = [label_of.get(p.code, REST) for p in places]
    display = {g: names.get(g, g) for g in set(labels)} | {REST: "其他"}
    return labels, display


def finite_or_none(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


def period_column(
    panel: Panel, period: str
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, list[dict]]:
    """One period's complete cases, the mask of regions kept, and the exclusions."""
    if period not in panel.periods:
        have = ", ".join(panel.periods[-5:]) or "none"
        raise InputError(
            f"--period {period!r}: no {panel.indicator.code} data for these regions (periods with data: {have})"
        )
    j = panel.periods.index(period)
    y = panel.values[:, j]
    keep = np.isfinite(y)
    excluded = [
        {"code": p.code, "name": p.name, "reason": "no_value", "detail": f"no value in {period}"}
        for p, ok in zip(panel.places, keep, strict=True)
        if not ok
    ]
    w = None
    if panel.weights is not None:
        w = panel.weights[:, j]
        bad = keep & ~(np.isfinite(w) & (w >= 0))
        excluded += [
            {
                "code": p.code,
                "name": p.name,
                "reason": "no_weight",
                "detail": f"no {panel.weight_code} weight in {period}",
            }
            for p, b in zip(panel.places, bad, strict=True)
            if b
        ]
        keep &= ~bad
    return y, w, keep, excluded


def indicators_with_data(session: Session) -> list[Indicator]:
    """Catalogue indicators that have current observations, or a formula over such ones."""
    observed = set(
        session.scalars(
            select(ObservationRecord.indicator_code).where(ObservationRecord.is_current).distinct()
        )
    )
    out = []
    for code, indicator in sorted(stored_indicators(session).items()):
        if code in observed or (
            indicator.formula and set(Formula.parse(indicator.formula).references) <= observed
        ):
            out.append(indicator)
    return out

"""Carry observations across boundary changes: series "as of" one boundary vintage.

A crosswalk row ``(from_code, to_code, weight, effective_date)`` says that share ``weight`` of
the unit ``from_code`` went to ``to_code`` on that date (a unit that simply continues maps to
itself with its remaining share). To see data as of the boundaries of day ``as_of``:

* an observation whose period ends before a change that took effect on or before ``as_of``
  is carried through it, and through any later change up to ``as_of``, in date order;
* the pieces that land in one unit are combined per period, only when every unit that feeds it
  has a value for that period (a partial sum would look like a fall):
  an indicator aggregated by ``sum`` takes ``Σ weight × value``; any other (rates, means,
  ratios) takes the weight-averaged value ``Σ weight × value / Σ weight`` — an approximation
  for ratios, which the components' own crosswalk recomputes exactly where they are observed;
* an observation made after ``as_of`` of a unit that came into being after ``as_of`` has no
  place on the older map and is left out (counted in :attr:`CrosswalkResult.dropped`).

Codes are reused (the new 上城区 keeps 330102), so what a code meant is decided by the period's
end date, never by the code alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from yrdplan.analytics.series import Point, Series


@dataclass(frozen=True, slots=True)
class Change:
    """One crosswalk row."""

    from_code: str
    to_code: str
    weight: float
    effective_date: date


@dataclass
class CrosswalkResult:
    """Series keyed ``(region, indicator)`` on the target boundaries, and what could not be."""

    series: dict[tuple[str, str], Series]
    carried: int = 0  # observations carried through at least one change
    dropped: int = 0  # observations with no place on the target map
    incomplete: list[tuple[str, str, str]] = field(default_factory=list)  # (region, code, period)


def validate_changes(changes: Sequence[Change]) -> list[str]:
    """Problems with a crosswalk: weights out of (0, 1] or a unit's shares not summing to 1.

    >>> validate_changes([Change("A", "B", 0.6, date(2021, 4, 9)), Change("A", "C", 0.3, date(2021, 4, 9))])
    ['A on 2021-04-09: shares add up to 0.9, not 1']
    """
    problems = []
    totals: dict[tuple[str, date], float] = defaultdict(float)
    for change in changes:
        if not 0 < change.weight <= 1:
            problems.append(
                f"{change.from_code} -> {change.to_code}: weight {change.weight:g} is not in (0, 1]"
            )
        totals[(change.from_code, change.effective_date)] += change.weight
    for (code, day), total in sorted(totals.items()):
        if abs(total - 1) > 1e-6:
            problems.append(f"{code} on {day.isoformat()}: shares add up to {total:g}, not 1")
    return problems


def carry_observations(
    series: Mapping[tuple[str, str], Series],
    period_ends: Mapping[str, date],
    changes: Iterable[Change],
    as_of: date,
    summed: Iterable[str],
) -> CrosswalkResult:
    """Map every series onto the boundaries of ``as_of`` (rules in the module docstring).

    Parameters
    ----------
    series : mapping
        ``(region_code, indicator_code) -> {period: Point}`` as observed.
    period_ends : mapping
        Period label -> the last day of that period.
    changes : iterable of Change
        The crosswalk.
    as_of : date
        The boundary vintage to map onto.
    summed : iterable of str
        Indicator codes aggregated by ``sum`` (their pieces add up; the others average).

    Examples
    --------
    江干区 (330104) split between 上城区 (330102) and 钱塘区 (330114) on 2021-04-09:

    >>> day = date(2021, 4, 9)
    >>> cw = [Change("330104", "330102", 0.6, day), Change("330104", "330114", 0.4, day),
    ...       Change("330102", "330102", 1.0, day)]
    >>> obs = {("330104", "GDP"): {"2020": Point(100.0, False)},
    ...        ("330102", "GDP"): {"2020": Point(50.0, False), "2022": Point(120.0, False)}}
    >>> out = carry_observations(obs, {"2020": date(2020, 12, 31), "2022": date(2022, 12, 31)},
    ...                          cw, date(2024, 1, 1), summed={"GDP"})
    >>> out.series[("330114", "GDP")]["2020"].value, out.series[("330102", "GDP")]["2020"].value
    (40.0, 110.0)
    >>> out.series[("330102", "GDP")]["2022"].how
    'observed'
    """
    summed = set(summed)
    by_code: dict[str, list[Change]] = defaultdict(list)
    born: dict[str, list[date]] = defaultdict(list)  # code -> dates on which a new unit took it
    for change in sorted(changes, key=lambda c: c.effective_date):
        by_code[change.from_code].append(change)
        born[change.to_code].append(change.effective_date)
    feeders: dict[tuple[str, date], set[str]] = defaultdict(set)
    for code, rows in by_code.items():
        for change in rows:
            feeders[(change.to_code, change.effective_date)].add(code)

    out: dict[tuple[str, str], Series] = defaultdict(dict)
    # (target region, indicator, period) -> [(weight, point, source region)]
    pieces: dict[tuple[str, str, str], list[tuple[float, Point, str]]] = defaultdict(list)
    needed: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    result = CrosswalkResult(series={})
    for (region, code), points in series.items():
        for period, point in points.items():
            end = period_ends[period]
            if end > as_of and any(as_of < day <= end for day in born.get(region, ())):
                result.dropped += 1
                continue
            paths = _paths(region, end, as_of, by_code)
            if paths == [(region, 1.0, ())]:
                out[(region, code)][period] = point
                continue
            result.carried += 1
            for target, weight, steps in paths:
                key = (target, code, period)
                pieces[key].append((weight, point, region))
                for step in steps:
                    needed[key] |= feeders[step]
    for (target, code, period), parts in pieces.items():
        if (target, code) in out and period in out[(target, code)]:
            continue  # observed on the target map already: that value wins
        have = {source for _, _, source in parts}
        if not needed[(target, code, period)] <= have:
            result.incomplete.append((target, code, period))
            continue
        total = sum(weight * p.value for weight, p, _ in parts)
        if code not in summed:
            total /= sum(weight for weight, _, _ in parts)
        simulated = any(p.simulated for _, p, _ in parts)
        out[(target, code)][period] = Point(total, simulated, "crosswalk")
    result.series = {key: dict(sorted(points.items())) for key, points in out.items()}
    return result


def _paths(
    region: str, end: date, as_of: date, by_code: Mapping[str, list[Change]]
) -> list[tuple[str, float, tuple[tuple[str, date], ...]]]:
    """Where a unit observed at ``end`` lies on the map of ``as_of``: (code, share, steps)."""
    for change_day in sorted({c.effective_date for c in by_code.get(region, ())}):
        if end < change_day <= as_of:
            paths = []
            for change in by_code[region]:
                if change.effective_date != change_day:
                    continue
                # Later changes apply to the pieces from the day this one took effect.
                for code, share, steps in _paths(change.to_code, change_day, as_of, by_code):
                    step = (change.to_code, change_day)
                    paths.append((code, change.weight * share, (step, *steps)))
            return paths
    return [(region, 1.0, ())]

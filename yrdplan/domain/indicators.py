"""Indicators, targets and observations as plain typed records (no database, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Direction = Literal["higher", "lower", "band"]
IndicatorKind = Literal["indicative", "binding"]
Aggregation = Literal["sum", "mean", "weighted_mean", "recompute", "none"]
Comparator = Literal[">=", "<=", "=", "~", "between", "relative"]

DIRECTIONS: tuple[str, ...] = ("higher", "lower", "band")
COMPARATORS: tuple[str, ...] = (">=", "<=", "=", "~", "between", "relative")
INDICATOR_KINDS: tuple[str, ...] = ("indicative", "binding")
AGGREGATIONS: tuple[str, ...] = ("sum", "mean", "weighted_mean", "recompute", "none")


@dataclass(slots=True)
class Indicator:
    """A catalogue entry. ``direction`` is required: whether more is better is never guessed."""

    code: str
    name: str
    unit: str
    direction: Direction
    name_en: str = ""
    kind: IndicatorKind = "indicative"
    area: str = ""
    definition: str = ""
    aggregation: Aggregation = "none"
    weight_indicator: str | None = None  # for weighted_mean, e.g. a population indicator code
    formula: str | None = None  # derived indicators, e.g. "RAIL_KM / AREA_KM2 * 10000"
    frequency: str = "year"
    synonyms: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Target:
    """A target for one indicator in one region (or region group) for one milestone year.

    For ``relative`` targets the value is ``base_value * (1 + relative_change)``; for a named
    standard, ``standard`` names it and ``value`` holds the resolved limit where one is known.
    """

    indicator_code: str
    year: int
    comparator: Comparator
    value: float | None
    region_code: str | None = None
    group_code: str | None = None
    value_high: float | None = None
    base_year: int | None = None
    base_value: float | None = None
    relative_change: float | None = None
    standard: str | None = None
    unit: str | None = None
    # The revision an editor started from (0: a new target); a save over a newer one is refused.
    edited_from: int | None = None


@dataclass(slots=True)
class Observation:
    """One value of one indicator for one region and period, from a named source and vintage."""

    region_code: str
    indicator_code: str
    period: str
    value: float
    source: str = ""
    vintage: str = ""
    is_simulated: bool = False
    note: str = ""

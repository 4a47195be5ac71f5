"""Observation periods: a year (``2024``), a quarter (``2024Q3``) or a month (``2024-07``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Frequency = Literal["year", "quarter", "month"]

_PATTERNS: list[tuple[Frequency, re.Pattern[str]]] = [
    ("year", re.compile(r"^(\d{4})$")),
    ("quarter", re.compile(r"^(\d{4})Q([1-4])$")),
    ("month", re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")),
]


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """A period; ordering is chronological within one frequency."""

    year: int
    sub: int  # 0 for a year, 1-4 for a quarter, 1-12 for a month
    frequency: Frequency

    def __str__(self) -> str:
        if self.frequency == "year":
            return f"{self.year:04d}"
        if self.frequency == "quarter":
            return f"{self.year:04d}Q{self.sub}"
        return f"{self.year:04d}-{self.sub:02d}"

    @property
    def decimal_year(self) -> float:
        """The period's end as a fractional year, so 2024 -> 2024.0 and 2024Q2 -> 2023.5.

        Annual values are taken to describe the year they are labelled with; sub-annual ones sit at
        the fraction of their year that has elapsed when they close, which keeps a 2024Q4 value and
        a 2024 value at the same point on a trajectory.
        """
        if self.frequency == "year":
            return float(self.year)
        per_year = 4 if self.frequency == "quarter" else 12
        return self.year - 1 + self.sub / per_year


def parse_period(text: str) -> Period:
    """Parse ``2024``, ``2024Q3`` or ``2024-07``; raise ``ValueError`` naming the text otherwise.

    >>> parse_period("2024Q3")
    Period(year=2024, sub=3, frequency='quarter')
    >>> str(parse_period(" 2024-07 "))
    '2024-07'
    """
    cleaned = str(text).strip().upper()
    if re.fullmatch(r"\d{4}\.0", cleaned):  # spreadsheets hand back years as floats
        cleaned = cleaned[:4]
    for frequency, pattern in _PATTERNS:
        match = pattern.match(cleaned)
        if match:
            sub = int(match.group(2)) if frequency != "year" else 0
            return Period(int(match.group(1)), sub, frequency)
    raise ValueError(f"period {text!r} is not a year (2024), quarter (2024Q3) or month (2024-07)")

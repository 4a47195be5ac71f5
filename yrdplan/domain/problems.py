"""A problem found while reading input: where it is and what it is.

Ingest functions never raise on bad content; they return what they could read plus a list of
these, so that the store can refuse to write anything while any problem is an error.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Generic, Literal, NamedTuple, TypeVar

Severity = Literal["error", "warning", "info"]
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem. Text input uses ``start``/``end`` offsets; tables use file/sheet/row/column."""

    kind: str
    message: str
    severity: Severity = "error"
    start: int | None = None
    end: int | None = None
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def where(self) -> str:
        """Human-readable location, e.g. ``obs.csv, row 12, column value``."""
        parts = [p for p in (self.file, f"sheet {self.sheet}" if self.sheet else None) if p]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        if self.start is not None:
            parts.append(f"offset {self.start}-{self.end if self.end is not None else self.start}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        value = f" (value {self.value!r})" if self.value is not None else ""
        return f"{where}: {self.message}{value}" if where else f"{self.message}{value}"

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


def errors_of(problems: list[Problem]) -> list[Problem]:
    """The problems that must stop a write."""
    return [p for p in problems if p.severity == "error"]


class Reading(NamedTuple, Generic[R]):
    """What every reader returns: the records it could read, and the problems it found.

    ``records`` holds only what passed every error-level check, in file order; ``problems``
    locates each finding by file, sheet, row and column. A tuple, so ``rows, problems =
    read_x(...)`` reads it too.
    """

    records: list[R]
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        """The problems that must stop a write."""
        return errors_of(self.problems)

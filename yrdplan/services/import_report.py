"""What every import returns (:class:`ImportReport`) and raises on a bad file (:class:`ImportFailed`).

One result type for every kind of import, so the command line prints and the web shows them the
same way: how many rows were read, added, revised, unchanged or kept as history, and the
warnings let through. ``detail`` keeps the kind's own answer (a checklist's changed fields, a
plan's version and diff, an agreement's version) for the shells that show more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from yrdplan.domain.problems import Problem, errors_of
from yrdplan.errors import InputError

# At most this many problems are repeated in the one-line error message; the full list is on
# the exception (and the CLI prints it all).
_SHOWN = 5


class ImportFailed(InputError):
    """A file with errors: nothing was written. ``problems`` lists all of them (and warnings)."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems
        errors = errors_of(problems)
        shown = "; ".join(str(p) for p in errors[:_SHOWN])
        more = f"; and {len(errors) - _SHOWN} more" if len(errors) > _SHOWN else ""
        super().__init__(f"{file}: {len(errors)} error(s), nothing written: {shown}{more}")


@dataclass
class ImportReport:
    """What an import wrote, and the warnings it let through."""

    file: str
    kind: str  # indicators, targets, observations, checklists, plans, …
    read: int
    added: int = 0
    revised: int = 0
    unchanged: int = 0
    historical: int = 0
    problems: list[Problem] = field(default_factory=list)
    simulated: bool = False
    # The kind's own result (checklist, plan, agreement); not part of the JSON.
    detail: Any = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "kind": self.kind,
            "read": self.read,
            "added": self.added,
            "revised": self.revised,
            "unchanged": self.unchanged,
            "historical": self.historical,
            "simulated": self.simulated,
            "problems": [p.to_dict() for p in self.problems],
        }


def fail_on_errors(file: str, problems: list[Problem]) -> None:
    """``ImportFailed`` with every problem when any of them is an error."""
    if errors_of(problems):
        raise ImportFailed(file, problems)

"""Geography over time for monitoring: the hierarchy on a given day and the boundary crosswalk.

The crosswalk lives in ``region_changes`` (one row per piece: share ``weight`` of ``from_code``
went to ``to_code`` on ``effective_date``). The demo loads ``yrdplan/data/region_crosswalk.csv``,
the 2021 Hangzhou adjustment with population shares that are *demo assumptions*; a site loads
its own with ``yrdplan data crosswalk FILE`` (same columns), which replaces the rows of the same
unit and date.
"""

from __future__ import annotations

import calendar
import csv
import io
from collections import defaultdict
from datetime import date
from importlib import resources
from pathlib import Path

from sqlalchemy.orm import Session

from yrdplan.analytics.crosswalk import Change, validate_changes
from yrdplan.domain.periods import parse_period
from yrdplan.domain.problems import Problem
from yrdplan.domain.regions import YRD_CODE
from yrdplan.services.indicator_data import ImportFailed
from yrdplan.store.repos import indicators as repo
from yrdplan.store.repos import regions as region_repo
from yrdplan.store.schema import DataSource

CROSSWALK_COLUMNS = ("from_code", "to_code", "weight", "effective_date")


def period_end(label: str) -> date:
    """The last day of a period: 2024 -> 2024-12-31, 2024Q1 -> 2024-03-31, 2024-02 -> 2024-02-29.

    >>> period_end("2024Q1"), period_end("2023-02")
    (datetime.date(2024, 3, 31), datetime.date(2023, 2, 28))
    """
    period = parse_period(label)
    if period.frequency == "year":
        return date(period.year, 12, 31)
    month = period.sub * 3 if period.frequency == "quarter" else period.sub
    return date(period.year, month, calendar.monthrange(period.year, month)[1])


def hierarchy(session: Session, as_of: date | None = None) -> dict[str, list[str]]:
    """Region or group code -> the codes directly below it, on the boundaries of ``as_of``.

    The YRD (000000) has the four provinces, a province its cities, a city its counties, and
    each region group its members.
    """
    regions = region_repo.list_regions(session, as_of=as_of)
    children: dict[str, list[str]] = defaultdict(list)
    for region in regions:
        if region.parent_code:
            children[region.parent_code].append(region.code)
    if YRD_CODE not in children:
        children[YRD_CODE] = [r.code for r in regions if r.level == "province"]
    for group in region_repo.list_groups(session):
        children[group.code] = list(group.members)
    return dict(children)


def stored_changes(session: Session) -> list[Change]:
    return [
        Change(row.from_code, row.to_code, row.weight, row.effective_date)
        for row in repo.region_changes(session)
    ]


def _bad(file: str, row: int, line: dict, column: str, message: str) -> Problem:
    return Problem(
        "bad_crosswalk", message, file=file, row=row, column=column, value=line.get(column)
    )


def read_crosswalk(
    text: str, file: str, known: set[str]
) -> list[tuple[str, str, float, date, str]]:
    """Parse crosswalk CSV text; ``ImportFailed`` naming every bad row, nothing half-read."""
    reader = csv.DictReader(io.StringIO(text))
    problems: list[Problem] = []
    missing = [c for c in CROSSWALK_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ImportFailed(
            file,
            [
                Problem("missing_column", f"no {c} column", file=file, row=1, column=c)
                for c in missing
            ],
        )
    rows = []
    for number, line in enumerate(reader, start=2):
        before = len(problems)
        codes = {column: (line.get(column) or "").strip() for column in ("from_code", "to_code")}
        for column, code in codes.items():
            if code not in known:
                problems.append(_bad(file, number, line, column, f"unknown region {code!r}"))
        try:
            weight = float(line["weight"])
        except (TypeError, ValueError):
            problems.append(_bad(file, number, line, "weight", "weight is not a number"))
        try:
            day = date.fromisoformat((line.get("effective_date") or "").strip())
        except ValueError:
            message = "effective_date is not a date (YYYY-MM-DD)"
            problems.append(_bad(file, number, line, "effective_date", message))
        if len(problems) == before:
            note = (line.get("note") or "").strip()
            rows.append((codes["from_code"], codes["to_code"], weight, day, note))
    changes = [Change(f, t, w, d) for f, t, w, d, _ in rows]
    problems += [
        Problem("bad_crosswalk", message, file=file) for message in validate_changes(changes)
    ]
    if problems:
        raise ImportFailed(file, problems)
    return rows


def import_crosswalk(session: Session, path: str | Path) -> int:
    """Load a crosswalk CSV (``from_code,to_code,weight,effective_date[,note]``)."""
    file = Path(path)
    known = {r.code for r in region_repo.list_regions(session, include_history=True)}
    rows = read_crosswalk(file.read_text(encoding="utf-8-sig"), file.name, known)
    return repo.replace_region_changes(session, rows)


def load_demo_crosswalk(session: Session) -> int:
    """The 2021 Hangzhou adjustment with demo-assumption shares (see the CSV's notes)."""
    text = (resources.files("yrdplan.data") / "region_crosswalk.csv").read_text(encoding="utf-8")
    known = {r.code for r in region_repo.list_regions(session, include_history=True)}
    rows = read_crosswalk(text, "region_crosswalk.csv", known)
    session.add(
        DataSource(
            kind="demo",
            name="yrdplan/data/region_crosswalk.csv",
            note="crosswalk of the 2021 Hangzhou adjustment; the population shares are demo assumptions",
        )
    )
    return repo.replace_region_changes(session, rows)

"""Geography over time for monitoring: the hierarchy on a given day and the boundary crosswalk.

The crosswalk lives in ``region_changes`` (one row per piece: share ``weight`` of ``from_code``
went to ``to_code`` on ``effective_date``). The demo loads ``yrdplan/data/region_crosswalk.csv``,
the 2021 Hangzhou adjustment with population shares that are *demo assumptions*; a site loads
its own with ``yrdplan data crosswalk FILE`` (same columns), which replaces the rows of the same
unit and date.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date
from importlib import resources

from sqlalchemy.orm import Session

from yrdplan.analytics.crosswalk import Change, validate_changes
from yrdplan.domain.periods import parse_period
from yrdplan.domain.problems import Problem
from yrdplan.domain.regions import YRD_CODE
from yrdplan.ingest.crosswalk import read_crosswalk
from yrdplan.ingest.source import Readable, as_source
from yrdplan.services.import_report import fail_on_errors
from yrdplan.store.repos import indicators as repo
from yrdplan.store.repos import regions as region_repo
from yrdplan.store.schema import DataSource


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


def _crosswalk_rows(
    session: Session, file: Readable, name: str | None = None
) -> list[tuple[str, str, float, date, str]]:
    """Read a crosswalk and check its shares; ``ImportFailed`` naming every bad row."""
    known = {r.code for r in region_repo.list_regions(session, include_history=True)}
    source = as_source(file, name)
    rows, problems = read_crosswalk(source, known=known)
    # The shares of the rows read are checked even beside bad rows: every problem at once.
    changes = [Change(r.from_code, r.to_code, r.weight, r.effective_date) for r in rows]
    problems += [
        Problem("bad_crosswalk", message, file=source.name) for message in validate_changes(changes)
    ]
    fail_on_errors(source.name, problems)
    return [(r.from_code, r.to_code, r.weight, r.effective_date, r.note) for r in rows]


def import_crosswalk(session: Session, file: Readable, *, name: str | None = None) -> int:
    """Load a crosswalk CSV (``from_code,to_code,weight,effective_date[,note]``), a path or an
    upload; the number of rows stored."""
    return repo.replace_region_changes(session, _crosswalk_rows(session, file, name))


def load_demo_crosswalk(session: Session) -> int:
    """The 2021 Hangzhou adjustment with demo-assumption shares (see the CSV's notes)."""
    with (resources.files("yrdplan.data") / "region_crosswalk.csv").open("rb") as handle:
        rows = _crosswalk_rows(session, handle, "region_crosswalk.csv")
    session.add(
        DataSource(
            kind="demo",
            name="yrdplan/data/region_crosswalk.csv",
            note="crosswalk of the 2021 Hangzhou adjustment; the population shares are demo assumptions",
        )
    )
    return repo.replace_region_changes(session, rows)

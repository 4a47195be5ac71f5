"""The full bulletin (通报) for the demo database and for a large synthetic one, beside the time
to render the same tables alone.

For each database it reports:

* ``snapshot``: gathering the data (completion, timeliness, watchlist, warnings, dashboard,
  league table) into the frozen snapshot, monitoring run included when it is stale;
* ``full``: every format from the snapshot — .docx, .xlsx, .html and the PDF (chromium), with
  all charts and the 41-city map (PDF left out with ``--no-pdf``);
* ``tables alone``: the same document with its figures left out, as .docx, .xlsx and .html —
  the baseline: what charts, map and PDF add is the ratio ``full / tables alone``.

The synthetic database is the demo plus one plan of 1,000 tasks (10 areas, 60 units, the 41
cities), 20 closed reporting cycles with the lead units' reports, and 200 indicators with ten
years of values and a 2025 target in each of the 41 cities. Rows are written with SQLAlchemy
Core (benchmark input only, not audited, never shipped).

Usage: ``python bench/bench_bulletin.py [--no-pdf]``
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import insert

from yrdplan.domain.people import UserInfo
from yrdplan.reports.document import Figure
from yrdplan.reports.documents import build_document, render_documents
from yrdplan.reports.docx_writer import write_docx
from yrdplan.reports.html_writer import write_html
from yrdplan.reports.xlsx_annex import write_xlsx
from yrdplan.services.bulletin_snapshot import bulletin_snapshot
from yrdplan.services.setup import init_database
from yrdplan.store.database import connect
from yrdplan.store.repos import regions as region_repo
from yrdplan.store.schema import (
    IndicatorRecord,
    ObservationRecord,
    Plan,
    ProgressReport,
    ReportingCycle,
    TargetRecord,
    Task,
    Unit,
)

OFFICE = UserInfo(id=None, username="bench", role="office")  # type: ignore[arg-type]
TODAY = date.today()


def synthesise(url: str, rng: np.random.Generator) -> int:
    """Add the large plan, cycles, reports and indicators; the id of the last cycle."""
    database = connect(url)
    with database.read() as session:
        cities = [r.code for r in region_repo.list_regions(session, level="city")]
    with database.engine.begin() as conn:
        plan_id = conn.execute(
            insert(Plan).values(
                code="bench-plan", title="基准测试规划（合成）", kind="action_plan",
                region_code="000000", status="confirmed", issued_on=date(2024, 1, 1),
                created_at=datetime(2024, 1, 1), current_version=1,
            )
        ).inserted_primary_key[0]  # fmt: skip
        unit_ids = [
            conn.execute(
                insert(Unit).values(
                    code=f"bench-u{n:02d}",
                    name=f"合成单位{n:02d}",
                    kind="department",
                    aliases=[],
                    is_active=True,
                )
            ).inserted_primary_key[0]
            for n in range(60)
        ]
        tasks = []
        for n in range(1000):
            deadline = date(2024, 6, 30) + timedelta(days=int(rng.integers(0, 1000)))
            done = rng.random() < 0.45
            tasks.append(
                {
                    "plan_id": plan_id, "key": f"b/{n}", "label": f"{n + 1}.", "title": f"合成任务{n + 1}",
                    "area": f"领域{n % 10 + 1}", "lead_unit_id": unit_ids[n % 60], "deadline": deadline,
                    "percent": 100.0 if done else float(rng.integers(0, 95)),
                    "completed_on": deadline - timedelta(days=30) if done else None,
                    "region_code": cities[n % len(cities)], "weight": 1.0, "is_suspended": False,
                    "is_major_project": False, "deadline_note": "", "row_version": 1, "is_simulated": True,
                }
            )  # fmt: skip
        conn.execute(insert(Task), tasks)
        task_rows = conn.execute(Task.__table__.select().where(Task.plan_id == plan_id)).all()
        cycle_id = None
        for c in range(20):
            opens = date(2022, 1, 1) + timedelta(days=45 * c)
            cycle_id = conn.execute(
                insert(ReportingCycle).values(
                    plan_id=plan_id, name=f"合成调度{c + 1}", kind="monthly", opens_on=opens,
                    due_on=opens + timedelta(days=30), status="closed",
                    closed_at=datetime.combine(opens + timedelta(days=40), datetime.min.time()),
                    created_at=datetime(2022, 1, 1), is_simulated=True,
                )
            ).inserted_primary_key[0]  # fmt: skip
            reports = [
                {
                    "cycle_id": cycle_id, "task_id": t.id, "unit_id": t.lead_unit_id, "status": "on_track",
                    "percent": 50.0, "narrative": "", "blockers": "协调难度大" if rng.random() < 0.02 else "",
                    "submitted_at": datetime.combine(opens + timedelta(days=int(rng.integers(5, 40))), datetime.min.time()),
                    "review_state": "accepted", "review_comment": "", "row_version": 1, "is_simulated": True,
                }
                for t in task_rows
                if rng.random() < 0.9
            ]  # fmt: skip
            conn.execute(insert(ProgressReport), reports)
        years = np.arange(2015, 2025)
        for i in range(200):
            code = f"BENCH_{i:03d}"
            conn.execute(
                insert(IndicatorRecord).values(
                    code=code, name=f"合成指标{i + 1}", unit="%", direction="higher", kind="indicative",
                    area="bench", aggregation="none", frequency="year", synonyms=[], definition="",
                )
            )  # fmt: skip
            level = rng.uniform(20, 60, len(cities))
            growth = rng.normal(0.03, 0.02, len(cities))
            conn.execute(
                insert(ObservationRecord),
                [
                    {
                        "region_code": city, "indicator_code": code, "period": str(y),
                        "value": float(level[k] * (1 + growth[k]) ** (y - 2015)), "source": "simulated",
                        "vintage": "bench", "is_simulated": True, "is_current": True, "note": "",
                        "created_at": datetime(2025, 1, 1),
                    }
                    for k, city in enumerate(cities)
                    for y in years
                ],
            )  # fmt: skip
            conn.execute(
                insert(TargetRecord),
                [
                    {
                        "target_key": f"{code}/{city}/2025", "revision": 1, "is_current": True,
                        "indicator_code": code, "region_code": city, "year": 2025, "comparator": ">=",
                        "value": float(level[k] * 1.04**10), "note": "", "created_at": datetime(2025, 1, 1),
                    }
                    for k, city in enumerate(cities)
                ],
            )  # fmt: skip
    database.dispose()
    return cycle_id


def timed(work):
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def measure(label: str, url: str, snapshot_args: dict, formats: list[str]) -> None:
    database = connect(url)
    with database.write() as session:
        snapshot, t_snapshot = timed(
            lambda: bulletin_snapshot(
                session, OFFICE, issuer="长三角区域合作办公室", today=TODAY, **snapshot_args
            )
        )
    database.dispose()
    document = build_document(snapshot, {})
    marks: dict[str, float] = {}
    started = time.perf_counter()
    files, t_full = timed(
        lambda: render_documents(
            snapshot,
            {},
            formats,
            progress=lambda f: marks.setdefault(f, time.perf_counter() - started),
        )
    )
    tables_only = dataclasses.replace(
        document, blocks=[b for b in document.blocks if not isinstance(b, Figure)]
    )
    built_at = datetime.fromisoformat(snapshot["taken_at"])
    _, t_tables = timed(
        lambda: (
            write_docx(tables_only, built_at),
            write_xlsx(tables_only, built_at),
            write_html(tables_only),
        )
    )
    rows = sum(len(t.rows) for t in document.tables())
    print(
        f"{label:10s} snapshot {t_snapshot:6.2f} s | full ({'+'.join(formats)}; "
        f"{len(document.figures())} charts incl. map, {len(document.tables())} tables, {rows} rows) "
        f"{t_full:6.2f} s | tables alone {t_tables:5.2f} s | full / tables {t_full / t_tables:5.1f}× | "
        f"{sum(len(f.content) for f in files) / 1e6:.1f} MB"
    )
    # html first; chromium prints the PDF while docx and xlsx are written
    print("           done after: " + ", ".join(f"{k} {v:.2f} s" for k, v in marks.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-pdf", action="store_true", help="leave the PDF (chromium) out")
    args = parser.parse_args()
    formats = ["docx", "xlsx", "html"] + ([] if args.no_pdf else ["pdf"])
    with tempfile.TemporaryDirectory(prefix="yrdplan-bench-") as tmp:
        demo = Path(tmp) / "demo.db"
        url = f"sqlite:///{demo}"
        _, t_init = timed(lambda: init_database(url))
        print(f"init demo {t_init:.1f} s")
        measure("demo", url, {"period": "2026"}, formats)
        large = Path(tmp) / "large.db"
        shutil.copy(demo, large)
        large_url = f"sqlite:///{large}"
        cycle_id, t_syn = timed(lambda: synthesise(large_url, np.random.default_rng(20261205)))
        print(f"synthesise 1,000 tasks, 20 cycles, 200 indicators × 41 cities {t_syn:.1f} s")
        measure("large", large_url, {"cycle_id": cycle_id}, formats)


if __name__ == "__main__":
    main()

"""The monitor service end to end: init with the demo, import a county panel, run the monitor.

Reports wall time of each step on a fresh SQLite database (or ``--db URL``, which must be
empty):

* ``init``: `yrdplan init` with the demo (13,600 simulated city observations among the rest);
* ``monitor demo``: one full run over the demo (every target and every series' trend, stored);
* ``import counties``: a synthetic panel for the 305 county-level units, 20 indicators × 10
  years (61,000 rows) through the CSV importer, all or nothing;
* ``monitor counties``: the full run again, now over ~6,000 more series.

The progress engine alone is benchmarked against pandas in ``bench_progress.py``; this one
shows what the store, the series resolution and the storing of components add around it.

Usage: ``python bench/bench_monitor.py [--db URL]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from yrdplan.domain.people import SYSTEM_CALLER
from yrdplan.services.indicator_data import import_observations
from yrdplan.services.monitor import MonitorOptions, run_monitor
from yrdplan.services.setup import init_database
from yrdplan.store.database import connect
from yrdplan.store.repos import regions as region_repo

INDICATORS = [
    "POP", "POP_URBAN", "GDP", "RD_EXPENDITURE", "INDUSTRIAL_OUTPUT", "RAIL_KM", "EXPRESSWAY_KM",
    "PM25", "PM10", "NO2", "SO2", "O3", "AIR_GOOD_DAYS", "SURFACE_WATER_GOOD", "ENERGY_CONSUMPTION",
    "FOREST_COVERAGE", "SCHOOLING_YEARS", "LIFE_EXPECTANCY", "URBAN_INCOME", "RURAL_INCOME",
]  # fmt: skip


def county_panel(codes: list[str], path: Path, rng: np.random.Generator) -> int:
    """A long CSV of plausible-looking made-up values (benchmark input only, never stored)."""
    years = np.arange(2015, 2025)
    lines = ["region_code,indicator_code,period,value,source,vintage"]
    for code in codes:
        for indicator in INDICATORS:
            level = rng.uniform(20, 80)
            trend = rng.normal(0.02, 0.02)
            values = level * (1 + trend) ** (years - 2015) * rng.normal(1, 0.01, years.size)
            values = np.minimum(values, 99.0)  # shares stay shares: the importer refuses > 100 %
            lines += [
                f"{code},{indicator},{y},{v:.3f},bench,2025-01-01"
                for y, v in zip(years, values, strict=True)
            ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines) - 1


def timed(label: str, work):
    started = time.perf_counter()
    result = work()
    print(f"{label:<18} {time.perf_counter() - started:7.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="an empty database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.db or f"sqlite:///{Path(folder) / 'bench.db'}"
        timed("init", lambda: init_database(url))
        database = connect(url)
        options = MonitorOptions(include_trends=True)

        def monitor():
            with database.write() as session:
                return len(run_monitor(session, options).rows)

        rows = timed("monitor demo", monitor)
        print(f"{'':<18} {rows} rows")
        with database.read() as session:
            counties = [r.code for r in region_repo.list_regions(session, level="county")]
        csv_path = Path(folder) / "counties.csv"
        count = county_panel(counties, csv_path, np.random.default_rng(1))

        def load():
            with database.write() as session:
                return import_observations(
                    session, csv_path, progress=False, user=SYSTEM_CALLER
                ).added

        added = timed("import counties", load)
        print(f"{'':<18} {added} of {count} rows added")
        rows = timed("monitor counties", monitor)
        print(f"{'':<18} {rows} rows")
        database.dispose()


if __name__ == "__main__":
    main()

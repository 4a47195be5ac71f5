"""Benchmark: regional coordination (disparity, convergence, the index with Monte Carlo rank
intervals) against a straightforward pandas group-by implementation and PySAL ``inequality``.

A synthetic national panel (default 2,850 county-level regions in 31 provinces and ~310
cities × 200 indicators × 20 years, 11.4 million values, and a population per region) is drawn
from a seed. In one run it times

1. every disparity measure (mean, sd, CV, Theil T, Theil L, GE(2), Gini, range, max/min),
   population-weighted, with the two-level (province → city) decomposition of Theil T and L,
   for every indicator and year;
2. σ-convergence (the CV per year and its trend) and absolute β-convergence (2005 → 2024) for
   every indicator;
3. the composite index over the 200 indicators in the last year with 1,000 Monte Carlo
   replications (rank intervals);
4. the regional pages for the 41 cities on a fresh demo database (median and p95 answer time);

with yrdplan's analytics, with (a) pandas group-bys written the obvious way, and (b) for what it
has (unweighted Theil T and its decomposition, Gini), PySAL ``inequality``, comparing the numbers
where they overlap. Ratios are baseline time / yrdplan time in this same run; peak memory is
``tracemalloc``'s peak for each step. The baselines may run on a share of the series or runs
(``--pandas-fraction``, ``--pysal-fraction``, ``--pandas-runs``); their times are then scaled up
linearly and the output says so. The machine is shared: the load average is printed.

    .venv/bin/python bench/bench_regional.py
    .venv/bin/python bench/bench_regional.py --regions 300 --indicators 20 --years 10
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

from yrdplan.analytics.composite_index import IndexSpec
from yrdplan.analytics.convergence import beta_table
from yrdplan.analytics.disparity import disparity_table
from yrdplan.analytics.uncertainty import MonteCarloOptions, rank_intervals

BLOCK = 500  # series per block: keeps the temporaries of one block small


def make_panel(regions: int, indicators: int, years: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    province = np.sort(rng.integers(0, 31, regions))
    city = province * 20 + rng.integers(0, 10, regions)
    level = rng.lognormal(0.0, 0.5, size=(regions, indicators))
    growth = rng.normal(0.05, 0.02, size=(regions, indicators)) - 0.01 * np.log(level)
    t = np.arange(years)
    values = (
        level[:, :, None]
        * np.exp(growth[:, :, None] * t)
        * rng.lognormal(0, 0.02, (regions, indicators, years))
    )
    return {
        "values": values.reshape(regions, indicators * years),  # column = indicator × year
        "population": rng.uniform(5, 200, regions),
        "province": province,
        "city": city,
        "indicators": indicators,
        "years": years,
    }


def measure(label: str, fn: Callable[[], object]) -> tuple[float, float, object]:
    tracemalloc.start()
    started = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(f"  {label}: {seconds:.2f} s, peak {peak:.0f} MB", flush=True)
    return seconds, peak, result


# -- yrdplan ------------------------------------------------------------------------------------


def ours_disparity(panel: dict, weighted: bool = True) -> dict[str, np.ndarray]:
    y = panel["values"]
    weights = panel["population"] if weighted else None
    parts: dict[str, list] = {}
    for start in range(0, y.shape[1], BLOCK):
        block = disparity_table(
            y[:, start : start + BLOCK], weights, levels=[panel["province"], panel["city"]]
        )
        for name, value in block.items():
            parts.setdefault(name, []).append(value)
    return {name: np.concatenate(v, axis=-1) for name, v in parts.items()}


def ours_convergence(panel: dict, cv: np.ndarray) -> dict[str, np.ndarray]:
    k, years = panel["indicators"], panel["years"]
    sigma = cv.reshape(k, years)
    t = np.arange(years, dtype=float)
    tc = t - t.mean()
    slope = (sigma - sigma.mean(axis=1, keepdims=True)) @ tc / (tc @ tc)
    y = panel["values"].reshape(-1, k, years)
    beta = beta_table(y[:, :, 0], y[:, :, -1], years - 1)
    return {"sigma_slope": slope, **beta}


def ours_index(panel: dict, runs: int) -> np.ndarray:
    k, years = panel["indicators"], panel["years"]
    x = panel["values"].reshape(-1, k, years)[:, :, -1]
    spec = IndexSpec(["higher"] * k, dimensions=[f"d{j % 6}" for j in range(k)])
    out = rank_intervals(x, spec, MonteCarloOptions(runs=runs, seed=1))
    return np.vstack([out.p05, out.median, out.p95])


# -- pandas, the straightforward way ------------------------------------------------------------


def pandas_frame(panel: dict, columns: np.ndarray):
    import pandas as pd

    y = panel["values"][:, columns]
    n, m = y.shape
    return pd.DataFrame(
        {
            "series": np.tile(columns, n),
            "province": np.repeat(panel["province"], m),
            "city": np.repeat(panel["city"], m),
            "w": np.repeat(panel["population"], m),
            "y": y.ravel(),
        }
    )


def pandas_disparity(frame) -> dict:
    df = frame.copy()
    g = df.groupby("series")
    df["p"] = df["w"] / g["w"].transform("sum")
    df["py"] = df["p"] * df["y"]
    mu = df.groupby("series")["py"].sum()
    df["mu"] = df["series"].map(mu)
    df["r"] = df["y"] / df["mu"]
    df["lnr"] = np.log(df["r"])
    df["t"] = df["p"] * df["r"] * df["lnr"]
    df["l"] = -df["p"] * df["lnr"]
    df["r2"] = df["p"] * df["r"] ** 2
    s = df.groupby("series")
    out = {"mean": mu, "theil_t": s["t"].sum(), "theil_l": s["l"].sum()}
    out["cv"] = np.sqrt(s["r2"].sum() - 1)
    out["ge2"] = (s["r2"].sum() - 1) / 2
    out["range"] = s["y"].max() - s["y"].min()
    out["max_min_ratio"] = s["y"].max() / s["y"].min()
    df = df.sort_values(["series", "y"])
    df["c"] = df.groupby("series")["p"].cumsum()
    df["gini"] = df["p"] * df["y"] * (2 * df["c"] - df["p"] - 1)
    out["gini"] = df.groupby("series")["gini"].sum() / mu
    for level in ("province", "city"):
        groups = df.groupby(["series", level])[["p", "py"]].sum().reset_index()
        groups["rel"] = groups["py"] / groups["p"] / groups["series"].map(mu)
        groups["bt"] = groups["p"] * groups["rel"] * np.log(groups["rel"])
        groups["bl"] = -groups["p"] * np.log(groups["rel"])
        between = groups.groupby("series")[["bt", "bl"]].sum()
        out[f"theil_t_between_{level}"] = between["bt"]
        out[f"theil_l_between_{level}"] = between["bl"]
    return out


def pandas_convergence(panel: dict, indicators: np.ndarray) -> dict:
    import pandas as pd

    k, years = panel["indicators"], panel["years"]
    y = panel["values"].reshape(-1, k, years)[:, indicators, :]
    n = y.shape[0]
    long = pd.DataFrame(
        {
            "indicator": np.tile(np.repeat(indicators, years), n),
            "year": np.tile(np.arange(years), n * len(indicators)),
            "y": y.ravel(),
        }
    )
    cv = long.groupby(["indicator", "year"])["y"].agg(lambda s: s.std(ddof=0) / s.mean())
    trend = (
        cv.reset_index()
        .groupby("indicator")
        .apply(lambda d: np.polyfit(d["year"], d["y"], 1)[0], include_groups=False)
    )
    first = long[long["year"] == 0].set_index("indicator")["y"]
    last = long[long["year"] == years - 1].set_index("indicator")["y"]
    frame = pd.DataFrame(
        {"x": np.log(first.values), "g": np.log(last.values / first.values) / (years - 1)}
    )
    frame["indicator"] = first.index
    beta = frame.groupby("indicator").apply(
        lambda d: np.polyfit(d["x"], d["g"], 1)[0], include_groups=False
    )
    return {"sigma_slope": trend, "beta": beta}


def pandas_index(panel: dict, runs: int) -> list:
    import pandas as pd

    k, years = panel["indicators"], panel["years"]
    x = pd.DataFrame(panel["values"].reshape(-1, k, years)[:, :, -1])
    rng = np.random.default_rng(1)
    ranks = []
    for _ in range(runs):
        w = pd.Series(rng.uniform(0.5, 1.5, k))
        w = w / w.sum()
        if rng.random() < 0.5:
            scores = (x - x.min()) / (x.max() - x.min()) * 100
        else:
            scores = x.rank(pct=True) * 100
        ranks.append((scores * w).sum(axis=1).rank(ascending=False, method="first"))
    return pd.concat(ranks, axis=1).quantile([0.05, 0.5, 0.95], axis=1)


# -- PySAL --------------------------------------------------------------------------------------


def pysal_disparity(panel: dict, columns: np.ndarray) -> dict:
    from inequality.gini import Gini
    from inequality.theil import Theil, TheilD

    y = panel["values"][:, columns]
    province = TheilD(y, panel["province"])
    city = TheilD(y, panel["city"])
    return {
        "theil_t": Theil(y).T,
        "between_province": province.bg,
        "between_city": city.bg,
        "gini": np.array([Gini(y[:, j]).g for j in range(y.shape[1])]),
    }


def time_pages(requests: int) -> None:
    """Median and 95th-percentile answer time of the 41-city pages on a fresh demo database."""
    import tempfile
    from pathlib import Path

    from fastapi.testclient import TestClient

    from yrdplan.domain.people import UserInfo
    from yrdplan.services import index_builds
    from yrdplan.services.setup import init_database
    from yrdplan.settings import load_settings
    from yrdplan.store.database import connect
    from yrdplan.web.app import create_app

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        init_database(url)
        database = connect(url)
        index_builds.build_index(
            database, index_builds.demo_config_text(), UserInfo(0, "bench", "admin")
        )
        app = create_app(load_settings(database_url=url), database)
        pages = [
            "/regional",
            "/regional?format=json",
            "/regional?grouping=jiangsu&weighted=false",
            "/regional/index",
            "/regional/index?format=json",
            "/regional/benchmark",
        ]
        print(f"pages ({requests} requests each, after one warm-up; in-process client):")
        with TestClient(app) as client:
            for page in pages:
                assert client.get(page).status_code == 200
                times = []
                for _ in range(requests):
                    started = time.perf_counter()
                    client.get(page)
                    times.append(time.perf_counter() - started)
                median, p95 = np.quantile(times, [0.5, 0.95]) * 1000
                print(f"  {page:45} median {median:6.1f} ms, p95 {p95:6.1f} ms")
        database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, default=2850)
    parser.add_argument("--indicators", type=int, default=200)
    parser.add_argument("--years", type=int, default=20)
    parser.add_argument("--runs", type=int, default=1000, help="Monte Carlo replications")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--pandas-fraction", type=float, default=0.1)
    parser.add_argument("--pysal-fraction", type=float, default=0.1)
    parser.add_argument("--pandas-runs", type=int, default=50)
    parser.add_argument("--page-requests", type=int, default=20, help="0: skip the page timing")
    args = parser.parse_args()
    panel = make_panel(args.regions, args.indicators, args.years, args.seed)
    m = panel["values"].shape[1]
    print(
        f"panel: {args.regions} regions × {args.indicators} indicators × {args.years} years "
        f"= {panel['values'].size:,} values; load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} cores",
        flush=True,
    )

    print("yrdplan:")
    t_disp, m_disp, table = measure(
        "disparity, weighted, 2-level decomposition", lambda: ours_disparity(panel)
    )
    t_conv, m_conv, _ = measure("σ and β convergence", lambda: ours_convergence(panel, table["cv"]))
    t_index, m_index, _ = measure(
        f"index, {args.runs} Monte Carlo runs", lambda: ours_index(panel, args.runs)
    )
    t_unw, _, unweighted = measure(
        "disparity, unweighted (for PySAL)", lambda: ours_disparity(panel, False)
    )
    total = t_disp + t_conv + t_index

    rng = np.random.default_rng(0)
    share = np.sort(rng.choice(m, max(1, int(m * args.pandas_fraction)), replace=False))
    print(
        f"pandas (on {len(share)} of {m} series, {args.pandas_runs} of {args.runs} runs; scaled):"
    )
    frame = pandas_frame(panel, share)  # building the long frame is not timed
    t_pd, m_pd, pd_out = measure("disparity", lambda frame=frame: pandas_disparity(frame))
    del frame
    some = np.unique(share // args.years)
    t_pdc, m_pdc, _ = measure("σ and β convergence", lambda: pandas_convergence(panel, some))
    t_pdi, m_pdi, _ = measure("index", lambda: pandas_index(panel, args.pandas_runs))
    t_pd *= m / len(share)
    t_pdc *= args.indicators / len(some)
    t_pdi *= args.runs / args.pandas_runs

    import inequality.gini  # noqa: F401  (imported before timing: the first import is slow)
    import inequality.theil  # noqa: F401

    cols = np.sort(rng.choice(m, max(1, int(m * args.pysal_fraction)), replace=False))
    print(f"PySAL inequality (on {len(cols)} of {m} series; scaled):")
    t_ps, m_ps, ps_out = measure(
        "Theil T, TheilD by province and by city, Gini", lambda: pysal_disparity(panel, cols)
    )
    t_ps *= m / len(cols)

    # The numbers agree where the implementations overlap.
    diffs = {
        "pandas theil_t": np.abs(pd_out["theil_t"].to_numpy() - table["theil_t"][share]).max(),
        "pandas gini": np.abs(pd_out["gini"].to_numpy() - table["gini"][share]).max(),
        "pandas city between": np.abs(
            pd_out["theil_t_between_city"].to_numpy()
            - table["theil_t_nested"][:2, share].sum(axis=0)
        ).max(),
        "PySAL theil_t": np.abs(ps_out["theil_t"] - unweighted["theil_t"][cols]).max(),
        "PySAL between province": np.abs(
            ps_out["between_province"] - unweighted["theil_t_nested"][0, cols]
        ).max(),
        "PySAL between city": np.abs(
            ps_out["between_city"] - unweighted["theil_t_nested"][:2, cols].sum(axis=0)
        ).max(),
        "PySAL gini": np.abs(ps_out["gini"] - unweighted["gini"][cols]).max(),
    }
    for name, diff in diffs.items():
        print(f"  max |difference| {name}: {diff:.1e}")
    assert max(diffs.values()) < 1e-9, "the implementations disagree"

    print()
    print(
        f"{'step':44} {'yrdplan s':>10} {'pandas s':>10} {'ratio':>7} {'PySAL s':>9} {'ratio':>7} {'peak MB':>8}"
    )
    rows = [
        ("disparity + 2-level decomposition (weighted)", t_disp, t_pd, None, m_disp),
        ("  same, unweighted: the measures PySAL has", t_unw, None, t_ps, None),
        ("σ and β convergence", t_conv, t_pdc, None, m_conv),
        (f"index with {args.runs} Monte Carlo runs", t_index, t_pdi, None, m_index),
        (
            "whole suite (weighted steps)",
            total,
            t_pd + t_pdc + t_pdi,
            None,
            max(m_disp, m_conv, m_index),
        ),
    ]
    for name, ours, pandas_s, pysal_s, peak in rows:
        pandas_text = f"{pandas_s:10.2f} {pandas_s / ours:6.1f}×" if pandas_s else f"{'':10} {'':7}"
        pysal_text = f"{pysal_s:9.2f} {pysal_s / ours:6.1f}×" if pysal_s else f"{'':9} {'':7}"
        peak_text = f"{peak:8.0f}" if peak is not None else ""
        print(f"{name:44} {ours:10.2f} {pandas_text} {pysal_text} {peak_text}")
    print(
        f"baseline peaks: pandas {max(m_pd, m_pdc, m_pdi):.0f} MB (on its share), PySAL {m_ps:.0f} MB (on its share)"
    )
    if args.page_requests:
        time_pages(args.page_requests)


if __name__ == "__main__":
    main()

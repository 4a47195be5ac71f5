"""Benchmark: the progress engine against a straightforward pandas implementation of its rules.

A synthetic national county-level panel (default 2,850 regions × 200 indicators × 20 years,
about 11 million observations, one or two targets per series) is generated from a seed. The
engine is timed in a child process, so that its peak memory is its own; pandas runs in this
process on the same inputs, the two results are compared row by row, and the table at the end
gives wall time, the ratio and peak memory.

    .venv/bin/python bench/bench_progress.py                 # the full panel
    .venv/bin/python bench/bench_progress.py --regions 100 --indicators 20 --years 10

Both sides start from the same arrays. The engine's time includes building and validating its
``Panel`` and ``TargetTable``; the pandas time excludes building its data frames (the long
observation frame it expects, sorted by series and time like the engine's panel). Engine
timings are the best of ``--repeat`` runs (the machine is shared; the load average is printed
with the results). The pandas baseline can run on a share of the series
(``--pandas-fraction``); its time is then scaled up linearly and the output says so.
The panel is synthetic (seeded, plausible shapes), not statistics.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from yrdplan.analytics.progress import (
    APPROX,
    BAND,
    BETWEEN,
    EQ,
    GE,
    HIGHER,
    LE,
    LOWER,
    METHOD_NAMES,
    NO_TARGET,
    RELATIVE,
    STATUS_NAMES,
    Panel,
    ProgressOptions,
    TargetTable,
    compute_progress,
)

if TYPE_CHECKING:  # pandas is imported where it runs, so the engine's child never loads it
    import pandas as pd

# Kinds of synthetic indicator: (share of indicators, direction code).
# growth: GDP-like, positive, higher is better; share: a percentage that saturates at 100;
# lower: PM2.5-like, lower is better; signed: a net flow that crosses zero (higher is better);
# ratio: a positive ratio with a band target, like the urban-rural income ratio "2:1左右".
KINDS = {
    "growth": (0.45, HIGHER),
    "share": (0.2, HIGHER),
    "lower": (0.2, LOWER),
    "signed": (0.1, HIGHER),
    "ratio": (0.05, BAND),
}
LAST_YEAR = 2024


@dataclass
class Inputs:
    """Engine inputs as plain arrays (so both implementations start from the same numbers)."""

    offsets: np.ndarray
    times: np.ndarray
    values: np.ndarray
    targets: dict[str, np.ndarray]


# -- synthetic data ---------------------------------------------------------------------------
def make_inputs(regions: int, indicators: int, years: int, seed: int) -> Inputs:
    """A seeded, plausible panel: trends by indicator kind, noise, late starts and gaps."""
    rng = np.random.default_rng(seed)
    n_series = regions * indicators
    kind_names = list(KINDS)
    kind_of_indicator = rng.choice(len(kind_names), indicators, p=[KINDS[k][0] for k in kind_names])
    kind = np.tile(kind_of_indicator, regions)  # series = region-major, indicator-minor
    step = np.arange(years, dtype=np.float64)
    year = LAST_YEAR - years + 1 + step

    level = rng.lognormal(3.0, 1.2, n_series)[:, None]
    growth = rng.normal(0.04, 0.04, n_series)[:, None]
    noise = rng.normal(0.0, 0.03, (n_series, years))
    grid = np.empty((n_series, years))
    is_kind = [kind == k for k in range(len(kind_names))]
    growth_rows, share_rows, lower_rows, signed_rows, ratio_rows = is_kind
    grid[growth_rows] = (level * np.exp(growth * step + noise))[growth_rows]
    logistic = 1.0 / (
        1.0 + np.exp(-(rng.normal(0.5, 1.5, (n_series, 1)) + 3 * growth * step + noise))
    )
    grid[share_rows] = np.round(100.0 * logistic, 1)[share_rows]
    grid[lower_rows] = (level * np.exp(-growth * step + noise))[lower_rows]
    signed = np.round(level * (rng.normal(0, 1, (n_series, 1)) + growth * step + 5 * noise), 0)
    grid[signed_rows] = signed[signed_rows]
    grid[ratio_rows] = (1.5 + level / 20 * np.exp(-growth * step + noise))[ratio_rows]

    # Ragged: 3 % of series start late (some with one observation), 1 % of points are missing.
    keep = rng.random((n_series, years)) >= 0.01
    late = rng.random(n_series) < 0.03
    keep &= ~(late[:, None] & (step[None, :] < rng.integers(1, years + 1, n_series)[:, None]))
    counts = keep.sum(axis=1)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    times = np.broadcast_to(year, grid.shape)[keep]
    values = grid[keep]
    targets = make_targets(rng, offsets, values, kind, kind_names, years)
    return Inputs(offsets, times.astype(np.float64), values, targets)


def make_targets(rng, offsets, values, kind, kind_names, years) -> dict[str, np.ndarray]:
    """One target per series, a second for half of them; comparators by indicator kind."""
    n_series = offsets.size - 1
    counts = np.diff(offsets)
    second = np.flatnonzero(rng.random(n_series) < 0.5)
    series = np.concatenate([np.arange(n_series), second])
    rows = series.size
    k = kind[series]
    last = np.where(counts[series] > 0, values[np.maximum(offsets[series + 1] - 1, 0)], 1.0)
    direction = np.array([KINDS[name][1] for name in kind_names], dtype=np.int8)[k]
    draw = rng.random(rows)
    comparator = np.full(rows, GE, dtype=np.int8)
    growth, share, lower, signed, ratio = (k == i for i in range(len(kind_names)))
    comparator[growth] = np.select([draw < 0.6, draw < 0.8], [GE, RELATIVE], NO_TARGET)[growth]
    comparator[share] = np.select([draw < 0.7, draw < 0.8], [GE, EQ], NO_TARGET)[share]
    comparator[lower] = np.select([draw < 0.6, draw < 0.85], [LE, RELATIVE], NO_TARGET)[lower]
    comparator[signed] = np.select([draw < 0.6, draw < 0.8], [GE, APPROX], NO_TARGET)[signed]
    comparator[ratio] = np.select([draw < 0.5, draw < 0.8], [APPROX, BETWEEN], EQ)[ratio]
    factor = rng.uniform(0.85, 1.6, rows)
    target_value = np.where(direction == LOWER, last / factor, last * factor)
    target_value = np.where(share, np.minimum(target_value, 100.0), target_value)
    high = np.where(comparator == BETWEEN, target_value + np.abs(target_value) * 0.2 + 1, np.nan)
    high = np.where((comparator == APPROX) & (rng.random(rows) < 0.5), target_value * 1.1 + 1, high)
    high = np.where(high < target_value, target_value + 1, high)
    relative = np.where(
        comparator == RELATIVE,
        np.where(direction == LOWER, -0.1, 0.3) * rng.uniform(0.5, 2, rows),
        np.nan,
    )
    target_value = np.where(np.isin(comparator, [RELATIVE, NO_TARGET]), np.nan, target_value)
    target_year = rng.choice([2022.0, 2025.0, 2027.0, 2035.0], rows, p=[0.1, 0.5, 0.2, 0.2])
    target_year = np.where(comparator == NO_TARGET, np.nan, target_year)
    base_draw = rng.random(rows)
    base_year = np.where(base_draw < 0.7, float(LAST_YEAR - years + 1 + years // 4), np.nan)
    base_year = np.where(base_year >= np.nan_to_num(target_year, nan=np.inf), np.nan, base_year)
    base_value = np.where(base_draw < 0.4, last * rng.uniform(0.5, 0.9, rows), np.nan)
    base_value = np.where(np.isnan(base_year), np.nan, base_value)
    limit = np.where(share & (comparator == NO_TARGET), 100.0, np.nan)
    return {
        "series": series.astype(np.int64),
        "target_year": target_year,
        "comparator": comparator,
        "direction": direction,
        "target_value": target_value,
        "target_value_high": high,
        "base_year": base_year,
        "base_value": base_value,
        "relative_change": relative,
        "natural_limit": limit,
    }


# -- the engine -------------------------------------------------------------------------------
def run_engine(inputs: Inputs, options: ProgressOptions):
    """The timed unit: build (and validate) the inputs, then compute."""
    panel = Panel(inputs.offsets, inputs.times, inputs.values)
    return compute_progress(panel, TargetTable(**inputs.targets), options)


def save_inputs(inputs: Inputs, path: Path) -> None:
    """Write the inputs for the child process (uncompressed .npz: a plain, fast copy)."""
    arrays = {"offsets": inputs.offsets, "times": inputs.times, "values": inputs.values}
    np.savez(path, **arrays, **{f"target_{k}": v for k, v in inputs.targets.items()})


def load_inputs(path: Path) -> Inputs:
    with np.load(path) as data:
        targets = {k[len("target_") :]: data[k] for k in data.files if k.startswith("target_")}
        return Inputs(data["offsets"], data["times"], data["values"], targets)


def _rss_mib(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process in MiB, from /proc (Linux).

    ``ru_maxrss`` would not do for the child: Linux carries it across ``exec`` from the parent,
    which holds the generated panel. Elsewhere it is the fallback.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak_rss() -> None:
    """Start VmHWM again from the current RSS (Linux >= 4.0; ignored where unsupported)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")
    except OSError:
        pass


def engine_child(args: argparse.Namespace) -> None:
    """Child process: load the inputs, time the engine alone, report JSON on stdout.

    The child holds nothing but the interpreter, numpy, the inputs and the engine, so its peak
    resident memory is the engine's own on top of what was resident before it ran.
    """
    inputs = load_inputs(Path(args.engine_child))
    options = ProgressOptions(workers=args.workers)
    rss_before = _rss_mib("VmRSS")
    _reset_peak_rss()
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        run_engine(inputs, options)
        times.append(time.perf_counter() - start)
    rss_peak = _rss_mib("VmHWM")
    tracemalloc.start()  # numpy reports its buffers to tracemalloc; this run is not timed
    run_engine(inputs, options)
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    input_bytes = inputs.offsets.nbytes + inputs.times.nbytes + inputs.values.nbytes
    input_bytes += sum(a.nbytes for a in inputs.targets.values())
    report = {
        "seconds": times,
        "peak_traced_mib": traced / 2**20,
        "input_mib": input_bytes / 2**20,
        "rss_before_mib": rss_before,
        "rss_peak_mib": rss_peak,
    }
    print(json.dumps(report))


# -- the pandas baseline ----------------------------------------------------------------------
def progress_pandas(
    obs: pd.DataFrame, targets: pd.DataFrame, opts: ProgressOptions
) -> pd.DataFrame:
    """The same rules written the way an analyst would with pandas: groupby, shift, merge.

    ``obs`` has columns series, time, value, sorted by series and time (the engine's panel has
    the same precondition); ``targets`` has the TargetTable columns.
    """
    import pandas as pd

    g = obs.groupby("series", sort=False)
    per = g.agg(
        count=("value", "size"),
        first_time=("time", "first"),
        first_value=("value", "first"),
        last_time=("time", "last"),
        last_value=("value", "last"),
    )
    # Year-on-year steps: best per-year change, absolute and compound.
    prev = g[["time", "value"]].shift()
    dt = obs["time"] - prev["time"]
    both_positive = (obs["value"] > 0) & (prev["value"] > 0)
    steps = pd.DataFrame(
        {
            "series": obs["series"],
            "linear": (obs["value"] - prev["value"]) / dt,
            "compound": ((obs["value"] / prev["value"]) ** (1 / dt) - 1).where(both_positive),
        }
    )
    best = steps.groupby("series", sort=False).agg(
        best_linear_up=("linear", "max"),
        best_linear_down=("linear", "min"),
        linear_steps=("linear", "count"),
        best_cagr_up=("compound", "max"),
        best_cagr_down=("compound", "min"),
        cagr_steps=("compound", "count"),
    )
    # Recent trend: from the first observation inside the window to the latest one.
    last_time = g["time"].transform("last")
    in_window = obs["time"] >= last_time - opts.trend_window - 1e-9
    start = (
        obs[in_window]
        .groupby("series", sort=False)
        .agg(trend_start_time=("time", "first"), trend_start_value=("value", "first"))
    )
    per = per.join(start)
    span = per["last_time"] - per["trend_start_time"]
    fits = pd.DataFrame(
        {
            "slope": ((per["last_value"] - per["trend_start_value"]) / span).where(span > 0),
            "rate": ((per["last_value"] / per["trend_start_value"]) ** (1 / span) - 1).where(
                (span > 0) & (per["trend_start_value"] > 0) & (per["last_value"] > 0)
            ),
        }
    )
    per = per.join(best).join(fits)

    df = targets.join(per, on="series")
    # Base: explicit; else the first observation at or after base_year; else the first one.
    df["t0"], df["y0"] = df["first_time"], df["first_value"]
    explicit = df["base_year"].notna() & df["base_value"].notna()
    df.loc[explicit, "t0"] = df.loc[explicit, "base_year"]
    df.loc[explicit, "y0"] = df.loc[explicit, "base_value"]
    lookup = df["base_year"].notna() & ~explicit
    # Pair each such target with its series' observations, keep those from base_year on and
    # take the first (obs is sorted by time within a series). merge_asof is the other idiom,
    # but it needs the whole panel sorted by time first: on the benchmark panel that sort was
    # 40 % of this baseline's time, and this way the lookup is about three times faster.
    left = df.loc[lookup, ["series", "base_year"]].reset_index()
    pairs = obs.merge(left, on="series")  # inner join keeps obs's order: series, then time
    pairs = pairs[pairs["time"] >= pairs["base_year"] - 1e-9]
    found = pairs.groupby("index")[["time", "value"]].first().reindex(left["index"])
    df.loc[found.index, "t0"] = found["time"]
    df.loc[found.index, "y0"] = found["value"]
    return _assess_frame(df, opts)


def _assess_frame(df: pd.DataFrame, opts: ProgressOptions) -> pd.DataFrame:
    import pandas as pd

    comp, dirn, y0, t0 = df["comparator"], df["direction"], df["y0"], df["t0"]
    latest_t, latest_y, year = df["last_time"], df["last_value"], df["target_year"]
    eq_like = comp.isin([EQ, RELATIVE])
    ge = (comp == GE) | (eq_like & (dirn == HIGHER))
    le = (comp == LE) | (eq_like & (dirn == LOWER))
    band = comp.isin([APPROX, BETWEEN]) | (eq_like & (dirn == BAND))
    none = comp == NO_TARGET
    stated = (y0 * (1 + df["relative_change"])).where(comp == RELATIVE, df["target_value"])
    stated = stated.where(~none)
    edges = (comp == BETWEEN) | ((comp == APPROX) & df["target_value_high"].notna())
    half = opts.approx_tolerance * stated.abs()
    low = stated.where(edges, stated - half).where(band)
    high = df["target_value_high"].where(edges, stated + half).where(band)

    def dist(v):
        return np.maximum(np.maximum(low - v, v - high), 0.0)

    achieved = (
        (ge & (latest_y >= stated))
        | (le & (latest_y <= stated))
        | (band & (latest_y >= low) & (latest_y <= high))
    )
    aim = y0.clip(low, high).where(band, stated)
    sign = pd.Series(
        np.select(
            [ge, le | band, none & (dirn == HIGHER), none & (dirn == LOWER)], [1, -1, 1, -1], 0
        ),
        index=df.index,
    )
    value_sign = np.sign((aim - y0).fillna(0)).where(band, sign)
    observed = t0.notna() & y0.notna() & (df["count"] > 0) & (latest_t > t0) & (sign != 0)
    horizon = observed & ~none & (year > t0)
    cagr = ~band & (y0 > 0) & (latest_y > 0) & (none | (aim > 0))
    method = pd.Series(np.select([~observed, band, cagr, none], [0, 4, 1, 3], 2), index=df.index)

    dt_obs, dt_req = latest_t - t0, year - t0
    x0, xl = dist(y0), dist(latest_y)
    mean = (latest_y.abs() + y0.abs()) / 2
    obs_rate = pd.Series(
        np.select(
            [method == 1, method == 2, method == 4, method == 3],
            [
                (latest_y / y0) ** (1 / dt_obs) - 1,
                (latest_y - y0) / dt_obs,
                (xl - x0) / dt_obs,
                ((latest_y - y0) / dt_obs / mean).where(mean > 0, 0.0),
            ],
            np.nan,
        ),
        index=df.index,
    )
    req_rate = pd.Series(
        np.select(
            [horizon & (method == 1), horizon & (method == 2), horizon & band],
            [(aim / y0) ** (1 / dt_req) - 1, (aim - y0) / dt_req, -x0 / dt_req],
            np.nan,
        ),
        index=df.index,
    )
    ratio = (sign * obs_rate / req_rate.abs()).where(req_rate != 0)
    growth = (sign * obs_rate).where(none)
    b, lim = y0.abs(), df["natural_limit"].abs()
    scale = pd.Series(
        np.where(
            b >= 2 * lim,
            1.0,
            np.where(
                b <= lim,
                1 - (b / lim) ** opts.limit_exponent,
                1 - ((2 * lim - b) / lim) ** opts.limit_exponent,
            ),
        ),
        index=df.index,
    ).where(lim.notna(), 1.0)
    on, mod, lo = opts.target_thresholds
    r_status = np.select([ratio >= on, ratio >= mod, ratio >= lo, ratio < lo], [1, 2, 3, 4], 5)
    r_status = np.where(horizon & (req_rate == 0), 4, r_status)
    hi_rate, med_rate = opts.reference_rates
    g_status = np.select(
        [growth >= hi_rate * scale, growth >= med_rate * scale, growth >= 0, growth < 0],
        [1, 2, 3, 4],
        5,
    )
    status = np.where(achieved, 0, np.where(none, g_status, r_status))

    elapsed = (dt_obs / dt_req).clip(0, 1)
    expected = (y0 + (aim - y0) * elapsed).where(horizon)
    lead = year - latest_t
    projected = latest_y + df["slope"] * lead
    if opts.projection == "compound":
        compound = latest_y * (1 + df["rate"]) ** lead
        projected = compound.where(compound.notna(), projected)

    up, down = value_sign > 0, value_sign < 0
    best_linear = df["best_linear_up"].where(up, df["best_linear_down"].where(down))
    best_cagr = df["best_cagr_up"].where(up, df["best_cagr_down"].where(down))
    best = best_cagr.where(method == 1, best_linear).where(horizon)
    n_steps = df["cagr_steps"].where(method == 1, df["linear_steps"])
    need = (-req_rate).where(band, sign * req_rate)
    bar = np.maximum(opts.unrealistic_multiple * value_sign * best, 0.0)
    unrealistic = (
        horizon & ~achieved & (n_steps >= opts.unrealistic_min_history) & (need > 0) & (need > bar)
    )
    return pd.DataFrame(
        {
            "status": status,
            "method": method,
            "base_value": y0,
            "latest_value": latest_y,
            "target_value": stated,
            "expected_value": expected,
            "observed_rate": obs_rate,
            "required_rate": req_rate,
            "ratio": ratio,
            "projected_value": projected,
            "best_rate": best,
            "unrealistic": unrealistic,
        }
    )


# -- comparison and report --------------------------------------------------------------------
def compare(engine, frame: pd.DataFrame, rows: np.ndarray) -> list[str]:
    """Names of the columns where engine and pandas disagree on ``rows`` (tolerance 1e-9)."""
    bad = []
    for name in frame.columns:
        mine = getattr(engine, name)[rows]
        theirs = frame[name].to_numpy()
        if mine.dtype.kind == "f":
            same = np.isclose(mine, theirs.astype(float), rtol=1e-9, atol=1e-12, equal_nan=True)
        else:
            same = mine == theirs.astype(mine.dtype)
        if not same.all():
            bad.append(f"{name} ({int((~same).sum())} rows)")
    return bad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, default=2850)
    parser.add_argument("--indicators", type=int, default=200)
    parser.add_argument("--years", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20190101)
    parser.add_argument("--repeat", type=int, default=3, help="engine runs; the best is kept")
    parser.add_argument("--workers", type=int, default=1, help="engine threads (default 1)")
    parser.add_argument(
        "--pandas-fraction", type=float, default=1.0, help="share of series pandas runs on"
    )
    parser.add_argument("--engine-child", metavar="NPZ", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.engine_child:
        engine_child(args)
        return 0

    start = time.perf_counter()
    inputs = make_inputs(args.regions, args.indicators, args.years, args.seed)
    n_obs, n_series, n_targets = (
        inputs.values.size,
        inputs.offsets.size - 1,
        inputs.targets["series"].size,
    )
    print(
        f"panel: {args.regions:,} regions × {args.indicators} indicators × {args.years} years = "
        f"{n_series:,} series, {n_obs:,} observations, {n_targets:,} targets "
        f"(seed {args.seed}, generated in {time.perf_counter() - start:.1f} s)"
    )
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")

    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "inputs.npz"
        save_inputs(inputs, path)
        command = [sys.executable, __file__, "--engine-child", str(path)]
        command += ["--repeat", str(args.repeat), "--workers", str(args.workers)]
        child = subprocess.run(command, capture_output=True, text=True, check=True)
    report = json.loads(child.stdout.strip().splitlines()[-1])
    engine_seconds = min(report["seconds"])

    # pandas, on all series or on a leading share of them (then scaled up).
    import pandas as pd

    cut_series = max(1, int(round(n_series * args.pandas_fraction)))
    cut_obs = int(inputs.offsets[cut_series])
    obs = pd.DataFrame(
        {
            "series": np.repeat(np.arange(n_series), np.diff(inputs.offsets))[:cut_obs],
            "time": inputs.times[:cut_obs],
            "value": inputs.values[:cut_obs],
        }
    )
    rows = np.flatnonzero(inputs.targets["series"] < cut_series)
    targets = pd.DataFrame({k: v[rows] for k, v in inputs.targets.items()})
    options = ProgressOptions(workers=args.workers)
    pandas_before = _rss_mib("VmRSS")
    _reset_peak_rss()
    start = time.perf_counter()
    frame = progress_pandas(obs, targets, options)
    pandas_seconds = time.perf_counter() - start
    pandas_peak = _rss_mib("VmHWM")
    scale = n_targets / rows.size if args.pandas_fraction < 1 else 1.0

    engine = run_engine(inputs, options)
    disagreements = compare(engine, frame.reset_index(drop=True), rows)
    statuses = np.bincount(engine.status, minlength=len(STATUS_NAMES))
    methods = np.bincount(engine.method, minlength=len(METHOD_NAMES))

    print(f"load average {os.getloadavg()[0]:.2f} at end")
    print()
    print(f"{'':30s}{'wall time':>11s}   peak memory")
    print(
        f"{'engine (numpy)':30s}{engine_seconds:9.3f} s   child peak RSS "
        f"{report['rss_peak_mib']:.0f} MiB (before the call {report['rss_before_mib']:.0f} MiB, "
        f"of which inputs {report['input_mib']:.0f} MiB);"
    )
    print(f"{'':44s}the call allocates at most {report['peak_traced_mib']:.0f} MiB (tracemalloc)")
    label = "pandas baseline" + (f" (×{scale:.1f} scaled)" if scale != 1 else "")
    print(
        f"{label:30s}{pandas_seconds * scale:9.3f} s   peak RSS {pandas_peak:.0f} MiB "
        f"(before the call {pandas_before:.0f} MiB, holding the panel twice)"
    )
    if scale != 1:
        print(f"  pandas ran on {rows.size:,} of {n_targets:,} targets in {pandas_seconds:.3f} s")
    print(f"{'ratio pandas / engine':30s}{pandas_seconds * scale / engine_seconds:9.1f} ×")
    print(f"engine runs: {', '.join(f'{s:.3f}' for s in report['seconds'])} s")
    print()
    print(
        "statuses: " + ", ".join(f"{n} {c:,}" for n, c in zip(STATUS_NAMES, statuses, strict=True))
    )
    print(
        "methods:  " + ", ".join(f"{n} {c:,}" for n, c in zip(METHOD_NAMES, methods, strict=True))
    )
    print(f"unrealistic targets: {int(engine.unrealistic.sum()):,}")
    if disagreements:
        print(f"DISAGREEMENT on {rows.size:,} rows: " + "; ".join(disagreements))
        return 1
    print(
        f"engine and pandas agree on all {rows.size:,} compared rows ({len(frame.columns)} columns)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

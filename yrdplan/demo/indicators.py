"""The demo's indicator data: simulated series for the 41 cities, the crosswalk, task links.

No real series ships with yrdplan (statistics are the users' to load), so the demo makes
plausible ones with a documented, seeded generator: every value is stored with
``is_simulated=True`` and ``source="simulated"`` and shown as 演示数据 wherever it appears. Never
quote one as a statistic.

The generator (:func:`simulate`)
--------------------------------
Each city gets a development index ``d`` in [0, 1] from its anchor GDP per capita
(``yrdplan/data/demo_indicators.toml``, log scale); levels and trends are linear in ``d`` with
city noise, and years get small noise on top, all drawn from one ``numpy.random.Generator``
seeded from the settings, so the demo is the same everywhere. In brief (t = years since 2015):

* population grows 0.2 %–1.4 % a year (faster where richer); the urban share starts at
  50 %–88 % and rises about 1 pt a year; rural population is the rest;
* GDP per capita grows ~6.5 %–7.5 % nominal a year, 3 % in 2020 and a rebound in 2021;
  GDP = population × GDP per capita; the real growth rate is nominal minus 2 pts;
* incomes: urban 25,000–47,000 元 in 2015 growing ~7 %, rural 11,000–21,000 growing ~1.2 pt
  faster (the ratio falls, as it has); all-resident income is their urban-share mean;
* R&D intensity 1.2 %–3.5 % rising 0.06–0.09 pt a year (R&D spending = GDP × intensity);
  patents per 10,000 people grow ~13 % a year; high-tech and digital-economy shares rise;
* railway and expressway density scale with ``d``; lines only open (never close) — railway
  length grows by a non-negative random step a year; 5G coverage follows a logistic from 2019;
* air: PM2.5 falls ~5.5 % a year from 46–64 µg/m³ (province offsets), PM10 is ~1.65 × PM2.5,
  NO2 and SO2 fall, ozone *rises* ~0.8 % a year (as it has: the demo's deteriorating series);
* energy intensity falls ~4 % a year (energy use = GDP × intensity); water quality, forest
  cover, schooling years and life expectancy improve slowly, capped at their natural limits.

Derived indicators (GDP per capita, urbanisation rate, R&D intensity, railway and expressway
density, energy intensity, the urban–rural income ratio) are *not* generated: the monitor
computes them from these components (and ``AREA_KM2``, which is the outline area of the region
from the boundary package), which is the path real data takes too.
"""

from __future__ import annotations

import time
import tomllib
from dataclasses import dataclass
from importlib import resources

import numpy as np
from sqlalchemy.orm import Session

from yrdplan.domain.indicators import Observation
from yrdplan.services.geography import load_demo_crosswalk
from yrdplan.services.task_links import link_targets_to_tasks
from yrdplan.store.repos import indicators as repo
from yrdplan.store.repos import regions as region_repo
from yrdplan.store.schema import DataSource

SOURCE = "simulated"


@dataclass(frozen=True, slots=True)
class City:
    code: str
    province: str
    population: float  # 万人, 2015 anchor
    gdp_per_capita: float  # 万元, 2015 anchor
    area_km2: float


def demo_settings() -> dict:
    with (resources.files("yrdplan.data") / "demo_indicators.toml").open("rb") as handle:
        return tomllib.load(handle)


def simulate(
    cities: list[City], years: list[int], rng: np.random.Generator, forest: dict[str, float]
) -> dict[str, np.ndarray]:
    """Simulated series, indicator code -> array (cities × years); NaN where there is none.

    Parameters
    ----------
    cities : list of City
        The anchors, one per city.
    years : list of int
        Consecutive years.
    rng : numpy.random.Generator
        The only source of randomness.
    forest : dict
        Province code -> base forest coverage (%).

    Examples
    --------
    >>> city = City("320100", "320000", 824.0, 11.8, 6595.0)
    >>> out = simulate([city], list(range(2015, 2025)), np.random.default_rng(1), {"320000": 22})
    >>> out["POP"].shape, bool((np.diff(out["RAIL_KM"][0]) >= 0).all())
    ((1, 10), True)
    """
    n, span = len(cities), len(years)
    t = np.arange(span, dtype=float)[None, :]
    year = np.array(years)[None, :]
    gdp_pc0 = np.array([c.gdp_per_capita for c in cities])[:, None]
    logs = np.log(gdp_pc0)
    low, high = np.log(1.5), np.log(14.0)  # the anchors' range, fixed so d does not depend on n
    d = np.clip((logs - low) / (high - low), 0, 1)
    area = np.array([c.area_km2 for c in cities])[:, None]
    province = [c.province for c in cities]

    def city(sd: float) -> np.ndarray:
        return rng.normal(0.0, sd, size=(n, 1))

    def noise(sd: float) -> np.ndarray:
        return rng.normal(0.0, sd, size=(n, span))

    out: dict[str, np.ndarray] = {}
    pop0 = np.array([c.population for c in cities])[:, None]
    pop = pop0 * (1 + 0.002 + 0.012 * d + city(0.003)) ** t * (1 + noise(0.002))
    share = np.clip(0.50 + 0.38 * d + city(0.03), 0.40, 0.90) + (0.010 - 0.004 * d) * t
    share = np.clip(share + noise(0.002), 0.3, 0.95)
    out["POP"] = pop
    out["POP_URBAN"] = pop * share
    out["POP_RURAL"] = pop * (1 - share)
    out["AREA_KM2"] = np.repeat(area, span, axis=1)

    growth = 0.075 - 0.01 * d + city(0.008) + noise(0.006)
    shock = {2020: -0.045, 2021: 0.03, 2022: -0.02}  # the pandemic years
    for y, delta in shock.items():
        growth[:, year[0] == y] += delta
    growth[:, 0] = 0.0
    gdp_pc = gdp_pc0 * np.cumprod(1 + growth, axis=1)
    out["GDP"] = pop * gdp_pc
    real = np.where(t == 0, 0.075 - 0.01 * d, growth) - 0.02
    out["GDP_GROWTH"] = real * 100 + noise(0.3)

    urban0 = 25000 + 22000 * d + city(1500)
    urban_growth = 0.075 - 0.01 * t / span + noise(0.005)
    urban_growth[:, year[0] == 2020] -= 0.035
    urban_growth[:, 0] = 0.0
    urban = urban0 * np.cumprod(1 + urban_growth, axis=1)
    rural = (11000 + 10000 * d + city(1000)) * np.cumprod(
        1 + urban_growth + np.where(t == 0, 0, 0.012), axis=1
    )
    out["URBAN_INCOME"] = urban
    out["RURAL_INCOME"] = rural
    out["DISPOSABLE_INCOME"] = share * urban + (1 - share) * rural

    intensity = np.clip(1.2 + 2.3 * d + city(0.3), 0.6, 4.2) + (0.06 + 0.03 * d + city(0.01)) * t
    out["RD_EXPENDITURE"] = out["GDP"] * (intensity + noise(0.03)) / 100
    out["TECH_PROGRESS_CONTRIB"] = np.clip(52 + 10 * d + city(2) + 0.8 * t + noise(0.4), 30, 80)
    out["PATENTS_PER_10K"] = (2 + 38 * d**1.5 + np.abs(city(2))) * (1.13 + city(0.02)) ** t
    out["HITECH_OUTPUT_SHARE"] = np.clip(
        28 + 20 * d + city(4) + (0.9 + city(0.5)) * t + noise(0.6), 5, 95
    )
    out["INDUSTRIAL_OUTPUT"] = out["GDP"] * (1.6 + city(0.3)) * (1 - 0.01 * t)
    out["DIGITAL_CORE_SHARE"] = np.clip(4 + 8 * d + city(1.5) + 0.5 * t + noise(0.2), 1, 40)

    rail_density0 = np.maximum(300 + 400 * d + city(80), 150)
    steps = np.maximum(rng.normal(0.03, 0.04, size=(n, span)), 0.0)
    steps[:, 0] = 0.0
    out["RAIL_KM"] = rail_density0 * area / 1e4 * np.cumprod(1 + steps, axis=1)
    out["HSR_KM"] = out["RAIL_KM"] * np.clip(0.25 + 0.2 * d + city(0.05) + 0.015 * t, 0.05, 0.8)
    expressway_density0 = np.maximum(3.5 + 4 * d + city(0.8), 1.5)
    out["EXPRESSWAY_KM"] = (
        expressway_density0
        * area
        / 100
        * np.cumprod(1 + np.maximum(rng.normal(0.015, 0.015, size=(n, span)), 0) * (t > 0), axis=1)
    )
    midpoint = 2020.6 - 0.8 * d + city(0.3)
    coverage = 99.5 / (1 + np.exp(-(year - midpoint) / 0.9))
    out["G5_COVERAGE"] = np.where(year >= 2019, coverage, np.nan)
    out["G5_BASE_STATIONS"] = np.where(year >= 2019, np.round(pop * 25 * coverage / 100), np.nan)

    offset = np.array(
        [{"310000": 0, "320000": 4, "330000": -6, "340000": 6}.get(p, 0) for p in province]
    )[:, None]
    pm25 = (52 + offset + city(5)) * (1 - 0.055 + city(0.01)) ** t * (1 + noise(0.03))
    out["PM25"] = pm25
    out["PM10"] = pm25 * (1.65 + city(0.1)) * (1 + noise(0.02))
    out["NO2"] = (38 + city(5)) * (1 - 0.025) ** t * (1 + noise(0.03))
    out["SO2"] = np.maximum((18 + city(4)) * (1 - 0.11) ** t * (1 + noise(0.05)), 4)
    out["O3"] = (150 + city(8)) * (1 + 0.008 + city(0.004)) ** t * (1 + noise(0.03))
    out["AIR_GOOD_DAYS"] = np.clip(70 + city(5) + 1.2 * t + noise(2), 40, 97)
    out["SURFACE_WATER_GOOD"] = np.clip(60 + 15 * d + city(8) + 2.5 * t + noise(2), 10, 100)
    out["CROSS_BORDER_WATER"] = np.clip(80 + city(6) + 1.5 * t + noise(2), 40, 100)
    energy_intensity = np.clip(0.62 - 0.3 * d + city(0.05), 0.2, 1.0) * (1 - 0.04 + city(0.01)) ** t
    out["ENERGY_CONSUMPTION"] = out["GDP"] * energy_intensity * (1 + noise(0.01))
    out["CO2_INTENSITY"] = energy_intensity * 2.2 * (1 - 0.005 * t) * (1 + noise(0.01))
    base_forest = np.array([forest.get(p, 30) for p in province], dtype=float)[:, None]
    out["FOREST_COVERAGE"] = np.clip(base_forest + city(6) + 0.25 * t + noise(0.1), 8, 80)
    out["PUBLIC_EXPENDITURE_PC"] = (0.6 + 1.6 * d + city(0.15)) * (1.06 + city(0.01)) ** t
    out["SCHOOLING_YEARS"] = 10.2 + 1.8 * d + city(0.3) + 0.09 * t + noise(0.02)
    out["LIFE_EXPECTANCY"] = 78.5 + 3.5 * d + city(0.6) + 0.2 * t + noise(0.1)
    return out


# Decimal places kept per indicator: a statistical table's precision, not the generator's.
_DECIMALS = {
    "GDP_GROWTH": 1,
    "G5_BASE_STATIONS": 0,
    "TECH_PROGRESS_CONTRIB": 1,
    "PATENTS_PER_10K": 1,
}


def demo_observations(session: Session) -> list[Observation]:
    """The simulated observations for the stored cities that have anchors."""
    settings = demo_settings()
    rng = np.random.default_rng(settings["seed"])
    anchors = settings["cities"]
    cities = [
        City(r.code, r.province_code or "", *anchors[r.code], r.area_km2 or 0.0)
        for r in region_repo.list_regions(session, level="city")
        if r.code in anchors
    ]
    years = list(range(settings["first_year"], settings["last_year"] + 1))
    series = simulate(cities, years, rng, {k: float(v) for k, v in settings["forest"].items()})
    known = set(repo_indicator_codes(session))
    vintage = settings["vintage"]
    records = []
    for code, values in series.items():
        if code not in known:
            continue
        decimals = _DECIMALS.get(code, 2)
        for i, city in enumerate(cities):
            for j, year in enumerate(years):
                value = values[i, j]
                if np.isfinite(value):
                    records.append(
                        Observation(
                            city.code,
                            code,
                            str(year),
                            round(float(value), decimals),
                            SOURCE,
                            vintage,
                            True,
                        )
                    )
    return records


def repo_indicator_codes(session: Session) -> list[str]:
    from yrdplan.services.catalogue import stored_indicators

    return list(stored_indicators(session))


def load_demo_indicators(session: Session) -> str:
    """The demo step of `yrdplan init`: crosswalk, simulated observations, task links."""
    started = time.perf_counter()
    crosswalk = load_demo_crosswalk(session)
    records = demo_observations(session)
    repo.add_observations(session, records, note="demo generator (simulated)")
    session.add(
        DataSource(
            kind="demo",
            name="yrdplan.demo.indicators.py",
            note="simulated observations for the 41 cities, 2015-2024 (seeded generator; "
            "source 'simulated', shown as 演示数据)",
        )
    )
    links = link_targets_to_tasks(session)
    seconds = time.perf_counter() - started
    return f"{len(records)} simulated observations, {crosswalk} crosswalk rows, {links} task links ({seconds:.1f} s)"

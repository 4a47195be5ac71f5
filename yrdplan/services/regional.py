"""Regional coordination (区域协调发展评价): disparity, convergence and benchmarking of any
indicator across a set of regions, read from the store; and the stored index league table.

Values come through the monitor's series book (:func:`yrdplan.services.monitor.load_series`),
so derived indicators (GDP per capita, R&D intensity, …) are computed from their components
and every series is carried onto today's boundaries. A region without a value (or without a
weight) in a period is left out of that period and listed in ``excluded`` with the reason —
never silently.

Reads are public like the indicator pages; building an index is a write (see
:mod:`yrdplan.services.index_builds`).

Functions other parts call (bulletins, reports):

* :func:`disparity_over_time` — the CV / Theil / Gini series of one indicator and the latest
  period's decomposition by province (or any grouping), with σ-convergence;
* :func:`league_table` — the latest stored index build's rows with rank intervals, or None.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from yrdplan.analytics import convergence as conv
from yrdplan.analytics import disparity as disp
from yrdplan.analytics.benchmarking import benchmark as benchmark_values
from yrdplan.analytics.series import SeriesBook
from yrdplan.domain.indicators import Indicator
from yrdplan.domain.periods import parse_period
from yrdplan.errors import InputError, NotFoundError
from yrdplan.services.catalogue import stored_indicators
from yrdplan.services.database import Database
from yrdplan.services.monitor import MonitorOptions, load_series
from yrdplan.store.repos import regions as region_repo

DEFAULT_REGIONS = "cities"
#: Fields of ``yrdplan disparity --format json`` that other tools rely on (README).
DISPARITY_FIELDS = (
    "n",
    "mean",
    "sd",
    "cv",
    "weighted_cv",
    "theil_t",
    "theil_l",
    "ge2",
    "gini",
    "max_min_ratio",
)
REST = "rest"  # the label of regions in none of the groups named with --by


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    level: str
    province: str
    parent: str


@dataclass
class Panel:
    """Values of one indicator (and its weight) for a set of regions, by period."""

    indicator: Indicator
    places: list[Place]
    periods: list[str]
    values: np.ndarray  # regions × periods, NaN where missing
    weights: np.ndarray | None  # regions × periods
    weight_code: str | None
    simulated: bool
    names: dict[str, str] = field(default_factory=dict)


# -- inputs -------------------------------------------------------------------------------------


def _places(session: Session, level: str | None = None) -> dict[str, Place]:
    out = {}
    for r in region_repo.list_regions(session, level=level):
        out[r.code] = Place(r.code, r.name, r.level, r.province_code or "", r.parent_code or "")
    return out


def resolve_regions(session: Session, spec: str | None, level: str = "city") -> list[Place]:
    """The regions named by ``spec``: a group code or name (``cities``, ``central``, ``sunan``),
    a province code (its cities, or its counties with ``level="county"``), a region code, or
    several of these joined by commas. Default: the 41 cities."""
    if level not in ("city", "county"):
        raise InputError(f"--level {level!r} is not city or county")
    spec = spec or DEFAULT_REGIONS
    every = _places(session)
    groups = {g.code: g for g in region_repo.list_groups(session)}
    by_name = {g.name: g for g in groups.values()}
    chosen: dict[str, Place] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        group = groups.get(part) or by_name.get(part)
        if group is not None:
            members = [every[c] for c in group.members if c in every]
            if level == "county" and group.code in ("cities", "provinces"):
                members = [p for p in every.values() if p.level == "county"]
        elif part in every and every[part].level == "province":
            members = [p for p in every.values() if p.province == part and p.level == level]
            if level == "city" and part == "310000":
                members = [every["310100"]] if "310100" in every else members
        elif part in every:
            members = [every[part]]
        else:
            known = ", ".join(groups)
            raise NotFoundError(
                f"--regions {part!r}: not a region group ({known}), province or region code"
            )
        for place in members:
            chosen.setdefault(place.code, place)
    if not chosen:
        raise InputError(f"--regions {spec!r}: no regions")
    return sorted(chosen.values(), key=lambda p: p.code)


def default_weight(indicators: dict[str, Indicator], code: str) -> str | None:
    """The weight a page uses for ``code``: its catalogue weight, else resident population."""
    indicator = indicators[code]
    if indicator.weight_indicator and indicator.weight_indicator in indicators:
        return indicator.weight_indicator
    return "POP" if "POP" in indicators and code != "POP" else None


def _book(
    session: Session, indicators: dict[str, Indicator], code: str, vintage: str | None
) -> SeriesBook:
    book, _, _ = load_series(session, indicators, MonitorOptions(indicator=code, vintage=vintage))
    return book


def _period_key(label: str) -> float:
    return parse_period(label).decimal_year


def load_panel(
    session: Session,
    indicator: str,
    places: Sequence[Place],
    *,
    weight: str | None = None,
    vintage: str | None = None,
) -> Panel:
    """Values (and weights) of ``indicator`` for ``places`` in every period with data."""
    indicators = stored_indicators(session)
    if indicator not in indicators:
        raise NotFoundError(f"--indicator {indicator!r}: no such indicator in the catalogue")
    if weight is not None and weight not in indicators:
        raise NotFoundError(f"--weight {weight!r}: no such indicator in the catalogue")
    book = _book(session, indicators, indicator, vintage)
    series = [book.series(p.code, indicator) for p in places]
    wbook = _book(session, indicators, weight, vintage) if weight else None
    wseries = [wbook.series(p.code, weight) for p in places] if wbook else None
    periods = sorted({period for s in series for period in s}, key=_period_key)
    values = np.full((len(places), len(periods)), np.nan)
    weights = np.full(values.shape, np.nan) if wseries is not None else None
    simulated = False
    for i, s in enumerate(series):
        for j, period in enumerate(periods):
            point = s.get(period)
            if point is not None:
                values[i, j] = point.value
                simulated = simulated or point.simulated
            if wseries is not None:
                wpoint = wseries[i].get(period)
                if wpoint is not None:
                    weights[i, j] = wpoint.value
                    simulated = simulated or (point is not None and wpoint.simulated)
    return Panel(indicators[indicator], list(places), periods, values, weights, weight, simulated)


def _labels(session: Session, places: Sequence[Place], by: str) -> tuple[list[str], dict[str, str]]:
    """Each region's group label for ``--by`` and label -> display name."""
    names = region_repo.region_names(session, include_groups=True)
    if by == "province":
        return [p.province for p in places], {
            p.province: names.get(p.province, p.province) for p in places
        }
    if by == "city":
        if any(p.level != "county" for p in places):
            raise InputError("--by city: needs county-level regions (--level county)")
        return [p.parent for p in places], {p.parent: names.get(p.parent, p.parent) for p in places}
    groups = {g.code: g for g in region_repo.list_groups(session)}
    wanted = [g.strip() for g in by.split(",") if g.strip()]
    label_of: dict[str, str] = {}
    for code in wanted:
        group = groups.get(code) or next((g for g in groups.values() if g.name == code), None)
        if group is None:
            raise NotFoundError(
                f"--by {code!r}: not province, city or a region group ({', '.join(groups)})"
            )
        members = set(group.members) & {p.code for p in places}
        if not members:
            raise InputError(f"--by {code!r}: group {group.name} has none of the regions chosen")
        for member in members:
            label_of.setdefault(member, group.code)
    labels = [label_of.get(p.code, REST) for p in places]
    display = {g: names.get(g, g) for g in set(labels)} | {REST: "其他"}
    return labels, display


def _number(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


def _column(
    panel: Panel, period: str
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, list[dict]]:
    """One period's complete cases, the mask of regions kept, and the exclusions."""
    if period not in panel.periods:
        have = ", ".join(panel.periods[-5:]) or "none"
        raise InputError(
            f"--period {period!r}: no {panel.indicator.code} data for these regions (periods with data: {have})"
        )
    j = panel.periods.index(period)
    y = panel.values[:, j]
    keep = np.isfinite(y)
    excluded = [
        {"code": p.code, "name": p.name, "reason": "no value"}
        for p, ok in zip(panel.places, keep, strict=True)
        if not ok
    ]
    w = None
    if panel.weights is not None:
        w = panel.weights[:, j]
        bad = keep & ~(np.isfinite(w) & (w >= 0))
        excluded += [
            {"code": p.code, "name": p.name, "reason": f"no {panel.weight_code} weight"}
            for p, b in zip(panel.places, bad, strict=True)
            if b
        ]
        keep &= ~bad
    return y, w, keep, excluded


def _decomposition(y, w, labels, display, measure) -> dict:
    d = disp.decompose(y, labels, w, measure)
    return {
        "total": d.total,
        "between": d.between,
        "within": d.within,
        "between_share": _number(d.between_share),
        "groups": [
            {
                "code": g.name,
                "name": display.get(g.name, g.name),
                "n": g.n,
                "mean": g.mean,
                "share": g.share,
                "within": _number(g.within),
                "contribution": _number(g.contribution),
            }
            for g in d.groups
        ],
    }


def disparity_of(
    session: Session,
    indicator: str,
    period: str,
    *,
    regions: str | None = None,
    level: str = "city",
    by: str | None = None,
    weight: str | None = None,
    vintage: str | None = None,
    bootstrap: int = 0,
    permutations: int = 0,
    seed: int = 0,
    nested: bool = False,
) -> dict:
    """Every disparity measure of ``indicator`` across ``regions`` in ``period``: the object
    ``yrdplan disparity --format json`` prints (README)."""
    places = resolve_regions(session, regions, level)
    panel = load_panel(session, indicator, places, weight=weight, vintage=vintage)
    y, w, keep, excluded = _column(panel, period)
    kept = [p for p, k in zip(places, keep, strict=True) if k]
    y, w = y[keep], (None if w is None else w[keep])
    try:
        measures = disp.disparity(y, w)
    except ValueError as err:
        raise InputError(f"{indicator} {period}: {err}") from err
    out: dict[str, Any] = {
        "indicator": indicator,
        "indicator_name": panel.indicator.name,
        "unit": panel.indicator.unit,
        "period": period,
        "regions": regions or DEFAULT_REGIONS,
        "weight": weight,
        "by": by,
    }
    out.update({name: _number(getattr(measures, name)) for name in DISPARITY_FIELDS if name != "n"})
    out["n"] = measures.n
    out["weighted_cv"] = _number(measures.weighted_cv)
    out["range"] = _number(measures.range)
    out["undefined"] = measures.undefined
    out["excluded"] = excluded
    out["simulated"] = panel.simulated
    labels = None
    if by:
        labels, display = _labels(session, kept, by)
        out["decomposition"] = {}
        for measure in ("theil_t", "theil_l"):
            if measure == "theil_l" and (y <= 0).any():
                out["decomposition"][measure] = None  # reported in `undefined`
                continue
            out["decomposition"][measure] = _decomposition(y, w, labels, display, measure)
    if nested:
        if any(p.level != "county" for p in kept):
            raise InputError("--nested: needs county-level regions (--level county)")
        nd = disp.decompose_nested(
            y,
            [[p.province for p in kept], [p.parent for p in kept]],
            w,
            "theil_t",
            ["province", "city"],
        )
        out["nested"] = {
            "measure": nd.measure,
            "total": nd.total,
            "components": dict(zip(nd.names, nd.components, strict=True)),
        }
    if bootstrap:
        try:
            intervals = disp.bootstrap_intervals(
                y, w, groups=labels, replications=bootstrap, seed=seed
            )
        except ValueError as err:
            raise InputError(f"--bootstrap: {err}") from err
        out["intervals"] = {
            k: {"low": v.low, "high": v.high, "level": v.level} for k, v in intervals.items()
        }
    if permutations:
        if labels is None:
            raise InputError("--permutations: needs --by (the grouping to test)")
        test = disp.permutation_test(y, labels, w, permutations=permutations, seed=seed)
        out["permutation_test"] = {
            "between_share": test.between_share,
            "p_value": test.p_value,
            "permutations": test.permutations,
            "seed": seed,
        }
    return out


def convergence_of(
    session: Session,
    indicator: str,
    start: str,
    end: str,
    *,
    regions: str | None = None,
    level: str = "city",
    weight: str | None = None,
    covariates: Sequence[str] = (),
    clubs: str | None = None,
    vintage: str | None = None,
) -> dict:
    """σ- and β-convergence of ``indicator`` between ``start`` and ``end`` (README fields
    ``sigma``, ``beta``, ``beta_se``, ``half_life``, ``n``)."""
    places = resolve_regions(session, regions, level)
    panel = load_panel(session, indicator, places, weight=weight, vintage=vintage)
    years = _period_key(end) - _period_key(start)
    if years <= 0:
        raise InputError(f"--to {end!r}: must come after --from {start!r}")
    for label, name in ((start, "--from"), (end, "--to")):
        if label not in panel.periods:
            raise InputError(f"{name} {label!r}: no {indicator} data in that period")
    j0, j1 = panel.periods.index(start), panel.periods.index(end)
    span = [
        j
        for j, p in enumerate(panel.periods)
        if _period_key(start) <= _period_key(p) <= _period_key(end)
    ]
    times = [_period_key(panel.periods[j]) for j in span]
    weights = None if panel.weights is None else panel.weights[:, span]
    sigma = conv.sigma_convergence(panel.values[:, span], times, weights)
    sigma_rows = [
        {"period": panel.periods[span[times.index(t)]], "cv": cv, "n": n}
        for t, cv, n in zip(sigma.times, sigma.cv, sigma.n, strict=True)
    ]
    y0, y1 = panel.values[:, j0], panel.values[:, j1]
    keep = np.isfinite(y0) & np.isfinite(y1) & (y0 > 0) & (y1 > 0)
    cov_values = []
    for code in covariates:
        cpanel = load_panel(session, code, places, vintage=vintage)
        if start not in cpanel.periods:
            raise InputError(f"--covariate {code!r}: no data in {start}")
        column = cpanel.values[:, cpanel.periods.index(start)]
        keep &= np.isfinite(column)
        cov_values.append(column)
    excluded = [
        {"code": p.code, "name": p.name, "reason": f"no positive value in {start} and {end}"}
        for p, k in zip(places, keep, strict=True)
        if not k
    ]
    try:
        beta = conv.beta_convergence(
            y0[keep], y1[keep], years, np.column_stack(cov_values)[keep] if cov_values else None
        )
    except ValueError as err:
        raise InputError(f"{indicator} {start}–{end}: {err}") from err
    out = {
        "indicator": indicator,
        "indicator_name": panel.indicator.name,
        "from": start,
        "to": end,
        "regions": regions or DEFAULT_REGIONS,
        "sigma": sigma_rows,
        "sigma_trend": None
        if sigma.trend is None
        else {"slope": sigma.trend.slope, "slope_se": sigma.trend.slope_se},
        "beta": beta.beta,
        "beta_se": beta.beta_se,
        "half_life": beta.half_life,
        "speed": beta.speed,
        "alpha": beta.alpha,
        "r2": _number(beta.r2),
        "n": beta.n,
        "covariates": [
            {"code": c, "coefficient": v, "se": s}
            for c, v, s in zip(covariates, beta.covariates, beta.covariates_se, strict=True)
        ],
        "excluded": excluded,
        "simulated": panel.simulated,
    }
    if clubs:
        kept = [p for p, k in zip(places, keep, strict=True) if k]
        labels, display = _labels(session, kept, clubs)
        out["clubs"] = [
            {
                "code": label,
                "name": display.get(label, label),
                "n": b.n,
                "beta": b.beta,
                "beta_se": b.beta_se,
                "half_life": b.half_life,
            }
            for label, b in conv.club_convergence(y0[keep], y1[keep], years, labels).items()
        ]
    return out


def disparity_over_time(
    source: Database | Session,
    indicator: str,
    *,
    regions: str | None = None,
    by: str = "province",
    weight: str | None = "default",
) -> dict:
    """The disparity of one indicator in every period with data, and the latest decomposition.

    Parameters
    ----------
    source : Database or Session
        Where to read.
    indicator : str
        Indicator code.
    regions : str, optional
        As :func:`resolve_regions` (default the 41 cities).
    by : str
        Grouping of the latest period's decomposition (``province`` or group codes).
    weight : str or None
        ``"default"``: the catalogue's weight for the indicator, else resident population
        (``POP``); ``None``: unweighted; or an indicator code.

    Returns
    -------
    dict
        ``periods``: one object per period (``period``, ``n``, ``mean``, ``cv``, ``theil_t``,
        ``theil_l``, ``gini``, ``between``, ``within``, ``between_share`` of Theil T by ``by``);
        ``latest``: the latest period's full :func:`disparity_of` object; ``sigma_trend``;
        ``weight``; ``simulated``.
    """
    if isinstance(source, Database):
        with source.read() as session:
            return disparity_over_time(session, indicator, regions=regions, by=by, weight=weight)
    session = source
    indicators = stored_indicators(session)
    if indicator not in indicators:
        raise NotFoundError(f"no indicator {indicator!r} in the catalogue")
    if weight == "default":
        weight = default_weight(indicators, indicator)
    places = resolve_regions(session, regions)
    panel = load_panel(session, indicator, places, weight=weight)
    labels_all, _ = _labels(session, places, by)
    rows = []
    for period in panel.periods:
        y, w, keep, _ = _column(panel, period)
        if keep.sum() < 2 or (y[keep] < 0).any():
            continue
        yk, wk = y[keep], (None if w is None else w[keep])
        try:
            d = disp.disparity(yk, wk)
            parts = disp.decompose(yk, [g for g, k in zip(labels_all, keep, strict=True) if k], wk)
        except ValueError:
            continue  # a period that cannot be measured (all zero) is left out of the series
        rows.append(
            {
                "period": period,
                "n": d.n,
                "mean": d.mean,
                "cv": d.cv,
                "theil_t": d.theil_t,
                "theil_l": _number(d.theil_l),
                "gini": d.gini,
                "between": parts.between,
                "within": parts.within,
                "between_share": _number(parts.between_share),
            }
        )
    latest = None
    trend = None
    if rows:
        latest = disparity_of(
            session, indicator, rows[-1]["period"], regions=regions, by=by, weight=weight
        )
        if len(rows) >= 3:
            fit = conv.fit_trend([_period_key(r["period"]) for r in rows], [r["cv"] for r in rows])
            trend = {"slope": fit.slope, "slope_se": fit.slope_se}
    return {
        "indicator": indicator,
        "indicator_name": panel.indicator.name,
        "unit": panel.indicator.unit,
        "regions": regions or DEFAULT_REGIONS,
        "by": by,
        "weight": weight,
        "periods": rows,
        "latest": latest,
        "sigma_trend": trend,
        "simulated": panel.simulated,
    }


def benchmark_of(
    session: Session,
    indicator: str,
    period: str,
    *,
    regions: str | None = None,
    peers: str | None = None,
    field_regions: str | None = None,
    level: str = "city",
    previous: str | None = None,
    vintage: str | None = None,
) -> dict:
    """对照学习: each region of ``regions`` against the best of the field (default: the regions
    and the peers together), the field's top quartile and the best of ``peers``; rank change
    since ``previous`` (default the period before ``period``)."""
    subjects = resolve_regions(session, regions, level)
    peer_places = resolve_regions(session, peers, level) if peers else []
    field_places = resolve_regions(session, field_regions, level) if field_regions else None
    if field_places is None:
        merged = {p.code: p for p in [*subjects, *peer_places]}
        field_places = sorted(merged.values(), key=lambda p: p.code)
    panel = load_panel(session, indicator, field_places, vintage=vintage)
    if panel.indicator.direction not in ("higher", "lower"):
        raise InputError(
            f"--indicator {indicator}: direction {panel.indicator.direction!r} has no best"
        )
    y, _, keep, excluded = _column(panel, period)
    j = panel.periods.index(period)
    if previous is None and j > 0:
        previous = panel.periods[j - 1]
    prev = None
    if previous is not None:
        if previous not in panel.periods:
            raise InputError(f"--previous {previous!r}: no {indicator} data in that period")
        prev = panel.values[keep, panel.periods.index(previous)]
    kept = [p for p, k in zip(field_places, keep, strict=True) if k]
    peer_codes = {p.code for p in peer_places}
    peer_mask = [p.code in peer_codes for p in kept] if peer_places else None
    if peer_mask is not None and not any(peer_mask):
        raise InputError(f"--peers {peers!r}: none of the peers has a value in {period}")
    try:
        table = benchmark_values(y[keep], panel.indicator.direction, peers=peer_mask, previous=prev)
    except ValueError as err:
        raise InputError(f"{indicator} {period}: {err}") from err
    subject_codes = {p.code for p in subjects}
    rows = []
    for i, place in enumerate(kept):
        if place.code not in subject_codes:
            continue
        rows.append(
            {
                "code": place.code,
                "name": place.name,
                "value": float(table.value[i]),
                "rank": int(table.rank[i]),
                "gap_best": float(table.gap_best[i]),
                "gap_best_pct": _number(table.gap_best_pct[i]),
                "gap_top_quartile": float(table.gap_top_quartile[i]),
                "gap_peer_best": None if table.gap_peer is None else float(table.gap_peer[i]),
                "previous_rank": None
                if table.previous_rank is None or not np.isfinite(table.previous_rank[i])
                else int(table.previous_rank[i]),
                "rank_change": None
                if table.rank_change is None or not np.isfinite(table.rank_change[i])
                else int(table.rank_change[i]),
            }
        )
    return {
        "indicator": indicator,
        "indicator_name": panel.indicator.name,
        "unit": panel.indicator.unit,
        "direction": panel.indicator.direction,
        "period": period,
        "previous": previous,
        "regions": regions or DEFAULT_REGIONS,
        "peers": peers,
        "field_size": len(kept),
        "best": table.best,
        "best_region": next(
            p.name for p, v in zip(kept, table.value, strict=True) if v == table.best
        ),
        "top_quartile": table.top_quartile,
        "peer_best": table.peer_best,
        "rows": rows,
        "excluded": [e for e in excluded if e["code"] in subject_codes or e["code"] in peer_codes],
        "simulated": panel.simulated,
    }


def league_table(source: Database | Session, build_id: int | None = None) -> dict | None:
    """The rows of a stored index build (the latest by default), or None when there is none.

    Returns
    -------
    dict or None
        ``build`` (id, name, period, regions, created_at, data_vintage, fingerprint, simulated,
        runs, seed), ``regions``: one object per region in rank order with ``code``, ``name``,
        ``score``, ``rank``, ``rank_p05``, ``rank_p50``, ``rank_p95`` and ``dimensions``
        (dimension code -> score), and ``dimensions`` (code, name, weight).
    """
    from yrdplan.services.index_builds import stored_build

    if isinstance(source, Database):
        with source.read() as session:
            return stored_build(session, build_id)
    return stored_build(source, build_id)

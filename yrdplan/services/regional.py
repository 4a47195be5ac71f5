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

import copy
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from yrdplan.analytics import convergence as conv
from yrdplan.analytics import disparity as disp
from yrdplan.analytics.benchmarking import benchmark as benchmark_values
from yrdplan.errors import InputError, NotFoundError
from yrdplan.services.catalogue import stored_indicators
from yrdplan.services.regional_data import (
    DEFAULT_REGIONS,
    Panel,
    default_weight,
    finite_or_none,
    group_labels,
    indicators_with_data,
    load_panel,
    period_column,
    period_key,
    resolve_regions,
)
from yrdplan.store.database import Database
from yrdplan.store.repos import indicators as indicator_repo

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


def _decomposition(y, w, labels, display, measure) -> dict:
    d = disp.decompose(y, labels, w, measure)
    return {
        "total": d.total,
        "between": d.between,
        "within": d.within,
        "between_share": finite_or_none(d.between_share),
        "groups": [
            {
                "code": g.name,
                "name": display.get(g.name, g.name),
                "n": g.n,
                "mean": g.mean,
                "share": g.share,
                "within": finite_or_none(g.within),
                "contribution": finite_or_none(g.contribution),
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
    out = panel_disparity(
        session,
        panel,
        period,
        by=by,
        bootstrap=bootstrap,
        permutations=permutations,
        seed=seed,
        nested=nested,
    )
    out["regions"] = regions or DEFAULT_REGIONS
    return out


def panel_disparity(
    session: Session,
    panel: Panel,
    period: str,
    *,
    by: str | None = None,
    bootstrap: int = 0,
    permutations: int = 0,
    seed: int = 0,
    nested: bool = False,
) -> dict:
    """:func:`disparity_of` over a loaded panel."""
    indicator, places = panel.indicator.code, panel.places
    y, w, keep, excluded = period_column(panel, period)
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
        "regions": DEFAULT_REGIONS,
        "weight": panel.weight_code,
        "by": by,
    }
    out.update(
        {name: finite_or_none(getattr(measures, name)) for name in DISPARITY_FIELDS if name != "n"}
    )
    out["n"] = measures.n
    out["weighted_cv"] = finite_or_none(measures.weighted_cv)
    out["range"] = finite_or_none(measures.range)
    out["undefined"] = measures.undefined
    out["excluded"] = excluded
    out["simulated"] = panel.simulated
    labels = None
    if by:
        labels, display = group_labels(session, kept, by)
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
    extra = [load_panel(session, code, places, vintage=vintage) for code in covariates]
    out = panel_convergence(session, panel, start, end, covariates=extra, clubs=clubs)
    out["regions"] = regions or DEFAULT_REGIONS
    return out


def panel_convergence(
    session: Session,
    panel: Panel,
    start: str,
    end: str,
    *,
    covariates: Sequence[Panel] = (),
    clubs: str | None = None,
) -> dict:
    """:func:`convergence_of` over loaded panels (the indicator's and its covariates')."""
    indicator, places = panel.indicator.code, panel.places
    years = period_key(end) - period_key(start)
    if years <= 0:
        raise InputError(f"--to {end!r}: must come after --from {start!r}")
    for label, name in ((start, "--from"), (end, "--to")):
        if label not in panel.periods:
            raise InputError(f"{name} {label!r}: no {indicator} data in that period")
    j0, j1 = panel.periods.index(start), panel.periods.index(end)
    span = [
        j
        for j, p in enumerate(panel.periods)
        if period_key(start) <= period_key(p) <= period_key(end)
    ]
    times = [period_key(panel.periods[j]) for j in span]
    weights = None if panel.weights is None else panel.weights[:, span]
    try:
        sigma = conv.sigma_convergence(panel.values[:, span], times, weights)
    except ValueError as err:
        raise InputError(f"{indicator} {start}–{end}: {err}") from err
    sigma_rows = [
        {"period": panel.periods[span[times.index(t)]], "cv": cv, "n": n}
        for t, cv, n in zip(sigma.times, sigma.cv, sigma.n, strict=True)
    ]
    y0, y1 = panel.values[:, j0], panel.values[:, j1]
    keep = np.isfinite(y0) & np.isfinite(y1) & (y0 > 0) & (y1 > 0)
    cov_values = []
    for cpanel in covariates:
        code = cpanel.indicator.code
        if start not in cpanel.periods:
            raise InputError(f"--covariate {code!r}: no data in {start}")
        column = cpanel.values[:, cpanel.periods.index(start)]
        keep &= np.isfinite(column)
        cov_values.append(column)
    excluded = [
        {
            "code": p.code,
            "name": p.name,
            "reason": "not_positive",
            "detail": f"no positive value in {start} and {end}",
        }
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
        "regions": DEFAULT_REGIONS,
        "sigma": sigma_rows,
        "sigma_trend": None
        if sigma.trend is None
        else {"slope": sigma.trend.slope, "slope_se": sigma.trend.slope_se},
        "beta": beta.beta,
        "beta_se": beta.beta_se,
        "half_life": beta.half_life,
        "speed": beta.speed,
        "alpha": beta.alpha,
        "r2": finite_or_none(beta.r2),
        "n": beta.n,
        "covariates": [
            {"code": c, "coefficient": v, "se": s}
            for c, v, s in zip(
                [p.indicator.code for p in covariates],
                beta.covariates,
                beta.covariates_se,
                strict=True,
            )
        ],
        "excluded": excluded,
        "simulated": panel.simulated,
    }
    if clubs:
        kept = [p for p, k in zip(places, keep, strict=True) if k]
        labels, display = group_labels(session, kept, clubs)
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
        ``latest``: the latest period's full :func:`disparity_of` object; ``sigma_trend``
        (slope of the CV per year and its standard error); ``convergence`` (absolute β from
        the first to the latest period: ``from``, ``to``, ``n``, ``beta``, ``beta_se``,
        ``half_life``; None when the values are not all positive); ``values`` (each region's
        latest value); ``skipped`` (periods that cannot be measured — fewer than two regions,
        negative values, all zero — with the reason); ``weight``; ``simulated``.
    """
    if isinstance(source, Database):
        with source.read() as session:
            return disparity_over_time(session, indicator, regions=regions, by=by, weight=weight)
    return _remembered(
        source,
        ("disparity_over_time", indicator, regions, by, weight),
        lambda: _disparity_over_time(source, indicator, regions=regions, by=by, weight=weight),
    )


# Pages ask for the same few series again and again; a result is kept, per process, under the
# state of its inputs (observations, targets, crosswalk, catalogue, region groups), so any
# change to the data gives a new key and every worker computes the same answer.
_SERIES_CACHE: OrderedDict[tuple, dict] = OrderedDict()
_CACHE_SIZE = 64


def _remembered(session: Session, args: tuple, compute) -> dict:
    key = (str(session.get_bind().url), _data_state(session), *args)
    if key in _SERIES_CACHE:
        _SERIES_CACHE.move_to_end(key)
        return copy.deepcopy(_SERIES_CACHE[key])
    out = compute()
    _SERIES_CACHE[key] = copy.deepcopy(out)
    while len(_SERIES_CACHE) > _CACHE_SIZE:
        _SERIES_CACHE.popitem(last=False)
    return out


def _data_state(session: Session) -> str:
    # One look per session (a page's request): the data cannot change under a read session's
    # feet in a way this page would need to see twice.
    if "regional_state" not in session.info:
        session.info["regional_state"] = _read_data_state(session)
    return session.info["regional_state"]


def _read_data_state(session: Session) -> str:
    from sqlalchemy import func, select

    from yrdplan.store.schema import RegionGroupMember

    members = session.execute(
        select(func.count(), func.sum(RegionGroupMember.group_id)).select_from(RegionGroupMember)
    ).one()
    return f"{indicator_repo.data_fingerprint(session)}/{members[0]}.{members[1] or 0}"


def _disparity_over_time(
    session: Session, indicator: str, *, regions: str | None, by: str, weight: str | None
) -> dict:
    indicators = stored_indicators(session)
    if indicator not in indicators:
        raise NotFoundError(f"no indicator {indicator!r} in the catalogue")
    if weight == "default":
        weight = default_weight(indicators, indicator)
    places = resolve_regions(session, regions)
    panel = load_panel(session, indicator, places, weight=weight)
    labels_all, _ = group_labels(session, places, by)
    rows = []
    skipped = []  # periods that cannot be measured, with the reason: never silently
    for period in panel.periods:
        y, w, keep, _ = period_column(panel, period)
        yk, wk = y[keep], (None if w is None else w[keep])
        try:
            d = disp.disparity(yk, wk)
            parts = disp.decompose(yk, [g for g, k in zip(labels_all, keep, strict=True) if k], wk)
        except ValueError as err:
            skipped.append({"period": period, "detail": str(err)})
            continue
        rows.append(
            {
                "period": period,
                "n": d.n,
                "mean": d.mean,
                "cv": d.cv,
                "theil_t": d.theil_t,
                "theil_l": finite_or_none(d.theil_l),
                "gini": d.gini,
                "between": parts.between,
                "within": parts.within,
                "between_share": finite_or_none(parts.between_share),
            }
        )
    latest = None
    trend = None
    beta = None
    values = []
    if rows:
        latest = panel_disparity(session, panel, rows[-1]["period"], by=by)
        latest["regions"] = regions or DEFAULT_REGIONS
        column = panel.values[:, panel.periods.index(rows[-1]["period"])]
        values = [
            {"code": p.code, "name": p.name, "value": finite_or_none(v)}
            for p, v in zip(places, column, strict=True)
        ]
        if len(rows) >= 2:
            try:
                beta = panel_convergence(session, panel, rows[0]["period"], rows[-1]["period"])
            except InputError:
                beta = None  # no growth rates (values that are not positive): no β
        if len(rows) >= 3:
            fit = conv.fit_trend([period_key(r["period"]) for r in rows], [r["cv"] for r in rows])
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
        "convergence": None
        if beta is None
        else {k: beta[k] for k in ("from", "to", "n", "beta", "beta_se", "half_life")},
        "values": values,
        "skipped": skipped,
        "simulated": panel.simulated,
    }


def benchmark_of(
    session: Session,
    indicator: str,
    period: str | None,
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
    since ``previous`` (default the period before ``period``; ``period`` None: the latest)."""
    args = (indicator, period, regions, peers, field_regions, level, previous, vintage)
    return _remembered(
        session,
        ("benchmark_of", *args),
        lambda: _benchmark_of(session, *args),
    )


def _benchmark_of(
    session: Session,
    indicator: str,
    period: str | None,
    regions: str | None,
    peers: str | None,
    field_regions: str | None,
    level: str,
    previous: str | None,
    vintage: str | None,
) -> dict:
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
    if period is None:
        if not panel.periods:
            raise InputError(f"--indicator {indicator}: no data for these regions")
        period = panel.periods[-1]
    y, _, keep, excluded = period_column(panel, period)
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
                "gap_best_pct": finite_or_none(table.gap_best_pct[i]),
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


def indicators_with_data_cached(session: Session) -> list:
    """:func:`~yrdplan.services.regional_data.indicators_with_data`, kept per data state."""
    return _remembered(session, ("indicators_with_data",), lambda: indicators_with_data(session))


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

"""Build the composite integration index (一体化指数) from a TOML config and store the build.

A build reads the config (see ``docs/regional.md`` and ``yrdplan/data/index_demo.toml``), takes
the indicators' values for the regions in the period from the store (derived indicators
computed, series carried onto today's boundaries), runs the pipeline of
:mod:`yrdplan.analytics.composite_index`, the Monte Carlo rank intervals and drop-one effects of
:mod:`yrdplan.analytics.uncertainty`, and stores the config (parsed and as written), the data
state (fingerprint and vintage) and the results in ``index_builds``, in one transaction. Pages
read the latest build; only the office or an admin may build.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from yrdplan.analytics.composite_index import (
    AGGREGATORS,
    IMPUTERS,
    NORMALISERS,
    WEIGHTINGS,
    IndexSpec,
    composite_index,
)
from yrdplan.analytics.uncertainty import MonteCarloOptions, drop_one, rank_intervals
from yrdplan.domain.people import UserInfo
from yrdplan.errors import InputError, NotFoundError
from yrdplan.services.callers import actor_of, require_manager, user_id_of
from yrdplan.services.catalogue import stored_indicators
from yrdplan.services.monitor import MonitorOptions, load_series
from yrdplan.services.regional_data import resolve_regions
from yrdplan.store.database import Database
from yrdplan.store.repos import indicators as indicator_repo
from yrdplan.store.schema import IndexBuild, utcnow

DEMO_CONFIG = "index_demo.toml"


@dataclass(frozen=True)
class IndicatorEntry:
    code: str
    direction: str
    weight: float = 1.0
    dimension: str = "index"
    target: float | None = None


@dataclass(frozen=True)
class IndexConfig:
    """A parsed, checked index config (the TOML file's fields)."""

    period: str
    regions: str
    indicators: list[IndicatorEntry]
    name: str = ""
    level: str = "city"
    base_period: str | None = None
    vintage: str | None = None
    normalise: str = "minmax"
    aggregate: str = "arithmetic"
    impute: str = "mean"
    weighting: str = "expert"
    dimensions: dict[str, dict] = field(default_factory=dict)  # code -> {name, name_en, weight}
    montecarlo: dict = field(default_factory=dict)

    def spec(self) -> IndexSpec:
        targets = [e.target for e in self.indicators]
        return IndexSpec(
            directions=[e.direction for e in self.indicators],
            weights=[e.weight for e in self.indicators],
            dimensions=[e.dimension for e in self.indicators],
            dimension_weights={k: float(v.get("weight", 1.0)) for k, v in self.dimensions.items()}
            or None,
            impute=self.impute,
            normalise=self.normalise,
            weighting=self.weighting,
            aggregate=self.aggregate,
            targets=targets if all(t is not None for t in targets) else None,
        )

    def montecarlo_options(self) -> MonteCarloOptions:
        mc = self.montecarlo
        defaults = MonteCarloOptions()
        return MonteCarloOptions(
            runs=int(mc.get("runs", defaults.runs)),
            seed=int(mc.get("seed", defaults.seed)),
            weight_spread=float(mc.get("weight_spread", defaults.weight_spread)),
            normalise=tuple(mc.get("normalise", defaults.normalise)),
            aggregate=tuple(mc.get("aggregate", defaults.aggregate)),
            impute=tuple(mc.get("impute", defaults.impute)),
        )


def _bad(where: str, message: str) -> InputError:
    return InputError(f"{where}: {message}")


def parse_config(text: str, where: str = "config", catalogue: dict | None = None) -> IndexConfig:
    """Parse and check an index config; errors name the file and the field."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise _bad(where, f"not valid TOML: {err}") from err
    known = {
        "name", "period", "regions", "level", "base_period", "vintage", "normalise",
        "aggregate", "impute", "weighting", "indicator", "dimension", "montecarlo",
    }  # fmt: skip
    unknown = sorted(set(raw) - known)
    if unknown:
        raise _bad(where, f"unknown field {unknown[0]!r} (known: {', '.join(sorted(known))})")
    for key, longest in (("period", 8), ("regions", 200)):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise _bad(where, f"{key!r} is required (a string)")
        if len(raw[key]) > longest:
            raise _bad(where, f"{key!r} is longer than {longest} characters")
    if len(str(raw.get("name", ""))) > 200:
        raise _bad(where, "'name' is longer than 200 characters")
    choices = {
        "normalise": NORMALISERS,
        "aggregate": AGGREGATORS,
        "impute": IMPUTERS,
        "weighting": WEIGHTINGS,
    }
    for key, allowed in choices.items():
        if key in raw and raw[key] not in allowed:
            raise _bad(where, f"{key} = {raw[key]!r} is not one of {', '.join(allowed)}")
    entries = raw.get("indicator")
    if not isinstance(entries, list) or not entries:
        raise _bad(where, "at least one [[indicator]] table is required")
    indicators = []
    seen = set()
    for i, entry in enumerate(entries, start=1):
        at = f"{where}: [[indicator]] #{i}"
        code = entry.get("code")
        if not isinstance(code, str) or not code:
            raise InputError(f"{at}: 'code' is required")
        if code in seen:
            raise InputError(f"{at}: {code} is listed twice")
        seen.add(code)
        if catalogue is not None and code not in catalogue:
            raise InputError(f"{at}: no indicator {code!r} in the catalogue")
        direction = entry.get("direction")
        if direction is None and catalogue is not None:
            direction = catalogue[code].direction
        if direction not in ("higher", "lower"):
            raise InputError(
                f"{at} ({code}): direction must be 'higher' or 'lower', not {direction!r}"
            )
        weight = entry.get("weight", 1.0)
        if not isinstance(weight, int | float) or isinstance(weight, bool) or weight < 0:
            raise InputError(f"{at} ({code}): weight must be a non-negative number")
        target = entry.get("target")
        if target is not None and (not isinstance(target, int | float) or target <= 0):
            raise InputError(f"{at} ({code}): target must be a positive number")
        extra = set(entry) - {"code", "direction", "weight", "dimension", "target"}
        if extra:
            raise InputError(f"{at} ({code}): unknown field {sorted(extra)[0]!r}")
        indicators.append(
            IndicatorEntry(
                code, direction, float(weight), str(entry.get("dimension", "index")), target
            )
        )
    if sum(e.weight for e in indicators) <= 0:
        raise _bad(where, "every indicator weight is zero")
    dimensions = {}
    for i, entry in enumerate(raw.get("dimension", []), start=1):
        code = entry.get("code")
        if not isinstance(code, str) or not code:
            raise _bad(where, f"[[dimension]] #{i}: 'code' is required")
        weight = entry.get("weight", 1.0)
        if not isinstance(weight, int | float) or weight < 0:
            raise _bad(where, f"[[dimension]] #{i} ({code}): weight must be a non-negative number")
        dimensions[code] = {
            "name": entry.get("name", code),
            "name_en": entry.get("name_en", entry.get("name", code)),
            "weight": float(weight),
        }
    used = {e.dimension for e in indicators}
    for dim in used - set(dimensions):
        dimensions[dim] = {"name": dim, "name_en": dim, "weight": 1.0}
    for dim in set(dimensions) - used:
        raise _bad(where, f"[[dimension]] {dim!r} has no indicator")
    if raw.get("normalise") == "target" and any(e.target is None for e in indicators):
        raise _bad(where, "normalise = 'target' needs a target on every [[indicator]]")
    montecarlo = raw.get("montecarlo", {})
    config = IndexConfig(
        period=raw["period"],
        regions=raw["regions"],
        indicators=indicators,
        name=str(raw.get("name", "")),
        level=str(raw.get("level", "city")),
        base_period=raw.get("base_period"),
        vintage=raw.get("vintage"),
        normalise=raw.get("normalise", "minmax"),
        aggregate=raw.get("aggregate", "arithmetic"),
        impute=raw.get("impute", "mean"),
        weighting=raw.get("weighting", "expert"),
        dimensions=dimensions,
        montecarlo=montecarlo,
    )
    try:
        config.spec().validate(len(indicators))
        config.montecarlo_options().validate()
    except ValueError as err:
        raise _bad(where, str(err)) from err
    return config


def demo_config_text() -> str:
    return (resources.files("yrdplan.data") / DEMO_CONFIG).read_text(encoding="utf-8")


def read_config_file(path: str | Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(f"{path}: cannot read ({err.strerror})") from err
    except UnicodeDecodeError as err:
        raise InputError(f"{path}: not UTF-8 text") from err


def _require_builder(user: UserInfo | None) -> UserInfo:
    return require_manager(user, "build the integration index")


def _matrix(book, places, codes, period) -> tuple[np.ndarray, bool]:
    x = np.full((len(places), len(codes)), np.nan)
    simulated = False
    for i, place in enumerate(places):
        for j, code in enumerate(codes):
            point = book.series(place.code, code).get(period)
            if point is not None:
                x[i, j] = point.value
                simulated = simulated or point.simulated
    return x, simulated


def _float(value: float) -> float | None:
    value = float(value)
    return round(value, 10) if math.isfinite(value) else None


def compute_build(session: Session, config: IndexConfig) -> dict:
    """Everything a build stores, computed (nothing written)."""
    catalogue = stored_indicators(session)
    codes = [e.code for e in config.indicators]
    places = resolve_regions(session, config.regions, config.level)
    book, _, _ = load_series(session, catalogue, MonitorOptions(vintage=config.vintage))
    x, simulated = _matrix(book, places, codes, config.period)
    empty_columns = [codes[j] for j in np.flatnonzero(np.isnan(x).all(axis=0))]
    if empty_columns:
        raise InputError(
            f"period {config.period!r}: no data for {', '.join(empty_columns)} in these regions"
        )
    # A region with no value at all cannot be scored; one with a few gaps is imputed.
    missing_share = np.isnan(x).mean(axis=1)
    keep = missing_share <= 0.5
    excluded = [
        {
            "code": p.code,
            "name": p.name,
            "reason": "too_many_missing",
            "detail": f"{int(np.isnan(x[i]).sum())} of {len(codes)} values missing",
        }
        for i, p in enumerate(places)
        if not keep[i]
    ]
    kept = [p for p, k in zip(places, keep, strict=True) if k]
    x = x[keep]
    if len(kept) < 2:
        raise InputError(
            f"regions {config.regions!r}: fewer than two regions have data in {config.period}"
        )
    reference = None
    if config.base_period:
        reference, _ = _matrix(book, kept, codes, config.base_period)
        empty = [codes[j] for j in np.flatnonzero(np.isnan(reference).all(axis=0))]
        if empty:
            raise InputError(f"base_period {config.base_period!r}: no data for {', '.join(empty)}")
    spec = config.spec()
    options = config.montecarlo_options()
    try:
        result = composite_index(x, spec, reference=reference)
        intervals = rank_intervals(x, spec, options, reference=reference)
        effects = drop_one(x, spec, reference=reference) if len(codes) > 1 else None
    except ValueError as err:
        raise InputError(f"index: {err}") from err
    dims = result.dimension_names
    rows = []
    for i, place in enumerate(kept):
        rows.append(
            {
                "code": place.code,
                "name": place.name,
                "score": _float(result.score[i]),
                "rank": int(result.rank[i]),
                "rank_p05": int(intervals.p05[i]),
                "rank_p50": int(intervals.median[i]),
                "rank_p95": int(intervals.p95[i]),
                "dimensions": {
                    d: _float(result.dimension_scores[i, k]) for k, d in enumerate(dims)
                },
                "imputed": [codes[j] for j in np.flatnonzero(result.imputed[i])],
            }
        )
    rows.sort(key=lambda r: (r["rank"], r["code"]))
    details = {
        "dimensions": [
            {"code": d, **config.dimensions.get(d, {"name": d, "name_en": d, "weight": 1.0})}
            for d in dims
        ],
        "indicators": [
            {
                "code": e.code,
                "name": catalogue[e.code].name,
                "direction": e.direction,
                "dimension": e.dimension,
                "weight": _float(result.weights[j]),
                "drop_one_mean_abs": None if effects is None else _float(effects.mean_abs[j]),
                "drop_one_max_abs": None if effects is None else int(effects.max_abs[j]),
                "imputed": int(result.imputed[:, j].sum()),
            }
            for j, e in enumerate(config.indicators)
        ],
        "montecarlo": {**asdict(options), "combos": intervals.combos},
        "excluded": excluded,
        "warnings": result.warnings,
    }
    details["montecarlo"] = {
        k: list(v) if isinstance(v, tuple) else v for k, v in details["montecarlo"].items()
    }
    return {"rows": rows, "details": details, "simulated": simulated}


def _config_json(config: IndexConfig) -> dict:
    out = asdict(config)
    out["indicators"] = [asdict(e) for e in config.indicators]
    return out


def build_index(
    database: Database, config_text: str, user: UserInfo, *, where: str = "config"
) -> dict:
    """Build the index from ``config_text`` and store it (one transaction); the stored build.

    Raises
    ------
    PermissionDenied
        ``user`` is neither office nor admin.
    InputError
        The config is wrong (file and field named) or the data cannot make an index.
    """
    user = _require_builder(user)
    with database.write(actor_of(user)) as session:
        config = parse_config(config_text, where, stored_indicators(session))
        computed = compute_build(session, config)
        vintages = indicator_repo.vintages(session)
        row = IndexBuild(
            name=config.name,
            created_at=utcnow(),
            created_by=user_id_of(user),
            period=config.period,
            regions=config.regions,
            config=_config_json(config),
            config_text=config_text,
            fingerprint=indicator_repo.data_fingerprint(session),
            data_vintage=config.vintage or (vintages[-1] if vintages else ""),
            simulated=computed["simulated"],
            results=computed["rows"],
            details=computed["details"],
        )
        session.add(row)
        session.flush()
        return _public(row)


def _public(row: IndexBuild) -> dict:
    mc = row.details.get("montecarlo", {})
    return {
        "build": {
            "id": row.id,
            "name": row.name,
            "period": row.period,
            "regions": row.regions,
            "created_at": row.created_at.isoformat(timespec="seconds"),
            "data_vintage": row.data_vintage,
            "fingerprint": row.fingerprint,
            "simulated": row.simulated,
            "runs": mc.get("runs"),
            "seed": mc.get("seed"),
        },
        "regions": list(row.results),
        "dimensions": row.details.get("dimensions", []),
        "indicators": row.details.get("indicators", []),
        "montecarlo": mc,
        "excluded": row.details.get("excluded", []),
        "warnings": row.details.get("warnings", []),
        "config": row.config,
    }


def stored_build(session: Session, build_id: int | None = None) -> dict | None:
    """A stored build (the latest when ``build_id`` is None) as a dict, or None if none exists."""
    query = select(IndexBuild)
    if build_id is not None:
        row = session.get(IndexBuild, build_id)
        if row is None:
            raise NotFoundError(f"no index build {build_id}")
        return _public(row)
    row = session.scalar(
        query.order_by(IndexBuild.created_at.desc(), IndexBuild.id.desc()).limit(1)
    )
    return None if row is None else _public(row)


def latest_config_text(session: Session) -> str | None:
    """The config text of the latest build (None when there is no build)."""
    return session.scalar(
        select(IndexBuild.config_text)
        .order_by(IndexBuild.created_at.desc(), IndexBuild.id.desc())
        .limit(1)
    )


def list_builds(session: Session) -> list[dict[str, Any]]:
    """Every stored build, newest first (no results)."""
    rows = session.execute(
        select(
            IndexBuild.id,
            IndexBuild.name,
            IndexBuild.period,
            IndexBuild.regions,
            IndexBuild.created_at,
            IndexBuild.data_vintage,
            IndexBuild.simulated,
        ).order_by(IndexBuild.created_at.desc(), IndexBuild.id.desc())
    ).all()
    return [
        {
            "id": r.id,
            "name": r.name,
            "period": r.period,
            "regions": r.regions,
            "created_at": r.created_at.isoformat(timespec="seconds"),
            "data_vintage": r.data_vintage,
            "simulated": r.simulated,
        }
        for r in rows
    ]

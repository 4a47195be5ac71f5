"""Apply an agreement's rule to its inputs for one period: the settlement's figures.

This module joins the pure rules of :mod:`yrdplan.analytics` to an agreement's terms and to the
observed values it reads. It does not open the database: the caller passes a ``lookup`` that
returns an :class:`InputValue` (value, source, vintage, row id) for a place, indicator and
period, or None when nothing is observed. The result is a plain dict (stored as a settlement's
``result``) that lists every input with its source and vintage, every parameter the rule used,
the steps of the calculation, each party's amounts and the transfers between parties.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from yrdplan.analytics.cost_sharing import ramp_shares, share_costs_and_revenues
from yrdplan.analytics.equalising import FACTORS, allocate_equalising_pool
from yrdplan.analytics.water_compensation import Band, band_payments, water_quality_index
from yrdplan.domain.agreements import AgreementSpec, check_spec
from yrdplan.errors import InputError

COMPUTED = "computed"
INSUFFICIENT = "insufficient_data"


@dataclass(frozen=True, slots=True)
class InputValue:
    """An observed value a rule reads, with where it came from."""

    value: float
    source: str
    vintage: str
    observation_id: int | None = None
    simulated: bool = False


#: (place kind "site" or "region", place code, indicator code, period) → value or None
Lookup = Callable[[str, str, str, str], InputValue | None]


def _round(value: float, digits: int = 6) -> float:
    return float(round(float(value), digits))


def _fmt(value: float) -> str:
    return f"{float(value):.6g}"


class _Collector:
    """Gathers the inputs a rule reads, noting each missing one."""

    def __init__(self, lookup: Lookup) -> None:
        self.lookup = lookup
        self.inputs: list[dict[str, Any]] = []
        self.missing: list[dict[str, str]] = []

    def read(self, place_kind: str, place: str, indicator: str, period: str) -> float | None:
        found = self.lookup(place_kind, place, indicator, period)
        key = {"place_kind": place_kind, "place": place, "indicator": indicator, "period": period}
        if found is None:
            self.missing.append(key)
            self.inputs.append(key | {"kind": "observation", "value": None, "source": "",
                                      "vintage": "", "observation_id": None, "simulated": False})  # fmt: skip
            return None
        self.inputs.append(
            key
            | {
                "kind": "observation",
                "value": found.value,
                "source": found.source,
                "vintage": found.vintage,
                "observation_id": found.observation_id,
                "simulated": found.simulated,
            }
        )
        return found.value


def _parameters(spec: AgreementSpec, version: int, names: list[str]) -> list[dict[str, Any]]:
    """The parameters a rule used, each as an input whose source is the agreement version."""
    source = f"agreement {spec.code} v{version}"
    rows = []
    for name in names:
        value = spec.parameters.get(name)
        if value is None:
            continue
        rows.append({"kind": "parameter", "place_kind": "", "place": "", "indicator": name,
                     "period": "", "value": value, "source": source, "vintage": "",
                     "observation_id": None, "simulated": False})  # fmt: skip
    return rows


def _party_rows(spec: AgreementSpec, names: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {
        p.region_code: {
            "region_code": p.region_code,
            "name": p.name or names.get(p.region_code, p.region_code),
            "role": p.role,
            "pays": 0.0,
            "receives": 0.0,
            "net": 0.0,
        }
        for p in spec.parties
    }


def _transfer(parties: dict, payer: str, payee: str, amount: float, transfers: list) -> None:
    if amount <= 0:
        return
    parties[payer]["pays"] = _round(parties[payer]["pays"] + amount)
    parties[payee]["receives"] = _round(parties[payee]["receives"] + amount)
    transfers.append({"payer": payer, "payee": payee, "amount": _round(amount)})


def _finish(parties: dict) -> list[dict[str, Any]]:
    for row in parties.values():
        row["net"] = _round(row["receives"] - row["pays"])
    return list(parties.values())


# -- water quality ----------------------------------------------------------------------------


def _water(spec: AgreementSpec, year: int, reader: _Collector, parties: dict) -> dict:
    params = spec.parameters
    site = spec.inputs["site"]
    pollutants = list(spec.inputs["pollutants"])
    period = str(year)
    values = [reader.read("site", site, code, period) for code in pollutants]
    concentrations = np.array([np.nan if v is None else v for v in values], dtype=float)
    baselines = np.array([params["baselines"][c] for c in pollutants], dtype=float)
    weights_table = params.get("weights") or {}
    weights = np.array([float(weights_table.get(c, 1.0)) for c in pollutants])
    k0 = float(params.get("k0", 1.0))
    min_pollutants = len(pollutants) if params.get("missing", "fail") == "fail" else 1
    form = params.get("form", "mean")
    index = water_quality_index(
        concentrations, baselines, k0=k0, weights=weights, min_pollutants=min_pollutants, form=form
    )
    steps = []
    for position, code in enumerate(pollutants):
        ratio = index.ratios[0, position]
        if np.isfinite(ratio):
            steps.append({"code": "ratio", "subject": code,
                          "expr": f"{_fmt(concentrations[position])} / {_fmt(baselines[position])}",
                          "value": _round(ratio)})  # fmt: skip
    p = float(index.p[0])
    detail: dict[str, Any] = {"site": site, "pollutants": pollutants, "k0": k0,
                              "used": int(index.used[0]), "p": None, "band": None,
                              "payer_role": None, "capped": False}  # fmt: skip
    if not np.isfinite(p):
        return detail | {"steps": steps}
    used = [i for i in range(len(pollutants)) if np.isfinite(index.ratios[0, i])]
    if form == "max":
        terms = ", ".join(_fmt(index.ratios[0, i]) for i in used if weights[i] > 0)
        expr = f"{_fmt(k0)} × max({terms})"
    elif np.allclose(weights[used], 1.0):
        terms = " + ".join(_fmt(index.ratios[0, i]) for i in used)
        expr = f"{_fmt(k0)} × ({terms}) / {len(used)}"
    else:
        terms = " + ".join(f"{_fmt(weights[i])}×{_fmt(index.ratios[0, i])}" for i in used)
        expr = f"{_fmt(k0)} × ({terms}) / {_fmt(weights[used].sum())}"
    steps.append({"code": "index", "subject": "P", "expr": expr, "value": _round(p)})
    bands = [
        Band(
            upper=b.get("upto"),
            payer=b["payer"],
            amount=float(b.get("amount", 0.0)),
            rate=float(b.get("rate", 0.0)),
            pivot=float(b.get("pivot", 1.0)),
            cap=b.get("cap"),
        )
        for b in params["bands"]
    ]
    payment = band_payments([p], bands, cap=params.get("cap"))
    band_index = int(payment.band[0])
    band = bands[band_index]
    lower = bands[band_index - 1].upper if band_index > 0 else None
    amount = abs(float(payment.amount[0]))
    steps.append({"code": "band", "subject": str(band_index + 1),
                  "expr": f"{_fmt(lower) if lower is not None else '−∞'} < P ≤ "
                          f"{_fmt(band.upper) if band.upper is not None else '+∞'}",
                  "value": band_index + 1})  # fmt: skip
    if band.payer != "none":
        raw = float(payment.uncapped[0])
        expr = _fmt(band.amount)
        if band.rate:
            expr += f" + {_fmt(band.rate)} × |{_fmt(p)} − {_fmt(band.pivot)}|"
        steps.append({"code": "amount", "subject": band.payer, "expr": expr, "value": _round(raw)})
        if payment.capped[0]:
            steps.append({"code": "cap", "subject": band.payer,
                          "expr": f"min({_fmt(raw)}, {_fmt(amount)})", "value": _round(amount)})  # fmt: skip
        upstream = spec.parties_with("upstream")[0].region_code
        downstream = spec.parties_with("downstream")[0].region_code
        payer, payee = (
            (downstream, upstream) if band.payer == "downstream" else (upstream, downstream)
        )
        detail["transfer"] = (payer, payee, amount)
    return detail | {
        "p": _round(p),
        "band": band_index + 1,
        "payer_role": band.payer,
        "capped": bool(payment.capped[0]),
        "steps": steps,
    }


# -- equalising transfers ---------------------------------------------------------------------


def _pool(spec: AgreementSpec, year: int) -> float | None:
    pool = spec.parameters["pool"]
    if isinstance(pool, dict):
        value = pool.get(str(year), pool.get(year))
        return None if value is None else float(value)
    return float(pool)


def _equalising(spec: AgreementSpec, year: int, reader: _Collector, parties: dict) -> dict:
    inputs = spec.inputs
    data_period = str(year - int(inputs.get("data_lag", 1)))
    recipients = [p.region_code for p in spec.parties_with("recipient")]
    keys = ("population", "capacity", "gap", "remitted")
    table = {
        key: [reader.read("region", code, inputs[key], data_period) for code in recipients]
        for key in keys
    }
    pool = _pool(spec, year)
    detail: dict[str, Any] = {"data_period": data_period, "pool": pool, "rows": [], "steps": []}
    if pool is None:
        reader.missing.append({"place_kind": "agreement", "place": spec.code,
                               "indicator": "pool", "period": str(year)})  # fmt: skip
    if reader.missing:
        return detail
    weights_table = spec.parameters["weights"]
    weights = [float(weights_table.get(k, 0.0)) for k in FACTORS]
    result = allocate_equalising_pool(
        pool,
        table["population"],
        table["capacity"],
        table["gap"],
        table["remitted"],
        weights,
    )
    payer = spec.parties_with("payer")[0].region_code
    steps = [{"code": "mean_capacity", "subject": "C̄", "expr": "Σ pop·C / Σ pop",
              "value": _round(result.mean_capacity)},
             {"code": "weights", "subject": "w",
              "expr": " / ".join(_fmt(w) for w in result.weights),
              "value": None}]  # fmt: skip
    rows = []
    for i, code in enumerate(recipients):
        shares = {factor: _round(result.shares[i, k]) for k, factor in enumerate(FACTORS)}
        amount = float(result.amount[i])
        rows.append({"region_code": code, "population": table["population"][i],
                     "capacity": table["capacity"][i], "gap": table["gap"][i],
                     "remitted": table["remitted"][i], "shares": shares,
                     "score": _round(result.score[i]), "amount": _round(amount, 4)})  # fmt: skip
        terms = " + ".join(f"{_fmt(result.weights[k])}×{_fmt(result.shares[i, k])}"
                           for k in range(len(FACTORS)))  # fmt: skip
        steps.append({"code": "allocation", "subject": code,
                      "expr": f"{_fmt(pool)} × ({terms})", "value": _round(amount, 4)})  # fmt: skip
        _transfer(parties, payer, code, amount, detail.setdefault("transfers", []))
    detail.update(
        {
            "mean_capacity": _round(result.mean_capacity),
            "weights": dict(zip(FACTORS, map(_round, result.weights), strict=True)),
            "rows": rows,
            "steps": steps,
        }  # fmt: skip
    )
    return detail


# -- cost and revenue sharing -----------------------------------------------------------------


def revenue_share_table(spec: AgreementSpec, codes: list[str], years: list[int]) -> np.ndarray:
    """The revenue shares per year (rows) and partner (columns), ramps expanded."""
    shares = np.zeros((len(years), len(codes)))
    for entry in spec.parameters["revenue_schedule"]:
        span = list(range(entry["from"], entry["to"] + 1))
        if "shares" in entry:
            block = np.tile([entry["shares"][c] for c in codes], (len(span), 1))
        else:
            block = ramp_shares(
                [entry["ramp_from"][c] for c in codes],
                [entry["ramp_to"][c] for c in codes],
                len(span),
            )
        for offset, year in enumerate(span):
            if year in years:
                shares[years.index(year)] = block[offset]
    return shares


def _sharing(spec: AgreementSpec, year: int, reader: _Collector, parties: dict) -> dict:
    inputs, params = spec.inputs, spec.parameters
    codes = [p.region_code for p in spec.parties_with("partner")]
    years = list(range(spec.start_year, year + 1))
    costs = [reader.read("site", inputs["site"], inputs["cost"], str(y)) for y in years]
    revenues = [reader.read("site", inputs["site"], inputs["revenue"], str(y)) for y in years]
    detail: dict[str, Any] = {"years": years, "site": inputs["site"], "steps": [], "rows": []}
    if reader.missing:
        return detail
    contribution = [params["contribution_shares"][c] for c in codes]
    shares = revenue_share_table(spec, codes, years)
    caps_table = params.get("revenue_caps", {})
    caps = [float(caps_table.get(c, np.inf)) for c in codes]
    result = share_costs_and_revenues(costs, revenues, contribution, shares, revenue_caps=caps)
    last = len(years) - 1
    steps = []
    for i, code in enumerate(codes):
        steps.append({"code": "contribution", "subject": code,
                      "expr": f"{_fmt(costs[last])} × {_fmt(contribution[i])}",
                      "value": _round(result.contribution[last, i])})  # fmt: skip
        expr = f"{_fmt(revenues[last])} × {_fmt(shares[last, i])}"
        if result.capped[last, i]:
            expr += f" (cap {_fmt(caps[i])})"
        steps.append({"code": "revenue", "subject": code, "expr": expr,
                      "value": _round(result.revenue[last, i])})  # fmt: skip
        steps.append({"code": "balance", "subject": code,
                      "expr": "Σ (revenue − contribution)",
                      "value": _round(result.balance[last, i])})  # fmt: skip
        row = parties[code]
        row["contribution"] = _round(result.contribution[last, i])
        row["revenue"] = _round(result.revenue[last, i])
        row["balance"] = _round(result.balance[last, i])
        row["pays"] = row["contribution"]
        row["receives"] = row["revenue"]
    detail["rows"] = [
        {"year": y, "cost": costs[t], "revenue": revenues[t],
         "shares": dict(zip(codes, map(_round, shares[t]), strict=True)),
         "contribution": dict(zip(codes, map(_round, result.contribution[t]), strict=True)),
         "received": dict(zip(codes, map(_round, result.revenue[t]), strict=True)),
         "balance": dict(zip(codes, map(_round, result.balance[t]), strict=True)),
         "retained": _round(result.retained[t])}
        for t, y in enumerate(years)
    ]  # fmt: skip
    detail["steps"] = steps
    return detail


_RULES = {
    "water_quality": (_water, ["form", "k0", "baselines", "weights", "missing", "bands", "cap"]),
    "equalising_transfer": (_equalising, ["pool", "weights"]),
    "cost_revenue_sharing": (
        _sharing,
        ["contribution_shares", "revenue_schedule", "revenue_caps"],
    ),
}


def apply_overrides(spec: AgreementSpec, overrides: dict[str, Any]) -> AgreementSpec:
    """A copy of ``spec`` with parameters replaced by dotted path (``bands.0.amount``).

    The agreement itself is untouched (what-if). The copy is checked like a file would be.
    """
    changed = AgreementSpec.from_dict(copy.deepcopy(spec.to_dict()))
    for path, value in overrides.items():
        parts = path.split(".")
        node: Any = changed.parameters
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            if isinstance(node, list):
                if not part.isdigit() or int(part) >= len(node):
                    raise InputError(f"--set {path}: {part!r} is not an index of that list")
                if last:
                    node[int(part)] = value
                else:
                    node = node[int(part)]
            elif isinstance(node, dict):
                if last:
                    node[part] = value
                elif part not in node:
                    raise InputError(f"--set {path}: the agreement has no parameter {part!r}")
                else:
                    node = node[part]
            else:
                raise InputError(f"--set {path}: {parts[depth - 1]!r} holds no parameters")
    problems = check_spec(changed)
    if problems:
        raise InputError("what-if parameters are not valid: " + "; ".join(problems))
    return changed


def compute_settlement(
    spec: AgreementSpec,
    version: int,
    year: int,
    lookup: Lookup,
    names: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The settlement of ``spec`` for ``year``: inputs, steps, parties, transfers, outcome.

    A missing observation gives the outcome ``insufficient_data`` with the missing inputs listed
    and no amounts; it never computes a payment from fewer data than the agreement reads (unless
    its ``missing = "skip"`` says so, for water quality).
    """
    if not spec.covers(year):
        raise InputError(
            f"period {year} is outside the agreement {spec.code} ({spec.start_year}–{spec.end_year})"
        )
    rule, parameter_names = _RULES[spec.kind]
    reader = _Collector(lookup)
    parties = _party_rows(spec, names or {})
    detail = rule(spec, year, reader, parties)
    transfers: list[dict[str, Any]] = []
    if spec.kind == "water_quality" and "transfer" in detail:
        payer, payee, amount = detail.pop("transfer")
        _transfer(parties, payer, payee, amount, transfers)
    elif spec.kind == "equalising_transfer":
        transfers = detail.pop("transfers", [])
    steps = detail.pop("steps", [])
    computed = detail.get("p") is not None if spec.kind == "water_quality" else not reader.missing
    return {
        "agreement": spec.code,
        "name": spec.name,
        "kind": spec.kind,
        "version": version,
        "period": str(year),
        "currency_unit": spec.currency_unit,
        "office": spec.office,
        "outcome": COMPUTED if computed else INSUFFICIENT,
        "missing": reader.missing,
        "inputs": reader.inputs + _parameters(spec, version, parameter_names),
        "steps": steps,
        "parties": _finish(parties) if computed else list(parties.values()),
        "transfers": transfers if computed else [],
        "detail": detail,
        "simulated": any(row.get("simulated") for row in reader.inputs),
    }


def fingerprint(result: dict[str, Any]) -> str:
    """A digest of what a result was computed from: the inputs (values, sources, vintages)."""
    text = json.dumps(result["inputs"], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def net_by_party(result: dict[str, Any]) -> dict[str, float]:
    return {row["region_code"]: float(row["net"]) for row in result.get("parties", [])}


def adjustment_transfers(delta: dict[str, float]) -> list[dict[str, Any]]:
    """Transfers that settle per-party differences (> 0: the party is owed more)."""
    owed = sorted(((v, k) for k, v in delta.items() if v > 1e-9), reverse=True)
    owing = sorted(((-v, k) for k, v in delta.items() if v < -1e-9), reverse=True)
    transfers = []
    owed_list = [[v, k] for v, k in owed]
    for amount, payer in owing:
        remaining = amount
        for entry in owed_list:
            if remaining <= 1e-9:
                break
            take = min(remaining, entry[0])
            if take > 1e-9:
                transfers.append({"payer": payer, "payee": entry[1], "amount": _round(take)})
                entry[0] -= take
                remaining -= take
    return transfers


def input_value_dict(value: InputValue) -> dict[str, Any]:
    return asdict(value)

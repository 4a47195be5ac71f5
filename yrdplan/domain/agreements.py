"""Compensation and sharing agreements as data: parties, period, rule kind, parameters, inputs.

An agreement is what its file says (TOML or JSON, see ``docs/benefit_sharing.md``); nothing in
the code is particular to one agreement. :func:`check_spec` lists every problem of a spec, each
naming its field, so a file is either accepted whole or refused with all its faults.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

#: The rule kinds and the party roles each needs (role → how many: exactly 1, or "+" ≥ 1).
RULE_KINDS: dict[str, dict[str, str]] = {
    "water_quality": {"upstream": "1", "downstream": "1"},
    "equalising_transfer": {"payer": "1", "recipient": "+"},
    "cost_revenue_sharing": {"partner": "+"},
}
SITE_KINDS: tuple[str, ...] = ("section", "park", "fund")
MISSING_RULES: tuple[str, ...] = ("fail", "skip")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
_REGION = re.compile(r"^\d{6}$")


@dataclass(slots=True)
class Party:
    region_code: str
    role: str
    name: str = ""


@dataclass(slots=True)
class AgreementSpec:
    """The terms of one version of an agreement."""

    code: str
    name: str
    kind: str
    start_year: int
    end_year: int
    parties: list[Party]
    inputs: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    office: str = ""
    currency_unit: str = "万元"
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AgreementSpec:
        values = dict(data)
        values["parties"] = [Party(**p) for p in data.get("parties", [])]
        return cls(**values)

    def role_of(self, region_code: str) -> str | None:
        return next((p.role for p in self.parties if p.region_code == region_code), None)

    def parties_with(self, role: str) -> list[Party]:
        return [p for p in self.parties if p.role == role]

    def covers(self, year: int) -> bool:
        return self.start_year <= year <= self.end_year


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_water(spec: AgreementSpec, problems: list[str]) -> None:
    inputs, params = spec.inputs, spec.parameters
    if not isinstance(inputs.get("site"), str) or not inputs.get("site"):
        problems.append("inputs.site: the monitoring section's code is required")
    pollutants = inputs.get("pollutants")
    if (
        not isinstance(pollutants, list)
        or not pollutants
        or not all(isinstance(p, str) for p in pollutants)
    ):
        problems.append("inputs.pollutants: a list of indicator codes is required")
        pollutants = []
    baselines = params.get("baselines")
    if not isinstance(baselines, dict):
        problems.append("parameters.baselines: a table of baseline concentrations is required")
    else:
        for code in pollutants:
            value = baselines.get(code)
            if not _number(value) or value <= 0:
                problems.append(f"parameters.baselines.{code}: a positive number is required")
    weights = params.get("weights")
    if weights is not None and (
        not isinstance(weights, dict)
        or any(not _number(weights.get(c, 1)) or weights.get(c, 1) < 0 for c in pollutants)
    ):
        problems.append("parameters.weights: non-negative numbers per pollutant")
    k0 = params.get("k0", 1.0)
    if not _number(k0) or k0 <= 0:
        problems.append("parameters.k0: a positive number is required")
    if params.get("form", "mean") not in ("mean", "max"):
        problems.append("parameters.form: mean (the 新安江 form) or max (the worst pollutant)")
    if params.get("missing", "fail") not in MISSING_RULES:
        problems.append(f"parameters.missing: one of {', '.join(MISSING_RULES)}")
    bands = params.get("bands")
    if not isinstance(bands, list) or not bands:
        problems.append("parameters.bands: at least one band is required")
        return
    for index, band in enumerate(bands):
        where = f"parameters.bands[{index}]"
        if not isinstance(band, dict):
            problems.append(f"{where}: a table is required")
            continue
        if band.get("payer") not in ("downstream", "upstream", "none"):
            problems.append(f"{where}.payer: downstream, upstream or none")
        last = index == len(bands) - 1
        if last and band.get("upto") is not None:
            problems.append(f"{where}.upto: the last band has no upper bound (leave upto out)")
        if not last and not _number(band.get("upto")):
            problems.append(f"{where}.upto: a number is required (every band but the last)")
        for key in ("amount", "rate", "cap"):
            if key in band and (not _number(band[key]) or band[key] < 0):
                problems.append(f"{where}.{key}: a non-negative number")
        if "pivot" in band and not _number(band["pivot"]):
            problems.append(f"{where}.pivot: a number")
    uppers = [b.get("upto") for b in bands[:-1] if isinstance(b, dict)]
    if all(_number(u) for u in uppers) and any(
        b <= a for a, b in zip(uppers, uppers[1:], strict=False)
    ):
        problems.append("parameters.bands: upto must increase from band to band")
    cap = params.get("cap")
    if cap is not None and (not _number(cap) or cap < 0):
        problems.append("parameters.cap: a non-negative number")


def _check_equalising(spec: AgreementSpec, problems: list[str]) -> None:
    for key in ("population", "capacity", "gap", "remitted"):
        if not isinstance(spec.inputs.get(key), str) or not spec.inputs.get(key):
            problems.append(f"inputs.{key}: an indicator code is required")
    lag = spec.inputs.get("data_lag", 1)
    if not isinstance(lag, int) or isinstance(lag, bool) or lag < 0:
        problems.append("inputs.data_lag: a whole number of years ≥ 0")
    pool = spec.parameters.get("pool")
    if isinstance(pool, dict):
        if not pool or any(not _number(v) or v < 0 for v in pool.values()):
            problems.append("parameters.pool: non-negative amounts by year")
    elif not _number(pool) or pool < 0:
        problems.append("parameters.pool: an amount, or a table of amounts by year")
    weights = spec.parameters.get("weights")
    keys = ("capacity", "gap", "remitted")
    if not isinstance(weights, dict) or any(
        not _number(weights.get(k, 0)) or weights.get(k, 0) < 0 for k in keys
    ):
        problems.append("parameters.weights: capacity, gap, remitted as non-negative numbers")
    elif sum(weights.get(k, 0) for k in keys) <= 0:
        problems.append("parameters.weights: not all zero")


def _check_shares(where: str, shares: Any, codes: list[str], problems: list[str]) -> None:
    if not isinstance(shares, dict) or set(shares) != set(codes):
        problems.append(f"{where}: one share per partner ({', '.join(codes)})")
        return
    if any(not _number(v) or v < 0 for v in shares.values()):
        problems.append(f"{where}: shares must be non-negative numbers")
    elif abs(sum(shares.values()) - 1.0) > 1e-6:
        problems.append(f"{where}: shares must add up to 1")


def _check_sharing(spec: AgreementSpec, problems: list[str]) -> None:
    for key in ("site", "cost", "revenue"):
        if not isinstance(spec.inputs.get(key), str) or not spec.inputs.get(key):
            problems.append(f"inputs.{key}: a code is required")
    codes = [p.region_code for p in spec.parties_with("partner")]
    params = spec.parameters
    _check_shares(
        "parameters.contribution_shares", params.get("contribution_shares"), codes, problems
    )
    schedule = params.get("revenue_schedule")
    if not isinstance(schedule, list) or not schedule:
        problems.append("parameters.revenue_schedule: at least one period of revenue shares")
        schedule = []
    covered: list[int] = []
    for index, entry in enumerate(schedule):
        where = f"parameters.revenue_schedule[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: a table is required")
            continue
        first, last = entry.get("from"), entry.get("to")
        if not isinstance(first, int) or not isinstance(last, int) or last < first:
            problems.append(f"{where}: from and to years are required (from ≤ to)")
            continue
        covered.extend(range(first, last + 1))
        if "shares" in entry:
            _check_shares(f"{where}.shares", entry["shares"], codes, problems)
        elif "ramp_from" in entry and "ramp_to" in entry:
            _check_shares(f"{where}.ramp_from", entry["ramp_from"], codes, problems)
            _check_shares(f"{where}.ramp_to", entry["ramp_to"], codes, problems)
        else:
            problems.append(f"{where}: give shares, or ramp_from and ramp_to")
    if len(covered) != len(set(covered)):
        problems.append("parameters.revenue_schedule: periods overlap")
    elif schedule and set(range(spec.start_year, spec.end_year + 1)) - set(covered):
        problems.append("parameters.revenue_schedule: every year of the agreement needs shares")
    caps = params.get("revenue_caps", {})
    if not isinstance(caps, dict) or any(
        k not in codes or not _number(v) or v < 0 for k, v in caps.items()
    ):
        problems.append("parameters.revenue_caps: non-negative amounts by partner")


_KIND_CHECKS = {
    "water_quality": _check_water,
    "equalising_transfer": _check_equalising,
    "cost_revenue_sharing": _check_sharing,
}


def check_spec(spec: AgreementSpec) -> list[str]:
    """Every problem of ``spec``, each starting with the field it concerns; empty when valid."""
    problems: list[str] = []
    if not _CODE.match(spec.code or ""):
        problems.append("code: letters, digits, '-', '_' or '.', at most 64")
    if not spec.name:
        problems.append("name: required")
    if spec.kind not in RULE_KINDS:
        problems.append(f"kind: one of {', '.join(RULE_KINDS)}")
        return problems
    if spec.end_year < spec.start_year:
        problems.append("end: must not be before start")
    seen: set[str] = set()
    for index, party in enumerate(spec.parties):
        if not _REGION.match(party.region_code):
            problems.append(f"parties[{index}].region: a six-digit region code")
        if party.region_code in seen:
            problems.append(f"parties[{index}].region: {party.region_code} appears twice")
        seen.add(party.region_code)
        if party.role not in RULE_KINDS[spec.kind]:
            problems.append(
                f"parties[{index}].role: one of {', '.join(RULE_KINDS[spec.kind])} for {spec.kind}"
            )
    for role, count in RULE_KINDS[spec.kind].items():
        n = len(spec.parties_with(role))
        if (count == "1" and n != 1) or (count == "+" and n < 1):
            need = "exactly one" if count == "1" else "at least one"
            problems.append(f"parties: {need} {role} party is required")
    _KIND_CHECKS[spec.kind](spec, problems)
    return problems


@dataclass(frozen=True, slots=True)
class SiteValue:
    """One observation at a site as read from a file, with its row for messages."""

    site_code: str
    indicator_code: str
    period: str
    value: float
    source: str
    vintage: str
    note: str
    row: int

"""Benefit sharing and compensation: the use cases the CLI and the web both call.

Who may do what (checked here, failing closed: the caller is always a named user):

* reading agreements, settlements and statements: any signed-in user;
* importing agreements, settling, confirming, marking paid: the office and admins;
* importing sites' observations: the office and admins, and a data steward for the sites whose
  upstream, downstream or host region is one of theirs.

A settlement is computed from the agreement's current version and the current observations
(or those of a past vintage). A draft is recomputed in place when its data or terms change; a
confirmed or paid settlement never changes: settling its period again adds a draft adjustment
with the per-party difference, which is confirmed and paid like any settlement.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from yrdplan.domain.agreements import AgreementSpec
from yrdplan.domain.people import UserInfo
from yrdplan.domain.problems import Problem
from yrdplan.errors import ConflictError, InputError, NotFoundError, PermissionDenied
from yrdplan.ingest.benefit import read_agreement, read_site_observations, read_sites
from yrdplan.ingest.source import Readable, as_source
from yrdplan.services.benefit_rules import (
    COMPUTED,
    InputValue,
    adjustment_transfers,
    apply_overrides,
    compute_settlement,
    fingerprint,
    net_by_party,
)
from yrdplan.services.callers import user_id_of
from yrdplan.services.catalogue import stored_indicators
from yrdplan.services.import_report import ImportFailed, ImportReport
from yrdplan.services.indicator_data import import_indicators
from yrdplan.store.repos import benefit as repo
from yrdplan.store.repos import indicators as indicator_repo
from yrdplan.store.repos import regions as region_repo
from yrdplan.store.schema import Agreement, AgreementVersion, Settlement, utcnow

STATUSES: tuple[str, ...] = ("draft", "confirmed", "paid")
_TOLERANCE = 1e-6  # amounts are in the agreement's unit (万元): a millionth is nothing


# -- permissions ------------------------------------------------------------------------------


def _require_manager(user: UserInfo, what: str) -> None:
    if not isinstance(user, UserInfo) or not user.can_manage:
        raise PermissionDenied(f"only the office or an admin may {what}")


def _require_reader(user: UserInfo) -> None:
    if not isinstance(user, UserInfo):
        raise PermissionDenied("log in to read agreements and settlements")


def may_manage(user: UserInfo | None) -> bool:
    return isinstance(user, UserInfo) and user.can_manage


# -- imports ----------------------------------------------------------------------------------


def _fail(file: str, problems: list[Problem]) -> None:
    if any(p.severity == "error" for p in problems):
        raise ImportFailed(file, problems)


def import_sites(
    session: Session, user: UserInfo, file: Readable, *, name: str | None = None
) -> ImportReport:
    """Add or update sites (monitoring sections, parks, funds) from a table, a path or an upload."""
    _require_manager(user, "define sites")
    source = as_source(file, name)
    sites, problems = read_sites(source)
    known = set(region_repo.region_names(session, include_history=True))
    for site in sites:
        for column in ("upstream_code", "downstream_code", "host_code"):
            if site[column] and site[column] not in known:
                problems.append(
                    Problem(
                        "reference",
                        f"no region {site[column]}",
                        file=source.name,
                        column=column,
                        value=site[column],
                    )  # fmt: skip
                )
    _fail(source.name, problems)
    added, updated = repo.upsert_sites(session, sites)
    return ImportReport(file=source.name, kind="sites", read=len(sites), added=added,
                        revised=updated, unchanged=len(sites) - added - updated,
                        problems=problems)  # fmt: skip


def import_catalogue(
    session: Session, user: UserInfo, file: Readable, *, name: str | None = None
) -> ImportReport:
    """Add the indicators agreements read (pollutants, fiscal factors) to the catalogue."""
    _require_manager(user, "add indicators")
    return import_indicators(session, file, name=name)


def _steward_sites(session: Session, user: UserInfo) -> set[str]:
    regions = set(user.region_codes)
    return {
        site.code
        for site in repo.list_sites(session)
        if {site.upstream_code, site.downstream_code, site.host_code} & regions
    }


def import_site_observations(
    session: Session,
    user: UserInfo,
    file: Readable,
    *,
    source: str = "",
    vintage: str | None = None,
    name: str | None = None,
) -> ImportReport:
    """Import values at sites (the long exchange format with ``site_code``) as revisions, from
    a path or an upload (``name`` names it)."""
    if not isinstance(user, UserInfo) or not (user.can_manage or user.role == "data_steward"):
        raise PermissionDenied("only the office, an admin or a data steward may import data")
    table = as_source(file, name)
    values, problems = read_site_observations(
        table, source=source, vintage=vintage or utcnow().date().isoformat()
    )
    sites = repo.site_codes(session)
    allowed = sites if user.can_manage else _steward_sites(session, user)
    indicators = set(stored_indicators(session))
    for value in values:
        if value.site_code not in sites:
            problems.append(Problem("reference", f"no site {value.site_code!r}", file=table.name,
                                    row=value.row, column="site_code", value=value.site_code))  # fmt: skip
        elif value.site_code not in allowed:
            problems.append(Problem("permission", "not one of your sites", file=table.name,
                                    row=value.row, column="site_code", value=value.site_code))  # fmt: skip
        if value.indicator_code not in indicators:
            problems.append(Problem("reference", f"no indicator {value.indicator_code!r}",
                                    file=table.name, row=value.row, column="indicator_code",
                                    value=value.indicator_code))  # fmt: skip
    _fail(table.name, problems)
    summary = repo.add_site_observations(session, values, created_by=user_id_of(user))
    return ImportReport(file=table.name, kind="site observations", read=len(values),
                        added=summary.added, revised=summary.revised,
                        unchanged=summary.unchanged, historical=summary.historical,
                        problems=problems)  # fmt: skip


@dataclass
class AgreementImport:
    code: str
    version: int
    action: str  # created, revised, unchanged


def import_agreement(
    session: Session,
    user: UserInfo,
    file: Readable,
    *,
    reason: str | None = None,
    name: str | None = None,
) -> AgreementImport:
    """Store an agreement file: a new agreement, or a new version of one with the same code.

    A version needs a reason (``reason`` in the file or the argument); the same terms again
    change nothing.
    """
    _require_manager(user, "define agreements")
    source = as_source(file, name)
    found, problems = read_agreement(source)
    _fail(source.name, problems)
    spec, why = found[0].spec, reason or found[0].reason
    _check_references(session, spec, source.name)
    row = repo.find_agreement(session, spec.code)
    if row is None:
        row = Agreement(code=spec.code, name=spec.name, kind=spec.kind, current_version=1,
                        created_by=user_id_of(user))  # fmt: skip
        session.add(row)
        session.flush()
        session.add(AgreementVersion(agreement_id=row.id, version=1, reason=why or "首次录入",
                                     spec=spec.to_dict(), created_by=user_id_of(user)))  # fmt: skip
        session.flush()
        return AgreementImport(spec.code, 1, "created")
    current = repo.agreement_version(session, row.id, row.current_version)
    if current.spec == spec.to_dict():
        return AgreementImport(spec.code, row.current_version, "unchanged")
    if spec.kind != row.kind:
        raise InputError(
            f"{source.name}: kind: agreement {spec.code} is {row.kind}, not {spec.kind}"
        )
    if not why:
        raise InputError(
            f"{source.name}: reason: a new version of {spec.code} needs a reason "
            '(reason = "…" in the file, or --reason)'
        )
    row.current_version += 1
    row.name = spec.name
    session.add(AgreementVersion(agreement_id=row.id, version=row.current_version, reason=why,
                                 spec=spec.to_dict(), created_by=user_id_of(user)))  # fmt: skip
    session.flush()
    return AgreementImport(spec.code, row.current_version, "revised")


def _check_references(session: Session, spec: AgreementSpec, file: str) -> None:
    problems: list[Problem] = []
    regions = set(region_repo.region_names(session, include_history=True))
    for index, party in enumerate(spec.parties):
        if party.region_code not in regions:
            problems.append(Problem("reference", f"no region {party.region_code}", file=file,
                                    column=f"parties[{index}].region"))  # fmt: skip
    indicators = set(stored_indicators(session))
    sites = repo.site_codes(session)
    codes: list[tuple[str, str]] = []
    if spec.kind == "water_quality":
        codes = [(f"inputs.pollutants.{c}", c) for c in spec.inputs["pollutants"]]
    elif spec.kind == "equalising_transfer":
        codes = [
            (f"inputs.{k}", spec.inputs[k]) for k in ("population", "capacity", "gap", "remitted")
        ]
    else:
        codes = [(f"inputs.{k}", spec.inputs[k]) for k in ("cost", "revenue")]
    for where, code in codes:
        if code not in indicators:
            problems.append(Problem("reference", f"no indicator {code!r} in the catalogue",
                                    file=file, column=where))  # fmt: skip
    site = spec.inputs.get("site")
    if site is not None and site not in sites:
        problems.append(Problem("reference", f"no site {site!r} (import sites first)", file=file,
                                column="inputs.site"))  # fmt: skip
    _fail(file, problems)


# -- reading ----------------------------------------------------------------------------------


def _spec(session: Session, agreement: Agreement, version: int | None = None) -> AgreementSpec:
    row = repo.agreement_version(session, agreement.id, version or agreement.current_version)
    return AgreementSpec.from_dict(row.spec)


def _settlement_dict(row: Settlement, agreement: Agreement) -> dict[str, Any]:
    result = row.result or {}
    return {
        "id": row.id,
        "agreement": agreement.code,
        "agreement_name": agreement.name,
        "kind": agreement.kind,
        "version": row.agreement_version,
        "period": row.period,
        "type": row.kind,
        "adjusts_id": row.adjusts_id,
        "status": row.status,
        "outcome": row.outcome,
        "currency_unit": result.get("currency_unit", ""),
        "transfers": (result.get("adjustment") or {}).get("transfers")
        if row.kind == "adjustment"
        else result.get("transfers", []),
        "simulated": bool(result.get("simulated")),
        "computed_at": row.computed_at.isoformat(timespec="seconds"),
        "confirmed_at": row.confirmed_at.isoformat(timespec="seconds")
        if row.confirmed_at
        else None,
        "paid_at": row.paid_at.isoformat(timespec="seconds") if row.paid_at else None,
    }


def list_agreements(session: Session, user: UserInfo) -> list[dict[str, Any]]:
    _require_reader(user)
    counts = repo.settlement_counts(session)
    names = region_repo.region_names(session, include_history=True)
    rows = []
    for agreement in repo.list_agreements(session):
        spec = _spec(session, agreement)
        rows.append({
            "code": agreement.code,
            "name": agreement.name,
            "kind": agreement.kind,
            "version": agreement.current_version,
            "start": spec.start_year,
            "end": spec.end_year,
            "parties": [{"region_code": p.region_code, "role": p.role,
                         "name": p.name or names.get(p.region_code, p.region_code)}
                        for p in spec.parties],
            "settlements": counts.get(agreement.id, 0),
        })  # fmt: skip
    return rows


def agreement_detail(session: Session, user: UserInfo, code: str) -> dict[str, Any]:
    _require_reader(user)
    agreement = repo.get_agreement(session, code)
    names = region_repo.region_names(session, include_history=True)
    versions = repo.agreement_versions(session, agreement.id)
    spec = _spec(session, agreement)
    return {
        "code": agreement.code,
        "name": agreement.name,
        "kind": agreement.kind,
        "version": agreement.current_version,
        "spec": spec.to_dict(),
        "party_names": {p.region_code: p.name or names.get(p.region_code, p.region_code)
                        for p in spec.parties},
        "versions": [{"version": v.version, "reason": v.reason,
                      "created_at": v.created_at.isoformat(timespec="seconds")}
                     for v in versions],
        "settlements": [_settlement_dict(s, agreement)
                        for s in repo.settlements(session, agreement_id=agreement.id)],
    }  # fmt: skip


def list_settlements(
    session: Session, user: UserInfo, *, agreement: str | None = None
) -> list[dict[str, Any]]:
    _require_reader(user)
    agreements = {a.id: a for a in repo.list_agreements(session)}
    agreement_id = repo.get_agreement(session, agreement).id if agreement else None
    return [
        _settlement_dict(row, agreements[row.agreement_id])
        for row in repo.settlements(session, agreement_id=agreement_id)
    ]


def settlement_detail(session: Session, user: UserInfo, settlement_id: int) -> dict[str, Any]:
    """One settlement with its result and the audit of each step (who, when, what)."""
    _require_reader(user)
    row = repo.get_settlement(session, settlement_id)
    agreement = session.get(Agreement, row.agreement_id)
    history = [
        {"at": entry.at.isoformat(timespec="seconds"), "username": entry.username,
         "action": entry.action, "status": (entry.new or {}).get("status"),
         "fields": sorted((entry.new or {}).keys())}
        for entry in repo.settlement_history(session, row.id)
    ]  # fmt: skip
    version = repo.agreement_version(session, agreement.id, row.agreement_version)
    return _settlement_dict(row, agreement) | {
        "result": row.result,
        "fingerprint": row.fingerprint,
        "version_reason": version.reason,
        "history": history,
    }


# -- computing --------------------------------------------------------------------------------


def store_lookup(session: Session, spec: AgreementSpec, *, vintage: str | None = None):
    """A lookup over the observations ``spec`` reads, loaded at once."""
    site_values: dict[tuple[str, str, str], InputValue] = {}
    region_values: dict[tuple[str, str, str], InputValue] = {}
    site = spec.inputs.get("site")
    if site:
        for row in repo.site_observations(session, sites=[site], vintage=vintage):
            site_values[(row.site_code, row.indicator_code, row.period)] = InputValue(
                row.value, row.source, row.vintage, row.id, row.source == "simulated"
            )
    if spec.kind == "equalising_transfer":
        codes = [spec.inputs[k] for k in ("population", "capacity", "gap", "remitted")]
        regions = [p.region_code for p in spec.parties]
        for row in indicator_repo.observations(
            session, vintage=vintage, regions=regions, indicators=codes
        ):
            region_values[(row.region_code, row.indicator_code, row.period)] = InputValue(
                row.value, row.source, row.vintage, row.id, bool(row.is_simulated)
            )

    def lookup(place_kind: str, place: str, indicator: str, period: str) -> InputValue | None:
        table = site_values if place_kind == "site" else region_values
        return table.get((place, indicator, period))

    return lookup


def _compute(
    session: Session,
    agreement: Agreement,
    year: int,
    *,
    spec: AgreementSpec | None = None,
    vintage: str | None = None,
) -> dict[str, Any]:
    spec = spec or _spec(session, agreement)
    names = region_repo.region_names(session, include_history=True)
    return compute_settlement(
        spec, agreement.current_version, year, store_lookup(session, spec, vintage=vintage), names
    )


def _year(period: str | int) -> int:
    text = str(period).strip()
    if not (text.isdigit() and len(text) == 4):
        raise InputError(f"period {period!r}: a year such as 2024")
    return int(text)


@dataclass
class SettleOutcome:
    agreement: str
    period: str
    action: str  # created, updated, unchanged, adjustment, no_change, insufficient_data
    settlement_id: int | None
    outcome: str
    transfers: list[dict[str, Any]]


def _settled_net(rows: list[Settlement], base: Settlement) -> dict[str, float]:
    """What the confirmed and paid settlement and adjustments of a period add up to per party."""
    total = net_by_party(base.result)
    for row in rows:
        if row.kind == "adjustment" and row.status in ("confirmed", "paid"):
            for code, value in row.result["adjustment"]["delta"].items():
                total[code] = total.get(code, 0.0) + value
    return total


def settle(
    session: Session, user: UserInfo, code: str, period: str | int, *, vintage: str | None = None
) -> SettleOutcome:
    """Compute the settlement of ``code`` for ``period``; never changes a confirmed one."""
    _require_manager(user, "settle agreements")
    agreement = repo.get_agreement(session, code)
    year = _year(period)
    result = _compute(session, agreement, year, vintage=vintage)
    digest = fingerprint(result)
    rows = repo.settlements(session, agreement_id=agreement.id, period=str(year))
    base = next((r for r in rows if r.kind == "settlement"), None)
    outcome = result["outcome"]
    if base is None:
        row = Settlement(agreement_id=agreement.id, agreement_version=agreement.current_version,
                         period=str(year), kind="settlement", status="draft", outcome=outcome,
                         result=result, fingerprint=digest, created_by=user_id_of(user))  # fmt: skip
        session.add(row)
        session.flush()
        return SettleOutcome(code, str(year), "created", row.id, outcome, result["transfers"])
    if base.status == "draft":
        if base.fingerprint == digest and base.agreement_version == agreement.current_version:
            return SettleOutcome(
                code, str(year), "unchanged", base.id, outcome, result["transfers"]
            )
        base.result = result
        base.fingerprint = digest
        base.outcome = outcome
        base.agreement_version = agreement.current_version
        base.computed_at = utcnow()
        session.flush()
        return SettleOutcome(code, str(year), "updated", base.id, outcome, result["transfers"])
    draft = next((r for r in rows if r.kind == "adjustment" and r.status == "draft"), None)
    if outcome != COMPUTED:
        return SettleOutcome(code, str(year), "insufficient_data", base.id, outcome, [])
    settled = _settled_net(rows, base)
    new = net_by_party(result)
    delta = {k: round(new.get(k, 0.0) - settled.get(k, 0.0), 6) for k in set(new) | set(settled)}
    if all(abs(v) <= _TOLERANCE for v in delta.values()):
        if draft is not None:
            session.delete(draft)  # the difference it carried is gone: nothing to adjust
            session.flush()
        return SettleOutcome(code, str(year), "no_change", base.id, outcome, [])
    transfers = adjustment_transfers(delta)
    result["adjustment"] = {"adjusts": base.id, "settled": settled, "delta": delta,
                            "transfers": transfers}  # fmt: skip
    digest = fingerprint(result)
    if draft is None:
        draft = Settlement(agreement_id=agreement.id, agreement_version=agreement.current_version,
                           period=str(year), kind="adjustment", adjusts_id=base.id,
                           status="draft", outcome=outcome, result=result, fingerprint=digest,
                           created_by=user_id_of(user))  # fmt: skip
        session.add(draft)
    elif draft.fingerprint != digest:
        draft.result = result
        draft.fingerprint = digest
        draft.agreement_version = agreement.current_version
        draft.computed_at = utcnow()
    session.flush()
    return SettleOutcome(code, str(year), "adjustment", draft.id, outcome, transfers)


def settle_periods(
    session: Session,
    user: UserInfo,
    code: str,
    periods: list[str] | None = None,
    *,
    vintage: str | None = None,
) -> list[SettleOutcome]:
    """Settle several periods (default: every year of the agreement) in one transaction."""
    _require_manager(user, "settle agreements")
    agreement = repo.get_agreement(session, code)
    spec = _spec(session, agreement)
    years = [str(_year(p)) for p in periods] if periods else [
        str(y) for y in range(spec.start_year, spec.end_year + 1)
    ]  # fmt: skip
    return [settle(session, user, code, year, vintage=vintage) for year in years]


def _transition(session: Session, user: UserInfo, settlement_id: int, target: str) -> Settlement:
    verb = {"confirmed": "confirm", "paid": "mark paid"}[target]
    _require_manager(user, f"{verb} settlements")
    row = repo.get_settlement(session, settlement_id)
    expected = {"confirmed": "draft", "paid": "confirmed"}[target]
    if row.status != expected:
        raise ConflictError(
            f"settlement {row.id} is {row.status}; only a {expected} one can be {target}"
        )
    if target == "confirmed":
        if row.outcome != COMPUTED:
            raise ConflictError(
                f"settlement {row.id} lacks data ({row.outcome}); it cannot be confirmed"
            )
        agreement = session.get(Agreement, row.agreement_id)
        fresh = _compute(session, agreement, int(row.period))
        if row.kind == "settlement" and fingerprint(fresh) != row.fingerprint:
            raise ConflictError(
                f"settlement {row.id}: its data or terms changed since it was computed; "
                f"settle {agreement.code} {row.period} again first"
            )
        row.confirmed_at = utcnow()
        row.confirmed_by = user_id_of(user)
    else:
        row.paid_at = utcnow()
        row.paid_by = user_id_of(user)
    row.status = target
    session.flush()
    return row


def confirm_settlement(session: Session, user: UserInfo, settlement_id: int) -> Settlement:
    """draft → confirmed (the office and admins); refuses a draft whose data changed."""
    return _transition(session, user, settlement_id, "confirmed")


def mark_paid(session: Session, user: UserInfo, settlement_id: int) -> Settlement:
    """confirmed → paid (the office and admins)."""
    return _transition(session, user, settlement_id, "paid")


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """``key=value`` pairs (``k0=0.9``, ``bands.0.amount=6000``); values read as JSON if they can be."""
    overrides: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--set {pair!r}: write name=value, e.g. k0=0.9")
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = text
        overrides[key.strip()] = value
    return overrides


def what_if(
    session: Session,
    user: UserInfo,
    code: str,
    period: str | int,
    overrides: dict[str, Any],
) -> dict[str, Any]:
    """The settlement with some parameters changed, beside the one under the agreement's terms.

    Nothing is stored and the agreement is untouched.
    """
    _require_reader(user)
    agreement = repo.get_agreement(session, code)
    year = _year(period)
    spec = _spec(session, agreement)
    base = _compute(session, agreement, year, spec=spec)
    changed = _compute(session, agreement, year, spec=apply_overrides(spec, overrides))
    touched = {path.split(".")[0] for path in overrides}
    for row in changed["inputs"]:
        if row["kind"] == "parameter" and row["indicator"] in touched:
            row["source"] = "what-if"  # not the agreement's term: say so beside the value
    before, after = net_by_party(base), net_by_party(changed)
    return {
        "agreement": code,
        "period": str(year),
        "overrides": overrides,
        "base": base,
        "what_if": changed,
        "delta": {k: round(after.get(k, 0.0) - before.get(k, 0.0), 6) for k in before},
    }


def party_names(session: Session) -> dict[str, str]:
    """Region code → name, for printing parties."""
    return region_repo.region_names(session, include_history=True)


def place_names(session: Session) -> dict[str, str]:
    """Region and site code → name, for the places a settlement reads."""
    names = party_names(session)
    names.update({site.code: site.name for site in repo.list_sites(session)})
    return names


def get_settlement_id(session: Session, code: str, period: str, kind: str = "settlement") -> int:
    agreement = repo.get_agreement(session, code)
    for row in repo.settlements(session, agreement_id=agreement.id, period=str(_year(period))):
        if row.kind == kind:
            return row.id
    raise NotFoundError(f"no {kind} of {code} for {period}")

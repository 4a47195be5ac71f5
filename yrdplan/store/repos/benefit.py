"""Benefit sharing in the store: sites and their observations, agreements, settlements.

Site observations are revised like region observations: a value for a stored (site, indicator,
period) with a newer vintage adds a row and clears ``is_current`` on the old one; an older
vintage is kept as history; the same value again changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yrdplan.domain.agreements import SiteValue
from yrdplan.errors import NotFoundError
from yrdplan.store.schema import (
    Agreement,
    AgreementVersion,
    AuditEntry,
    BenefitSite,
    Settlement,
    SiteObservation,
)


@dataclass
class SiteWrite:
    added: int = 0
    revised: int = 0
    unchanged: int = 0
    historical: int = 0


# -- sites ------------------------------------------------------------------------------------


def upsert_sites(session: Session, sites: Sequence[dict]) -> tuple[int, int]:
    """Add sites or update them by code; (added, updated)."""
    existing = {row.code: row for row in session.scalars(select(BenefitSite))}
    added = updated = 0
    for site in sites:
        row = existing.get(site["code"])
        if row is None:
            session.add(BenefitSite(**site))
            added += 1
            continue
        changed = False
        for key, value in site.items():
            if getattr(row, key) != value:
                setattr(row, key, value)
                changed = True
        updated += changed
    session.flush()
    return added, updated


def list_sites(session: Session) -> list[BenefitSite]:
    return list(session.scalars(select(BenefitSite).order_by(BenefitSite.code)))


def site_codes(session: Session) -> set[str]:
    return set(session.scalars(select(BenefitSite.code)))


def get_site(session: Session, code: str) -> BenefitSite:
    row = session.scalar(select(BenefitSite).where(BenefitSite.code == code))
    if row is None:
        raise NotFoundError(f"no site {code!r} (load it with `yrdplan benefit sites import`)")
    return row


def add_site_observations(
    session: Session, values: Sequence[SiteValue], *, created_by: int | None
) -> SiteWrite:
    """Write values as revisions of what is stored (rules in the module docstring)."""
    summary = SiteWrite()
    if not values:
        return summary
    sites = sorted({v.site_code for v in values})
    current: dict[tuple[str, str, str], SiteObservation] = {
        (row.site_code, row.indicator_code, row.period): row
        for row in session.scalars(
            select(SiteObservation).where(
                SiteObservation.site_code.in_(sites), SiteObservation.is_current.is_(True)
            )
        )
    }
    for value in sorted(values, key=lambda v: v.vintage):
        key = (value.site_code, value.indicator_code, value.period)
        old = current.get(key)
        is_current = True
        if old is None:
            summary.added += 1
        elif (old.vintage, old.value, old.source) == (value.vintage, value.value, value.source):
            summary.unchanged += 1
            continue
        elif old.vintage > value.vintage:
            is_current = False
            summary.historical += 1
        else:
            old.is_current = False
            summary.revised += 1
        row = SiteObservation(
            site_code=value.site_code,
            indicator_code=value.indicator_code,
            period=value.period,
            value=value.value,
            source=value.source,
            vintage=value.vintage,
            is_current=is_current,
            note=value.note,
            created_by=created_by,
        )
        session.add(row)
        if is_current:
            current[key] = row
    session.flush()
    return summary


def site_observations(
    session: Session,
    *,
    sites: Iterable[str] | None = None,
    indicators: Iterable[str] | None = None,
    vintage: str | None = None,
) -> list[SiteObservation]:
    """Current values, or those current as of ``vintage`` (newest vintage not later than it)."""
    query = select(SiteObservation)
    if sites is not None:
        query = query.where(SiteObservation.site_code.in_(list(sites)))
    if indicators is not None:
        query = query.where(SiteObservation.indicator_code.in_(list(indicators)))
    if vintage is None:
        query = query.where(SiteObservation.is_current.is_(True))
        rows = list(session.scalars(query))
    else:
        best: dict[tuple[str, str, str], SiteObservation] = {}
        for row in session.scalars(query.where(SiteObservation.vintage <= vintage)):
            key = (row.site_code, row.indicator_code, row.period)
            kept = best.get(key)
            if kept is None or (row.vintage, row.id) > (kept.vintage, kept.id):
                best[key] = row
        rows = list(best.values())
    return sorted(rows, key=lambda r: (r.site_code, r.indicator_code, r.period))


# -- agreements -------------------------------------------------------------------------------


def find_agreement(session: Session, code: str) -> Agreement | None:
    return session.scalar(select(Agreement).where(Agreement.code == code))


def get_agreement(session: Session, code: str) -> Agreement:
    row = find_agreement(session, code)
    if row is None:
        raise NotFoundError(f"no agreement {code!r}")
    return row


def list_agreements(session: Session) -> list[Agreement]:
    return list(session.scalars(select(Agreement).order_by(Agreement.code)))


def agreement_versions(session: Session, agreement_id: int) -> list[AgreementVersion]:
    return list(
        session.scalars(
            select(AgreementVersion)
            .where(AgreementVersion.agreement_id == agreement_id)
            .order_by(AgreementVersion.version)
        )
    )


def agreement_version(session: Session, agreement_id: int, version: int) -> AgreementVersion:
    row = session.scalar(
        select(AgreementVersion).where(
            AgreementVersion.agreement_id == agreement_id, AgreementVersion.version == version
        )
    )
    if row is None:
        raise NotFoundError(f"agreement {agreement_id} has no version {version}")
    return row


# -- settlements ------------------------------------------------------------------------------


def get_settlement(session: Session, settlement_id: int) -> Settlement:
    row = session.get(Settlement, settlement_id)
    if row is None:
        raise NotFoundError(f"no settlement {settlement_id}")
    return row


def settlements(
    session: Session, *, agreement_id: int | None = None, period: str | None = None
) -> list[Settlement]:
    query = select(Settlement)
    if agreement_id is not None:
        query = query.where(Settlement.agreement_id == agreement_id)
    if period is not None:
        query = query.where(Settlement.period == period)
    return list(
        session.scalars(query.order_by(Settlement.agreement_id, Settlement.period, Settlement.id))
    )


def settlement_counts(session: Session) -> dict[int, int]:
    query = select(Settlement.agreement_id, func.count()).group_by(Settlement.agreement_id)
    return dict(session.execute(query).all())


def settlement_history(session: Session, settlement_id: int) -> list[AuditEntry]:
    """The audit entries of one settlement, oldest first: each step, who, when, old → new."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == "settlements", AuditEntry.entity_id == str(settlement_id))
            .order_by(AuditEntry.id)
        )
    )

"""The data of the benefit-sharing pages: agreements, one agreement, a what-if, a settlement.

Language-free: codes and numbers only; the templates turn codes into zh/en text.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo
from yrdplan.services import benefit


class PartyPublic(BaseModel):
    region_code: str
    name: str
    role: str


class TransferPublic(BaseModel):
    payer: str
    payee: str
    amount: float


class SettlementRowPublic(BaseModel):
    id: int
    agreement: str
    agreement_name: str
    kind: str
    version: int
    period: str
    type: str
    adjusts_id: int | None
    status: str
    outcome: str
    currency_unit: str
    transfers: list[TransferPublic]
    simulated: bool
    computed_at: str
    confirmed_at: str | None
    paid_at: str | None


class AgreementRowPublic(BaseModel):
    code: str
    name: str
    kind: str
    version: int
    start: int
    end: int
    parties: list[PartyPublic]
    settlements: int


class BenefitIndexPublic(BaseModel):
    agreements: list[AgreementRowPublic]
    settlements: list[SettlementRowPublic]
    names: dict[str, str]
    can_manage: bool


class VersionPublic(BaseModel):
    version: int
    reason: str
    created_at: str


class AgreementPublic(BaseModel):
    code: str
    name: str
    kind: str
    version: int
    spec: dict[str, Any]
    party_names: dict[str, str]
    versions: list[VersionPublic]
    settlements: list[SettlementRowPublic]
    can_manage: bool


class WhatIfPublic(BaseModel):
    agreement: str
    period: str
    overrides: dict[str, Any]
    base: dict[str, Any]
    what_if: dict[str, Any]
    delta: dict[str, float]
    names: dict[str, str]


class HistoryPublic(BaseModel):
    at: str
    username: str
    action: str
    status: str | None
    fields: list[str]


class SettlementPublic(SettlementRowPublic):
    result: dict[str, Any]
    fingerprint: str
    version_reason: str
    history: list[HistoryPublic]
    names: dict[str, str]
    can_manage: bool


def _names(session: Session, codes: set[str]) -> dict[str, str]:
    """Names of just the regions a page mentions."""
    every = benefit.place_names(session)
    return {code: every[code] for code in sorted(codes) if code in every}


def _codes(result: dict[str, Any]) -> set[str]:
    codes = {row["region_code"] for row in result.get("parties", [])}
    codes |= {row.get("place", "") for row in result.get("inputs", [])}
    return codes


def benefit_index(session: Session, user: UserInfo) -> BenefitIndexPublic:
    agreements = benefit.list_agreements(session, user)
    codes = {p["region_code"] for a in agreements for p in a["parties"]}
    return BenefitIndexPublic(
        agreements=agreements,
        settlements=benefit.list_settlements(session, user),
        names=_names(session, codes),
        can_manage=benefit.may_manage(user),
    )


def agreement_page(session: Session, user: UserInfo, code: str) -> AgreementPublic:
    return AgreementPublic(
        **benefit.agreement_detail(session, user, code), can_manage=benefit.may_manage(user)
    )


def what_if_page(
    session: Session, user: UserInfo, code: str, period: str, overrides: dict[str, Any]
) -> WhatIfPublic:
    answer = benefit.what_if(session, user, code, period, overrides)
    return WhatIfPublic(**answer, names=_names(session, _codes(answer["base"])))


def settlement_page(session: Session, user: UserInfo, settlement_id: int) -> SettlementPublic:
    detail = benefit.settlement_detail(session, user, settlement_id)
    return SettlementPublic(
        **detail,
        names=_names(session, _codes(detail["result"])),
        can_manage=benefit.may_manage(user),
    )

"""Benefit sharing and compensation (利益补偿): agreements, settlements, statements; and the API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from yrdplan.errors import InputError
from yrdplan.services import benefit, benefit_statements
from yrdplan.services.imports import ImportOptions, import_file
from yrdplan.web.deps import CurrentUser, DatabaseDep, SessionDep, actor_of, verify_csrf
from yrdplan.web.downloads import file_response, file_responses
from yrdplan.web.render import render
from yrdplan.web.uploads import upload_limit, upload_source
from yrdplan.web.views.benefit import (
    AgreementPublic,
    AgreementRowPublic,
    BenefitIndexPublic,
    SettlementPublic,
    SettlementRowPublic,
    WhatIfPublic,
    agreement_page,
    benefit_index,
    settlement_page,
    what_if_page,
)
from yrdplan.web.views.imports import AgreementImportPublic, BenefitImportPublic

router = APIRouter()
CSRF = [Depends(verify_csrf)]
# The form's ``what`` -> the kind of the one import use case.
IMPORTS = {
    "indicators": "indicators",
    "sites": "sites",
    "data": "site_data",
    "agreement": "agreements",
}
STATEMENT_FORMATS = ("docx", "xlsx")


@router.get("/benefit", response_model=BenefitIndexPublic, tags=["benefit"])
def benefit_page(request: Request, session: SessionDep, user: CurrentUser):
    """Agreements and their settlements."""
    model = benefit_index(session, user)
    return render(request, "benefit.html", model.model_dump(mode="json"), user)


async def _import(request, database, user, what: str, file: UploadFile, reason: str) -> dict:
    """Store one uploaded file of the kind ``what``, in one transaction; what it wrote."""
    if what not in IMPORTS:
        raise InputError(f"what {what!r}: one of {', '.join(IMPORTS)}")
    upload = await upload_source(file, upload_limit(request), "upload")
    options = ImportOptions(reason=reason.strip() or None)
    with database.write(actor_of(user)) as session:
        report = import_file(session, user, IMPORTS[what], upload, options)
    if what == "agreement":
        done = report.detail
        return {"what": what, "code": done.code, "version": done.version, "action": done.action}
    return {"what": what} | report.to_dict()


@router.post("/benefit/import", include_in_schema=False, dependencies=CSRF)
async def import_upload(
    request: Request,
    database: DatabaseDep,
    user: CurrentUser,
    what: Annotated[str, Form()],
    file: Annotated[UploadFile, File()],
    reason: Annotated[str, Form()] = "",
):
    """Upload an indicators table, sites, site observations or an agreement file."""
    done = await _import(request, database, user, what, file, reason)
    if what == "agreement":
        return RedirectResponse(f"/benefit/agreements/{done['code']}", status_code=303)
    return RedirectResponse(f"/benefit?imported={what}", status_code=303)


@router.post(
    "/api/benefit/import",
    response_model=AgreementImportPublic | BenefitImportPublic,
    tags=["benefit"],
    dependencies=CSRF,
)
async def api_import(
    request: Request,
    database: DatabaseDep,
    user: CurrentUser,
    what: Annotated[str, Form(description="indicators, sites, data or agreement")],
    file: Annotated[UploadFile, File()],
    reason: Annotated[str, Form(description="why this agreement version")] = "",
):
    """Store an indicators table, sites, site observations or an agreement file, all or nothing."""
    return await _import(request, database, user, what, file, reason)


@router.get("/benefit/agreements/{code}", response_model=AgreementPublic, tags=["benefit"])
def agreement_view(code: str, request: Request, session: SessionDep, user: CurrentUser):
    """One agreement: its terms, versions with reasons, settlements, the what-if form."""
    model = agreement_page(session, user, code)
    return render(request, "benefit_agreement.html", model.model_dump(mode="json"), user)


@router.get("/benefit/agreements/{code}/what-if", response_model=WhatIfPublic, tags=["benefit"])
def what_if_view(
    code: str,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    period: str,
    set_: Annotated[
        list[str] | None,
        Query(alias="set", description="name=value, e.g. k0=0.9 or bands.0.amount=6000"),
    ] = None,
    changes: Annotated[str, Query(description="name=value lines (the page's form)")] = "",
):
    """The settlement with changed parameters beside the agreement's; nothing is stored."""
    pairs = list(set_ or []) + [line.strip() for line in changes.splitlines() if line.strip()]
    model = what_if_page(session, user, code, period, benefit.parse_overrides(pairs))
    return render(request, "benefit_what_if.html", model.model_dump(mode="json"), user)


@router.post("/benefit/agreements/{code}/settle", include_in_schema=False, dependencies=CSRF)
def settle_form(
    code: str,
    database: DatabaseDep,
    user: CurrentUser,
    period: Annotated[str, Form()] = "",
):
    periods = [p.strip() for p in period.replace("，", ",").split(",") if p.strip()] or None
    with database.write(actor_of(user)) as session:
        benefit.settle_periods(session, user, code, periods)
    return RedirectResponse(f"/benefit/agreements/{code}", status_code=303)


@router.get(
    "/benefit/settlements/{settlement_id}", response_model=SettlementPublic, tags=["benefit"]
)
def settlement_view(settlement_id: int, request: Request, session: SessionDep, user: CurrentUser):
    """One settlement: every input with its source and vintage, the steps, parties, audit."""
    model = settlement_page(session, user, settlement_id)
    return render(request, "benefit_settlement.html", model.model_dump(mode="json"), user)


@router.get(
    "/benefit/agreements/{code}/statement.{fmt}",
    tags=["benefit"],
    responses=file_responses(STATEMENT_FORMATS),
)
def summary_download(
    code: str, fmt: str, session: SessionDep, user: CurrentUser, party: str | None = None
) -> Response:
    """The agreement's summary (结算汇总表) as Word or Excel; ``party`` for one party's."""
    content = benefit_statements.agreement_statement_file(session, user, code, fmt, party=party)
    return _download(content, fmt, f"{code}{'-' + party if party else ''}")


@router.get(
    "/benefit/settlements/{settlement_id}/statement.{fmt}",
    tags=["benefit"],
    responses=file_responses(STATEMENT_FORMATS),
)
def statement_download(
    settlement_id: int,
    fmt: str,
    session: SessionDep,
    user: CurrentUser,
    party: str | None = None,
) -> Response:
    """The statement (结算单) as Word or Excel; ``party`` for one party's statement."""
    content = benefit_statements.statement_file(session, user, settlement_id, fmt, party=party)
    return _download(content, fmt, f"settlement-{settlement_id}{'-' + party if party else ''}")


def _download(content: bytes, fmt: str, stem: str) -> Response:
    return file_response(content, f"{stem}.{fmt}")


@router.post(
    "/benefit/settlements/{settlement_id}/{step}", include_in_schema=False, dependencies=CSRF
)
def settlement_step(settlement_id: int, step: str, database: DatabaseDep, user: CurrentUser):
    _step(database, user, settlement_id, step)
    return RedirectResponse(f"/benefit/settlements/{settlement_id}", status_code=303)


def _step(database, user, settlement_id: int, step: str) -> str:
    actions = {"confirm": benefit.confirm_settlement, "pay": benefit.mark_paid}
    if step not in actions:
        raise InputError(f"step {step!r}: confirm or pay")
    with database.write(actor_of(user)) as session:
        return actions[step](session, user, settlement_id).status


# -- API --------------------------------------------------------------------------------------


class SettleIn(BaseModel):
    periods: list[str] | None = None
    vintage: str | None = None


class SettleOutPublic(BaseModel):
    agreement: str
    period: str
    action: str
    settlement_id: int | None
    outcome: str
    transfers: list[dict[str, Any]]


@router.get("/api/benefit/agreements", tags=["benefit"])
def api_agreements(session: SessionDep, user: CurrentUser) -> list[AgreementRowPublic]:
    """Every agreement with its parties and number of settlements."""
    return [AgreementRowPublic(**row) for row in benefit.list_agreements(session, user)]


@router.get("/api/benefit/settlements", tags=["benefit"])
def api_settlements(
    session: SessionDep, user: CurrentUser, agreement: str | None = None
) -> list[SettlementRowPublic]:
    """Settlements and adjustments, with status and transfers."""
    rows = benefit.list_settlements(session, user, agreement=agreement)
    return [SettlementRowPublic(**row) for row in rows]


@router.post("/api/benefit/agreements/{code}/settle", tags=["benefit"], dependencies=CSRF)
def api_settle(
    code: str, body: SettleIn, database: DatabaseDep, user: CurrentUser
) -> list[SettleOutPublic]:
    """Compute draft settlements (or adjustments of confirmed ones) for the periods given."""
    with database.write(actor_of(user)) as session:
        outcomes = benefit.settle_periods(session, user, code, body.periods, vintage=body.vintage)
        return [SettleOutPublic(**vars(o)) for o in outcomes]


class SettlementStepPublic(BaseModel):
    id: int
    status: str  # after the step: confirmed or paid


@router.post(
    "/api/benefit/settlements/{settlement_id}/{step}",
    tags=["benefit"],
    dependencies=CSRF,
    response_model=SettlementStepPublic,
)
def api_step(settlement_id: int, step: str, database: DatabaseDep, user: CurrentUser):
    """``confirm`` (draft → confirmed) or ``pay`` (confirmed → paid)."""
    return SettlementStepPublic(id=settlement_id, status=_step(database, user, settlement_id, step))

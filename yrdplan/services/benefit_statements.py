"""Settlement statements: the data of one settlement (with the agreement's terms) as a file."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo
from yrdplan.errors import InputError
from yrdplan.reports.settlement_statement import (
    build_statement,
    build_summary,
    statement_docx,
    statement_xlsx,
)
from yrdplan.services import benefit
from yrdplan.services.benefit_rules import net_by_party
from yrdplan.services.callers import require_caller
from yrdplan.store.repos import benefit as repo
from yrdplan.store.schema import Agreement, utcnow

FORMATS = ("docx", "xlsx")


def statement_data(session: Session, user: UserInfo, settlement_id: int) -> dict[str, Any]:
    """The settlement's detail with the terms of the agreement version it was computed under."""
    detail = benefit.settlement_detail(session, user, settlement_id)
    row = repo.get_settlement(session, settlement_id)
    agreement = session.get(Agreement, row.agreement_id)
    version = repo.agreement_version(session, agreement.id, row.agreement_version)
    names = benefit.place_names(session)
    spec = version.spec
    return detail | {
        "spec": spec,
        "office": spec.get("office", ""),
        "party_names": {
            p["region_code"]: p.get("name") or names.get(p["region_code"], p["region_code"])
            for p in spec["parties"]
        }
        | {
            code: names.get(code, code)
            for code in {i.get("place") for i in detail["result"].get("inputs", [])}
            if code and code in names
        },
    }


def statement_file(
    session: Session, user: UserInfo, settlement_id: int, fmt: str, *, party: str | None = None
) -> bytes:
    """The statement of a settlement (or of one ``party``'s share) as .docx or .xlsx bytes."""
    user = require_caller(user)
    if fmt not in FORMATS:
        raise InputError(f"format {fmt!r}: one of {', '.join(FORMATS)}")
    data = statement_data(session, user, settlement_id)
    if party and party not in {p["region_code"] for p in data["spec"]["parties"]}:
        raise InputError(f"party {party}: not a party to {data['agreement']}")
    statement = build_statement(data, party=party)
    return statement_docx(statement) if fmt == "docx" else statement_xlsx(statement)


def agreement_statement_file(
    session: Session, user: UserInfo, code: str, fmt: str, *, party: str | None = None
) -> bytes:
    """The summary of a whole agreement (every period, each party's totals) as .docx or .xlsx."""
    user = require_caller(user)
    if fmt not in FORMATS:
        raise InputError(f"format {fmt!r}: one of {', '.join(FORMATS)}")
    detail = benefit.agreement_detail(session, user, code)
    if party and party not in detail["party_names"]:
        raise InputError(f"party {party}: not a party to {code}")
    agreement = repo.get_agreement(session, code)
    nets = {
        row.id: {
            party_code: value
            for party_code, value in (
                row.result["adjustment"]["delta"]
                if row.kind == "adjustment"
                else net_by_party(row.result)
            ).items()
        }
        if row.outcome == "computed"
        else {}
        for row in repo.settlements(session, agreement_id=agreement.id)
    }
    data = detail | {
        "settlements": [s | {"net": nets[s["id"]]} for s in detail["settlements"]],
        "date": utcnow().date().isoformat(),
    }
    statement = build_summary(data, party=party)
    return statement_docx(statement) if fmt == "docx" else statement_xlsx(statement)

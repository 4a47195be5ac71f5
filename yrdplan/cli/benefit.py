"""`yrdplan benefit …`: compensation and sharing agreements, their data, settlements, statements.

Writes act as a named user (``--as``) with that user's rights, so the audit log says who
settled, confirmed and paid.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from yrdplan.cli.common import (
    DbOption,
    FormatOption,
    OutputFormat,
    console,
    err_console,
    open_database,
    print_json,
    print_rows,
)
from yrdplan.cli.cycles import AsUser, _user  # the commands that act as a user share these
from yrdplan.cli.imports import print_report
from yrdplan.errors import InputError
from yrdplan.services import benefit as service
from yrdplan.services import benefit_statements
from yrdplan.services.imports import ImportOptions, import_file
from yrdplan.store.audit import Actor

app = typer.Typer(
    help="Benefit sharing and compensation (利益补偿): agreements, site data, settlements.",
    no_args_is_help=True,
)
sites_app = typer.Typer(help="Sites: monitoring sections, co-built parks, joint funds.")
agreements_app = typer.Typer(help="Agreements as data: import (with versions), list, show.")
app.add_typer(sites_app, name="sites")
app.add_typer(agreements_app, name="agreements")

ReaderOption = Annotated[str, typer.Option("--as", help="Read as this user (default admin).")]

#: The example files `yrdplan benefit example` writes (shipped in yrdplan/data).
EXAMPLE_FILES = (
    "benefit_indicators.csv",
    "benefit_sites.csv",
    "benefit_xinanjiang.toml",
    "benefit_xinanjiang_2022_2024.csv",
    "benefit_ninghuai.toml",
    "benefit_ninghuai.csv",
    "benefit_equalising.toml",
    "benefit_equalising.csv",
)


@app.command("example")
def example(
    directory: Annotated[Path, typer.Argument(help="Directory to write the example files to.")],
) -> None:
    """Write the example agreements and data (新安江 街口, 宁淮, 黄山 counties) to DIRECTORY."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in EXAMPLE_FILES:
        target = directory / name
        if target.exists():
            raise InputError(f"{target}: already exists; choose an empty directory")
    package = resources.files("yrdplan.data")
    for name in EXAMPLE_FILES:
        with (package / name).open("rb") as source, (directory / name).open("wb") as out:
            shutil.copyfileobj(source, out)
    console.print(f"{len(EXAMPLE_FILES)} files written to {directory}", markup=False)


@sites_app.command("import")
def sites_import(
    file: Annotated[Path, typer.Argument(help="CSV/Excel: code,name,kind[,river,…].")],
    as_user: AsUser,
    db: DbOption = None,
) -> None:
    """Add sites or update them by code."""
    with open_database(db) as database:
        report = _write(database, as_user, lambda session, user: import_file(
            session, user, "sites", file))  # fmt: skip
    print_report(report, updated_word="updated")


def _write(database, username: str, work):
    """Run ``work(session, user)`` in one transaction as ``username``; print a bad file's problems."""
    with database.read() as session:
        user = _user(session, username)
    try:
        with database.write(Actor(user.id, user.username)) as session:
            return work(session, user)
    except service.ImportFailed as err:
        for problem in err.problems:
            if problem.severity != "info":
                err_console.print(f"{problem.severity}: {problem}", markup=False,
                                  highlight=False, soft_wrap=True)  # fmt: skip
        err_console.print(f"error: {err.file}: nothing written", markup=False, highlight=False)
        raise typer.Exit(1) from err


@sites_app.command("list")
def sites_list(fmt: FormatOption = OutputFormat.table, db: DbOption = None) -> None:
    """List the sites."""
    from yrdplan.store.repos import benefit as repo

    with open_database(db) as database, database.read() as session:
        rows = [
            {c: getattr(s, c) for c in ("code", "name", "kind", "river", "upstream_code",
                                        "downstream_code", "host_code")}
            for s in repo.list_sites(session)
        ]  # fmt: skip
    print_rows(rows, list(rows[0]) if rows else ["code"], fmt, title="Sites")


@app.command("data")
def data_import(
    file: Annotated[
        Path,
        typer.Argument(help="CSV/Excel: site_code,indicator_code,period,value[,source,vintage]."),
    ],
    as_user: AsUser,
    source: Annotated[str, typer.Option(help="Source for rows without one.")] = "",
    vintage: Annotated[
        str | None, typer.Option(help="Vintage for rows without one (default today).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Import observations at sites (monitoring sections, parks), as revisions."""
    with open_database(db) as database:
        report = _write(database, as_user, lambda session, user: import_file(
            session, user, "site_data", file, ImportOptions(source=source, vintage=vintage)))  # fmt: skip
    print_report(report)


@agreements_app.command("import")
def agreements_import(
    file: Annotated[Path, typer.Argument(help="An agreement file (.toml or .json).")],
    as_user: AsUser,
    reason: Annotated[
        str | None, typer.Option(help="Why this version (else the file's `reason`).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Store an agreement, or a new version of it (same code, changed terms, with a reason)."""
    with open_database(db) as database:
        report = _write(database, as_user, lambda session, user: import_file(
            session, user, "agreements", file, ImportOptions(reason=reason)))  # fmt: skip
    done = report.detail
    console.print(f"agreement {done.code}: version {done.version} ({done.action})", markup=False)


@agreements_app.command("list")
def agreements_list(
    fmt: FormatOption = OutputFormat.table, as_user: ReaderOption = "admin", db: DbOption = None
) -> None:
    """List agreements with their parties and number of settlements."""
    with open_database(db) as database, database.read() as session:
        rows = service.list_agreements(session, _user(session, as_user))
    for row in rows:
        row["parties_text"] = " ".join(f"{p['name']}({p['role']})" for p in row["parties"])
    columns = ["code", "name", "kind", "version", "start", "end", "parties_text", "settlements"]
    if fmt is OutputFormat.table:
        print_rows(rows, columns, fmt, title="Agreements")
    else:
        print_rows(rows, [c for c in columns if c != "parties_text"] + ["parties"], fmt)


@agreements_app.command("show")
def agreements_show(code: str, as_user: ReaderOption = "admin", db: DbOption = None) -> None:
    """One agreement as JSON: its terms, versions with reasons, settlements."""
    with open_database(db) as database, database.read() as session:
        print_json(service.agreement_detail(session, _user(session, as_user), code))


@app.command("settle")
def settle(
    code: Annotated[str, typer.Argument(help="Agreement code.")],
    as_user: AsUser,
    period: Annotated[
        list[str] | None, typer.Option(help="Year to settle (repeat; default every year).")
    ] = None,
    vintage: Annotated[
        str | None, typer.Option(help="Use the data as they stood at this vintage.")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """Compute draft settlements; a confirmed one is never changed (an adjustment is drafted)."""
    with open_database(db) as database:
        with database.read() as session:
            user = _user(session, as_user)
        with database.write(Actor(user.id, user.username)) as session:
            outcomes = service.settle_periods(session, user, code, period, vintage=vintage)
            names = service.party_names(session)
    rows = [
        {
            "period": o.period,
            "action": o.action,
            "settlement": o.settlement_id,
            "outcome": o.outcome,
            "transfers": "; ".join(
                f"{names.get(t['payer'], t['payer'])} → {names.get(t['payee'], t['payee'])} "
                f"{t['amount']:g}"
                for t in o.transfers
            ),
        }
        for o in outcomes
    ]
    print_rows(rows, ["period", "action", "settlement", "outcome", "transfers"], fmt,
               title=f"Settlements of {code}")  # fmt: skip


@app.command("list")
def list_(
    agreement: Annotated[str | None, typer.Option(help="Agreement code.")] = None,
    fmt: FormatOption = OutputFormat.table,
    as_user: ReaderOption = "admin",
    db: DbOption = None,
) -> None:
    """List settlements and adjustments with their status."""
    with open_database(db) as database, database.read() as session:
        rows = service.list_settlements(session, _user(session, as_user), agreement=agreement)
    for row in rows:
        row["transfers_text"] = "; ".join(
            f"{t['payer']}→{t['payee']} {t['amount']:g}" for t in row["transfers"] or []
        )
    columns = ["id", "agreement", "period", "type", "status", "outcome", "transfers_text"]
    if fmt is not OutputFormat.table:
        columns = [c for c in columns if c != "transfers_text"] + ["transfers", "currency_unit"]
    print_rows(rows, columns, fmt, title="Settlements")


@app.command("show")
def show(settlement: int, as_user: ReaderOption = "admin", db: DbOption = None) -> None:
    """One settlement as JSON: every input with source and vintage, steps, parties, audit."""
    with open_database(db) as database, database.read() as session:
        print_json(service.settlement_detail(session, _user(session, as_user), settlement))


def _step(settlement: int, as_user: str, db: str | None, step) -> None:
    with open_database(db) as database:
        with database.read() as session:
            user = _user(session, as_user)
        with database.write(Actor(user.id, user.username)) as session:
            status = step(session, user, settlement).status
    console.print(f"settlement {settlement}: {status}")


@app.command("confirm")
def confirm(settlement: int, as_user: AsUser, db: DbOption = None) -> None:
    """draft → confirmed (refused when the data changed since the draft was computed)."""
    _step(settlement, as_user, db, service.confirm_settlement)


@app.command("pay")
def pay(settlement: int, as_user: AsUser, db: DbOption = None) -> None:
    """confirmed → paid."""
    _step(settlement, as_user, db, service.mark_paid)


@app.command("what-if")
def what_if(
    code: Annotated[str, typer.Argument(help="Agreement code.")],
    period: Annotated[str, typer.Option(help="Year.")],
    set_: Annotated[
        list[str], typer.Option("--set", help="name=value, e.g. k0=0.9 or bands.0.amount=6000.")
    ],
    as_user: ReaderOption = "admin",
    db: DbOption = None,
) -> None:
    """Recompute one period with changed parameters; the agreement and settlements stay as they are."""
    overrides = service.parse_overrides(set_)
    with open_database(db) as database, database.read() as session:
        answer = service.what_if(session, _user(session, as_user), code, period, overrides)
    print_json(
        {
            "agreement": answer["agreement"],
            "period": answer["period"],
            "overrides": answer["overrides"],
            "base": {
                "outcome": answer["base"]["outcome"],
                "transfers": answer["base"]["transfers"],
            },
            "what_if": {
                "outcome": answer["what_if"]["outcome"],
                "transfers": answer["what_if"]["transfers"],
                "detail": answer["what_if"]["detail"],
            },
            "delta": answer["delta"],
        }  # fmt: skip
    )


OutOption = Annotated[Path, typer.Option("--out", "-o", help="File to write: .docx or .xlsx.")]
PartyOption = Annotated[str | None, typer.Option(help="Region code: that party's part only.")]


def _write_document(out: Path, db: str | None, as_user: str, make) -> None:
    """Write ``make(session, user, fmt)`` to ``out``, the format from its suffix."""
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in benefit_statements.FORMATS:
        raise InputError(f"--out {out}: write a .docx or .xlsx file")
    with open_database(db) as database, database.read() as session:
        content = make(session, _user(session, as_user), fmt)
    out.write_bytes(content)
    console.print(f"{out} written", markup=False)


@app.command("statement")
def statement(
    settlement: int,
    out: OutOption,
    party: PartyOption = None,
    as_user: ReaderOption = "admin",
    db: DbOption = None,
) -> None:
    """Write a settlement statement (结算单) in Word or Excel, with every input's source."""
    _write_document(out, db, as_user, lambda session, user, fmt: benefit_statements.statement_file(
        session, user, settlement, fmt, party=party))  # fmt: skip


@app.command("summary")
def summary(
    code: Annotated[str, typer.Argument(help="Agreement code.")],
    out: OutOption,
    party: PartyOption = None,
    as_user: ReaderOption = "admin",
    db: DbOption = None,
) -> None:
    """Write the summary of an agreement (结算汇总表): every period, each party's totals."""
    _write_document(out, db, as_user, lambda session, user, fmt: (
        benefit_statements.agreement_statement_file(session, user, code, fmt, party=party)))  # fmt: skip

"""`yrdplan bulletin …` and `yrdplan evaluation …`: build, rebuild, edit, publish, withdraw, list.

Commands act as the office unless ``--as USER`` names a user (whose rights then apply and whom
the audit log records): whoever runs them holds the database itself, as with ``cycles open``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from yrdplan.cli.common import (
    DbOption,
    FormatOption,
    OutputFormat,
    console,
    open_database,
    print_rows,
)
from yrdplan.domain.people import UserInfo
from yrdplan.errors import InputError, NotFoundError
from yrdplan.reports.documents import parse_formats
from yrdplan.services import bulletins as service
from yrdplan.services.evaluations import AssessmentIn, enter_assessment
from yrdplan.store.audit import SYSTEM, Actor
from yrdplan.store.repos import users as user_repo

app = typer.Typer(
    help="Bulletins (通报): build, rebuild, edit, publish, withdraw, list.", no_args_is_help=True
)
evaluation_app = typer.Typer(
    help="Evaluation reports (前期/中期/后期评估) and their assessments.", no_args_is_help=True
)

AsUser = Annotated[
    str | None,
    typer.Option("--as", help="Act as this user (default: the office, with its rights)."),
]
OutOption = Annotated[Path, typer.Option("--out", help="Directory to write the files into.")]
FormatsOption = Annotated[
    str, typer.Option("--format", help="Comma-separated: docx,xlsx,html,pdf (default all four).")
]
IssuerOption = Annotated[
    str, typer.Option("--issuer", help="The issuing office printed at the top and the end.")
]

# The person at the terminal holds the database; without --as they act with the office's rights
# and the audit log records the system.
OPERATOR = UserInfo(id=None, username="system", role="office")  # type: ignore[arg-type]


def _user(session, username: str | None) -> tuple[UserInfo, Actor]:
    if username is None:
        return OPERATOR, SYSTEM
    row = user_repo.find_user(session, username)
    if row is None or not row.is_active:
        raise NotFoundError(f"no active user {username!r}")
    return user_repo.to_info(session, row), Actor(row.id, row.username)


def _text_or_file(value: str, option: str) -> str:
    """The text itself, or the UTF-8 file named after an @."""
    if not value.startswith("@"):
        return value
    try:
        return Path(value[1:]).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{option} {value}: {err}") from err


def _formats(text: str) -> list[str]:
    try:
        return parse_formats(text)
    except ValueError as err:
        raise InputError(str(err)) from err


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _write_files(out: Path, files: list) -> list[Path]:
    """Write every file, or none: each goes to a temporary name first."""
    out.mkdir(parents=True, exist_ok=True)
    staged = []
    try:
        for row in files:
            handle, temp = tempfile.mkstemp(prefix=".yrdplan-", dir=out)
            with os.fdopen(handle, "wb") as stream:
                stream.write(row.content)
            staged.append((Path(temp), out / row.filename))
    except OSError:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)
        raise
    for temp, target in staged:
        temp.replace(target)
    return [target for _, target in staged]


def _build(db, username, out: Path, formats: list[str], make) -> None:
    with open_database(db) as database:
        with database.read() as session:
            user, actor = _user(session, username)
        with _progress() as progress, database.write(actor) as session:
            task = progress.add_task(
                "building", total=1 + len(service.STORED_FORMATS) + ("pdf" in formats)
            )

            def step(name: str) -> None:
                progress.update(task, advance=1, description=f"built {name}")

            bulletin = make(session, user, database, step)
            if "pdf" in formats:
                service.build_files(session, user, bulletin.id, ["pdf"])
                step("pdf")
            files = [service.bulletin_file(session, user, bulletin.id, f) for f in formats]
            written = _write_files(out, files)
            bulletin_id, title, digest = bulletin.id, bulletin.title, bulletin.snapshot_sha256
    console.print(f"Built draft {bulletin_id}: {title}")
    console.print(f"snapshot sha256 {digest}")
    for path in written:
        console.print(f"  {path}")


@app.command("build")
def build(
    out: OutOption,
    cycle: Annotated[int | None, typer.Option("--cycle", help="Reporting cycle id.")] = None,
    period: Annotated[
        str | None, typer.Option("--period", help="A period: 2026, 2026Q3 or 2026-07.")
    ] = None,
    fmt: FormatsOption = "docx,xlsx,html,pdf",
    issuer: IssuerOption = service.DEFAULT_ISSUER,
    as_user: AsUser = None,
    db: DbOption = None,
) -> None:
    """Snapshot a cycle's or a period's data, store a draft 通报, write its files to --out."""
    formats = _formats(fmt)

    def make(session, user, database, step):
        return service.create_bulletin(
            session,
            user,
            cycle_id=cycle,
            period=period,
            issuer=issuer,
            progress=step,
        )

    _build(db, as_user, out, formats, make)


@app.command("rebuild")
def rebuild(
    bulletin_id: Annotated[int, typer.Argument(help="Bulletin id.")],
    out: OutOption,
    fmt: FormatsOption = "docx,xlsx,html",
    db: DbOption = None,
) -> None:
    """Render a stored bulletin again from its snapshot (the database's current data is not read)."""
    formats = _formats(fmt)
    with open_database(db) as database, database.read() as session:
        bulletin = service.get_bulletin(session, bulletin_id)
        with _progress() as progress:
            task = progress.add_task("rendering", total=len(formats))
            files = service.render_bulletin(
                bulletin,
                formats,
                lambda name: progress.update(task, advance=1, description=f"rendered {name}"),
            )
        written = _write_files(out, files)
    for path in written:
        console.print(f"  {path}")


@app.command("text")
def text(
    bulletin_id: Annotated[int, typer.Argument(help="Bulletin id.")],
    field: Annotated[
        str,
        typer.Option(
            "--field",
            help="bulletin: number, summary, highlights, requirements; evaluation: number, summary, conclusions, recommendations.",
        ),
    ],
    value: Annotated[
        str, typer.Option("--value", help="The text, or @FILE to read it from a UTF-8 file.")
    ],
    as_user: AsUser = None,
    db: DbOption = None,
) -> None:
    """Write one of the office's sections of a draft (its files are rendered again)."""
    value = _text_or_file(value, "--value")
    with open_database(db) as database:
        with database.read() as session:
            user, actor = _user(session, as_user)
        with database.write(actor) as session:
            service.set_texts(session, user, bulletin_id, {field: value})
    console.print(f"Bulletin {bulletin_id}: {field} saved")


@app.command("publish")
def publish(
    bulletin_id: Annotated[int, typer.Argument(help="Bulletin id.")],
    as_user: AsUser = None,
    db: DbOption = None,
) -> None:
    """Publish a draft: anyone, logged in or not, can then read and download it."""
    with open_database(db) as database:
        with database.read() as session:
            user, actor = _user(session, as_user)
        with database.write(actor) as session:
            bulletin = service.publish(session, user, bulletin_id)
            title = bulletin.title
    console.print(f"Published {bulletin_id}: {title}")


@app.command("withdraw")
def withdraw(
    bulletin_id: Annotated[int, typer.Argument(help="Bulletin id.")],
    reason: Annotated[
        str, typer.Option("--reason", help="Why it is withdrawn (kept and audited).")
    ],
    as_user: AsUser = None,
    db: DbOption = None,
) -> None:
    """Withdraw a published bulletin; it leaves the public portal."""
    with open_database(db) as database:
        with database.read() as session:
            user, actor = _user(session, as_user)
        with database.write(actor) as session:
            service.withdraw(session, user, bulletin_id, reason)
    console.print(f"Withdrawn {bulletin_id}")


@app.command("list")
def list_(
    status: Annotated[str | None, typer.Option(help="draft, published or withdrawn.")] = None,
    kind: Annotated[str | None, typer.Option(help="bulletin, ex_ante, mid_term or final.")] = None,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """List bulletins and evaluation reports, newest first."""
    with open_database(db) as database, database.read() as session:
        rows = service.list_bulletins(session, OPERATOR, status=status, kind=kind)
    print_rows(rows, ["id", "kind", "status", "period", "as_of", "title"], fmt)


@evaluation_app.command("build")
def evaluation_build(
    plan: Annotated[str, typer.Option("--plan", help="Plan id or code.")],
    stage: Annotated[str, typer.Option("--stage", help="ex_ante, mid_term or final.")],
    out: OutOption,
    fmt: FormatsOption = "docx,xlsx,html,pdf",
    issuer: IssuerOption = service.DEFAULT_ISSUER,
    as_user: AsUser = None,
    db: DbOption = None,
) -> None:
    """Snapshot a plan's evaluation data, store a draft report, write its files to --out."""
    formats = _formats(fmt)

    def make(session, user, database, step):
        return service.create_evaluation(session, user, plan, stage, issuer=issuer, progress=step)

    _build(db, as_user, out, formats, make)


def _scores(items: list[str]) -> dict[str, str]:
    scores = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise InputError(f"--score {item!r}: write DIMENSION=SCORE, e.g. 目标实现=82")
        scores[name.strip()] = value.strip()
    return scores


@evaluation_app.command("assess")
def assess(
    plan: Annotated[str, typer.Option("--plan", help="Plan id or code.")],
    stage: Annotated[str, typer.Option("--stage", help="ex_ante, mid_term or final.")],
    kind: Annotated[
        str, typer.Option("--kind", help="self (政府自评) or third_party (第三方评估).")
    ],
    assessor: Annotated[str, typer.Option("--assessor", help="The assessing organisation.")],
    as_user: Annotated[
        str,
        typer.Option(
            "--as", help="The user entering it (office for self, an assessor for third_party)."
        ),
    ],
    score: Annotated[
        list[str] | None, typer.Option("--score", help="DIMENSION=SCORE (0-100), repeatable.")
    ] = None,
    text_: Annotated[str, typer.Option("--text", help="The assessment's text, or @FILE.")] = "",
    db: DbOption = None,
) -> None:
    """Enter (or replace) a self- or third-party assessment of a plan for one evaluation stage."""
    text_ = _text_or_file(text_, "--text")
    with open_database(db) as database:
        with database.read() as session:
            user, actor = _user(session, as_user)
        with database.write(actor) as session:
            enter_assessment(
                session,
                user,
                plan,
                stage,
                AssessmentIn(kind, assessor, _scores(score or []), text_),
            )
    console.print(f"Saved the {kind} assessment by {assessor} for {plan} ({stage})")

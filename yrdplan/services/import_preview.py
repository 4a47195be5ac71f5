"""Imports from the browser with a preview: upload, see what would change, confirm or cancel.

The upload is kept in ``pending_imports`` (not data yet). The preview runs the very importer the
command line runs, inside a transaction that is always rolled back, so its counts (added,
revised, unchanged) and its problems (file, row, column) are exactly what confirm would do —
and nothing is written before confirm. Confirm runs it again, committed, on the same bytes.
"""

from __future__ import annotations

import csv
import io
import secrets
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo
from yrdplan.domain.problems import Problem
from yrdplan.errors import FieldError, InputError, NotFoundError, PermissionDenied
from yrdplan.services.callers import actor_of, require_caller, require_manager
from yrdplan.services.import_report import ImportFailed, ImportReport
from yrdplan.services.imports import FILE_TYPES, ImportOptions, import_file
from yrdplan.store.audit import acting_as
from yrdplan.store.database import Database
from yrdplan.store.schema import PendingImport

#: Import kinds offered on the web, with the file types each accepts: every kind of the one
#: import use case (:func:`yrdplan.services.imports.import_file`).
IMPORT_KINDS: dict[str, tuple[str, ...]] = FILE_TYPES

#: Every command of the CLI that imports something, and where the web offers it: an import kind
#: of /imports (upload, preview, confirm or cancel), or the page that does it when it takes no
#: file. ``tests/test_office_imports.py`` checks this against the CLI's commands.
CLI_IMPORTS: dict[str, str] = {
    "plan import": "plans",
    "indicators import": "indicators",
    "targets import": "targets",
    "data import": "observations",
    "data crosswalk": "crosswalk",
    "tasks import": "checklists",
    "benefit sites import": "sites",
    "benefit data": "site_data",
    "benefit agreements import": "agreements",
    # No file: the values the plan's own text states, taken from a stored version.
    "plan baselines": "/plans/{plan}",
}

#: Each template's example row, column by column (the exchange formats in README; the header
#: row is the column names, which every reader accepts).
TEMPLATES: dict[str, dict[str, str]] = {
    "observations": {
        "region_code": "320100",
        "indicator_code": "RD_INTENSITY",
        "period": "2024",
        "value": "3.71",
        "source": "南京统计年鉴2025",
        "note": "",
    },
    "targets": {
        "region_code": "320100",
        "indicator_code": "RD_INTENSITY",
        "year": "2025",
        "comparator": ">=",
        "value": "3.8",
        "value_high": "",
        "base_year": "",
        "base_value": "",
        "relative_change": "",
        "standard": "",
        "note": "规划纲要第三章",
    },
    "indicators": {
        "code": "RD_PER_GDP",
        "name": "研发经费占比（示例）",
        "unit": "%",
        "direction": "正向",
        "name_en": "R&D share",
        "kind": "预期性",
        "aggregation": "重新计算",
        "formula": "RD_EXPENDITURE / GDP * 100",
        "frequency": "年",
    },
    "sites": {
        "code": "XAJ-JK",
        "name": "新安江街口断面（示例）",
        "kind": "section",
        "river": "新安江",
        "upstream_code": "341021",
        "downstream_code": "330127",
        "host_code": "",
    },
    "crosswalk": {
        "from_code": "330104",
        "to_code": "330102",
        "weight": "1",
        "effective_date": "2021-04-09",
        "note": "江干区撤销，并入上城区（示例）",
    },
}


def import_kinds(user: UserInfo) -> list[str]:
    """The kinds of import the caller may make: stewards load observations (of their regions)."""
    user = require_caller(user)
    if user.can_manage:
        return list(IMPORT_KINDS)
    return ["observations"] if user.role == "data_steward" else []


def _require_importer(user: UserInfo | None, kind: str | None = None) -> UserInfo:
    allowed = import_kinds(user)
    if not allowed:
        raise PermissionDenied("only the office, an admin or a data steward may import")
    if kind in IMPORT_KINDS and kind not in allowed:
        require_manager(user, f"import {kind}")
    return user


def stage_import(
    session: Session, user: UserInfo, kind: str, filename: str, content: bytes, options: dict
) -> str:
    """Keep an upload for preview; its id. ``FieldError`` for a kind or file type not accepted."""
    _require_importer(user, kind)
    if kind not in IMPORT_KINDS:
        raise FieldError(
            "kind",
            f"one of {', '.join(IMPORT_KINDS)}",
            "fe.one_of",
            choices=", ".join(IMPORT_KINDS),
        )
    name = Path(filename or "").name
    if Path(name).suffix.lower() not in IMPORT_KINDS[kind]:
        raise FieldError(
            "file",
            f"{name or 'no file'}: a {kind} import takes {', '.join(IMPORT_KINDS[kind])}",
            "fe.wrong_file",
            file=name or "—",
            kind=kind,
            suffixes=" ".join(IMPORT_KINDS[kind]),
        )
    if not content:
        raise FieldError("file", f"{name}: the file is empty", "fe.empty_file", file=name)
    pending = PendingImport(
        id=secrets.token_hex(16),
        user_id=user.id,
        kind=kind,
        filename=name,
        content=content,
        options={k: str(v) for k, v in options.items()},
    )
    session.add(pending)
    session.flush()
    return pending.id


def _pending(session: Session, user: UserInfo, pending_id: str) -> PendingImport:
    row = session.get(PendingImport, pending_id)
    # Another user's upload is as good as absent: ids are not secrets to share.
    if row is None or row.user_id != user.id:
        raise NotFoundError(
            "this upload is gone (confirmed, cancelled or never made); upload again"
        )
    return row


def _run(database: Database, user: UserInfo, pending_id: str, *, commit: bool) -> dict:
    _require_importer(user)
    with database.read() as session:
        row = _pending(session, user, pending_id)
        kind, name, content, options = row.kind, row.filename, row.content, dict(row.options)
    _require_importer(user, kind)
    result = {"id": pending_id, "kind": kind, "file": name, "report": None, "problems": []}

    def work(session: Session) -> ImportReport:
        # The stored bytes, read as the upload they were: no temporary file.
        return import_file(
            session, user, kind, io.BytesIO(content), ImportOptions.from_form(options), name=name
        )

    try:
        if commit:
            with database.write(actor_of(user)) as session:
                report = work(session)
                session.delete(_pending(session, user, pending_id))
        else:
            with acting_as(actor_of(user)), database.sessions() as session:
                try:
                    report = work(session)
                finally:
                    session.rollback()  # a preview writes nothing, ever
    except ImportFailed as err:  # every problem, each naming file, row and column
        result["problems"] = [p.to_dict() for p in err.problems]
        return result
    except NotFoundError as err:
        if kind != "plans":
            raise
        # A parent or region named in the plan form: the preview says so.
        result["problems"] = [Problem("unreadable", str(err), file=name).to_dict()]
        return result
    except InputError as err:  # a file the reader cannot open, a plan that does not match
        result["problems"] = [Problem("unreadable", str(err), file=name).to_dict()]
        return result
    result["report"] = report.to_dict()
    result["problems"] = result["report"].pop("problems")
    return result


def preview_import(database: Database, user: UserInfo, pending_id: str) -> dict:
    """What confirming the upload would add, revise and leave unchanged, and every problem."""
    require_caller(user)
    return _run(database, user, pending_id, commit=False)


def confirm_import(database: Database, user: UserInfo, pending_id: str) -> dict:
    """Import the upload for real (all or nothing) and forget it; the same dict as the preview."""
    require_caller(user)
    return _run(database, user, pending_id, commit=True)


def cancel_import(session: Session, user: UserInfo, pending_id: str) -> None:
    """Forget an upload without importing anything."""
    _require_importer(user)
    session.delete(_pending(session, user, pending_id))


def pending_imports(session: Session, user: UserInfo) -> list[dict]:
    """The caller's uploads waiting for confirm or cancel."""
    _require_importer(user)
    rows = session.scalars(
        select(PendingImport)
        .where(PendingImport.user_id == user.id)
        .order_by(PendingImport.created_at)
    )
    return [
        {"id": r.id, "kind": r.kind, "file": r.filename, "created_at": r.created_at} for r in rows
    ]


def template_file(kind: str, fmt: str) -> tuple[str, bytes]:
    """A template for ``kind`` as ``csv`` or ``xlsx``: a header row and one example row."""
    if kind == "checklists":
        raise NotFoundError(
            "a checklist's template is its plan's export: /tasks/plan/<plan>/checklist.xlsx"
        )
    if kind not in TEMPLATES:
        raise NotFoundError(f"no template for {kind!r}")
    if f".{fmt}" not in IMPORT_KINDS[kind]:
        raise NotFoundError(f"a {kind} import takes {', '.join(IMPORT_KINDS[kind])}, not .{fmt}")
    header, example = list(TEMPLATES[kind]), list(TEMPLATES[kind].values())
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerows([header, example])
        # A BOM so that Excel opens the Chinese example as UTF-8.
        return f"{kind}-template.csv", ("\ufeff" + buffer.getvalue()).encode("utf-8")
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = kind
        sheet.append(header)
        sheet.append(example)
        out = io.BytesIO()
        book.save(out)
        return f"{kind}-template.xlsx", out.getvalue()
    raise NotFoundError(f"no {fmt!r} template: csv or xlsx")

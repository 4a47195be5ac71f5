"""One use case for every file import: read the file, check it, store it, all or nothing.

The command line (``yrdplan data import FILE`` …) and the web (``/imports``, the upload forms of
the plans, indicators, tasks and benefit pages) both call :func:`import_file` with a kind, the
file (a path, or an upload's bytes as a binary file object and its name) and the options of that
kind. Neither shell reads a file itself, and none writes an upload to a temporary folder.

Each kind's answer is an :class:`~yrdplan.services.import_report.ImportReport` (rows read,
added, revised, unchanged; the warnings let through); its ``detail`` holds the kind's own result
for the shells that show more (a checklist's changed fields, a plan's version and diff).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from sqlalchemy.orm import Session

from yrdplan.domain.people import UserInfo
from yrdplan.errors import FieldError
from yrdplan.ingest.plan_text import parse_plan
from yrdplan.ingest.source import Readable, Source, as_source
from yrdplan.services import benefit, checklists, geography, indicator_data
from yrdplan.services import plans as plan_service
from yrdplan.services.callers import actor_of, require_caller, require_manager
from yrdplan.services.import_report import ImportReport
from yrdplan.store.audit import acting_as
from yrdplan.store.database import Database

#: Each kind of import, with the file types it accepts.
FILE_TYPES: dict[str, tuple[str, ...]] = {
    "observations": (".csv", ".tsv", ".txt", ".xlsx", ".parquet"),
    "targets": (".csv", ".tsv", ".txt", ".xlsx", ".parquet"),
    "indicators": (".csv", ".tsv", ".txt", ".xlsx", ".parquet"),
    "checklists": (".xlsx",),
    "crosswalk": (".csv",),
    "plans": (".docx", ".pdf", ".ofd", ".html", ".htm", ".txt"),
    "sites": (".csv", ".tsv", ".txt", ".xlsx"),
    "site_data": (".csv", ".tsv", ".txt", ".xlsx"),
    "agreements": (".toml", ".json"),
}

#: Nodes listed in a plan document's report (the draft's page shows them all).
PLAN_NODES_SHOWN = 300


@dataclass(frozen=True)
class ImportOptions:
    """What an import may be told besides its file; each kind reads the fields it needs.

    ``plan`` is the plan a checklist belongs to, or the code of the plan a document revises.
    """

    source: str = ""  # observations, site data: for rows without a source
    vintage: str | None = None  # … and without a vintage (default: today)
    sheet: str | None = None  # Excel sheet of a table (default the first)
    plan: str | None = None
    plan_kind: str = "implementation_plan"
    region: str | None = None
    parent: str | None = None
    title: str | None = None
    reason: str | None = None  # agreements: why this version
    progress: bool = False  # a progress bar for large tables (the command line)
    console: object | None = None

    @classmethod
    def from_form(cls, fields: Mapping[str, str]) -> ImportOptions:
        """Options from form fields (text, blank meaning not given)."""
        given = {k: v.strip() for k, v in fields.items() if isinstance(v, str) and v.strip()}
        known = {"source", "vintage", "sheet", "plan", "plan_kind", "region", "parent", "title"}
        return cls(**{k: v for k, v in given.items() if k in known | {"reason"}})


def import_file(
    session: Session,
    user: UserInfo,
    kind: str,
    file: Readable,
    options: ImportOptions | None = None,
    *,
    name: str | None = None,
) -> ImportReport:
    """Read ``file`` as an import of ``kind`` and store it in the caller's transaction.

    Parameters
    ----------
    kind : str
        One of :data:`FILE_TYPES`.
    file : path, binary file object or Source
        The file on disk, or an upload's bytes (``name`` gives the upload's file name, which
        every problem names).

    Raises
    ------
    ImportFailed
        The file has errors (each naming file, row and column); nothing is written. A checklist
        raises its subclass ``ChecklistRejected``.
    InputError
        The file cannot be read at all, or the kind is unknown.
    PermissionDenied
        The caller may not import this kind.
    """
    require_caller(user)  # before anything is read (each kind then checks its own right)
    if kind not in _RUNNERS:
        raise FieldError(
            "kind",
            f"one of {', '.join(FILE_TYPES)}",
            "fe.one_of",
            choices=", ".join(FILE_TYPES),
        )
    source = as_source(file, name)
    source.require_file()
    return _RUNNERS[kind](session, user, source, options or ImportOptions())


def apply_import(
    database: Database,
    user: UserInfo,
    kind: str,
    file: Readable,
    options: ImportOptions | None = None,
    *,
    name: str | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """:func:`import_file` in a transaction of its own: committed, or for a dry run read and
    checked in full and then rolled back, so its report is exactly what the import would do."""
    user = require_caller(user)
    if dry_run:
        with acting_as(actor_of(user)), database.sessions() as session:
            try:
                return import_file(session, user, kind, file, options, name=name)
            finally:
                session.rollback()  # a dry run writes nothing, ever
    with database.write(actor_of(user)) as session:
        return import_file(session, user, kind, file, options, name=name)


def _observations(session: Session, user: UserInfo, file: Source, o: ImportOptions):
    return indicator_data.import_observations(
        session,
        file,
        source=o.source,
        vintage=o.vintage,
        sheet=o.sheet,
        user=user,
        progress=o.progress,
        console=o.console,
    )


def _targets(session: Session, user: UserInfo, file: Source, o: ImportOptions):
    return indicator_data.import_targets(session, file, sheet=o.sheet, user=user)


def _indicators(session: Session, user: UserInfo, file: Source, o: ImportOptions):
    require_manager(user, "add indicators")
    return indicator_data.import_indicators(session, file, sheet=o.sheet)


def _checklists(session: Session, user: UserInfo, file: Source, o: ImportOptions):
    result = checklists.import_checklist(session, file, plan_ref=o.plan, user=user)
    created, changed = len(result.created), result.tasks_changed
    unchanged = max(result.rows - created - changed, 0)
    return ImportReport(
        file.name,
        "checklists",
        result.rows,
        created,
        changed,
        unchanged,
        0,
        result.warnings,
        detail=result,
    )


def _crosswalk(session: Session, user: UserInfo, file: Source, o: ImportOptions):
    require_manager(user, "load a boundary crosswalk")
    count = geography.import_crosswalk(session, file)
    return ImportReport(file.name, "crosswalk", count, count)


def _sites(session: Session, user: UserInfo, file: Source, o: ImportOptions):
    return benefit.import_sites(session, user, file)


def _site_data(session: Session, user: UserInfo, file: Source, o: ImportOptions):
    return benefit.import_site_observations(session, user, file, source=o.source, vintage=o.vintage)


def _agreements(session: Session, user: UserInfo, file: Source, o: ImportOptions):
    done = benefit.import_agreement(session, user, file, reason=o.reason)
    counts = {"created": (1, 0, 0), "revised": (0, 1, 0)}.get(done.action, (0, 0, 1))
    return ImportReport(file.name, "agreements", 1, *counts, detail=done)


@dataclass
class PlanImportReport(ImportReport):
    """A plan document read as a draft: its nodes are the rows; where the draft will be.

    ``detail`` is the plans service's result; ``baselines`` how many base values the text gave.
    """

    plan_code: str = ""
    plan_id: int | None = None
    version: int | None = None
    tasks: int = 0
    targets: int = 0
    removed: int = 0
    baselines: int = 0
    nodes: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return super().to_dict() | {
            "removed": self.removed,
            "nodes": self.nodes,
            "plan_code": self.plan_code,
            "plan_id": self.plan_id,
            "version": self.version,
            "tasks": self.tasks,
            "targets": self.targets,
        }


def _plans(session: Session, user: UserInfo, file: Source, o: ImportOptions):
    """A plan document as a draft (the office then reviews and confirms it), counted as rows:
    a new plan adds every node; a new edition of ``plan`` adds, revises and keeps nodes."""
    parsed = parse_plan(file, name=file.name)
    meta = plan_service.PlanMeta(
        kind=o.plan_kind or "implementation_plan",
        code=o.plan or None,
        title=o.title or None,
        region=o.region or None,
        parent=o.parent or None,
    )
    result = plan_service.import_plan(session, parsed, meta, user=user)
    summary = (result.diff or {}).get("summary", {})
    added = summary.get("nodes_added", 0) if result.diff else result.nodes
    revised = summary.get("nodes_changed", 0)
    problems = [replace(p, file=p.file or file.name) for p in parsed.problems]
    depth = _depths(parsed.nodes)
    if result.diff:
        new_nodes = {n.id: n for n in parsed.nodes}
        nodes = result.diff.get("nodes", {})
        shown = [(new_nodes.get(n.get("id")), "added") for n in nodes.get("added", [])] + [
            (new_nodes.get(c.get("new_id")), "changed") for c in nodes.get("changed", [])
        ]
        rows = [_node_row(n, change, depth) for n, change in shown if n is not None]
        rows += [
            {"label": n.get("label", ""), "title": n.get("title", ""), "depth": 0,
             "change": "removed"}
            for n in nodes.get("removed", [])
        ]  # fmt: skip
    else:
        rows = [_node_row(n, "added", depth) for n in parsed.nodes]
    return PlanImportReport(
        file.name,
        "plans",
        result.nodes,
        added,
        revised,
        max(result.nodes - added - revised, 0),
        problems=list(problems),
        detail=result,
        plan_code=result.code,
        plan_id=result.plan_id,
        version=result.version,
        tasks=result.tasks,
        targets=result.targets,
        removed=summary.get("nodes_removed", 0),
        baselines=len(parsed.baselines),
        nodes=rows[:PLAN_NODES_SHOWN],
    )


def _depths(nodes) -> dict[str, int]:
    parents = {n.id: n.parent for n in nodes}
    depth: dict[str, int] = {}
    for node in nodes:  # document order: a parent comes before its children
        depth[node.id] = depth.get(parents[node.id], -1) + 1 if parents[node.id] else 0
    return depth


def _node_row(node, change: str, depth: dict[str, int]) -> dict:
    return {
        "label": node.label,
        "title": node.title[:120],
        "depth": depth.get(node.id, 0),
        "change": change,
    }


_RUNNERS: dict[str, Callable[[Session, UserInfo, Source, ImportOptions], ImportReport]] = {
    "observations": _observations,
    "targets": _targets,
    "indicators": _indicators,
    "checklists": _checklists,
    "crosswalk": _crosswalk,
    "plans": _plans,
    "sites": _sites,
    "site_data": _site_data,
    "agreements": _agreements,
}

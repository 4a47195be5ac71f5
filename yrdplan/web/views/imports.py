"""What an import answers on the API: the one import report, and the kinds that say more.

Every import runs :func:`yrdplan.services.imports.import_file`; these models are the JSON of its
:class:`~yrdplan.services.import_report.ImportReport` (and of a checklist's own result), so the
OpenAPI schema documents the shape the clients read.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ProblemPublic(BaseModel):
    """One problem of a file, located by file, sheet, row and column (absent when unknown)."""

    kind: str
    message: str
    severity: Literal["error", "warning", "info"] = "error"
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    start: int | None = None
    end: int | None = None


class ImportReportPublic(BaseModel):
    """What an import wrote: rows read, added, revised, unchanged, kept as history; warnings."""

    file: str
    kind: str
    read: int
    added: int = 0
    revised: int = 0
    unchanged: int = 0
    historical: int = 0
    simulated: bool = False
    problems: list[ProblemPublic] = Field(default_factory=list)


class BenefitImportPublic(ImportReportPublic):
    """``POST /api/benefit/import`` for an indicators table, sites or site data."""

    what: str


class AgreementImportPublic(BaseModel):
    """``POST /api/benefit/import`` for an agreement: its code, version and what happened."""

    what: Literal["agreement"]
    code: str
    version: int
    action: Literal["created", "revised", "unchanged"]


class ChecklistChangePublic(BaseModel):
    """One field of one task a checklist changes (``old`` and ``new`` as stored)."""

    row: int
    key: str
    label: str
    title: str
    field: str
    old: Any = None
    new: Any = None


class ChecklistImportPublic(BaseModel):
    """``POST /api/tasks/checklist``: what the checklist changed (or, dry, would change)."""

    plan: str
    rows: int
    tasks_changed: int
    tasks_created: int
    changed: list[ChecklistChangePublic]
    created: list[str]
    warnings: list[ProblemPublic]

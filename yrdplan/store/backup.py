"""Portable backups: a zip of JSON Lines, one file per table, with a checksummed manifest.

The archive does not depend on the backend, so a SQLite backup restores into PostgreSQL and back
to an identical database. A restore checks the whole archive before it writes anything and runs
in one transaction.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, func, select, text, update
from sqlalchemy.types import Date, DateTime, LargeBinary

from yrdplan import __version__
from yrdplan.errors import ConflictError, InputError
from yrdplan.store.schema import Base
from yrdplan.store.versions import bump_versions

FORMAT = "yrdplan-backup"
FORMAT_VERSION = 1
Progress = Callable[[str, int, int], None]


def _tables() -> list[Table]:
    # Data versions are bookkeeping of this database's writes and computed results a cache,
    # not data: a restore starts both anew.
    skipped = ("data_versions", "computed_results")
    return [t for t in Base.metadata.sorted_tables if t.name not in skipped]


def _encode(value: Any, column_type: Any) -> Any:
    if value is None:
        return None
    if isinstance(column_type, LargeBinary):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _decode(value: Any, column_type: Any) -> Any:
    if value is None:
        return None
    if isinstance(column_type, LargeBinary):
        return base64.b64decode(value)
    if isinstance(column_type, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column_type, Date):
        return date.fromisoformat(value)
    return value


def _rows(connection: Connection, table: Table) -> Iterable[dict]:
    order = list(table.primary_key.columns)
    for row in connection.execute(select(table).order_by(*order)).mappings():
        yield {c.name: _encode(row[c.name], c.type) for c in table.columns}


def dump_tables(connection: Connection) -> dict[str, list[dict]]:
    """Every table's rows as JSON-ready dicts in key order: what a backup holds, for comparing."""
    return {table.name: list(_rows(connection, table)) for table in _tables()}


def write_backup(
    connection: Connection, path: Path, revision: str, progress: Progress | None = None
) -> dict:
    """Write the archive; return its manifest."""
    tables = _tables()
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "yrdplan_version": __version__,
        "schema_revision": revision,
        "created_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "tables": {},
    }
    temp = path.with_name(path.name + ".partial")
    with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index, table in enumerate(tables):
            if progress:
                progress(table.name, index, len(tables))
            lines = [
                json.dumps(row, ensure_ascii=False, sort_keys=True)
                for row in _rows(connection, table)
            ]
            payload = ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8")
            archive.writestr(f"tables/{table.name}.jsonl", payload)
            manifest["tables"][table.name] = {
                "rows": len(lines),
                "sha256": hashlib.sha256(payload).hexdigest(),
            }
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    temp.replace(path)
    return manifest


def read_backup(path: Path) -> tuple[dict, dict[str, list[dict]]]:
    """Read and verify the whole archive; ``InputError`` naming the file and what is wrong."""
    try:
        with zipfile.ZipFile(path) as archive:
            try:
                manifest = json.loads(archive.read("manifest.json"))
            except KeyError as err:
                raise InputError(f"{path}: not a yrdplan backup (no manifest.json)") from err
            if manifest.get("format") != FORMAT:
                raise InputError(
                    f"{path}: not a yrdplan backup (format {manifest.get('format')!r})"
                )
            if manifest.get("format_version") != FORMAT_VERSION:
                raise InputError(
                    f"{path}: backup format version {manifest.get('format_version')} is not supported"
                )
            data = {}
            for name, info in manifest["tables"].items():
                payload = archive.read(f"tables/{name}.jsonl")
                if hashlib.sha256(payload).hexdigest() != info["sha256"]:
                    raise InputError(f"{path}: table {name} is corrupt (checksum mismatch)")
                # Split on "\n" only: json.dumps escapes it inside strings, but not U+2028
                # and the other separators that str.splitlines would also cut at.
                data[name] = [
                    json.loads(line) for line in payload.decode("utf-8").split("\n") if line
                ]
                if len(data[name]) != info["rows"]:
                    raise InputError(
                        f"{path}: table {name} has {len(data[name])} rows, manifest says {info['rows']}"
                    )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as err:
        raise InputError(f"{path}: not a readable backup archive ({err})") from err
    except KeyError as err:
        raise InputError(f"{path}: backup is incomplete (missing {err.args[0]})") from err
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: backup is corrupt ({err})") from err
    return manifest, data


def is_empty(connection: Connection) -> bool:
    """True when no yrdplan table holds a row."""
    return all(connection.scalar(select(func.count()).select_from(t)) == 0 for t in _tables())


def restore_tables(
    connection: Connection,
    manifest: dict,
    data: dict[str, list[dict]],
    revision: str,
    where: str,
    progress: Progress | None = None,
) -> int:
    """Insert the archive's rows into an empty database at the same schema revision."""
    if manifest["schema_revision"] != revision:
        raise InputError(
            f"backup is at schema revision {manifest['schema_revision']}, {where} at {revision}; "
            "restore with the yrdplan version that made it, then upgrade"
        )
    if not is_empty(connection):
        raise ConflictError(f"{where} is not empty; restore only into a new or empty database")
    tables = _tables()
    unknown = set(data) - {t.name for t in tables}
    if unknown:
        raise InputError(
            f"backup has tables this yrdplan does not know: {', '.join(sorted(unknown))}"
        )
    total = 0
    for index, table in enumerate(tables):
        if progress:
            progress(table.name, index, len(tables))
        rows = [
            {c.name: _decode(row.get(c.name), c.type) for c in table.columns}
            for row in data.get(table.name, [])
        ]
        total += _insert(connection, table, rows)
    if connection.dialect.name == "postgresql":
        _reset_sequences(connection, tables)
    # Whatever a running server computed from the empty database is out of date now.
    bump_versions(connection, [t.name for t in tables])
    return total


def _insert(connection: Connection, table: Table, rows: list[dict]) -> int:
    if not rows:
        return 0
    # A row may point at a later row of its own table (a parent added after its child); insert
    # those references as NULL first and fill them in once every row exists.
    self_refs = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
    first = [{**row, **{c: None for c in self_refs}} for row in rows] if self_refs else rows
    connection.execute(table.insert(), first)
    if self_refs:
        key = list(table.primary_key.columns)[0]
        for row in rows:
            values = {c: row[c] for c in self_refs if row[c] is not None}
            if values:
                connection.execute(update(table).where(key == row[key.name]).values(**values))
    return len(rows)


def _reset_sequences(connection: Connection, tables: list[Table]) -> None:
    for table in tables:
        keys = list(table.primary_key.columns)
        if (
            len(keys) == 1
            and keys[0].autoincrement is not False
            and keys[0].type.python_type is int
        ):
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{keys[0].name}'), "
                    f"COALESCE(MAX({keys[0].name}), 1), MAX({keys[0].name}) IS NOT NULL) FROM {table.name}"
                )
            )

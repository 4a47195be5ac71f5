"""`yrdplan db backup` and `yrdplan db restore`, on any backend, atomically."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from yrdplan.errors import DatabaseError, InputError
from yrdplan.services.setup import remove_stale_temp_files
from yrdplan.store.backup import Progress, read_backup, restore_tables, write_backup
from yrdplan.store.database import connect, describe_url, reason_of, sqlite_path
from yrdplan.store.engine import make_engine
from yrdplan.store.migrate import head_revision, upgrade


def backup_database(url: str, path: Path, progress: Progress | None = None) -> dict:
    """Write a backup of the database at ``url`` to ``path``; return the manifest."""
    if path.is_dir():
        raise InputError(f"{path}: is a directory; give a file name such as yrdplan-backup.zip")
    if not path.parent.exists():
        raise InputError(f"{path}: directory {path.parent} does not exist")
    database = connect(url)
    try:
        # One read transaction, so the archive is a consistent snapshot.
        with database.engine.begin() as connection:
            return write_backup(connection, path, head_revision(), progress)
    finally:
        database.dispose()


def restore_database(url: str, path: Path, progress: Progress | None = None) -> int:
    """Restore ``path`` into the new or empty database at ``url``; return the rows written."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    manifest, data = read_backup(path)  # verified whole before anything is written
    where = describe_url(url)
    target = sqlite_path(url)
    if target is not None and not target.exists():
        remove_stale_temp_files(target, "restore")
        temp = target.with_name(f".{target.name}.restore-{os.getpid()}")
        temp.unlink(missing_ok=True)
        try:
            rows = _restore_at(f"sqlite:///{temp}", where, manifest, data, progress)
            os.replace(temp, target)
        finally:
            temp.unlink(missing_ok=True)
        return rows
    return _restore_at(url, where, manifest, data, progress)


def _restore_at(url: str, where: str, manifest: dict, data: dict, progress: Progress | None) -> int:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            upgrade(connection, where)  # a new database gets the schema in the same transaction
            return restore_tables(connection, manifest, data, head_revision(), where, progress)
    except SQLAlchemyError as err:
        raise DatabaseError(
            f"{where}: restore failed, nothing was written: {reason_of(err)}"
        ) from err
    finally:
        engine.dispose()

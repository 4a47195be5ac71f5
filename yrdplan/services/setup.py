"""`yrdplan init`: create or migrate a database and load the embedded default, atomically."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from yrdplan.demo import default_content
from yrdplan.errors import DatabaseError
from yrdplan.store.audit import install_audit
from yrdplan.store.database import describe_url, has_content, reason_of, sqlite_path
from yrdplan.store.engine import make_engine, make_session_factory
from yrdplan.store.migrate import current_revision, upgrade

Progress = Callable[[str, int, int], None]  # (step name, index, total)


@dataclass
class InitReport:
    where: str
    created: bool
    migrated_from: str | None
    loaded: list[str] = field(default_factory=list)


def init_database(
    url: str, *, with_demo: bool = True, progress: Progress | None = None
) -> InitReport:
    """Create (or migrate) the database at ``url`` and load the embedded default if it is empty.

    Everything happens in one transaction. A new SQLite file is built beside its final name and
    renamed into place only when complete, so a killed init leaves no file at all.
    """
    where = describe_url(url)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        if not path.parent.exists():
            raise DatabaseError(f"{where}: directory {path.parent} does not exist")
        remove_stale_temp_files(path, "init")
        temp = path.with_name(f".{path.name}.init-{os.getpid()}")
        temp.unlink(missing_ok=True)
        try:
            report = _init_at(f"sqlite:///{temp}", where, with_demo, progress)
            os.replace(temp, path)
        finally:
            temp.unlink(missing_ok=True)
            Path(f"{temp}-journal").unlink(missing_ok=True)
        report.created = True
        return report
    return _init_at(url, where, with_demo, progress)


def remove_stale_temp_files(path: Path, purpose: str) -> None:
    """Remove temp files a killed init or restore left beside ``path`` (its process is gone)."""
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.{purpose}-(\d+)(-journal|-wal|-shm)?$")
    for temp in path.parent.glob(f".{path.name}.{purpose}-*"):
        match = pattern.match(temp.name)
        if match and not _process_alive(int(match.group(1))):
            temp.unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _init_at(url: str, where: str, with_demo: bool, progress: Progress | None) -> InitReport:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            before = current_revision(connection)
            upgrade(connection, where)
            factory = install_audit(make_session_factory(connection))
            report = InitReport(where=where, created=before is None, migrated_from=before)
            with factory() as session:
                if not has_content(session):
                    todo = default_content.steps(with_demo)
                    for index, (name, step) in enumerate(todo):
                        if progress:
                            progress(name, index, len(todo))
                        report.loaded.append(f"{name}: {step(session)}")
                        session.flush()
                    if progress:
                        progress("done", len(todo), len(todo))
        return report
    except SQLAlchemyError as err:
        raise DatabaseError(f"{where}: {reason_of(err)}") from err
    finally:
        engine.dispose()

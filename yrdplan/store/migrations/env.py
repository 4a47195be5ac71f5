"""Alembic environment: runs on the connection yrdplan hands it, inside the caller's transaction."""

from alembic import context

from yrdplan.store.schema import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when a developer runs `alembic` by hand
    raise SystemExit(
        "run migrations through `yrdplan init` (yrdplan.store.migrate), not alembic directly"
    )

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
    compare_type=True,
)
context.run_migrations()

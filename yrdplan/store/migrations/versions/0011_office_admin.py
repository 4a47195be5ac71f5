"""Office administration from the browser: unit short names, contacts and merges; a forced
password change after an admin's reset; indicator sources and retirement; pending imports.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("short_name", sa.String(length=64), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("contact", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_units_merged_into_id_units", "units", ["merged_into_id"], ["id"]
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
    with op.batch_alter_table("indicators", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("retired_at", sa.DateTime(), nullable=True))
    op.create_table(
        "pending_imports",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pending_imports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pending_imports_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("pending_imports")
    with op.batch_alter_table("indicators", schema=None) as batch_op:
        batch_op.drop_column("retired_at")
        batch_op.drop_column("source")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_constraint("fk_units_merged_into_id_units", type_="foreignkey")
        batch_op.drop_column("merged_into_id")
        batch_op.drop_column("contact")
        batch_op.drop_column("short_name")

"""Alembic environment: migrates the database whose URL ``gis311.migrate`` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from gis311.migrate import VERSION_SCHEMA, VERSION_TABLE

config = context.config


def run_migrations_online() -> None:
    """Run every pending migration in one transaction."""
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("gis311.migrate sets sqlalchemy.url before running migrations")
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        # The version table lives in the app schema, which the first migration creates; make
        # sure it exists before Alembic looks for the table.
        connection.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{VERSION_SCHEMA}"')
        context.configure(
            connection=connection,
            target_metadata=None,
            version_table=VERSION_TABLE,
            version_table_schema=VERSION_SCHEMA,
            transaction_per_migration=False,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported")
run_migrations_online()

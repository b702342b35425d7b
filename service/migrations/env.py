"""Alembic's entry point: run the revisions on the database named in the config."""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from events_store.database import create_engine

config = context.config


def run_migrations_offline() -> None:
    """Write the SQL instead of running it (`--sql`)."""
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the revisions inside one transaction per revision."""
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            transaction_per_migration=True,
            transactional_ddl=True,  # SQLite and PostgreSQL both roll DDL back
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

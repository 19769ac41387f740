"""Alembic environment: runs online against the engine handed over by planner.migrate."""

from alembic import context
from sqlmodel import SQLModel

import planner.models  # noqa: F401 - registers the tables

target_metadata = SQLModel.metadata
engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()

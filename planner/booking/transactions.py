"""Write transactions that serialise writers on SQLite (``BEGIN IMMEDIATE``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine
from sqlmodel import Session


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Session]:
    """A session in one transaction, committed on success and rolled back on error.

    On SQLite the transaction starts with ``BEGIN IMMEDIATE``: the write lock is taken first, so
    concurrent writers queue on the busy timeout instead of failing when they upgrade a read lock.
    On PostgreSQL the database's unique indexes settle races (the loser gets an IntegrityError).
    """
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        session = Session(bind=connection, expire_on_commit=False)
        try:
            yield session
            session.flush()
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            session.close()

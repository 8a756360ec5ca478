"""search_runs: a table of filter and order cases with expected runs, on all three engines."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from mltrail.config import Settings
from mltrail.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunStatus, RunTag
from mltrail.exceptions import InvalidParameterValue
from mltrail.service.services import Services
from mltrail.service.tracking import TrackingService

# name: (start_time, status, metrics, params, tags, dataset (name, digest, context) or None)
RUNS: dict[
    str, tuple[int, str, dict[str, float], dict[str, str], dict[str, str], tuple[str, ...] | None]
] = {
    "a": (
        1000,
        "FINISHED",
        {"acc": 0.9, "loss": 0.1, "my key.x": 1.0},
        {"lr": "0.1", "opt": "Adam"},
        {"team": "vision", "my tag": "x y"},
        ("iris", "d1", "training"),
    ),
    "b": (
        2000,
        "FINISHED",
        {"acc": 0.7, "loss": 0.3},
        {"lr": "0.01", "opt": "adam"},
        {"team": "nlp"},
        ("iris", "d2", "eval"),
    ),
    "c": (
        3000,
        "FAILED",
        {"acc": math.nan, "loss": math.inf},
        {"lr": "0.1"},
        {"team": "Vision"},
        None,
    ),
    "d": (
        4000,
        "RUNNING",
        {"acc": -math.inf, "loss": 0.5},
        {"opt": "sgd"},
        {"ключ": "значение"},
        ("wine", "d3", "training"),
    ),
    "e": (5000, "RUNNING", {"loss": 2.0, "n": 10.0}, {"lr": "1e-3", "path": "a'b"}, {}, None),
}

CASES: list[tuple[str, str, set[str]]] = [
    ("empty", "", {"a", "b", "c", "d", "e"}),
    ("metric-gt", "metrics.acc > 0.8", {"a"}),
    ("metric-gte", "metrics.acc >= 0.7", {"a", "b"}),
    ("metric-lt", "metrics.acc < 0.8", {"b", "d"}),
    ("metric-lte", "metrics.loss <= 0.3", {"a", "b"}),
    ("metric-eq", "metrics.loss = 0.5", {"d"}),
    ("metric-neq-includes-nan", "metrics.acc != 0.9", {"b", "c", "d"}),
    ("metric-inf-gt", "metrics.loss > 1e300", {"c"}),
    ("metric-neg-inf", "metrics.acc < -1e300", {"d"}),
    ("metric-int-literal", "metrics.n = 10", {"e"}),
    ("metric-exp-literal", "metrics.loss < 1E-0", {"a", "b", "d"}),
    ("metric-negative-literal", "metrics.acc > -1", {"a", "b"}),
    ("metric-singular-prefix", "metric.acc > 0.8", {"a"}),
    ("metric-backticked-dotted", "metrics.`my key.x` = 1", {"a"}),
    ("metric-double-quoted-key", 'metrics."my key.x" >= 1', {"a"}),
    ("metric-is-null", "metrics.n IS NULL", {"a", "b", "c", "d"}),
    ("metric-is-not-null", "metrics.n IS NOT NULL", {"e"}),
    ("metric-missing-key", "metrics.nope > 0", set()),
    ("param-eq", "params.lr = '0.1'", {"a", "c"}),
    ("param-eq-double-quotes", 'params.lr = "0.01"', {"b"}),
    ("param-neq-needs-key", "params.lr != '0.1'", {"b", "e"}),
    ("param-like", "params.opt LIKE 'a%'", {"b"}),
    ("param-like-case-sensitive", "params.opt LIKE 'A%'", {"a"}),
    ("param-ilike", "params.opt ILIKE 'a%'", {"a", "b"}),
    ("param-like-underscore", "params.lr LIKE '0._'", {"a", "c"}),
    ("param-string-not-number", "params.lr = '1e-3'", {"e"}),
    ("param-escaped-quote", "params.path = 'a\\'b'", {"e"}),
    ("param-in", "params.opt IN ('sgd', 'Adam')", {"a", "d"}),
    ("param-not-in", "params.opt NOT IN ('sgd')", {"a", "b"}),
    ("param-is-null", "params.opt IS NULL", {"c", "e"}),
    ("param-is-not-null", "params.opt IS NOT NULL", {"a", "b", "d"}),
    ("param-alias-parameters", "parameters.lr = '0.1'", {"a", "c"}),
    ("tag-eq", "tags.team = 'vision'", {"a"}),
    ("tag-ilike", "tags.team ILIKE 'VISION'", {"a", "c"}),
    ("tag-like-percent", "tags.team LIKE '%i%'", {"a", "c"}),
    ("tag-backticked-space", "tags.`my tag` = 'x y'", {"a"}),
    ("tag-unicode", "tags.ключ = 'значение'", {"d"}),
    ("tag-dotted-unquoted", "tags.mlflow.runName = 'b'", {"b"}),
    ("tag-is-null", "tags.team IS NULL", {"d", "e"}),
    ("attr-status", "attributes.status = 'RUNNING'", {"d", "e"}),
    ("attr-status-neq", "attributes.status != 'RUNNING'", {"a", "b", "c"}),
    ("attr-status-in", "attributes.status IN ('FAILED', 'FINISHED')", {"a", "b", "c"}),
    ("attr-run-name", "attributes.run_name = 'c'", {"c"}),
    ("bare-attr-status", "status = 'RUNNING'", {"d", "e"}),
    ("bare-attr-run-name", "run_name = 'c'", {"c"}),
    ("attr-run-name-like", "attributes.run_name LIKE '%'", {"a", "b", "c", "d", "e"}),
    ("attr-start-time", "attributes.start_time > 2500", {"c", "d", "e"}),
    ("attr-created-alias", "attributes.created <= 2000", {"a", "b"}),
    ("attr-run-alias", "run.start_time = 3000", {"c"}),
    ("attr-end-time-null-excluded", "attributes.end_time > 0", set()),
    ("dataset-name", "datasets.name = 'iris'", {"a", "b"}),
    ("dataset-digest-in", "datasets.digest IN ('d1', 'd3')", {"a", "d"}),
    ("dataset-context", "datasets.context = 'training'", {"a", "d"}),
    ("dataset-name-like", "datasets.name LIKE 'w%'", {"d"}),
    ("and-two", "metrics.acc > 0.5 AND params.lr = '0.01'", {"b"}),
    (
        "and-three-lowercase",
        "metrics.loss < 1 and tags.team = 'vision' and params.opt = 'Adam'",
        {"a"},
    ),
    ("and-attr-and-metric", "attributes.status = 'FINISHED' AND metrics.loss > 0.2", {"b"}),
    ("and-empty-result", "params.lr = '0.1' AND params.lr = '0.01'", set()),
]

ORDER_CASES: list[tuple[str, list[str], list[str]]] = [
    ("default-newest-first", [], ["e", "d", "c", "b", "a"]),
    ("metric-asc-nan-then-missing-last", ["metrics.acc ASC"], ["d", "b", "a", "c", "e"]),
    ("metric-desc-nan-then-missing-last", ["metrics.acc DESC"], ["a", "b", "d", "c", "e"]),
    ("metric-inf-desc", ["metrics.loss DESC"], ["c", "e", "d", "b", "a"]),
    ("param-asc-missing-last", ["params.opt"], ["a", "b", "d", "e", "c"]),
    ("tag-desc-binary-collation", ["tags.team DESC"], ["a", "b", "c", "e", "d"]),
    ("start-time-asc", ["attributes.start_time ASC"], ["a", "b", "c", "d", "e"]),
    (
        "status-then-start",
        ["attributes.status", "attributes.start_time DESC"],
        ["c", "b", "a", "e", "d"],
    ),
    ("run-name-desc", ["attributes.run_name DESC"], ["e", "d", "c", "b", "a"]),
]

INVALID: list[tuple[str, str, str]] = [
    ("or", "metrics.a > 1 OR metrics.b > 1", "'OR' is not supported"),
    ("no-prefix-unknown-attribute", "acc > 1", "unknown attribute 'acc'"),
    ("bad-entity", "foo.acc > 1", "unknown entity 'foo'"),
    ("bad-attribute", "attributes.color = 'red'", "unknown attribute 'color'"),
    ("metric-string", "metrics.acc > 'high'", "compare it with a number"),
    ("param-number", "params.lr = 0.1", "quote the value"),
    ("param-gt", "params.lr > '0.1'", "operator '>' cannot compare"),
    ("metric-like", "metrics.acc LIKE '1%'", "cannot compare the number"),
    ("unterminated", "params.lr = '0.1", "unterminated ' quote"),
    ("missing-value", "params.lr =", "expected a value but the filter ended"),
    ("trailing", "params.lr = '1' extra", "expected 'AND'"),
    ("empty-in", "params.lr IN ()", "the IN list is empty"),
    ("in-without-parens", "params.lr IN 'a'", "parenthesised list"),
    ("bang", "params.lr ! '1'", "'!' must be followed by '='"),
    ("is-garbage", "params.lr IS MAYBE", "IS NULL"),
    ("dataset-field", "datasets.size = '1'", "unknown dataset field"),
    ("bad-char", "params.lr = '1' ; drop", "unexpected character ';'"),
    ("metric-in", "metrics.acc IN ('1')", "cannot be compared with IN"),
    ("dangling-and", "params.lr = '1' AND", "expected a key"),
    ("bad-number", "metrics.acc > 1.2.3", "is not a number"),
]


@pytest.fixture(scope="module")
def world(
    module_db_uri: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TrackingService, str, dict[str, str]]]:
    tmp: Path = tmp_path_factory.mktemp("search")
    uri = module_db_uri
    services = Services(uri, str(tmp / "art"), Settings())
    svc = services.tracking
    exp_id = svc.create_experiment("search-table")
    ids: dict[str, str] = {}
    for name, (start, status, metrics, params, tags, dataset) in RUNS.items():
        run_id = svc.create_run(exp_id, "u", start, [], name).info.run_id
        ids[name] = run_id
        svc.log_batch(
            run_id,
            [Metric(k, v, 1, 0) for k, v in metrics.items()],
            [Param(k, v) for k, v in params.items()],
            [RunTag(k, v) for k, v in tags.items()],
        )
        if dataset is not None:
            ds = Dataset(dataset[0], dataset[1], "local", "{}")
            svc.log_inputs(
                run_id, [DatasetInput(ds, [InputTag("mlflow.data.context", dataset[2])])]
            )
        if status != RunStatus.RUNNING:
            svc.update_run_info(run_id, status, None)
    yield svc, exp_id, ids
    services.close()


@pytest.mark.parametrize(("case", "filter_string", "expected"), CASES, ids=[c[0] for c in CASES])
def test_filter_returns_expected_runs(
    world: tuple[TrackingService, str, dict[str, str]],
    case: str,
    filter_string: str,
    expected: set[str],
) -> None:
    svc, exp_id, ids = world
    names = {v: k for k, v in ids.items()}
    found = svc.search_runs([exp_id], filter_string)
    assert {names[r.info.run_id] for r in found} == expected


@pytest.mark.parametrize(
    ("case", "order_by", "expected"), ORDER_CASES, ids=[c[0] for c in ORDER_CASES]
)
def test_order_by_returns_expected_sequence(
    world: tuple[TrackingService, str, dict[str, str]],
    case: str,
    order_by: list[str],
    expected: list[str],
) -> None:
    svc, exp_id, ids = world
    names = {v: k for k, v in ids.items()}
    found = svc.search_runs([exp_id], order_by=order_by)
    assert [names[r.info.run_id] for r in found] == expected


@pytest.mark.parametrize(("case", "filter_string", "message"), INVALID, ids=[c[0] for c in INVALID])
def test_malformed_filter_is_rejected_with_reason(
    sqlite_uri: str, tmp_path: Path, case: str, filter_string: str, message: str
) -> None:
    services = Services(sqlite_uri, str(tmp_path / "a"), Settings())
    try:
        with pytest.raises(
            InvalidParameterValue, match=message.replace("(", r"\(").replace(")", r"\)")
        ):
            services.tracking.search_runs(["0"], filter_string)
    finally:
        services.close()


@pytest.mark.parametrize(
    ("order_by", "message"),
    [
        (["metrics.acc UP"], "unknown direction 'UP'"),
        (["colour.x"], "unknown entity 'colour'"),
        (["attributes.colour"], "cannot be ordered by attribute 'colour'"),
        (["metrics.acc", "metrics.acc DESC"], "names metric.acc twice"),
    ],
    ids=["direction", "entity", "attribute", "duplicate"],
)
def test_malformed_order_by_is_rejected(
    sqlite_uri: str, tmp_path: Path, order_by: list[str], message: str
) -> None:
    services = Services(sqlite_uri, str(tmp_path / "a"), Settings())
    try:
        with pytest.raises(InvalidParameterValue, match=message):
            services.tracking.search_runs(["0"], order_by=order_by)
    finally:
        services.close()

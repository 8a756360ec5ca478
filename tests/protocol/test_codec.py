"""The JSON rules of the wire format."""

from __future__ import annotations

import math

import pytest

from mltrail.exceptions import InvalidParameterValue
from mltrail.protocol import codec
from mltrail.protocol import tracking as wire


@pytest.mark.parametrize(
    ("value", "encoded"),
    [(1.5, 1.5), (math.nan, "NaN"), (math.inf, "Infinity"), (-math.inf, "-Infinity")],
)
def test_wire_float(value: float, encoded: object) -> None:
    assert codec.wire_float(value) == encoded
    back = codec.read_float(encoded)  # type: ignore[arg-type]
    assert back == value or (math.isnan(back) and math.isnan(value))


def test_loads_accepts_bare_nan_tokens() -> None:
    data = codec.loads(b'{"a": NaN, "b": Infinity, "c": -Infinity, "d": 1}')
    assert math.isnan(data["a"])
    assert data["b"] == math.inf
    assert data["c"] == -math.inf


def test_prune_drops_unset_and_empty() -> None:
    assert codec.prune(
        {"a": None, "b": [], "c": {}, "d": {"e": None, "f": 0, "g": ""}, "h": [{"i": None}]}
    ) == {"d": {"f": 0, "g": ""}, "h": [{}]}


def test_decode_query_makes_lists_of_repeated_list_fields() -> None:
    data = codec.decode_query(
        wire.SearchExperiments, [("order_by", "name"), ("order_by", "x"), ("max_results", "5")]
    )
    assert data == {"order_by": ["name", "x"], "max_results": "5"}
    req = codec.parse_request(wire.SearchExperiments, data)
    assert req.max_results == 5
    assert req.order_by == ["name", "x"]


def test_parse_request_names_the_missing_field() -> None:
    with pytest.raises(InvalidParameterValue, match="required parameter 'metric_key'"):
        codec.parse_request(wire.GetMetricHistory, {"run_id": "a" * 32})


def test_legacy_run_uuid_fills_run_id() -> None:
    req = codec.parse_request(wire.GetRun, {"run_uuid": "b" * 32})
    assert req.run_id == "b" * 32


def test_experiment_ids_given_as_numbers_become_strings() -> None:
    req = codec.parse_request(wire.SearchRuns, {"experiment_ids": [0, 12]})
    assert req.experiment_ids == ["0", "12"]


def test_non_finite_metric_values_parse_from_strings() -> None:
    req = codec.parse_request(
        wire.LogMetric, {"run_id": "c" * 32, "key": "m", "value": "-Infinity", "timestamp": 1}
    )
    assert req.value == -math.inf

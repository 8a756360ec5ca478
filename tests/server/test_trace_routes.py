"""Trace routes over HTTP: mltrail's tracing and client against a live mltrail server."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

import mltrail
from mltrail.entities import AssessmentSource, Expectation, Feedback, SpanType, TraceState
from mltrail.tracking import context


@pytest.fixture
def remote(module_server_url: str) -> Iterator[str]:
    mltrail.set_tracking_uri(module_server_url)
    context.set_active_experiment_id(None)
    yield module_server_url
    mltrail.flush_trace_async_logging()
    mltrail.set_tracking_uri("")
    context.set_active_experiment_id(None)


def test_traced_calls_are_stored_through_the_server(remote: str) -> None:
    exp = mltrail.set_experiment("remote-traces")

    @mltrail.trace(span_type=SpanType.TOOL)
    def tool(x: int) -> int:
        return x * 10

    @mltrail.trace(span_type=SpanType.AGENT)
    def agent(x: int) -> dict[str, int]:
        mltrail.update_current_trace(tags={"env": "test"})
        return {"y": tool(x)}

    agent(4)
    trace_id = mltrail.get_last_active_trace_id()
    assert trace_id is not None
    trace = mltrail.get_trace(trace_id)
    assert trace is not None
    assert trace.info.experiment_id == exp.experiment_id
    assert trace.info.state == TraceState.OK
    assert trace.info.tags["env"] == "test"
    spans = {s.name: s for s in trace.data.spans}
    assert spans["agent"].outputs == {"y": 40}
    assert spans["tool"].inputs == {"x": 4}
    assert spans["tool"].parent_id == spans["agent"].span_id
    assert spans["tool"].span_type == SpanType.TOOL
    found = mltrail.search_traces(
        [exp.experiment_id], filter_string="tags.env = 'test'", return_type="list"
    )
    assert [t.info.trace_id for t in found] == [trace_id]
    assert found[0].data.spans == trace.data.spans


def test_client_tags_assessments_and_delete(remote: str) -> None:
    exp = mltrail.set_experiment("remote-client")

    @mltrail.trace
    def f(x: int) -> int:
        return x

    f(1)
    trace_id = mltrail.get_last_active_trace_id()
    assert trace_id is not None
    mltrail.flush_trace_async_logging()
    client = mltrail.MlflowClient()
    client.set_trace_tag(trace_id, "k", "v")
    assert client.get_trace_info(trace_id).tags["k"] == "v"
    client.delete_trace_tag(trace_id, "k")
    assert "k" not in client.get_trace_info(trace_id).tags
    judge = AssessmentSource("LLM_JUDGE", "judge")
    fb = client.log_assessment(trace_id, Feedback("good", True, source=judge, rationale="ok"))
    ex = client.log_assessment(trace_id, Expectation("expected", {"v": 1}))
    assert fb.assessment_id is not None
    assert ex.assessment_id is not None
    got = client.get_assessment(trace_id, fb.assessment_id)
    assert (got.name, got.value, got.rationale, got.source) == ("good", True, "ok", judge)
    changed = client.update_assessment(trace_id, fb.assessment_id, Feedback("good", False))
    assert changed.value is False
    assert client.get_assessment(trace_id, ex.assessment_id).value == {"v": 1}
    client.delete_assessment(trace_id, ex.assessment_id)
    names = [a.name for a in client.get_trace_info(trace_id).assessments]
    assert names == ["good"]
    assert client.delete_traces(exp.experiment_id, trace_ids=[trace_id]) == 1
    assert mltrail.get_trace(trace_id, silent=True) is None


def test_raw_routes_and_errors(remote: str) -> None:
    missing = httpx.get(f"{remote}/api/3.0/mlflow/traces/tr-{'0' * 32}")
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    bad = httpx.post(
        f"{remote}/api/3.0/mlflow/traces/search",
        json={"locations": [{"mlflow_experiment": {"experiment_id": "0"}}], "filter": "x.y = 1"},
    )
    assert bad.status_code == 400
    assert "unknown prefix" in bad.json()["message"]
    started = httpx.post(
        f"{remote}/api/3.0/mlflow/traces",
        json={
            "trace": {
                "trace_info": {
                    "trace_id": "tr-" + "a" * 32,
                    "trace_location": {
                        "type": "MLFLOW_EXPERIMENT",
                        "mlflow_experiment": {"experiment_id": "0"},
                    },
                    "request_time": "2026-01-02T03:04:05.678Z",
                    "execution_duration": "1.5s",
                    "state": "IN_PROGRESS",
                    "tags": {"a": "b"},
                }
            }
        },
    )
    assert started.status_code == 200
    info = started.json()["trace"]["trace_info"]
    assert info["request_time"] == "2026-01-02T03:04:05.678Z"
    assert info["execution_duration"] == "1.500s"
    assert info["state"] == "IN_PROGRESS"
    assert info["tags"]["mlflow.artifactLocation"].endswith(f"/traces/tr-{'a' * 32}/artifacts")

"""The official MLflow 3.17.2 tracing client against a live ``mltrail server``.

``@mlflow.trace`` logs traces (StartTraceV3, span data as the trace's ``traces.json``
artifact); ``MlflowClient.get_trace`` and ``mlflow.search_traces`` read them back equal to what
the client recorded; tags, filters, assessments and deletion go through MLflow 3's routes.
The scenario runs in a fresh interpreter (MLflow keeps process-global state); running this
file as a script (``python this_file.py OUT.json`` with ``MLFLOW_TRACKING_URI`` set) runs it.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.compat.scenario import run_scenario

pytestmark = pytest.mark.slow

SCENARIO_TIMEOUT_S = 180


def _spans(trace: Any) -> list[dict[str, Any]]:
    return sorted(
        (
            {
                "name": s.name,
                "type": s.span_type,
                "root": s.parent_id is None,
                "inputs": s.inputs,
                "outputs": s.outputs,
                "status": str(s.status.status_code.value),
                "events": [e.name for e in s.events],
            }
            for s in trace.data.spans
        ),
        key=lambda d: d["name"],
    )


def _info(trace: Any) -> dict[str, Any]:
    info = trace.info
    return {
        "trace_id": info.trace_id,
        "experiment_id": info.experiment_id,
        "state": str(info.state.value),
        "request_time": info.request_time,
        "execution_duration": info.execution_duration,
        "request_preview": info.request_preview,
        "response_preview": info.response_preview,
        "trace_name": info.tags.get("mlflow.traceName"),
        "run": info.trace_metadata.get("mlflow.sourceRun"),
    }


def _scenario_main(out_path: str) -> None:
    """Trace with MLflow's client against ``$MLFLOW_TRACKING_URI``; write observations."""
    import logging
    import warnings

    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)

    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import AssessmentSource, SpanType

    client = MlflowClient()
    out: dict[str, Any] = {}
    exp_id = mlflow.set_experiment("tracing-compat").experiment_id

    @mlflow.trace(span_type=SpanType.LLM)
    def llm(prompt: str) -> str:
        return prompt.upper()

    @mlflow.trace(name="agent", span_type=SpanType.AGENT)
    def agent(question: str, k: int = 2) -> dict[str, Any]:
        with mlflow.start_span("retrieve", span_type=SpanType.RETRIEVER) as span:
            span.set_inputs({"q": question})
            span.set_outputs(["doc"] * k)
        return {"answer": llm(question)}

    @mlflow.trace
    def broken(x: int) -> None:
        raise ValueError(f"bad {x}")

    agent("hello")
    ok_id = mlflow.get_last_active_trace_id()
    with contextlib.suppress(ValueError):
        broken(1)
    err_id = mlflow.get_last_active_trace_id()
    with mlflow.start_run() as run:
        agent("in run")
    run_trace_id = mlflow.get_last_active_trace_id()
    mlflow.flush_trace_async_logging()

    ok = client.get_trace(ok_id)
    out["ok_info"] = _info(ok)
    out["ok_spans"] = _spans(ok)
    out["ok_json"] = ok.to_json()
    out["err_info"] = _info(client.get_trace(err_id))
    out["err_spans"] = _spans(client.get_trace(err_id))
    out["run_trace_run"] = client.get_trace(run_trace_id).info.trace_metadata.get(
        "mlflow.sourceRun"
    )
    out["run_id"] = run.info.run_id

    listed = mlflow.search_traces(locations=[exp_id], return_type="list")
    out["search_all"] = sorted(t.info.trace_id for t in listed)
    out["search_json"] = {t.info.trace_id: t.to_json() for t in listed}
    errors = mlflow.search_traces(
        locations=[exp_id], filter_string="trace.status = 'ERROR'", return_type="list"
    )
    out["search_error"] = [t.info.trace_id for t in errors]
    in_run = mlflow.search_traces(locations=[exp_id], run_id=run.info.run_id, return_type="list")
    out["search_run"] = [t.info.trace_id for t in in_run]
    frame = mlflow.search_traces(locations=[exp_id], order_by=["timestamp_ms ASC"])
    out["frame_ids"] = list(frame["trace_id"])

    client.set_trace_tag(ok_id, "env", "prod")
    tagged = mlflow.search_traces(
        locations=[exp_id], filter_string="tags.env = 'prod'", return_type="list"
    )
    out["search_tag"] = [t.info.trace_id for t in tagged]
    client.delete_trace_tag(ok_id, "env")
    out["tag_after_delete"] = client.get_trace(ok_id).info.tags.get("env")

    fb = mlflow.log_feedback(
        trace_id=ok_id,
        name="correct",
        value=True,
        source=AssessmentSource(source_type="LLM_JUDGE", source_id="judge"),
        rationale="looks right",
    )
    ex = mlflow.log_expectation(trace_id=ok_id, name="expected", value={"answer": "HELLO"})
    got = client.get_trace(ok_id).info.assessments
    out["assessments"] = sorted(
        (
            a.name,
            a.feedback.value if a.feedback else a.expectation.value,
            a.rationale,
            str(a.source.source_type),
        )
        for a in got
    )
    fetched = mlflow.get_assessment(ok_id, fb.assessment_id)
    out["fetched_feedback"] = [fetched.name, fetched.value, fetched.rationale]
    updated = mlflow.update_assessment(
        trace_id=ok_id,
        assessment_id=fb.assessment_id,
        assessment=mlflow.entities.Feedback(
            name="correct", value=False, rationale="on second look"
        ),
    )
    out["updated_feedback"] = [updated.value, updated.rationale]
    mlflow.delete_assessment(trace_id=ok_id, assessment_id=ex.assessment_id)
    out["assessments_after_delete"] = sorted(
        a.name for a in client.get_trace(ok_id).info.assessments
    )

    out["deleted"] = client.delete_traces(exp_id, trace_ids=[err_id])
    left = mlflow.search_traces(locations=[exp_id], return_type="list")
    out["left"] = sorted(t.info.trace_id for t in left)
    out["ids"] = {"ok": ok_id, "err": err_id, "run": run_trace_id}
    Path(out_path).write_text(json.dumps(out, default=str))


def scenario(tracking_uri: str) -> dict[str, Any]:
    """Run the scenario in a fresh interpreter against ``tracking_uri``; return its results."""
    return run_scenario(__file__, tracking_uri, SCENARIO_TIMEOUT_S, prefix="compat-tracing-")


@pytest.fixture(scope="module")
def result(mltrail_server_url: str) -> dict[str, Any]:
    return scenario(mltrail_server_url)


def test_traces_read_back_equal(result: dict[str, Any]) -> None:
    ids = result["ids"]
    info = result["ok_info"]
    assert info["trace_id"] == ids["ok"]
    assert info["state"] == "OK"
    assert info["request_preview"] == '{"question": "hello", "k": 2}'
    assert info["response_preview"] == '{"answer": "HELLO"}'
    assert info["trace_name"] == "agent"
    assert info["execution_duration"] is not None
    assert [s["name"] for s in result["ok_spans"]] == ["agent", "llm", "retrieve"]
    spans = {s["name"]: s for s in result["ok_spans"]}
    assert spans["agent"]["root"]
    assert spans["agent"]["type"] == "AGENT"
    assert spans["llm"]["outputs"] == "HELLO"
    assert spans["retrieve"]["outputs"] == ["doc", "doc"]
    assert result["search_json"][ids["ok"]] == result["ok_json"]


def test_error_trace_and_run_link(result: dict[str, Any]) -> None:
    assert result["err_info"]["state"] == "ERROR"
    assert result["err_spans"][0]["events"] == ["exception"]
    assert result["run_trace_run"] == result["run_id"]


def test_searches(result: dict[str, Any]) -> None:
    ids = result["ids"]
    assert result["search_all"] == sorted(ids.values())
    assert result["search_error"] == [ids["err"]]
    assert result["search_run"] == [ids["run"]]
    assert result["frame_ids"] == [ids["ok"], ids["err"], ids["run"]]
    assert result["search_tag"] == [ids["ok"]]
    assert result["tag_after_delete"] is None


def test_assessments_and_delete(result: dict[str, Any]) -> None:
    assert result["assessments"] == [
        ["correct", True, "looks right", "LLM_JUDGE"],
        ["expected", {"answer": "HELLO"}, None, "HUMAN"],
    ]
    assert result["fetched_feedback"] == ["correct", True, "looks right"]
    assert result["updated_feedback"] == [False, "on second look"]
    assert result["assessments_after_delete"] == ["correct"]
    assert result["deleted"] == 1
    ids = result["ids"]
    assert result["left"] == sorted([ids["ok"], ids["run"]])


def test_mltrail_client_reads_traces_logged_by_mlflow(
    result: dict[str, Any], mltrail_server_url: str
) -> None:
    import mltrail

    trace = mltrail.MlflowClient(mltrail_server_url).get_trace(result["ids"]["ok"])
    spans = {s.name: s for s in trace.data.spans}
    assert sorted(spans) == ["agent", "llm", "retrieve"]
    assert spans["agent"].span_type == "AGENT"
    assert spans["agent"].parent_id is None
    assert spans["llm"].parent_id == spans["agent"].span_id
    assert spans["llm"].outputs == "HELLO"
    assert spans["retrieve"].outputs == ["doc", "doc"]


_READ_BACK = """
import json, sys, mlflow
trace = mlflow.MlflowClient().get_trace(sys.argv[1])
spans = sorted(
    [s.name, s.span_type, s.parent_id is None, s.inputs, s.outputs, s.status.status_code.value]
    for s in trace.data.spans
)
print(json.dumps({"state": trace.info.state.value, "spans": spans}))
"""


def test_mlflow_client_reads_traces_logged_by_mltrail(mltrail_server_url: str) -> None:
    import mltrail

    mltrail.set_tracking_uri(mltrail_server_url)
    try:

        @mltrail.trace(span_type="CHAIN")
        def outer(q: str) -> str:
            return inner(q)

        @mltrail.trace(span_type="LLM")
        def inner(q: str) -> str:
            return q[::-1]

        outer("abc")
        trace_id = mltrail.get_last_active_trace_id()
        mltrail.flush_trace_async_logging()
    finally:
        mltrail.set_tracking_uri("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLTRAIL_", "MLFLOW_"))}
    env.update(MLFLOW_TRACKING_URI=mltrail_server_url, PYTHONWARNINGS="ignore")
    proc = subprocess.run(
        [sys.executable, "-c", _READ_BACK, str(trace_id)],
        env=env,
        capture_output=True,
        text=True,
        timeout=SCENARIO_TIMEOUT_S,
        check=True,
    )
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["state"] == "OK"
    assert seen["spans"] == [
        ["inner", "LLM", False, {"q": "abc"}, "cba", "OK"],
        ["outer", "CHAIN", True, {"q": "abc"}, "cba", "OK"],
    ]


if __name__ == "__main__":
    _scenario_main(sys.argv[1])

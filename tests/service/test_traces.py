"""Trace rules of the TrackingService on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mltrail.config import Settings
from mltrail.entities import (
    AssessmentSource,
    AssessmentSourceType,
    Expectation,
    Feedback,
    Span,
    SpanStatus,
    SpanType,
    Trace,
    TraceData,
    TraceInfo,
    TraceState,
)
from mltrail.entities.trace import new_trace_id
from mltrail.exceptions import InvalidParameterValue, ResourceDoesNotExist
from mltrail.service.services import Services
from mltrail.service.tracking import TrackingService


@pytest.fixture
def svc(db_uri: str, tmp_path: Path) -> Iterator[TrackingService]:
    services = Services(db_uri, str(tmp_path / "artifacts"), Settings())
    yield services.tracking
    services.close()


def _trace(
    experiment_id: str,
    request_time: int = 1000,
    state: str = TraceState.OK,
    tags: dict[str, str] | None = None,
    metadata: dict[str, str] | None = None,
    span_type: str = SpanType.CHAIN,
    name: str = "root",
) -> Trace:
    trace_id = new_trace_id()
    root = Span(
        trace_id,
        "a" * 16,
        None,
        name,
        request_time * 1_000_000,
        (request_time + 5) * 1_000_000,
        SpanStatus(state if state != TraceState.IN_PROGRESS else "UNSET"),
        span_type,
        {"q": "hi"},
        {"a": "hello"},
        {"k": 1},
    )
    child = Span(trace_id, "b" * 16, root.span_id, "llm", root.start_time_ns + 1, None)
    child.span_type = SpanType.LLM
    info = TraceInfo(
        trace_id,
        experiment_id,
        request_time,
        state,
        '{"q": "hi"}',
        '{"a": "hello"}',
        None,
        5,
        metadata or {},
        tags or {},
    )
    return Trace(info, TraceData([root, child]))


def test_log_and_get_trace_round_trips(svc: TrackingService) -> None:
    exp = svc.create_experiment("traces")
    trace = _trace(exp, tags={"env": "prod"}, metadata={"mlflow.sourceRun": "r1"})
    info = svc.log_trace(trace)
    assert info.trace_id == trace.info.trace_id
    got = svc.get_trace(trace.info.trace_id)
    assert got.info == trace.info
    assert got.data.spans == trace.data.spans
    assert got.info.run_id == "r1"
    assert got.data.request == {"q": "hi"}
    assert got.search_spans(span_type=SpanType.LLM)[0].name == "llm"


def test_start_trace_then_log_merges_tags(svc: TrackingService) -> None:
    exp = svc.create_experiment("traces")
    trace = _trace(exp, tags={"a": "1"})
    started = TraceInfo(trace.info.trace_id, exp, 1000, TraceState.IN_PROGRESS, tags={"b": "2"})
    svc.start_trace(started)
    assert svc.get_trace_info(trace.info.trace_id).state == TraceState.IN_PROGRESS
    svc.log_trace(trace)
    info = svc.get_trace_info(trace.info.trace_id)
    assert info.state == TraceState.OK
    location = info.tags.pop("mlflow.artifactLocation")
    assert location.endswith(f"/traces/{info.trace_id}/artifacts")
    assert info.tags == {"a": "1", "b": "2"}


def test_unknown_trace_and_experiment_raise(svc: TrackingService) -> None:
    with pytest.raises(ResourceDoesNotExist, match="Trace with ID 'tr-nope' not found"):
        svc.get_trace_info("tr-nope")
    with pytest.raises(ResourceDoesNotExist, match="No Experiment with id=424242"):
        svc.log_trace(_trace("424242"))


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("tags.env = 'prod'", ["t1", "t3"]),
        ("trace.status = 'ERROR'", ["t2"]),
        ("status = 'OK' AND tags.env = 'prod'", ["t1", "t3"]),
        ("trace.timestamp_ms > 1500", ["t2", "t3"]),
        ("trace.timestamp_ms >= 1000 AND trace.timestamp_ms < 2500", ["t1", "t2"]),
        ("metadata.`mlflow.sourceRun` = 'run-a'", ["t1"]),
        ("trace.run_id = 'run-a'", ["t1"]),
        ("trace.model_id = 'm-1'", ["t3"]),
        ("span.type = 'RETRIEVER'", ["t2"]),
        ("span.name = 'special'", ["t3"]),
        ("tags.env LIKE 'pr%'", ["t1", "t3"]),
        ("tags.env IN ('dev', 'qa')", ["t2"]),
        ("trace.execution_time_ms = 5", ["t1", "t2", "t3"]),
        ("trace.name = 'chat'", ["t1"]),
    ],
    ids=[
        "tag",
        "status",
        "status-and-tag",
        "time",
        "time-range",
        "metadata",
        "run-id",
        "model-id",
        "span-type",
        "span-name",
        "like",
        "in",
        "duration",
        "name",
    ],
)
def test_search_traces_filters(
    svc: TrackingService, filter_string: str, expected: list[str]
) -> None:
    exp = svc.create_experiment("search")
    other = svc.create_experiment("other")
    t1 = _trace(
        exp,
        1000,
        tags={"env": "prod", "mlflow.traceName": "chat"},
        metadata={"mlflow.sourceRun": "run-a"},
    )
    t2 = _trace(exp, 2000, TraceState.ERROR, tags={"env": "dev"}, span_type=SpanType.RETRIEVER)
    t3 = _trace(exp, 3000, tags={"env": "prod"}, metadata={"mlflow.modelId": "m-1"}, name="special")
    svc.log_traces([t1, t2, t3, _trace(other, 1000, tags={"env": "prod"})])
    names = {t1.info.trace_id: "t1", t2.info.trace_id: "t2", t3.info.trace_id: "t3"}
    found = svc.search_traces([exp], filter_string, order_by=["timestamp_ms ASC"])
    assert [names[i.trace_id] for i in found] == expected


def test_search_traces_orders_and_pages(svc: TrackingService) -> None:
    exp = svc.create_experiment("paging")
    traces = [_trace(exp, 1000 + i) for i in range(7)]
    svc.log_traces(traces)
    newest_first = [t.info.trace_id for t in reversed(traces)]
    seen: list[str] = []
    token = None
    while True:
        page = svc.search_traces([exp], max_results=3, page_token=token)
        seen += [i.trace_id for i in page]
        token = page.token
        if token is None:
            break
    assert seen == newest_first
    asc = svc.search_traces([exp], order_by=["trace.timestamp_ms ASC"])
    assert [i.trace_id for i in asc] == newest_first[::-1]


@pytest.mark.parametrize(
    ("filter_string", "match"),
    [
        ("foo.bar = 'x'", "unknown prefix"),
        ("trace.timestamp_ms = 'x'", "numeric"),
        ("trace.nope = 'x'", "unknown trace attribute"),
        ("span.kind = 'x'", "unknown span key"),
    ],
    ids=["prefix", "numeric", "attribute", "span-key"],
)
def test_search_traces_rejects_bad_filters(
    svc: TrackingService, filter_string: str, match: str
) -> None:
    with pytest.raises(InvalidParameterValue, match=match):
        svc.search_traces(["0"], filter_string)


def test_delete_traces_by_ids_and_timestamp(svc: TrackingService) -> None:
    exp = svc.create_experiment("delete")
    traces = [_trace(exp, 1000 * (i + 1)) for i in range(5)]
    svc.log_traces(traces)
    assert svc.delete_traces(exp, trace_ids=[traces[0].info.trace_id]) == 1
    assert svc.delete_traces(exp, max_timestamp_millis=3000, max_traces=1) == 1
    left = {i.trace_id for i in svc.search_traces([exp])}
    assert left == {t.info.trace_id for t in traces[2:]}
    assert svc.delete_traces(exp, max_timestamp_millis=10_000) == 3
    with pytest.raises(InvalidParameterValue, match="exactly one of"):
        svc.delete_traces(exp)


def test_trace_tags_set_and_delete(svc: TrackingService) -> None:
    exp = svc.create_experiment("tags")
    trace = _trace(exp)
    svc.log_trace(trace)
    svc.set_trace_tag(trace.info.trace_id, "k", "v")
    svc.set_trace_tag(trace.info.trace_id, "k", "w" * 300)
    assert svc.get_trace_info(trace.info.trace_id).tags["k"] == "w" * 300
    svc.delete_trace_tag(trace.info.trace_id, "k")
    assert "k" not in svc.get_trace_info(trace.info.trace_id).tags
    with pytest.raises(ResourceDoesNotExist, match="No tag with key 'k'"):
        svc.delete_trace_tag(trace.info.trace_id, "k")


def test_assessments_crud_and_override(svc: TrackingService) -> None:
    exp = svc.create_experiment("assess")
    trace = _trace(exp)
    svc.log_trace(trace)
    tid = trace.info.trace_id
    judge = AssessmentSource(AssessmentSourceType.LLM_JUDGE, "gpt")
    fb = svc.create_assessment(
        Feedback("correct", True, source=judge, trace_id=tid, rationale="matches")
    )
    assert fb.assessment_id is not None
    assert fb.assessment_id.startswith("a-")
    ex = svc.create_assessment(Expectation("answer", {"text": "hello"}, trace_id=tid))
    info = svc.get_trace_info(tid)
    assert [(a.name, a.kind, a.value) for a in info.assessments] == [
        ("correct", "feedback", True),
        ("answer", "expectation", {"text": "hello"}),
    ]
    assert info.assessments[0].rationale == "matches"
    assert info.assessments[0].source == judge
    updated = svc.update_assessment(tid, fb.assessment_id, value=False, rationale="wrong")
    assert (updated.value, updated.rationale) == (False, "wrong")
    human = AssessmentSource(AssessmentSourceType.HUMAN, "ann")
    over = svc.create_assessment(
        Feedback("correct", True, source=human, trace_id=tid, overrides=fb.assessment_id)
    )
    assert svc.get_assessment(tid, fb.assessment_id).valid is False
    assert svc.get_assessment(tid, over.assessment_id or "").overrides == fb.assessment_id
    assert ex.assessment_id is not None
    svc.delete_assessment(tid, ex.assessment_id)
    with pytest.raises(ResourceDoesNotExist, match="not found on trace"):
        svc.get_assessment(tid, ex.assessment_id)
    fb_error = Feedback("judge", error=ValueError("timeout"), trace_id=tid)
    stored = svc.create_assessment(fb_error)
    assert svc.get_assessment(tid, stored.assessment_id or "").error is not None

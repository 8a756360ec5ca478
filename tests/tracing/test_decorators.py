"""@mltrail.trace and mltrail.start_span: functions, coroutines, generators, nesting, errors."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator

import pytest

import mltrail
from mltrail.entities import SpanStatusCode, SpanType, Trace, TraceState


def _last() -> Trace:
    trace_id = mltrail.get_last_active_trace_id()
    assert trace_id is not None
    trace = mltrail.get_trace(trace_id)
    assert trace is not None
    return trace


def test_sync_function_records_inputs_outputs_and_type(tracking_uri: str) -> None:
    @mltrail.trace(span_type=SpanType.LLM, attributes={"model": "m1"})
    def answer(question: str, temperature: float = 0.5) -> str:
        return question.upper()

    assert answer("hi") == "HI"
    trace = _last()
    assert trace.info.trace_id.startswith("tr-")
    assert len(trace.info.trace_id) == 35
    assert trace.info.state == TraceState.OK
    assert trace.info.experiment_id == "0"
    assert trace.info.tags["mlflow.traceName"] == "answer"
    assert trace.info.request_preview == '{"question": "hi", "temperature": 0.5}'
    assert trace.info.response_preview == "HI"
    (span,) = trace.data.spans
    assert (span.name, span.span_type, span.parent_id) == ("answer", SpanType.LLM, None)
    assert span.inputs == {"question": "hi", "temperature": 0.5}
    assert span.outputs == "HI"
    assert span.attributes == {"model": "m1"}
    assert span.status.status_code == SpanStatusCode.OK
    assert span.end_time_ns is not None
    assert span.end_time_ns >= span.start_time_ns


def test_nested_spans_share_one_trace(tracking_uri: str) -> None:
    @mltrail.trace(span_type=SpanType.RETRIEVER)
    def retrieve(q: str) -> list[str]:
        return [q, q]

    @mltrail.trace(name="pipeline", span_type=SpanType.CHAIN)
    def run(q: str) -> int:
        docs = retrieve(q)
        with mltrail.start_span("rank", span_type=SpanType.RERANKER) as span:
            span.set_inputs({"docs": docs})
            span.set_outputs(docs[:1])
            assert mltrail.get_current_active_span() is span
        return len(docs)

    assert run("x") == 2
    trace = _last()
    spans = {s.name: s for s in trace.data.spans}
    assert set(spans) == {"pipeline", "retrieve", "rank"}
    root = spans["pipeline"]
    assert spans["retrieve"].parent_id == root.span_id
    assert spans["rank"].parent_id == root.span_id
    assert spans["rank"].outputs == ["x"]
    assert {s.trace_id for s in trace.data.spans} == {trace.info.trace_id}
    assert mltrail.get_current_active_span() is None


def test_exception_marks_error_with_exception_event(tracking_uri: str) -> None:
    @mltrail.trace
    def inner() -> None:
        raise ValueError("boom")

    @mltrail.trace
    def outer() -> None:
        inner()

    with pytest.raises(ValueError, match="boom"):
        outer()
    trace = _last()
    assert trace.info.state == TraceState.ERROR
    for span in trace.data.spans:
        assert span.status.status_code == SpanStatusCode.ERROR
        (event,) = span.events
        assert event.name == "exception"
        assert event.attributes["exception.type"] == "ValueError"
        assert event.attributes["exception.message"] == "boom"


def test_async_function(tracking_uri: str) -> None:
    @mltrail.trace
    async def child(x: int) -> int:
        await asyncio.sleep(0)
        return x * 2

    @mltrail.trace
    async def parent(n: int) -> list[int]:
        return list(await asyncio.gather(*(child(i) for i in range(n))))

    assert asyncio.run(parent(3)) == [0, 2, 4]
    trace = _last()
    root = next(s for s in trace.data.spans if s.parent_id is None)
    children = [s for s in trace.data.spans if s.parent_id == root.span_id]
    assert sorted(s.outputs for s in children) == [0, 2, 4]


def test_generator_span_covers_iteration_and_aggregates(tracking_uri: str) -> None:
    @mltrail.trace(span_type=SpanType.TOOL)
    def step(i: int) -> int:
        return i

    @mltrail.trace
    def stream(n: int) -> Iterator[int]:
        for i in range(n):
            yield step(i)

    assert list(stream(3)) == [0, 1, 2]
    trace = _last()
    root = next(s for s in trace.data.spans if s.parent_id is None)
    assert root.outputs == [0, 1, 2]
    assert len([s for s in trace.data.spans if s.parent_id == root.span_id]) == 3
    assert mltrail.get_current_active_span() is None


def test_generator_output_reducer_and_async_generator(tracking_uri: str) -> None:
    @mltrail.trace(output_reducer="".join)
    async def tokens(text: str) -> AsyncIterator[str]:
        for ch in text:
            await asyncio.sleep(0)
            yield ch

    async def consume() -> str:
        return "".join([t async for t in tokens("abc")])

    assert asyncio.run(consume()) == "abc"
    (span,) = _last().data.spans
    assert span.outputs == "abc"
    assert span.inputs == {"text": "abc"}


def test_threads_get_separate_traces(tracking_uri: str) -> None:
    @mltrail.trace
    def work(i: int) -> int:
        with mltrail.start_span("inner"):
            return i

    ids: list[str | None] = [None] * 8

    def target(i: int) -> None:
        work(i)
        ids[i] = mltrail.get_last_active_trace_id(thread_local=True)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 8
    mltrail.flush_trace_async_logging()
    traces = mltrail.search_traces(return_type="list")
    assert len(traces) == 8
    assert all(len(t.data.spans) == 2 for t in traces)
    assert sorted(t.data.request["i"] for t in traces) == list(range(8))


def test_trace_links_active_run_and_model(tracking_uri: str) -> None:
    @mltrail.trace
    def predict(x: int) -> int:
        return x

    exp = mltrail.set_experiment("linked")
    with mltrail.start_run() as run:
        predict(1)
    in_run = _last()
    assert in_run.info.run_id == run.info.run_id
    assert in_run.info.experiment_id == exp.experiment_id
    model = mltrail.set_active_model(name="agent")
    predict(2)
    assert _last().info.model_id == model.model_id
    found = mltrail.search_traces(run_id=run.info.run_id, return_type="list")
    assert [t.info.trace_id for t in found] == [in_run.info.trace_id]
    assert len(mltrail.search_traces(model_id=model.model_id, return_type="list")) == 1
    mltrail.clear_active_model()


def test_update_current_trace(tracking_uri: str) -> None:
    @mltrail.trace
    def handle(q: str) -> str:
        mltrail.update_current_trace(
            tags={"env": "prod"},
            metadata={"team": "a"},
            client_request_id="req-1",
            request_preview="custom",
            user="ann",
            session="s1",
        )
        return q

    handle("x")
    info = _last().info
    assert info.tags["env"] == "prod"
    assert info.trace_metadata["team"] == "a"
    assert info.trace_metadata["mlflow.trace.user"] == "ann"
    assert info.trace_metadata["mlflow.trace.session"] == "s1"
    assert info.client_request_id == "req-1"
    assert info.request_preview == "custom"
    assert info.response_preview == "x"
    found = mltrail.search_traces(filter_string="tags.env = 'prod'", return_type="list")
    assert [t.info.trace_id for t in found] == [info.trace_id]
    with pytest.raises(mltrail.MlflowException, match="needs an active trace"):
        mltrail.update_current_trace(tags={"a": "b"})


def test_search_traces_dataframe(tracking_uri: str) -> None:
    @mltrail.trace
    def f(x: int) -> int:
        return x

    f(1)
    f(2)
    frame = mltrail.search_traces(order_by=["timestamp_ms ASC"])
    assert list(frame.columns)[:4] == ["trace_id", "trace", "client_request_id", "state"]
    assert len(frame) == 2
    assert list(frame["response"]) == [1, 2] or sorted(frame["response"]) == [1, 2]


def test_get_trace_unknown_returns_none(tracking_uri: str) -> None:
    assert mltrail.get_trace("tr-" + "0" * 32, silent=True) is None


def test_generator_error_mid_iteration_marks_error(tracking_uri: str) -> None:
    @mltrail.trace
    def stream() -> Iterator[int]:
        yield 1
        raise RuntimeError("stream broke")

    with pytest.raises(RuntimeError, match="stream broke"):
        list(stream())
    trace = _last()
    assert trace.info.state == TraceState.ERROR
    (span,) = trace.data.spans
    assert span.outputs == [1]
    assert [e.name for e in span.events] == ["exception"]


def test_start_span_block_error_and_root_trace(tracking_uri: str) -> None:
    def block() -> None:
        with mltrail.start_span("block", span_type=SpanType.PARSER) as span:
            span.set_attribute("k", "v")
            raise KeyError("missing")

    with pytest.raises(KeyError, match="missing"):
        block()
    trace = _last()
    assert trace.info.state == TraceState.ERROR
    (stored,) = trace.data.spans
    assert (stored.name, stored.span_type, stored.attributes) == ("block", "PARSER", {"k": "v"})

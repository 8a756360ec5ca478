"""``@trace`` and ``start_span``: spans for functions, coroutines, generators and async generators.

The active span lives in a ``ContextVar``: each thread starts with none, and each asyncio task
works on a copy, so concurrent requests never share a trace. A generator's span covers its
whole iteration (the active span is set only while its body runs) and records what it yielded.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextvars import ContextVar, Token
from types import TracebackType
from typing import Any, TypeVar, cast, overload

from mltrail.entities import SpanType, TraceMetadataKey
from mltrail.tracing import processor
from mltrail.tracing.ids import new_span_id, new_trace_id
from mltrail.tracing.live_span import LiveSpan
from mltrail.tracking import context
from mltrail.tracking.fluent.experiments import get_experiment_id

__all__ = [
    "get_current_active_span",
    "get_last_active_trace_id",
    "start_span",
    "trace",
]

F = TypeVar("F", bound=Callable[..., Any])

_active: ContextVar[LiveSpan | None] = ContextVar("mltrail_active_span", default=None)
_last_trace_id: str | None = None
_last_trace_local: ContextVar[str | None] = ContextVar("mltrail_last_trace_id", default=None)


def _destination() -> tuple[str, str, dict[str, str]]:
    metadata: dict[str, str] = {}
    runs = context.active_runs()
    if runs:
        run = runs[-1]
        metadata[TraceMetadataKey.SOURCE_RUN] = run.info.run_id
        experiment_id = run.info.experiment_id
    else:
        experiment_id = get_experiment_id()
    model_id = context.active_model_id()
    if model_id:
        metadata[TraceMetadataKey.MODEL_ID] = model_id
    return experiment_id, context.resolve_tracking_uri(), metadata


def _open(name: str, span_type: str | None, attributes: dict[str, Any] | None) -> LiveSpan:
    global _last_trace_id
    parent = _active.get()
    now = time.time_ns()
    if parent is None:
        otel_trace_id = new_trace_id()
        live = LiveSpan(otel_trace_id, new_span_id(), None, name, span_type, now)
        pending = processor.PendingTrace(live, *_destination())
        live.pending = pending
        _last_trace_id = live.trace_id
        _last_trace_local.set(live.trace_id)
    else:
        live = LiveSpan(parent.otel_trace_id, new_span_id(), parent, name, span_type, now)
        pending = parent.pending
        live.pending = pending
        if pending is not None:
            pending.spans.append(live)
    if attributes:
        live.attributes.update(attributes)
    return live


class _SpanScope:
    """The context manager ``start_span`` returns."""

    __slots__ = ("_attributes", "_name", "_span", "_span_type", "_token")

    def __init__(self, name: str, span_type: str | None, attributes: dict[str, Any] | None):
        self._name = name
        self._span_type = span_type
        self._attributes = attributes
        self._span: LiveSpan | None = None
        self._token: Token[LiveSpan | None] | None = None

    def __enter__(self) -> LiveSpan:
        self._span = _open(self._name, self._span_type, self._attributes)
        self._token = _active.set(self._span)
        return self._span

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        span = cast(LiveSpan, self._span)
        if exc is not None:
            span.record_exception(exc)
        if self._token is not None:
            _active.reset(self._token)
        span.end()


def start_span(
    name: str = "span",
    span_type: str | None = SpanType.UNKNOWN,
    attributes: dict[str, Any] | None = None,
) -> _SpanScope:
    """Open a span for a block: ``with mltrail.start_span("step") as span: ...``.

    A span opened with no active span starts a new trace; otherwise it is a child of the
    active span. An exception leaving the block marks the span ERROR with an exception event.

    Args:
        name: Span name.
        span_type: One of ``SpanType`` (or any string).
        attributes: Initial attributes.

    Returns:
        A context manager yielding the ``LiveSpan``.
    """
    return _SpanScope(name, span_type, attributes)


def get_current_active_span() -> LiveSpan | None:
    """The span the caller runs in, or None outside any span."""
    return _active.get()


def get_last_active_trace_id(thread_local: bool = False) -> str | None:
    """The id of the trace started last (in this process, or in this thread/task).

    Args:
        thread_local: Only consider traces started in the current thread or task.
    """
    return _last_trace_local.get() if thread_local else _last_trace_id


def _capturer(fn: Callable[..., Any]) -> Callable[[tuple[Any, ...], dict[str, Any]], Any]:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return lambda args, kwargs: {"args": list(args), **kwargs}
    params = list(sig.parameters.values())
    names = [p.name for p in params]
    simple = all(p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in params)
    defaults = {p.name: p.default for p in params if p.default is not inspect.Parameter.empty}

    def capture(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if simple and len(args) <= len(names):
            inputs = dict(zip(names, args, strict=False))
            inputs.update(kwargs)
            if len(inputs) < len(names):
                for key, value in defaults.items():
                    inputs.setdefault(key, value)
        else:
            try:
                bound = sig.bind(*args, **kwargs)
            except TypeError:
                return {"args": list(args), **kwargs}
            bound.apply_defaults()
            inputs = dict(bound.arguments)
        inputs.pop("self", None)
        inputs.pop("cls", None)
        return inputs

    return capture


def _wrap_sync(fn: Callable[..., Any], name: str, span_type: str, attrs: Any, capture: Any) -> Any:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        span = _open(name, span_type, attrs)
        token = _active.set(span)
        try:
            span.inputs = capture(args, kwargs)
            result = fn(*args, **kwargs)
        except BaseException as exc:
            span.record_exception(exc)
            raise
        else:
            span.outputs = result
            return result
        finally:
            _active.reset(token)
            span.end()

    return wrapper


def _wrap_async(fn: Callable[..., Any], name: str, span_type: str, attrs: Any, capture: Any) -> Any:
    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        span = _open(name, span_type, attrs)
        token = _active.set(span)
        try:
            span.inputs = capture(args, kwargs)
            result = await fn(*args, **kwargs)
        except BaseException as exc:
            span.record_exception(exc)
            raise
        else:
            span.outputs = result
            return result
        finally:
            _active.reset(token)
            span.end()

    return wrapper


def _reduce(items: list[Any], reducer: Callable[[list[Any]], Any] | None) -> Any:
    return reducer(items) if reducer is not None else items


def _wrap_gen(
    fn: Callable[..., Any], name: str, span_type: str, attrs: Any, capture: Any, reducer: Any
) -> Any:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
        span = _open(name, span_type, attrs)
        span.inputs = capture(args, kwargs)
        items: list[Any] = []
        token = _active.set(span)
        try:
            gen = fn(*args, **kwargs)
        except BaseException as exc:
            _active.reset(token)
            span.record_exception(exc)
            span.end()
            raise
        _active.reset(token)
        try:
            while True:
                token = _active.set(span)
                try:
                    item = next(gen)
                except StopIteration:
                    break
                finally:
                    _active.reset(token)
                items.append(item)
                yield item
        except BaseException as exc:
            if not isinstance(exc, GeneratorExit):
                span.record_exception(exc)
            raise
        finally:
            gen.close()
            span.outputs = _reduce(items, reducer)
            span.end()

    return wrapper


def _wrap_async_gen(
    fn: Callable[..., Any], name: str, span_type: str, attrs: Any, capture: Any, reducer: Any
) -> Any:
    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        span = _open(name, span_type, attrs)
        span.inputs = capture(args, kwargs)
        items: list[Any] = []
        gen = fn(*args, **kwargs)
        try:
            while True:
                token = _active.set(span)
                try:
                    item = await gen.__anext__()
                except StopAsyncIteration:
                    break
                finally:
                    _active.reset(token)
                items.append(item)
                yield item
        except BaseException as exc:
            if not isinstance(exc, GeneratorExit):
                span.record_exception(exc)
            raise
        finally:
            await gen.aclose()
            span.outputs = _reduce(items, reducer)
            span.end()

    return wrapper


@overload
def trace(func: F) -> F: ...


@overload
def trace(
    func: None = None,
    name: str | None = None,
    span_type: str = SpanType.UNKNOWN,
    attributes: dict[str, Any] | None = None,
    output_reducer: Callable[[list[Any]], Any] | None = None,
) -> Callable[[F], F]: ...


def trace(
    func: Callable[..., Any] | None = None,
    name: str | None = None,
    span_type: str = SpanType.UNKNOWN,
    attributes: dict[str, Any] | None = None,
    output_reducer: Callable[[list[Any]], Any] | None = None,
) -> Any:
    """Record each call of a function as a span (a trace when no span is active).

    Works on functions, coroutine functions, generators and async generators; a generator's
    span covers its whole iteration and records the yielded items as outputs (or
    ``output_reducer(items)``). Arguments are recorded as inputs, the return value as
    outputs; an exception marks the span ERROR with an exception event and is re-raised.

    Args:
        func: The function (when used as ``@trace`` without parentheses).
        name: Span name; the function's name by default.
        span_type: One of ``SpanType`` (or any string).
        attributes: Attributes set on every span.
        output_reducer: For generators: turns the list of yielded items into the output.

    Returns:
        The wrapped function, or a decorator.
    """

    def decorate(fn: Callable[..., Any]) -> Any:
        span_name = str(name or getattr(fn, "__name__", "span"))
        capture = _capturer(fn)
        attrs = dict(attributes) if attributes else None
        if inspect.isasyncgenfunction(fn):
            return _wrap_async_gen(fn, span_name, span_type, attrs, capture, output_reducer)
        if inspect.isgeneratorfunction(fn):
            return _wrap_gen(fn, span_name, span_type, attrs, capture, output_reducer)
        if inspect.iscoroutinefunction(fn):
            return _wrap_async(fn, span_name, span_type, attrs, capture)
        return _wrap_sync(fn, span_name, span_type, attrs, capture)

    return decorate(func) if func is not None else decorate

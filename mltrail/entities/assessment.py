"""Assessments of a trace: feedback (judgements) and expectations (ground truth)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "Assessment",
    "AssessmentError",
    "AssessmentSource",
    "AssessmentSourceType",
    "Expectation",
    "Feedback",
]


class AssessmentSourceType:
    """Who produced an assessment."""

    SOURCE_TYPE_UNSPECIFIED = "SOURCE_TYPE_UNSPECIFIED"
    HUMAN = "HUMAN"
    LLM_JUDGE = "LLM_JUDGE"
    CODE = "CODE"

    ALL = (SOURCE_TYPE_UNSPECIFIED, HUMAN, LLM_JUDGE, CODE)


@dataclass(slots=True)
class AssessmentSource:
    """The source of an assessment.

    Args:
        source_type: ``HUMAN``, ``LLM_JUDGE`` or ``CODE``.
        source_id: A user name, judge name or function name.
    """

    source_type: str
    source_id: str | None = "default"


@dataclass(slots=True)
class AssessmentError:
    """Why computing an assessment failed.

    Args:
        error_code: A short code.
        error_message: What happened.
        stack_trace: The traceback, if any.
    """

    error_code: str
    error_message: str | None = None
    stack_trace: str | None = None


@dataclass(slots=True)
class Assessment:
    """An assessment of a trace (or of one of its spans).

    ``kind`` is ``feedback`` or ``expectation``; ``value`` is any JSON value.

    Args:
        name: Assessment name, such as ``correctness``.
        source: Who produced it.
        trace_id: The assessed trace.
        run_id: The run that produced it, if any.
        rationale: Why (feedback only).
        metadata: Free-form string metadata.
        span_id: The assessed span, if any.
        create_time_ms: Creation time.
        last_update_time_ms: Last update time.
        assessment_id: ``a-`` followed by 32 hex characters.
        error: Why computing it failed (feedback only).
        kind: ``feedback`` or ``expectation``.
        value: The value.
        overrides: The id of the assessment this one replaces.
        valid: False once another assessment overrides it.
    """

    name: str
    source: AssessmentSource
    trace_id: str | None = None
    run_id: str | None = None
    rationale: str | None = None
    metadata: dict[str, str] | None = None
    span_id: str | None = None
    create_time_ms: int | None = None
    last_update_time_ms: int | None = None
    assessment_id: str | None = None
    error: AssessmentError | None = None
    kind: str = "feedback"
    value: Any = None
    overrides: str | None = None
    valid: bool = True


def _default_source() -> AssessmentSource:
    return AssessmentSource(AssessmentSourceType.CODE, "default")


class Feedback(Assessment):
    """A judgement of a trace: by a human, an LLM judge or code."""

    __slots__ = ()

    def __init__(
        self,
        name: str = "feedback",
        value: Any = None,
        error: AssessmentError | str | Exception | None = None,
        source: AssessmentSource | None = None,
        trace_id: str | None = None,
        metadata: dict[str, str] | None = None,
        span_id: str | None = None,
        create_time_ms: int | None = None,
        last_update_time_ms: int | None = None,
        rationale: str | None = None,
        overrides: str | None = None,
        valid: bool = True,
    ) -> None:
        if isinstance(error, Exception):
            error = AssessmentError(type(error).__name__, str(error))
        elif isinstance(error, str):
            error = AssessmentError(error)
        super().__init__(
            name,
            source or _default_source(),
            trace_id=trace_id,
            rationale=rationale,
            metadata=metadata,
            span_id=span_id,
            create_time_ms=create_time_ms,
            last_update_time_ms=last_update_time_ms,
            error=error,
            kind="feedback",
            value=value,
            overrides=overrides,
            valid=valid,
        )


class Expectation(Assessment):
    """The expected (ground-truth) value for a trace."""

    __slots__ = ()

    def __init__(
        self,
        name: str,
        value: Any,
        source: AssessmentSource | None = None,
        trace_id: str | None = None,
        metadata: dict[str, str] | None = None,
        span_id: str | None = None,
        create_time_ms: int | None = None,
        last_update_time_ms: int | None = None,
    ) -> None:
        super().__init__(
            name,
            source or AssessmentSource(AssessmentSourceType.HUMAN, "default"),
            trace_id=trace_id,
            metadata=metadata,
            span_id=span_id,
            create_time_ms=create_time_ms,
            last_update_time_ms=last_update_time_ms,
            kind="expectation",
            value=value,
        )

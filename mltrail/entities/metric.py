"""Metric points: a float64 value at a step and a timestamp."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Metric"]


@dataclass(slots=True)
class Metric:
    """One point of a metric series.

    Args:
        key: Metric name.
        value: A float64; NaN and +/-Inf are kept exactly.
        timestamp: Milliseconds since the epoch.
        step: Training step, 0 when not given.
        dataset_name: Dataset the metric was computed on, if any.
        dataset_digest: Digest of that dataset.
        model_id: LoggedModel the metric belongs to, if any.
        run_id: Run the metric belongs to (set on history reads).
    """

    key: str
    value: float
    timestamp: int
    step: int = 0
    dataset_name: str | None = None
    dataset_digest: str | None = None
    model_id: str | None = None
    run_id: str | None = None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Metric):
            return NotImplemented
        same_value = self.value == other.value or (
            self.value != self.value and other.value != other.value
        )
        return (
            self.key == other.key
            and same_value
            and self.timestamp == other.timestamp
            and self.step == other.step
            and self.dataset_name == other.dataset_name
            and self.dataset_digest == other.dataset_digest
            and self.model_id == other.model_id
            and self.run_id == other.run_id
        )

    def __hash__(self) -> int:
        return hash((self.key, self.timestamp, self.step, self.run_id))

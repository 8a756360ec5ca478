"""The MLflow REST wire format: Pydantic models, the endpoint table and the JSON codec."""

from __future__ import annotations

__all__: list[str] = []

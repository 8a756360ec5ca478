"""Artifact repositories: where run, model and trace files live (local disk, S3, the proxy)."""

from __future__ import annotations

__all__: list[str] = []

"""The tracking server: create_app(settings) builds the FastAPI app serving MLflow's REST API."""

from __future__ import annotations

__all__: list[str] = []

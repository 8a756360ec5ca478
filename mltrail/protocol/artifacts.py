"""Wire models of the artifact routes that travel as JSON (the proxy's file transfers stream)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from mltrail.protocol.codec import WireModel
from mltrail.protocol.endpoint import Endpoint, Permission, Resource

__all__ = ["ENDPOINTS", "LIST_ARTIFACTS", "ListArtifacts", "ListArtifactsResponse"]


class WireFileInfo(WireModel):
    path: str
    is_dir: bool = False
    file_size: int | None = None


class ListArtifacts(WireModel):
    run_id: str
    path: str | None = None
    page_token: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _legacy_run_uuid(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("run_id") and data.get("run_uuid"):
            data = {**data, "run_id": data["run_uuid"]}
        return data


class ListArtifactsResponse(WireModel):
    root_uri: str | None = None
    files: list[WireFileInfo] = Field(default_factory=list)
    next_page_token: str | None = None


LIST_ARTIFACTS = Endpoint(
    "ListArtifacts",
    "GET",
    "/mlflow/artifacts/list",
    ListArtifacts,
    ListArtifactsResponse,
    2,
    Permission.READ,
    Resource.RUN,
    "run_id",
)

ENDPOINTS: tuple[Endpoint, ...] = (LIST_ARTIFACTS,)

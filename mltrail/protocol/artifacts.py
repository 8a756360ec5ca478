"""Wire models of the artifact routes that travel as JSON (the proxy's file transfers stream)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from mltrail.protocol.codec import WireModel
from mltrail.protocol.endpoint import Endpoint, Permission, Resource

__all__ = [
    "ABORT_MULTIPART_UPLOAD",
    "COMPLETE_MULTIPART_UPLOAD",
    "CREATE_MULTIPART_UPLOAD",
    "ENDPOINTS",
    "LIST_ARTIFACTS",
    "MPU_ENDPOINTS",
    "AbortMultipartUpload",
    "CompleteMultipartUpload",
    "CreateMultipartUpload",
    "CreateMultipartUploadResponse",
    "EmptyResponse",
    "ListArtifacts",
    "ListArtifactsResponse",
    "WireMultipartCredential",
    "WireMultipartPart",
]


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


# Multipart uploads through the proxy. The URL's path is the destination folder under the
# proxy root; the body's ``path`` is the client's local file, whose base name is the file name.
class CreateMultipartUpload(WireModel):
    artifact_path: str = ""
    path: str
    num_parts: int = 1


class WireMultipartCredential(WireModel):
    url: str
    part_number: int
    headers: dict[str, str] = Field(default_factory=dict)


class CreateMultipartUploadResponse(WireModel):
    upload_id: str | None = None
    credentials: list[WireMultipartCredential] = Field(default_factory=list)


class WireMultipartPart(WireModel):
    part_number: int
    etag: str | None = None
    url: str | None = None


class CompleteMultipartUpload(WireModel):
    artifact_path: str = ""
    path: str
    upload_id: str
    parts: list[WireMultipartPart]


class AbortMultipartUpload(WireModel):
    artifact_path: str = ""
    path: str
    upload_id: str


class EmptyResponse(WireModel):
    pass


def _mpu(name: str, action: str, request: type[WireModel], response: type[WireModel]) -> Endpoint:
    return Endpoint(
        name,
        "POST",
        f"/mlflow-artifacts/mpu/{action}/{{artifact_path}}",
        request,
        response,
        2,
        Permission.EDIT,
        Resource.EXPERIMENT,
        "artifact_path",
    )


CREATE_MULTIPART_UPLOAD = _mpu(
    "CreateMultipartUpload", "create", CreateMultipartUpload, CreateMultipartUploadResponse
)
COMPLETE_MULTIPART_UPLOAD = _mpu(
    "CompleteMultipartUpload", "complete", CompleteMultipartUpload, EmptyResponse
)
ABORT_MULTIPART_UPLOAD = _mpu("AbortMultipartUpload", "abort", AbortMultipartUpload, EmptyResponse)
MPU_ENDPOINTS: tuple[Endpoint, ...] = (
    CREATE_MULTIPART_UPLOAD,
    COMPLETE_MULTIPART_UPLOAD,
    ABORT_MULTIPART_UPLOAD,
)

ENDPOINTS: tuple[Endpoint, ...] = (LIST_ARTIFACTS, *MPU_ENDPOINTS)

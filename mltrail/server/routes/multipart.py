"""Multipart uploads through the artifact proxy: ``/mlflow-artifacts/mpu/{create,complete,abort}``.

The server only starts, completes and aborts the upload; the client sends the parts straight to
the store with the presigned URLs it gets back, so the bytes never pass through the server.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from mltrail.exceptions import ErrorCode, MlflowException
from mltrail.protocol import artifacts as wire
from mltrail.server.routing import RouteTable
from mltrail.service.services import Services
from mltrail.store.artifacts.base import MultipartUploadRepository, UploadedPart
from mltrail.store.artifacts.paths import safe_relative

__all__ = ["UNSUPPORTED_MESSAGE", "routes"]

# Clients (MLflow's among them) recognise this message and fall back to a plain upload.
UNSUPPORTED_MESSAGE = "Multipart upload is not supported for the current artifact repository"

routes = RouteTable()


def _destination(services: Services) -> MultipartUploadRepository:
    if not (services.settings.serve_artifacts or services.settings.artifacts_only):
        raise MlflowException(
            "The artifact proxy is off (the server runs with --no-serve-artifacts); restart it "
            "with --serve-artifacts to upload through it.",
            ErrorCode.TEMPORARILY_UNAVAILABLE,
        )
    repo = services.artifacts.destination
    if not isinstance(repo, MultipartUploadRepository):
        raise MlflowException(UNSUPPORTED_MESSAGE, ErrorCode.NOT_IMPLEMENTED)
    return repo


def _artifact_file(folder: str, local_path: str) -> str:
    """The file's path under the proxy root: the URL's folder plus the local file's name."""
    name = re.split(r"[\\/]", local_path)[-1]
    if not name:
        raise MlflowException(
            f"'path' must name a file, got {local_path!r}.", ErrorCode.INVALID_PARAMETER_VALUE
        )
    return safe_relative(posixpath.join(safe_relative(folder), name))


@routes.bind(wire.CREATE_MULTIPART_UPLOAD)
def create_multipart_upload(req: wire.CreateMultipartUpload, services: Services) -> dict[str, Any]:
    repo = _destination(services)
    target = _artifact_file(req.artifact_path, req.path)
    upload = repo.create_multipart_upload(target, req.num_parts)
    return {
        "upload_id": upload.upload_id,
        "credentials": [
            {"url": c.url, "part_number": c.part_number, "headers": c.headers}
            for c in upload.credentials
        ],
    }


@routes.bind(wire.COMPLETE_MULTIPART_UPLOAD)
def complete_multipart_upload(req: wire.CompleteMultipartUpload, services: Services) -> None:
    repo = _destination(services)
    parts = [UploadedPart(p.part_number, p.etag or "") for p in req.parts]
    target = _artifact_file(req.artifact_path, req.path)
    repo.complete_multipart_upload(target, req.upload_id, parts)


@routes.bind(wire.ABORT_MULTIPART_UPLOAD)
def abort_multipart_upload(req: wire.AbortMultipartUpload, services: Services) -> None:
    repo = _destination(services)
    repo.abort_multipart_upload(_artifact_file(req.artifact_path, req.path), req.upload_id)

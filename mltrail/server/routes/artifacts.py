"""Artifact routes: the streaming proxy under ``/api/2.0/mlflow-artifacts/artifacts`` and the
JSON ``artifacts/list`` of a run.

Uploads are written chunk by chunk to a temporary file beside the target and renamed into place,
so memory stays flat and a failed upload leaves nothing behind. Downloads stream from disk.
Files are always sent as attachments with a content type that browsers never render as active
content.
"""

from __future__ import annotations

import mimetypes
import posixpath
import tempfile
from collections.abc import AsyncIterator, Iterator
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse
from starlette.routing import Route

from mltrail.entities import FileInfo
from mltrail.exceptions import ErrorCode, MlflowException
from mltrail.protocol import artifacts as wire
from mltrail.protocol.codec import dumps, prune
from mltrail.server.routing import PayloadTooLarge, RouteTable
from mltrail.service.services import Services
from mltrail.store.artifacts.base import CHUNK_BYTES, ArtifactRepository
from mltrail.store.artifacts.local import LocalArtifactRepository
from mltrail.store.artifacts.paths import safe_relative

__all__ = ["PROXY", "install_proxy", "routes"]

PROXY = "/mlflow-artifacts/artifacts"
# Bodies and files up to this size move in one piece (one thread-pool call, one write).
_SMALL_BYTES = 256 * 1024
routes = RouteTable()

# Types a browser shows without running anything; everything else is sent as bytes.
_SAFE_TYPES = {
    "text/plain",
    "text/csv",
    "application/json",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
}


def _headers(path: str) -> tuple[str, dict[str, str]]:
    guessed, _ = mimetypes.guess_type(path)
    media = guessed if guessed in _SAFE_TYPES else "application/octet-stream"
    name = posixpath.basename(path).replace('"', "")
    return media, {
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }


def _file_infos(infos: list[FileInfo], basenames: bool) -> list[dict[str, Any]]:
    return [
        {
            "path": posixpath.basename(f.path) if basenames else f.path,
            "is_dir": f.is_dir,
            "file_size": f.file_size,
        }
        for f in infos
    ]


def _json(body: dict[str, Any]) -> Response:
    return Response(dumps(prune(body)), media_type="application/json")


def _send_file(repo: ArtifactRepository, path: str) -> Response:
    media, headers = _headers(path)
    if isinstance(repo, LocalArtifactRepository):
        target = repo.local_file(path)  # checked inside the root, symlinks resolved
        with open(target, "rb") as fh:
            head = fh.read(_SMALL_BYTES + 1)
        if len(head) <= _SMALL_BYTES:
            # A small file is sent in one piece: no second trip through the thread pool.
            return Response(head, media_type=media, headers=headers)
        return FileResponse(target, media_type=media, headers=headers)
    handle = repo.open_read(path)

    def chunks() -> Iterator[bytes]:
        with handle:
            yield from iter(lambda: handle.read(CHUNK_BYTES), b"")

    return StreamingResponse(iterate_in_threadpool(chunks()), media_type=media, headers=headers)


def _too_large(size: int | str, limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The artifact upload of {size} bytes exceeds this server's limit of {limit} bytes "
        "(MLTRAIL_MAX_ARTIFACT_BYTES). Raise the limit on the server, or split the file."
    )


async def _limited(request: Request, limit: int) -> AsyncIterator[bytes]:
    """The request body, refused (413) once it passes ``limit`` bytes (0: no limit)."""
    declared = request.headers.get("content-length")
    if limit and declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(declared, limit)
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if limit and seen > limit:
            raise _too_large(f"more than {limit}", limit)
        if chunk:
            yield chunk


async def _receive(request: Request, repo: ArtifactRepository, path: str, limit: int) -> None:
    rel = safe_relative(path)
    if not rel:
        raise MlflowException(
            "An artifact upload needs a file path.", ErrorCode.INVALID_PARAMETER_VALUE
        )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) <= _SMALL_BYTES:
        # A small body is read whole and written in one thread-pool call.
        body = b"".join([chunk async for chunk in _limited(request, limit)])
        await run_in_threadpool(repo.write_stream, rel, [body])
        return
    if isinstance(repo, LocalArtifactRepository):
        opened = repo.open_write(rel)
        out = await run_in_threadpool(opened.__enter__)
        try:
            async for chunk in _limited(request, limit):
                await run_in_threadpool(out.write, chunk)
        except BaseException as exc:
            await run_in_threadpool(opened.__exit__, type(exc), exc, exc.__traceback__)
            raise
        await run_in_threadpool(opened.__exit__, None, None, None)
        return
    # Other stores take a stream of chunks: spool to disk first so memory stays flat.
    with tempfile.TemporaryFile() as spool:
        async for chunk in _limited(request, limit):
            await run_in_threadpool(spool.write, chunk)
        await run_in_threadpool(spool.seek, 0)
        chunks = iter(lambda: spool.read(CHUNK_BYTES), b"")
        await run_in_threadpool(repo.write_stream, rel, chunks)


# The UI's downloads of registry and LoggedModel files, where MLflow serves them.
MODEL_VERSION_ARTIFACT_PATHS = (
    "/model-versions/get-artifact",
    "/ajax-api/2.0/mlflow/model-versions/get-artifact",
)
LOGGED_MODEL_FILES_PATH = "/ajax-api/2.0/mlflow/logged-models/{model_id}/artifacts/files"


def install_proxy(app: FastAPI, with_run_routes: bool = True) -> None:
    """Add the streaming proxy routes under ``/api/2.0`` and ``/ajax-api/2.0``.

    Args:
        app: The server app.
        with_run_routes: Also add ``/get-artifact``, which reads runs from the tracking store
            (left out of an ``--artifacts-only`` server, which has none).
    """
    # Plain Starlette routes: FastAPI's per-request dependency solving would only add latency.
    routes_: list[Route] = []

    async def list_dir(request: Request) -> Response:
        services: Services = request.app.state.services
        path = safe_relative(request.query_params.get("path"))
        infos = await run_in_threadpool(services.artifacts.destination.list_artifacts, path)
        return _json({"files": _file_infos(infos, basenames=True)})

    async def download(request: Request) -> Response:
        path: str = request.path_params["path"]
        services: Services = request.app.state.services
        rel = safe_relative(path)
        return await run_in_threadpool(_send_file, services.artifacts.destination, rel)

    async def upload(request: Request) -> Response:
        path: str = request.path_params["path"]
        services: Services = request.app.state.services
        limit = services.settings.max_artifact_bytes
        await _receive(request, services.artifacts.destination, path, limit)
        return _json({})

    async def delete(request: Request) -> Response:
        path: str = request.path_params["path"]
        services: Services = request.app.state.services
        rel = safe_relative(path)
        await run_in_threadpool(services.artifacts.destination.delete_artifacts, rel)
        return _json({})

    async def get_artifact(request: Request) -> Response:
        """The UI's download of one run artifact: ``/get-artifact?run_uuid=...&path=...``."""
        services: Services = request.app.state.services
        run_id = request.query_params.get("run_uuid") or request.query_params.get("run_id")
        if not run_id:
            raise MlflowException(
                "Missing value for required parameter 'run_id'.",
                ErrorCode.INVALID_PARAMETER_VALUE,
            )
        rel = safe_relative(request.query_params.get("path"))
        run = await run_in_threadpool(services.tracking.get_run, run_id)
        repo, prefix = services.artifacts.for_run_root(run.info.artifact_uri or "")
        full = posixpath.join(prefix, rel) if prefix else rel
        return await run_in_threadpool(_send_file, repo, full)

    async def send_from_root(services: Services, root: str, path: str | None) -> Response:
        rel = safe_relative(path)
        if not rel:
            raise MlflowException(
                "Missing value for required parameter 'path'.", ErrorCode.INVALID_PARAMETER_VALUE
            )
        repo, prefix = services.artifacts.for_run_root(root)
        full = posixpath.join(prefix, rel) if prefix else rel
        return await run_in_threadpool(_send_file, repo, full)

    async def model_version_artifact(request: Request) -> Response:
        """The UI's download of a model version's file: ``?name=...&version=...&path=...``."""
        services: Services = request.app.state.services
        query = request.query_params
        name, version = query.get("name"), query.get("version")
        if not name or not version:
            raise MlflowException(
                "Missing value for required parameter 'name' or 'version'.",
                ErrorCode.INVALID_PARAMETER_VALUE,
            )
        registry = services.registry
        root = await run_in_threadpool(registry.get_model_version_download_uri, name, version)
        return await send_from_root(services, root, query.get("path"))

    async def logged_model_file(request: Request) -> Response:
        """The UI's download of a LoggedModel's file: ``?artifact_file_path=...``."""
        services: Services = request.app.state.services
        path = request.query_params.get("artifact_file_path")
        if not path:
            raise MlflowException(
                'Request must include the "artifact_file_path" query parameter.',
                ErrorCode.INVALID_PARAMETER_VALUE,
            )
        model_id: str = request.path_params["model_id"]
        model = await run_in_threadpool(services.tracking.get_logged_model, model_id)
        return await send_from_root(services, model.artifact_location, path)

    for base in ("/api/2.0", "/ajax-api/2.0"):
        routes_.append(Route(f"{base}{PROXY}", list_dir, methods=["GET"]))
        routes_.append(Route(f"{base}{PROXY}/{{path:path}}", download, methods=["GET"]))
        routes_.append(Route(f"{base}{PROXY}/{{path:path}}", upload, methods=["PUT"]))
        routes_.append(Route(f"{base}{PROXY}/{{path:path}}", delete, methods=["DELETE"]))
    if with_run_routes:
        routes_.append(Route("/get-artifact", get_artifact, methods=["GET"]))
        routes_.append(Route("/ajax-api/2.0/mlflow/get-artifact", get_artifact, methods=["GET"]))
        for path in MODEL_VERSION_ARTIFACT_PATHS:
            routes_.append(Route(path, model_version_artifact, methods=["GET"]))
        routes_.append(Route(LOGGED_MODEL_FILES_PATH, logged_model_file, methods=["GET"]))
    app.router.routes.extend(routes_)


@routes.bind(wire.LIST_ARTIFACTS)
def list_artifacts(req: wire.ListArtifacts, services: Services) -> dict[str, Any]:
    run = services.tracking.get_run(req.run_id)
    root = run.info.artifact_uri or ""
    repo, prefix = services.artifacts.for_run_root(root)
    rel = safe_relative(req.path)
    full = posixpath.join(prefix, rel) if prefix else rel
    infos = repo.list_artifacts(full)
    cut = len(prefix) + 1 if prefix else 0
    files = [FileInfo(f.path[cut:], f.is_dir, f.file_size) for f in infos]
    return {"root_uri": root, "files": _file_infos(files, basenames=False)}

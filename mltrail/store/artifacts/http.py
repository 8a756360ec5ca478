"""Client of the tracking server's artifact proxy (``mlflow-artifacts:`` and ``http(s)://`` URIs).

Uploads and downloads stream in chunks, so memory stays flat for any file size; directories are
transferred with a few files in flight at once.
"""

from __future__ import annotations

import os
import posixpath
import tempfile
import threading
import weakref
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from mltrail.config import Settings, get_settings
from mltrail.entities import FileInfo
from mltrail.exceptions import ErrorCode, InvalidParameterValue, MlflowException
from mltrail.store.artifacts.base import CHUNK_BYTES
from mltrail.store.artifacts.paths import safe_relative

__all__ = ["PROXY_PREFIX", "HttpArtifactRepository"]

PROXY_PREFIX = "/api/2.0/mlflow-artifacts/artifacts"
_MPU_PREFIX = "/api/2.0/mlflow-artifacts/mpu"
_PARALLEL_FILES = 8
_PARALLEL_PARTS = 8
_SMALL_FILE = 1024 * 1024
# The server answers this when its destination cannot take multipart uploads.
_UNSUPPORTED = "Multipart upload is not supported"


def _join(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))


def _split(artifact_uri: str, tracking_uri: str | None) -> tuple[str, str]:
    """Return (server base URL, path under the proxy root) for an artifact URI."""
    parts = urlsplit(artifact_uri)
    if parts.scheme == "mlflow-artifacts":
        if parts.netloc:
            server = urlunsplit(("http", parts.netloc, "", "", ""))
        elif tracking_uri and tracking_uri.startswith(("http://", "https://")):
            server = tracking_uri.rstrip("/")
        else:
            raise InvalidParameterValue(
                f"Artifact URI {artifact_uri!r} is served by a tracking server, but the tracking "
                f"URI {tracking_uri!r} is not an http(s) URL. Set the tracking URI to the server."
            )
        return server, parts.path.strip("/")
    if parts.scheme in ("http", "https"):
        path = parts.path
        marker = path.find(PROXY_PREFIX)
        if marker < 0:
            raise InvalidParameterValue(
                f"HTTP artifact URI {artifact_uri!r} does not point at {PROXY_PREFIX}."
            )
        prefix = path[:marker]
        server = urlunsplit((parts.scheme, parts.netloc, prefix, "", "")).rstrip("/")
        return server, path[marker + len(PROXY_PREFIX) :].strip("/")
    raise InvalidParameterValue(f"Not a proxied artifact URI: {artifact_uri!r}")


class HttpArtifactRepository:
    """Artifacts behind a tracking server's ``/api/2.0/mlflow-artifacts`` proxy.

    Args:
        artifact_uri: ``mlflow-artifacts:/<path>``, ``mlflow-artifacts://host:port/<path>`` or
            ``http(s)://host:port[/prefix]/api/2.0/mlflow-artifacts/artifacts/<path>``.
        tracking_uri: The server to use for ``mlflow-artifacts:/`` URIs without a host.
        settings: Credentials, TLS and timeout settings.
    """

    def __init__(
        self,
        artifact_uri: str,
        *,
        tracking_uri: str | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.artifact_uri = artifact_uri
        self._settings = settings or get_settings()
        server, self._root = _split(artifact_uri, tracking_uri)
        self._base = server + PROXY_PREFIX
        self._mpu = server + _MPU_PREFIX
        self._lock = threading.Lock()
        self._client: httpx.Client | None = None

    # ----------------------------------------------------------------------------- plumbing
    def _http(self) -> httpx.Client:
        # One pooled client shared by the transfer threads (httpx clients are thread-safe); it
        # is closed with the repository.
        client = self._client
        if client is None:
            with self._lock:
                client = self._client
                if client is None:
                    client = self._client = self._build_client()
                    weakref.finalize(self, client.close)
        return client

    def _build_client(self) -> httpx.Client:
        s = self._settings
        headers = {"User-Agent": "mltrail-artifacts"}
        auth: httpx.Auth | None = None
        if s.tracking_username and s.tracking_password:
            auth = httpx.BasicAuth(s.tracking_username, s.tracking_password)
        elif s.tracking_token:
            headers["Authorization"] = f"Bearer {s.tracking_token}"
        return httpx.Client(
            auth=auth,
            headers=headers,
            timeout=httpx.Timeout(s.http_request_timeout),
            verify=not s.tracking_insecure_tls,
            limits=httpx.Limits(max_connections=2 * _PARALLEL_FILES),
        )

    def close(self) -> None:
        """Close pooled connections."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def _url(self, artifact_path: str) -> str:
        return f"{self._base}/{quote(_join(self._root, artifact_path))}"

    @staticmethod
    def _check(response: httpx.Response, what: str) -> None:
        if response.status_code < 400:
            return
        code, message = ErrorCode.INTERNAL_ERROR, response.text[:300]
        try:
            body = response.json()
            code, message = body.get("error_code", code), body.get("message", message)
        except ValueError:
            pass
        if response.status_code == 404:
            code = ErrorCode.RESOURCE_DOES_NOT_EXIST
        raise MlflowException(f"{what} failed ({response.status_code}): {message}", code)

    # ------------------------------------------------------------------------------- writes
    def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None:
        """Stream one file up into the folder ``artifact_path``."""
        source = Path(local_file)
        if not source.is_file():
            raise InvalidParameterValue(f"No file to log at {local_file!r}")
        folder = safe_relative(artifact_path)
        dest = _join(folder, source.name)
        s = self._settings
        if (
            s.enable_proxy_multipart_upload
            and source.stat().st_size >= s.multipart_upload_minimum_file_size
            and self._multipart_upload(source, folder)
        ):
            return
        with open(source, "rb") as fh:
            self._put(dest, iter(lambda: fh.read(CHUNK_BYTES), b""))

    def _mpu_call(self, action: str, folder: str, body: dict[str, Any]) -> httpx.Response:
        url = f"{self._mpu}/{action}/{quote(_join(self._root, folder))}"
        return self._http().post(url, json=body)

    def _multipart_upload(self, source: Path, folder: str) -> bool:
        """Send a large file in parallel parts straight to the store; False if unsupported."""
        chunk = max(1, self._settings.multipart_upload_chunk_size)
        size = source.stat().st_size
        num_parts = max(1, -(-size // chunk))
        created = self._mpu_call("create", folder, {"path": str(source), "num_parts": num_parts})
        if created.status_code == 501 and _UNSUPPORTED in created.text:
            return False
        self._check(created, f"Starting a multipart upload of {source.name}")
        body = created.json()
        upload_id: str = body.get("upload_id", "")
        credentials: list[dict[str, Any]] = body.get("credentials", [])
        common = {"path": str(source), "upload_id": upload_id}
        try:
            parts = self._send_parts(source, credentials, chunk)
            done = self._mpu_call("complete", folder, {**common, "parts": parts})
            self._check(done, f"Completing the multipart upload of {source.name}")
        except BaseException:
            self._mpu_call("abort", folder, common)
            raise
        return True

    def _send_parts(
        self, source: Path, credentials: list[dict[str, Any]], chunk: int
    ) -> list[dict[str, Any]]:
        # Presigned URLs carry their own signature: no tracking-server credentials go with them.
        verify = not self._settings.s3_ignore_tls
        timeout = httpx.Timeout(self._settings.http_request_timeout)
        with httpx.Client(timeout=timeout, verify=verify) as store:

            def send(cred: dict[str, Any]) -> dict[str, Any]:
                number = int(cred["part_number"])
                with open(source, "rb") as fh:
                    fh.seek((number - 1) * chunk)
                    data = fh.read(chunk)
                response = store.put(cred["url"], content=data, headers=cred.get("headers") or {})
                self._check(response, f"Uploading part {number} of {source.name}")
                etag = response.headers.get("ETag", "")
                return {"part_number": number, "etag": etag, "url": cred["url"]}

            with ThreadPoolExecutor(
                min(_PARALLEL_PARTS, max(1, len(credentials))), thread_name_prefix="mltrail-mpu"
            ) as pool:
                return list(pool.map(send, credentials))

    def _put(self, dest: str, chunks: Iterable[bytes]) -> None:
        response = self._http().put(
            self._url(dest),
            content=chunks,
            headers={"Content-Type": "application/octet-stream"},
        )
        self._check(response, f"Uploading {dest}")

    def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> None:
        """Upload a directory's contents, a few files at a time."""
        source = Path(local_dir)
        if not source.is_dir():
            raise InvalidParameterValue(f"No directory to log at {local_dir!r}")
        base = safe_relative(artifact_path)
        jobs: list[tuple[str, str]] = []
        for dirpath, _, filenames in os.walk(source):
            rel = Path(dirpath).relative_to(source).as_posix()
            folder = _join(base, "" if rel == "." else rel)
            jobs += [(os.path.join(dirpath, n), folder) for n in filenames]
        self._parallel(lambda job: self.log_artifact(job[0], job[1] or None), jobs)

    def write_stream(self, artifact_path: str, chunks: Iterable[bytes]) -> int:
        """Upload chunks as one file; return the bytes sent."""
        sent = 0

        def counted() -> Iterator[bytes]:
            nonlocal sent
            for chunk in chunks:
                sent += len(chunk)
                yield chunk

        self._put(safe_relative(artifact_path), counted())
        return sent

    def delete_artifacts(self, artifact_path: str | None = None) -> None:
        """Delete a file or a directory through the proxy."""
        rel = safe_relative(artifact_path)
        response = self._http().delete(self._url(rel))
        self._check(response, f"Deleting {rel or 'the root'}")

    # -------------------------------------------------------------------------------- reads
    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        """List the direct children of ``path``."""
        rel = safe_relative(path)
        response = self._http().get(self._base, params={"path": _join(self._root, rel)})
        self._check(response, f"Listing {rel or 'the root'}")
        files: list[dict[str, Any]] = response.json().get("files", [])
        # A listing names children only: a name that could step out of the folder is refused.
        out: list[FileInfo] = []
        for f in files:
            name = posixpath.basename(f["path"])
            if name in ("", ".", ".."):
                raise InvalidParameterValue(f"The server listed an invalid name {f['path']!r}.")
            is_dir = bool(f.get("is_dir", False))
            size = None if is_dir else int(f.get("file_size", 0))
            out.append(FileInfo(safe_relative(_join(rel, name)), is_dir, size))
        return out

    def _download_file(self, artifact_path: str, dst: Path, size: int | None = None) -> None:
        tmp = dst.with_name(f".{dst.name}.part")
        if size is not None and size <= _SMALL_FILE:
            # A small file (size known from the listing) comes in one response, written once.
            response = self._http().get(self._url(artifact_path))
            self._check(response, f"Downloading {artifact_path}")
            tmp.write_bytes(response.content)
            os.replace(tmp, dst)
            return
        dst.parent.mkdir(parents=True, exist_ok=True)
        with self._http().stream("GET", self._url(artifact_path)) as response:
            if response.status_code >= 400:
                response.read()
                self._check(response, f"Downloading {artifact_path}")
            with open(tmp, "wb") as out:
                for chunk in response.iter_bytes(CHUNK_BYTES):
                    out.write(chunk)
        os.replace(tmp, dst)

    def _walk(self, rel: str) -> list[FileInfo]:
        files: list[FileInfo] = []
        for info in self.list_artifacts(rel):
            if info.is_dir:
                files += self._walk(info.path)
            else:
                files.append(info)
        return files

    def download_artifacts(self, artifact_path: str, dst_path: str | None = None) -> str:
        """Download a file or a directory (files in parallel); return the local path."""
        rel = safe_relative(artifact_path)
        dst_root = Path(dst_path) if dst_path else Path(tempfile.mkdtemp(prefix="mltrail-dl-"))
        entries = self.list_artifacts(rel)
        is_dir = bool(entries) or rel == ""
        if not is_dir:
            target = dst_root / rel
            self._download_file(rel, target)
            return str(target)
        files = self._walk(rel)
        for folder in {(dst_root / f.path).parent for f in files}:
            folder.mkdir(parents=True, exist_ok=True)
        self._parallel(lambda f: self._download_file(f.path, dst_root / f.path, f.file_size), files)
        local = dst_root / rel if rel else dst_root
        local.mkdir(parents=True, exist_ok=True)
        return str(local)

    def open_read(self, artifact_path: str) -> BinaryIO:
        """Download one file to a temporary file and open it."""
        folder = tempfile.mkdtemp(prefix="mltrail-read-")
        path = Path(folder) / "artifact"
        self._download_file(safe_relative(artifact_path), path)
        return open(path, "rb")

    @staticmethod
    def _parallel(fn: Any, items: list[Any]) -> None:
        if len(items) <= 1:
            for item in items:
                fn(item)
            return
        with ThreadPoolExecutor(
            min(_PARALLEL_FILES, len(items)), thread_name_prefix="mltrail-artifacts"
        ) as pool:
            for _ in pool.map(fn, items):
                pass

"""Artifacts in Amazon S3 and S3-compatible stores (``s3://bucket/prefix`` URIs).

boto3 is imported only when a repository first talks to S3, so ``import mltrail`` stays light
and boto3 stays an optional extra (``mltrail[s3]``). Credentials come from boto3's own chain
(``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, instance roles); the endpoint
of an S3-compatible store comes from ``Settings.s3_endpoint_url`` and switches on path-style
addressing. Large files move as multipart transfers with parts in flight in parallel;
directories move with several files in flight through one transfer manager.
"""

from __future__ import annotations

import io
import os
import posixpath
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from mltrail.config import Settings, get_settings
from mltrail.entities import FileInfo
from mltrail.exceptions import (
    ErrorCode,
    InvalidParameterValue,
    MlflowException,
    PermissionDenied,
    ResourceDoesNotExist,
)
from mltrail.store.artifacts.base import (
    CHUNK_BYTES,
    MultipartCredential,
    MultipartUpload,
    UploadedPart,
)
from mltrail.store.artifacts.paths import safe_relative

__all__ = [
    "MAX_CONCURRENCY",
    "MULTIPART_CHUNKSIZE",
    "MULTIPART_THRESHOLD",
    "S3ArtifactRepository",
    "split_s3_uri",
]

_MB = 1024 * 1024
# Files at least this big are uploaded and downloaded in parts of MULTIPART_CHUNKSIZE, with up
# to MAX_CONCURRENCY parts (or small files) in flight at once.
MULTIPART_THRESHOLD = 64 * _MB
MULTIPART_CHUNKSIZE = 16 * _MB
MAX_CONCURRENCY = 8
_DELETE_BATCH = 1000  # the most keys one DeleteObjects request takes
_MAX_PARTS = 10_000  # S3's limit on the parts of one upload
_PRESIGNED_SECONDS = 24 * 3600

_BAD_CREDENTIALS = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "TokenRefreshRequired",
    "InvalidClientTokenId",
    "AuthorizationHeaderMalformed",
}
_DENIED = {"AccessDenied", "AllAccessDisabled", "Forbidden", "403"}
_MISSING = {"NoSuchKey", "NotFound", "404"}


def _join(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))


def split_s3_uri(uri: str) -> tuple[str, str]:
    """Return (bucket, key prefix without slashes) of an ``s3://bucket[/prefix]`` URI.

    Raises:
        InvalidParameterValue: Not an S3 URI, no bucket, or a prefix that is not a safe path.
    """
    parts = urlsplit(uri)
    if parts.scheme != "s3" or not parts.netloc:
        raise InvalidParameterValue(f"Not an S3 artifact URI: {uri!r}; use s3://<bucket>/<path>.")
    return parts.netloc, safe_relative(parts.path.strip("/"))


class _ChunkReader(io.RawIOBase):
    """A read-only raw stream over an iterator of byte chunks; counts what was read."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        super().__init__()
        self._chunks = iter(chunks)
        self._buf = memoryview(b"")
        self.total = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._buf:
            chunk = next(self._chunks, None)  # an error in the iterator propagates
            if chunk is None:
                return 0
            self._buf = memoryview(chunk).cast("B")
        out = memoryview(buffer).cast("B")
        n = min(len(out), len(self._buf))
        out[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        self.total += n
        return n


class _BodyReader(io.RawIOBase):
    """A raw stream over a botocore ``StreamingBody`` (which checks the length at the end)."""

    def __init__(self, body: Any) -> None:
        super().__init__()
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        out = memoryview(buffer).cast("B")
        data = self._body.read(len(out))
        out[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class S3ArtifactRepository:
    """Artifacts under ``s3://bucket/prefix``.

    Args:
        artifact_uri: ``s3://<bucket>[/<prefix>]``.
        tracking_uri: Unused; accepted like every repository.
        settings: ``s3_endpoint_url`` (an S3-compatible store: path-style addressing is used),
            ``s3_ignore_tls``, ``http_request_max_retries`` and ``http_request_timeout``.
        multipart_threshold: Files at least this big move in parts.
        multipart_chunksize: The size of one part.
        max_concurrency: Parts or files in flight at once.
    """

    def __init__(
        self,
        artifact_uri: str,
        *,
        tracking_uri: str | None = None,
        settings: Settings | None = None,
        multipart_threshold: int = MULTIPART_THRESHOLD,
        multipart_chunksize: int = MULTIPART_CHUNKSIZE,
        max_concurrency: int = MAX_CONCURRENCY,
    ) -> None:
        self.artifact_uri = artifact_uri
        self.bucket, self.prefix = split_s3_uri(artifact_uri)
        self._settings = settings or get_settings()
        self._threshold = multipart_threshold
        self._chunksize = multipart_chunksize
        self._concurrency = max(1, max_concurrency)
        self._lock = threading.Lock()
        self._client: Any = None

    # ----------------------------------------------------------------------------- plumbing
    def _s3(self) -> Any:
        client = self._client
        if client is None:
            with self._lock:
                client = self._client
                if client is None:
                    client = self._client = self._build_client()
        return client

    def _build_client(self) -> Any:
        import boto3.session
        from botocore.config import Config

        s = self._settings
        endpoint = s.s3_endpoint_url or None
        options: dict[str, Any] = {
            "retries": {"max_attempts": max(0, s.http_request_max_retries), "mode": "standard"},
            "max_pool_connections": 2 * self._concurrency,
            "read_timeout": s.http_request_timeout,
            "user_agent_extra": "mltrail",
        }
        if endpoint:
            # S3-compatible stores rarely resolve bucket subdomains, and several of them reject
            # the streaming checksum trailers that boto3 sends by default.
            options["s3"] = {"addressing_style": "path"}
            options["request_checksum_calculation"] = "when_required"
            options["response_checksum_validation"] = "when_required"
        session = boto3.session.Session()
        return session.client(
            "s3",
            endpoint_url=endpoint,
            verify=False if s.s3_ignore_tls else None,
            config=Config(**options),
        )

    def _transfer_manager(self) -> Any:
        from boto3.s3.transfer import TransferConfig, create_transfer_manager

        config = TransferConfig(
            multipart_threshold=self._threshold,
            multipart_chunksize=self._chunksize,
            max_concurrency=self._concurrency,
            use_threads=True,
            preferred_transfer_client="classic",
        )
        return create_transfer_manager(self._s3(), config)

    def close(self) -> None:
        """Close pooled connections."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def _key(self, rel: str) -> str:
        return _join(self.prefix, rel)

    def _where(self) -> str:
        endpoint = self._settings.s3_endpoint_url
        return f" at {endpoint}" if endpoint else ""

    def _translate(self, exc: BaseException, what: str) -> MlflowException:
        from botocore.exceptions import (
            ClientError,
            EndpointConnectionError,
            NoCredentialsError,
            PartialCredentialsError,
        )

        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            detail = f"{code}: {error.get('Message', '')}".strip(": ")
            if code == "NoSuchBucket":
                return ResourceDoesNotExist(
                    f"{what} failed: the S3 bucket {self.bucket!r} does not exist{self._where()}. "
                    "Create the bucket, or point the artifact location (for a server, "
                    "--artifacts-destination) at an existing bucket."
                )
            if code in _BAD_CREDENTIALS:
                return PermissionDenied(
                    f"{what} failed: S3{self._where()} rejected the credentials ({detail}). "
                    "Check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), and that "
                    "MLTRAIL_S3_ENDPOINT_URL / MLFLOW_S3_ENDPOINT_URL names the store they are for."
                )
            if code in _DENIED:
                return PermissionDenied(
                    f"{what} failed: access to s3://{self.bucket}/{self.prefix} was denied"
                    f"{self._where()} ({detail or code}). Check that the credentials are right "
                    "and that their policy allows this operation on the bucket."
                )
            if code in _MISSING:
                return ResourceDoesNotExist(
                    f"{what} failed: no such artifact in {self.artifact_uri}"
                )
            return MlflowException(f"{what} failed: S3{self._where()} answered {detail or exc}")
        if isinstance(exc, NoCredentialsError | PartialCredentialsError):
            return PermissionDenied(
                f"{what} failed: no usable AWS credentials were found ({exc}). Set "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run with a role."
            )
        if isinstance(exc, EndpointConnectionError):
            return MlflowException(
                f"{what} failed: could not connect to S3{self._where()} ({exc}). Check "
                "MLTRAIL_S3_ENDPOINT_URL / MLFLOW_S3_ENDPOINT_URL and that the store is running.",
                ErrorCode.TEMPORARILY_UNAVAILABLE,
            )
        last = getattr(exc, "last_exception", None)  # s3transfer's RetriesExceededError
        if isinstance(last, BaseException):
            return self._translate(last, what)
        return MlflowException(f"{what} failed: {type(exc).__name__}: {exc}")

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        from botocore.exceptions import BotoCoreError, ClientError
        from s3transfer.exceptions import RetriesExceededError

        try:
            yield
        except (ClientError, BotoCoreError, RetriesExceededError) as exc:
            raise self._translate(exc, what) from exc

    def _walk(self, rel: str) -> list[tuple[str, str, int]]:
        """Every object under the folder ``rel``: (key, path relative to the root, size)."""
        folder = self._key(rel)
        start = f"{folder}/" if folder else ""
        cut = len(self.prefix) + 1 if self.prefix else 0
        out: list[tuple[str, str, int]] = []
        paginator = self._s3().get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=start):
            for obj in page.get("Contents", []):
                key: str = obj["Key"]
                if not key.endswith("/"):  # not a folder marker written by some tools
                    out.append((key, key[cut:], int(obj["Size"])))
        return out

    # ------------------------------------------------------------------------------- writes
    def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None:
        """Upload one file into the folder ``artifact_path`` (in parts when it is large)."""
        source = Path(local_file)
        if not source.is_file():
            raise InvalidParameterValue(f"No file to log at {local_file!r}")
        rel = _join(safe_relative(artifact_path), source.name)
        self._upload_files([(str(source), rel)], f"Uploading {rel}")

    def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> None:
        """Upload a directory's contents, several files in flight at once."""
        source = Path(local_dir)
        if not source.is_dir():
            raise InvalidParameterValue(f"No directory to log at {local_dir!r}")
        base = safe_relative(artifact_path)
        jobs: list[tuple[str, str]] = []
        for dirpath, _, filenames in os.walk(source):
            rel = Path(dirpath).relative_to(source).as_posix()
            folder = _join(base, "" if rel == "." else rel)
            jobs += [(os.path.join(dirpath, n), safe_relative(_join(folder, n))) for n in filenames]
        self._upload_files(jobs, f"Uploading {local_dir} to {base or 'the root'}")

    def _upload_files(self, jobs: list[tuple[str, str]], what: str) -> None:
        if not jobs:
            return
        with self._errors(what), self._transfer_manager() as manager:
            futures = [manager.upload(src, self.bucket, self._key(rel)) for src, rel in jobs]
            for future in futures:
                future.result()

    def write_stream(self, artifact_path: str, chunks: Iterable[bytes]) -> int:
        """Upload chunks as one object (all or nothing, by S3 semantics); return the bytes sent.

        Only about ``multipart_threshold`` bytes (or a few parts) are held in memory at once.
        """
        rel = safe_relative(artifact_path)
        if not rel:
            raise InvalidParameterValue("An artifact file needs a path.")
        raw = _ChunkReader(chunks)
        stream = io.BufferedReader(raw, CHUNK_BYTES)
        with self._errors(f"Uploading {rel}"), self._transfer_manager() as manager:
            manager.upload(stream, self.bucket, self._key(rel)).result()
        return raw.total

    def delete_artifacts(self, artifact_path: str | None = None) -> None:
        """Delete a file or a folder (every key under it); the whole root when None."""
        rel = safe_relative(artifact_path)
        key = self._key(rel)
        with self._errors(f"Deleting {rel or 'the root'}"):
            objects = self._walk(rel)
            keys = [k for k, _, _ in objects]
            if rel:
                keys.append(key)  # the file itself; deleting a missing key is a no-op
            # Folder keys go last, deepest first: stores with real folders (SeaweedFS) keep
            # listing a folder emptied of its objects until the folder itself is deleted; on
            # AWS they delete folder markers, if any.
            folders = {key} if key else set()
            for _, path, _ in objects:
                parent = posixpath.dirname(path)
                while len(parent) > len(rel):
                    folders.add(self._key(parent))
                    parent = posixpath.dirname(parent)
            keys += [f"{f}/" for f in sorted(folders, key=lambda f: (-f.count("/"), f))]
            self._delete_keys(keys, rel or "the root")

    def _delete_keys(self, keys: list[str], what: str) -> None:
        client = self._s3()
        for i in range(0, len(keys), _DELETE_BATCH):
            batch = [{"Key": k} for k in keys[i : i + _DELETE_BATCH]]
            response = client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
            )
            errors = response.get("Errors") or []
            if errors:
                first = errors[0]
                raise MlflowException(
                    f"Deleting {what} failed for {len(errors)} key(s), e.g. "
                    f"{first.get('Key')!r}: {first.get('Code')} {first.get('Message')}"
                )

    # -------------------------------------------------------------------------------- reads
    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        """List the direct children of ``path`` (empty if it is a file or does not exist)."""
        rel = safe_relative(path)
        folder = self._key(rel)
        start = f"{folder}/" if folder else ""
        out: list[FileInfo] = []
        with self._errors(f"Listing {rel or 'the root'}"):
            paginator = self._s3().get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=start, Delimiter="/"):
                for common in page.get("CommonPrefixes", []):
                    name = common["Prefix"][len(start) :].strip("/")
                    if name not in ("", ".", ".."):
                        out.append(FileInfo(_join(rel, name), True, None))
                for obj in page.get("Contents", []):
                    name = obj["Key"][len(start) :]
                    if name not in ("", ".", ".."):
                        out.append(FileInfo(_join(rel, name), False, int(obj["Size"])))
        return sorted(out, key=lambda f: f.path)

    def download_artifacts(self, artifact_path: str, dst_path: str | None = None) -> str:
        """Download a file or a folder (files in parallel); return the local path."""
        rel = safe_relative(artifact_path)
        dst_root = Path(dst_path) if dst_path else Path(tempfile.mkdtemp(prefix="mltrail-dl-"))
        with self._errors(f"Downloading {rel or 'the root'}"):
            files = self._walk(rel)
            if rel and not files:
                target = dst_root / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                with self._transfer_manager() as manager:
                    manager.download(self.bucket, self._key(rel), str(target)).result()
                return str(target)
            local = dst_root / rel if rel else dst_root
            local.mkdir(parents=True, exist_ok=True)
            if not files:
                return str(local)
            from s3transfer.subscribers import BaseSubscriber

            class _KnownSize(BaseSubscriber):  # type: ignore[misc]
                """Hands the listed size to the transfer, which then skips a HEAD request."""

                def __init__(self, size: int) -> None:
                    self._size = size

                def on_queued(self, future: Any, **kwargs: Any) -> None:
                    future.meta.provide_transfer_size(self._size)

            with self._transfer_manager() as manager:
                futures = []
                for key, path, size in files:
                    local_path = safe_relative(path)  # a key may hold anything
                    if not local_path:
                        raise InvalidParameterValue(f"Cannot download the S3 key {key!r}.")
                    target = dst_root / local_path
                    target.parent.mkdir(parents=True, exist_ok=True)
                    futures.append(
                        manager.download(
                            self.bucket, key, str(target), subscribers=[_KnownSize(size)]
                        )
                    )
                for future in futures:
                    future.result()
        return str(local)

    def open_read(self, artifact_path: str) -> BinaryIO:
        """Open one object for streaming reads (the body is read as it is consumed)."""
        rel = safe_relative(artifact_path)
        if not rel:
            raise InvalidParameterValue("An artifact file needs a path.")
        with self._errors(f"Reading {rel}"):
            response = self._s3().get_object(Bucket=self.bucket, Key=self._key(rel))
        return io.BufferedReader(_BodyReader(response["Body"]), CHUNK_BYTES)

    # ------------------------------------------------------------ multipart through clients
    def _file_key(self, artifact_file: str) -> str:
        rel = safe_relative(artifact_file)
        if not rel:
            raise InvalidParameterValue("A multipart upload needs a file path.")
        return self._key(rel)

    def create_multipart_upload(self, artifact_file: str, num_parts: int) -> MultipartUpload:
        """Start a multipart upload and presign one ``upload_part`` URL per part.

        Raises:
            InvalidParameterValue: ``num_parts`` is not within 1 to 10,000, or the path is bad.
        """
        if not 1 <= num_parts <= _MAX_PARTS:
            raise InvalidParameterValue(
                f"num_parts must be between 1 and {_MAX_PARTS}, got {num_parts}; "
                "use larger parts (MLTRAIL_MULTIPART_UPLOAD_CHUNK_SIZE)."
            )
        key = self._file_key(artifact_file)
        client = self._s3()
        with self._errors(f"Starting a multipart upload of {artifact_file}"):
            upload_id: str = client.create_multipart_upload(Bucket=self.bucket, Key=key)["UploadId"]
            credentials = [
                MultipartCredential(
                    n,
                    client.generate_presigned_url(
                        "upload_part",
                        Params={
                            "Bucket": self.bucket,
                            "Key": key,
                            "UploadId": upload_id,
                            "PartNumber": n,
                        },
                        ExpiresIn=_PRESIGNED_SECONDS,
                    ),
                )
                for n in range(1, num_parts + 1)
            ]
        return MultipartUpload(upload_id, credentials)

    def complete_multipart_upload(
        self, artifact_file: str, upload_id: str, parts: Sequence[UploadedPart]
    ) -> None:
        """Assemble the parts (in part-number order) into the object."""
        key = self._file_key(artifact_file)
        ordered = sorted(parts, key=lambda p: p.part_number)
        with self._errors(f"Completing the multipart upload of {artifact_file}"):
            self._s3().complete_multipart_upload(
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={
                    "Parts": [{"PartNumber": p.part_number, "ETag": p.etag} for p in ordered]
                },
            )

    def abort_multipart_upload(self, artifact_file: str, upload_id: str) -> None:
        """Abort the upload; the store drops the parts sent so far."""
        key = self._file_key(artifact_file)
        with self._errors(f"Aborting the multipart upload of {artifact_file}"):
            self._s3().abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)

"""The ArtifactRepository protocol: what every artifact store offers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO, Protocol, runtime_checkable

from mltrail.entities import FileInfo

__all__ = [
    "CHUNK_BYTES",
    "ArtifactRepository",
    "MultipartCredential",
    "MultipartUpload",
    "MultipartUploadRepository",
    "UploadedPart",
]

# Streams move in chunks of this size: memory stays flat whatever the file size.
CHUNK_BYTES = 1024 * 1024


@runtime_checkable
class ArtifactRepository(Protocol):
    """Files under one root URI. Artifact paths are relative and ``/``-separated.

    Every method refuses a path that would leave the root (see ``paths.safe_relative``).
    """

    artifact_uri: str

    def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None:
        """Upload one file into the folder ``artifact_path`` (the root if None)."""
        ...

    def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> None:
        """Upload a directory's contents, recursively, into the folder ``artifact_path``."""
        ...

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        """List the direct children of ``path``, with paths relative to the root."""
        ...

    def download_artifacts(self, artifact_path: str, dst_path: str | None = None) -> str:
        """Download a file or a directory (recursively) and return its local path."""
        ...

    def delete_artifacts(self, artifact_path: str | None = None) -> None:
        """Delete a file or a directory (recursively); the whole root if None."""
        ...

    def open_read(self, artifact_path: str) -> BinaryIO:
        """Open one file for streaming reads."""
        ...

    def write_stream(self, artifact_path: str, chunks: Iterable[bytes]) -> int:
        """Write a file from chunks, atomically (all or nothing); return bytes written."""
        ...


@dataclass(frozen=True, slots=True)
class MultipartCredential:
    """Where a client sends one part: a presigned URL and the headers to send with it."""

    part_number: int
    url: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MultipartUpload:
    """A started multipart upload: its id and one credential per part."""

    upload_id: str
    credentials: list[MultipartCredential]


@dataclass(frozen=True, slots=True)
class UploadedPart:
    """A part the client has sent: its number and the ETag the store answered."""

    part_number: int
    etag: str


@runtime_checkable
class MultipartUploadRepository(Protocol):
    """A store whose clients upload the parts of a large file directly (presigned URLs)."""

    def create_multipart_upload(self, artifact_file: str, num_parts: int) -> MultipartUpload:
        """Start an upload of ``artifact_file`` in ``num_parts`` parts."""
        ...

    def complete_multipart_upload(
        self, artifact_file: str, upload_id: str, parts: Sequence[UploadedPart]
    ) -> None:
        """Assemble the uploaded parts into the file."""
        ...

    def abort_multipart_upload(self, artifact_file: str, upload_id: str) -> None:
        """Drop an upload and the parts sent so far."""
        ...

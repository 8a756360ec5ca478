"""Artifacts on the local filesystem (``file://`` URIs and plain paths)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote, urlsplit

from mltrail.entities import FileInfo
from mltrail.exceptions import InvalidParameterValue, ResourceDoesNotExist
from mltrail.store.artifacts.paths import resolve_inside, safe_relative

__all__ = ["LocalArtifactRepository", "local_path_of"]


def local_path_of(uri: str) -> Path:
    """The filesystem path of a ``file://`` URI or a plain path."""
    parts = urlsplit(uri)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise InvalidParameterValue(f"Remote file URIs are not supported: {uri!r}")
        return Path(unquote(parts.path))
    if parts.scheme and len(parts.scheme) > 1:
        raise InvalidParameterValue(f"Not a local artifact location: {uri!r}")
    return Path(uri).expanduser()


class LocalArtifactRepository:
    """Artifacts under a local directory.

    Args:
        artifact_uri: ``file:///abs/path`` or a path.
        **_: Options other repositories take (tracking URI, settings); unused here.
    """

    def __init__(self, artifact_uri: str, **_: Any) -> None:
        self.artifact_uri = artifact_uri
        self.root = local_path_of(artifact_uri).resolve()

    def _target(self, artifact_path: str | None) -> Path:
        return resolve_inside(self.root, artifact_path)

    def local_file(self, artifact_path: str) -> Path:
        """The checked local path of an existing artifact file (for zero-copy serving).

        Raises:
            ResourceDoesNotExist: There is no file at that path.
        """
        target = self._target(artifact_path)
        if not target.is_file():
            raise ResourceDoesNotExist(f"No artifact file at {artifact_path!r}")
        return target

    def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None:
        """Copy one file into the folder ``artifact_path``."""
        source = Path(local_file)
        if not source.is_file():
            raise InvalidParameterValue(f"No file to log at {local_file!r}")
        folder = self._target(artifact_path)
        with open(source, "rb") as fh:
            self._write_atomic(folder / source.name, iter(lambda: fh.read(1 << 20), b""))

    def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> None:
        """Copy a directory's contents into the folder ``artifact_path``."""
        source = Path(local_dir)
        if not source.is_dir():
            raise InvalidParameterValue(f"No directory to log at {local_dir!r}")
        base = safe_relative(artifact_path)
        for dirpath, _, filenames in os.walk(source):
            rel = Path(dirpath).relative_to(source).as_posix()
            folder = "/".join(p for p in (base, "" if rel == "." else rel) if p)
            for name in filenames:
                self.log_artifact(os.path.join(dirpath, name), folder or None)

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        """List the direct children of ``path`` (empty if it does not exist or is a file)."""
        rel = safe_relative(path)
        folder = self._target(rel)
        if not folder.is_dir():
            return []
        out = []
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            child = f"{rel}/{entry.name}" if rel else entry.name
            if entry.is_dir():
                out.append(FileInfo(child, True, None))
            else:
                out.append(FileInfo(child, False, entry.stat().st_size))
        return out

    def download_artifacts(self, artifact_path: str, dst_path: str | None = None) -> str:
        """Copy a file or directory out of the repository; return the local path."""
        source = self._target(artifact_path)
        if not source.exists():
            raise ResourceDoesNotExist(f"No artifact at {artifact_path!r} in {self.artifact_uri}")
        dst_root = Path(dst_path) if dst_path else Path(tempfile.mkdtemp(prefix="mltrail-dl-"))
        dst = dst_root / safe_relative(artifact_path) if artifact_path else dst_root
        if source.is_dir():
            shutil.copytree(source, dst, dirs_exist_ok=True, ignore=self._links_out)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, dst)
        return str(dst)

    def delete_artifacts(self, artifact_path: str | None = None) -> None:
        """Delete a file or directory (the whole root when None)."""
        target = self._target(artifact_path)
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()

    def open_read(self, artifact_path: str) -> BinaryIO:
        """Open a file for reading."""
        target = self._target(artifact_path)
        if not target.is_file():
            raise ResourceDoesNotExist(f"No artifact file at {artifact_path!r}")
        return open(target, "rb")

    def write_stream(self, artifact_path: str, chunks: Iterable[bytes]) -> int:
        """Write a file from chunks; it appears whole or not at all."""
        rel = safe_relative(artifact_path)
        if not rel:
            raise InvalidParameterValue("An artifact file needs a path.")
        return self._write_atomic(self._target(rel), chunks)

    def _links_out(self, folder: str, names: list[str]) -> set[str]:
        """The entries of ``folder`` that are symlinks leading out of the root (never copied)."""
        out = set()
        for name in names:
            path = Path(folder) / name
            if path.is_symlink():
                real = Path(os.path.realpath(path))
                if real != self.root and self.root not in real.parents:
                    out.add(name)
        return out

    @contextmanager
    def open_write(self, artifact_path: str) -> Iterator[BinaryIO]:
        """Open a file for writing; it appears (atomically) only if the block succeeds."""
        rel = safe_relative(artifact_path)
        if not rel:
            raise InvalidParameterValue("An artifact file needs a path.")
        target = self._prepare(self._target(rel))
        fd, tmp = tempfile.mkstemp(prefix=".upload-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                yield out
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _prepare(self, target: Path) -> Path:
        if target.is_dir():
            raise InvalidParameterValue(f"{target.name!r} is a directory in the artifact root.")
        if not target.parent.is_dir():
            target.parent.mkdir(parents=True, exist_ok=True)
            # The folder was created inside the root; check again that no symlink led it out.
            resolve_inside(self.root, target.relative_to(self.root).as_posix())
        return target

    def _write_atomic(self, target: Path, chunks: Iterable[bytes]) -> int:
        self._prepare(target)
        fd, tmp = tempfile.mkstemp(prefix=".upload-", dir=target.parent)
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
                    size += len(chunk)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return size

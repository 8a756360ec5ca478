"""Run artifacts on the client side: find a run's repository and log text and dicts as files."""

from __future__ import annotations

import json
import os
import posixpath
import tempfile
from typing import Any

from mltrail.exceptions import InvalidParameterValue, MlflowException
from mltrail.store.artifacts.base import ArtifactRepository
from mltrail.store.artifacts.paths import safe_relative
from mltrail.store.artifacts.registry import get_artifact_repository

__all__ = ["log_dict_to", "log_text_to", "repository_for"]


def repository_for(artifact_uri: str, tracking_uri: str) -> ArtifactRepository:
    """The repository of a run's artifact root, as seen from a client of ``tracking_uri``."""
    return get_artifact_repository(artifact_uri, tracking_uri=tracking_uri)


def _split_file(artifact_file: str) -> tuple[str | None, str]:
    rel = safe_relative(artifact_file)
    if not rel:
        raise InvalidParameterValue("artifact_file must name a file, e.g. 'notes/summary.txt'.")
    folder, name = posixpath.split(rel)
    return folder or None, name


def log_text_to(repo: ArtifactRepository, text: str, artifact_file: str) -> None:
    """Write ``text`` (UTF-8) as the artifact ``artifact_file``."""
    folder, name = _split_file(artifact_file)
    with tempfile.TemporaryDirectory(prefix="mltrail-text-") as tmp:
        path = os.path.join(tmp, name)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        repo.log_artifact(path, folder)


def log_dict_to(repo: ArtifactRepository, dictionary: Any, artifact_file: str) -> None:
    """Write a dict as JSON, or as YAML when ``artifact_file`` ends in ``.yaml``/``.yml``."""
    if artifact_file.endswith((".yaml", ".yml")):
        try:
            import yaml
        except ImportError as exc:
            raise MlflowException(
                "Logging a dict as YAML needs PyYAML: pip install pyyaml (or use a .json name)."
            ) from exc
        text = yaml.safe_dump(dictionary, sort_keys=False, allow_unicode=True)
    else:
        text = json.dumps(dictionary, indent=2, allow_nan=True)
    log_text_to(repo, text, artifact_file)

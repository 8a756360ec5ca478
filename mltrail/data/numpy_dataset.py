"""Datasets built from NumPy arrays (imports numpy)."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from mltrail.data.dataset import Dataset, DatasetSource
from mltrail.data.schema import tensor_schema

__all__ = ["from_numpy"]

_DIGEST_BYTES = 16 * 1024 * 1024


def _digest(*arrays: np.ndarray[Any, Any] | None) -> str:
    hasher = hashlib.sha256()
    for array in arrays:
        if array is None:
            continue
        contiguous = np.ascontiguousarray(array)
        hasher.update(repr((contiguous.shape, str(contiguous.dtype))).encode())
        hasher.update(contiguous.view(np.uint8).reshape(-1)[:_DIGEST_BYTES].tobytes())
    return hasher.hexdigest()[:8]


def from_numpy(
    features: np.ndarray[Any, Any],
    source: str | None = None,
    targets: np.ndarray[Any, Any] | None = None,
    name: str | None = None,
    digest: str | None = None,
) -> Dataset:
    """Describe NumPy features (and optional targets) as a dataset for ``log_input``.

    Args:
        features: Feature array.
        source: Where it came from (path or URI); None means it was made in code.
        targets: Target array with as many rows as ``features``.
        name: Dataset name; ``dataset`` by default.
        digest: Override the computed content digest.

    Raises:
        ValueError: ``targets`` has a different number of rows than ``features``.
    """
    if targets is not None and len(targets) != len(features):
        raise ValueError(
            f"features has {len(features)} rows but targets has {len(targets)}; they must match."
        )
    schema = {"features": tensor_schema(features.dtype, features.shape)}
    profile: dict[str, Any] = {
        "features_shape": list(features.shape),
        "features_size": int(features.size),
    }
    if targets is not None:
        schema["targets"] = tensor_schema(targets.dtype, targets.shape)
        profile["targets_shape"] = list(targets.shape)
        profile["targets_size"] = int(targets.size)
    return Dataset(
        name or "dataset",
        digest or _digest(features, targets),
        DatasetSource.from_uri(source),
        schema,
        profile,
        None if targets is None else "targets",
    )

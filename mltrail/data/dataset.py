"""The dataset object that ``log_input`` takes: name, digest, source, schema and profile."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from mltrail.entities import Dataset as DatasetEntity

__all__ = ["Dataset", "DatasetSource"]


@dataclass(frozen=True, slots=True)
class DatasetSource:
    """Where a dataset's data lives.

    Args:
        source_type: ``local``, ``http``, ``s3``, ``code`` and so on.
        spec: JSON-serialisable description, e.g. ``{"uri": "s3://bucket/data.parquet"}``.
    """

    source_type: str
    spec: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """Return the source as the JSON text stored with the dataset."""
        return json.dumps(self.spec, sort_keys=True)

    @classmethod
    def from_uri(cls, uri: str | None) -> DatasetSource:
        """Build a source from a URI or path; ``None`` means the data was made in code."""
        if uri is None:
            return cls("code", {})
        scheme = uri.split("://", 1)[0] if "://" in uri else ""
        kind = {"": "local", "file": "local", "http": "http", "https": "http"}.get(scheme, scheme)
        return cls(kind, {"uri": uri})


@dataclass(frozen=True, slots=True)
class Dataset:
    """A dataset description ready to log as a run input.

    Args:
        name: Dataset name.
        digest: Short content hash; equal data gives an equal digest.
        source: Where the data lives.
        schema: JSON-serialisable schema, or None.
        profile: JSON-serialisable summary (row and element counts), or None.
        targets: Name of the target column, if any.
    """

    name: str
    digest: str
    source: DatasetSource
    schema: dict[str, Any] | None = None
    profile: dict[str, Any] | None = None
    targets: str | None = None

    def to_entity(self) -> DatasetEntity:
        """Return the tracking entity stored by ``log_inputs``."""
        return DatasetEntity(
            self.name,
            self.digest,
            self.source.source_type,
            self.source.to_json(),
            None if self.schema is None else json.dumps(self.schema, sort_keys=True),
            None if self.profile is None else json.dumps(self.profile, sort_keys=True),
        )

    def to_dict(self) -> dict[str, str]:
        """Return the stored fields as strings, as MLflow's dataset objects do."""
        entity = self.to_entity()
        out = {
            "name": entity.name,
            "digest": entity.digest,
            "source": entity.source,
            "source_type": entity.source_type,
        }
        if entity.schema is not None:
            out["schema"] = entity.schema
        if entity.profile is not None:
            out["profile"] = entity.profile
        return out

"""The MLmodel file: a model directory's description (flavors, signature, ids, example)."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import yaml

from mltrail.exceptions import InvalidParameterValue, ResourceDoesNotExist
from mltrail.models.signature import ModelSignature

__all__ = ["MLMODEL_FILE_NAME", "Model"]

MLMODEL_FILE_NAME = "MLmodel"
VERSION = "0.1.0"
_KNOWN_KEYS = {
    "artifact_path",
    "flavors",
    "model_id",
    "run_id",
    "utc_time_created",
    "signature",
    "saved_input_example_info",
    "model_size_bytes",
    "model_uuid",
    "metadata",
}


@dataclass
class Model:
    """The contents of an ``MLmodel`` file.

    Args:
        artifact_path: Name of the model under its run or logged model.
        run_id: The run that logged it.
        model_id: The LoggedModel that holds it.
        utc_time_created: Creation time as ``YYYY-MM-DD HH:MM:SS.ffffff``.
        flavors: Flavor name to its configuration.
        signature: Input/output/params schemas.
        saved_input_example_info: Where the input example is stored and in what format.
        model_uuid: Random id of this saved copy.
        model_size_bytes: Total size of the directory's files.
        metadata: Free-form user metadata.
        extra: Keys this version does not know, kept so a rewrite does not lose them.
    """

    artifact_path: str | None = None
    run_id: str | None = None
    model_id: str | None = None
    utc_time_created: str = field(
        default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    )
    flavors: dict[str, dict[str, Any]] = field(default_factory=dict)
    signature: ModelSignature | None = None
    saved_input_example_info: dict[str, Any] | None = None
    model_uuid: str = field(default_factory=lambda: uuid.uuid4().hex)
    model_size_bytes: int | None = None
    metadata: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def add_flavor(self, name: str, **params: Any) -> Model:
        """Add (or replace) a flavor's configuration and return self."""
        self.flavors[name] = params
        return self

    def to_dict(self) -> dict[str, Any]:
        """The YAML mapping, with MLflow's keys."""
        out: dict[str, Any] = {}
        if self.artifact_path is not None:
            out["artifact_path"] = self.artifact_path
        out["flavors"] = self.flavors
        if self.metadata:
            out["metadata"] = self.metadata
        out["mltrail_version"] = VERSION
        if self.model_id is not None:
            out["model_id"] = self.model_id
        if self.model_size_bytes is not None:
            out["model_size_bytes"] = self.model_size_bytes
        out["model_uuid"] = self.model_uuid
        out["run_id"] = self.run_id
        if self.saved_input_example_info is not None:
            out["saved_input_example_info"] = self.saved_input_example_info
        if self.signature is not None:
            out["signature"] = self.signature.to_dict()
        out["utc_time_created"] = self.utc_time_created
        for key, value in self.extra.items():
            out.setdefault(key, value)
        return out

    def to_yaml(self) -> str:
        """The MLmodel file's text."""
        return str(yaml.safe_dump(self.to_dict(), default_flow_style=False, sort_keys=False))

    def save(self, path: str) -> None:
        """Write the MLmodel file into the directory ``path`` (or to ``path`` itself)."""
        target = os.path.join(path, MLMODEL_FILE_NAME) if os.path.isdir(path) else path
        with open(target, "w", encoding="utf-8") as fh:
            fh.write(self.to_yaml())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Model:
        """Build from a parsed MLmodel mapping."""
        signature = data.get("signature")
        extra = {k: v for k, v in data.items() if k not in _KNOWN_KEYS}
        extra.pop("mltrail_version", None)
        created = data.get("utc_time_created")
        return cls(
            artifact_path=data.get("artifact_path"),
            run_id=data.get("run_id"),
            model_id=data.get("model_id"),
            utc_time_created=str(created) if created is not None else "",
            flavors=dict(data.get("flavors") or {}),
            signature=ModelSignature.from_dict(signature) if signature else None,
            saved_input_example_info=data.get("saved_input_example_info"),
            model_uuid=str(data.get("model_uuid") or uuid.uuid4().hex),
            model_size_bytes=data.get("model_size_bytes"),
            metadata=data.get("metadata"),
            extra=extra,
        )

    @classmethod
    def load(cls, path: str) -> Model:
        """Read the MLmodel file of a local model directory (or the file itself).

        Raises:
            ResourceDoesNotExist: There is no MLmodel file at ``path``.
            InvalidParameterValue: The file is not a YAML mapping.
        """
        target = os.path.join(path, MLMODEL_FILE_NAME) if os.path.isdir(path) else path
        if not os.path.isfile(target):
            raise ResourceDoesNotExist(
                f"No MLmodel file at {target!r}: point at a directory written by save_model "
                "or log_model."
            )
        with open(target, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
        if not isinstance(data, dict):
            raise InvalidParameterValue(f"{target!r} is not a valid MLmodel file (not a mapping).")
        return cls.from_dict(data)

    def get_input_schema(self) -> Any:
        """The signature's input schema, or None."""
        return self.signature.inputs if self.signature else None

    def get_output_schema(self) -> Any:
        """The signature's output schema, or None."""
        return self.signature.outputs if self.signature else None


def directory_size(path: str) -> int:
    """Total size in bytes of the files under ``path``."""
    total = 0
    for root, _dirs, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(root, name)) for name in files)
    return total

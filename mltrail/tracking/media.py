"""Figures, images and tables as run artifacts: ``log_figure``, ``log_image``, ``log_table``.

``MediaLogging`` is the base class that gives ``MlflowClient`` these methods. Nothing heavy is
imported here: figures and PIL images are written through their own ``savefig``/``save``
methods, DataFrames through ``to_json``; only a numpy array needs ``_images`` (numpy, Pillow),
loaded on first use. File names and tags follow MLflow 3, so its UI shows what mltrail logs.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from mltrail.entities import FileInfo, Run
from mltrail.exceptions import InvalidParameterValue
from mltrail.store.artifacts.base import ArtifactRepository
from mltrail.store.artifacts.paths import safe_relative

__all__ = ["LOGGED_ARTIFACTS_TAG", "LOGGED_IMAGES_TAG", "MediaLogging", "merge_tables"]

LOGGED_IMAGES_TAG = "mlflow.loggedImages"
LOGGED_ARTIFACTS_TAG = "mlflow.loggedArtifacts"
_THUMBNAIL = 256  # the longest side of the compressed copy the UI shows in charts
_KEY = re.compile(r"^[a-zA-Z0-9_\-./ ]+$")
_PLOTLY_IMAGE = (".png", ".jpeg", ".jpg", ".webp", ".svg", ".pdf")
_TABLE_FORBIDDEN = "\"',:[]{}"


def _json_value(value: Any) -> Any:
    """JSON for numpy scalars and arrays, dates and anything else (as text)."""
    for method in ("tolist", "isoformat"):
        fn = getattr(value, method, None)
        if callable(fn):
            return fn()
    return str(value)


def _is_sequence(value: Any) -> bool:
    return not isinstance(value, str | bytes | Mapping) and hasattr(value, "__len__")


def _table_of(data: Any) -> dict[str, list[Any]]:
    """``{"columns": [...], "data": [[...], ...]}`` of a DataFrame or a dict of columns."""
    if hasattr(data, "to_json") and hasattr(data, "columns"):  # a pandas DataFrame
        table: dict[str, list[Any]] = json.loads(
            data.to_json(orient="split", index=False, date_format="iso")
        )
        return {"columns": table["columns"], "data": table["data"]}
    if not isinstance(data, Mapping):
        raise InvalidParameterValue(
            f"log_table takes a pandas.DataFrame or a dict of columns, not {type(data).__name__}."
        )
    columns = [str(c) for c in data]
    values = list(data.values())
    if values and all(not _is_sequence(v) for v in values):
        rows = [values]  # a dict of scalars is one row
    else:
        lengths = {len(v) if _is_sequence(v) else -1 for v in values}
        if len(lengths) > 1:
            raise InvalidParameterValue(
                "All columns given to log_table must have the same length (or all be scalars)."
            )
        rows = [list(r) for r in zip(*values, strict=True)] if values else []
    plain: dict[str, list[Any]] = json.loads(
        json.dumps({"columns": columns, "data": rows}, default=_json_value)
    )
    return plain


def merge_tables(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Append ``new``'s rows below ``old``'s; columns are united, missing cells are null."""
    columns = list(old.get("columns", []))
    columns += [c for c in new["columns"] if c not in columns]

    def aligned(table: Mapping[str, Any]) -> list[list[Any]]:
        index = {c: i for i, c in enumerate(table.get("columns", []))}
        return [[row[index[c]] if c in index else None for c in columns] for row in table["data"]]

    return {"columns": columns, "data": aligned(old) + aligned(new)}


class MediaLogging:
    """Logging of figures, images and tables; the subclass supplies the run's repository."""

    def _artifact_repo(self, run_id: str) -> ArtifactRepository:
        raise NotImplementedError

    def get_run(self, run_id: str) -> Run:
        raise NotImplementedError

    def set_tag(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> Any:
        raise NotImplementedError

    def _write(self, run_id: str, artifact_file: str, writer: Callable[[str], None]) -> None:
        rel = safe_relative(artifact_file)
        folder, name = posixpath.split(rel)
        if not name:
            raise InvalidParameterValue("artifact_file must name a file, e.g. 'plots/loss.png'.")
        with tempfile.TemporaryDirectory(prefix="mltrail-media-") as tmp:
            path = os.path.join(tmp, name)
            writer(path)
            self._artifact_repo(run_id).log_artifact(path, folder or None)

    def log_figure(
        self,
        run_id: str,
        figure: Any,
        artifact_file: str,
        *,
        save_kwargs: dict[str, Any] | None = None,
    ) -> None:
        """Save a matplotlib or plotly figure as the artifact ``artifact_file``.

        Args:
            run_id: The run.
            figure: A ``matplotlib.figure.Figure`` or a ``plotly.graph_objects.Figure``.
            artifact_file: Run-relative file path; its extension picks the format
                (plotly: ``.html``, or an image format, which needs kaleido).
            save_kwargs: Extra arguments for ``savefig``/``write_html``/``write_image``.

        Raises:
            TypeError: The figure is neither, or plotly cannot write that extension.
        """
        kwargs = dict(save_kwargs or {})
        extension = os.path.splitext(artifact_file)[1].lower()
        if callable(getattr(figure, "savefig", None)):
            self._write(run_id, artifact_file, lambda p: figure.savefig(p, **kwargs))
        elif callable(getattr(figure, "write_html", None)):
            if extension == ".html":
                kwargs.setdefault("include_plotlyjs", "cdn")
                kwargs.setdefault("auto_open", False)
                self._write(run_id, artifact_file, lambda p: figure.write_html(p, **kwargs))
            elif extension in _PLOTLY_IMAGE:
                self._write(run_id, artifact_file, lambda p: figure.write_image(p, **kwargs))
            else:
                raise TypeError(f"Unsupported file extension for a plotly figure: {extension!r}")
        else:
            raise TypeError(
                f"Unsupported figure object type: {type(figure)}; log a matplotlib or plotly "
                "figure."
            )

    def log_image(
        self,
        run_id: str,
        image: Any,
        artifact_file: str | None = None,
        key: str | None = None,
        step: int | None = None,
        timestamp: int | None = None,
        synchronous: bool | None = None,
    ) -> None:
        """Log a numpy array or a PIL image, as a file or as one step of an image series.

        With ``key``, the image is stored as MLflow 3 stores image series:
        ``images/<key>+step+<step>+timestamp+<ms>+<uuid>.png`` plus a compressed ``.webp``
        thumbnail beside it, and the run gets the ``mlflow.loggedImages`` tag.

        Args:
            run_id: The run.
            image: ``numpy.ndarray`` ((H, W), (H, W, 1|3|4); integers in [0, 255], floats in
                [0, 1]) or ``PIL.Image.Image``.
            artifact_file: Run-relative file path (the legacy form); not with ``key``.
            key: Name of the image series (letters, digits, ``_-./`` and spaces).
            step: Step of this image in the series (0 by default).
            timestamp: Milliseconds since the epoch (now by default).
            synchronous: Accepted for MLflow compatibility; images are written at once.

        Raises:
            TypeError: Neither or both of ``artifact_file`` and ``key``, or an unknown image type.
            InvalidParameterValue: A key with other characters, or an array that is no image.
        """
        if artifact_file is not None and any(a is not None for a in (key, step, timestamp)):
            raise TypeError("artifact_file cannot be combined with key, step or timestamp.")
        if artifact_file is None and key is None:
            raise TypeError(
                "Give exactly one of artifact_file (a static image) or key (an image series)."
            )
        picture = self._to_image(image)
        if artifact_file is not None:
            self._write(run_id, artifact_file, picture.save)
            return
        assert key is not None
        if not _KEY.match(key):
            raise InvalidParameterValue(
                f"Invalid image key {key!r}: use letters, digits, underscores, dashes, periods, "
                "spaces and slashes."
            )
        ms = timestamp or int(time.time() * 1000)
        stem = f"images/{key.replace('/', '~')}+step+{step or 0}+timestamp+{ms}+{uuid.uuid4()}"
        self._write(run_id, f"{stem}.png", picture.save)
        width, height = picture.size
        scale = _THUMBNAIL / max(width, height, 1)
        small = picture.resize((max(1, int(width * scale)), max(1, int(height * scale))))
        self._write(run_id, f"{stem}+compressed.webp", small.save)
        self.set_tag(run_id, LOGGED_IMAGES_TAG, True, synchronous)

    @staticmethod
    def _to_image(image: Any) -> Any:
        if hasattr(image, "__array_interface__") and not callable(getattr(image, "save", None)):
            from mltrail.tracking import _images  # imports numpy and Pillow on first use

            return _images.array_to_image(image)
        if isinstance(image, list):
            from mltrail.tracking import _images

            return _images.array_to_image(image)
        if callable(getattr(image, "save", None)) and callable(getattr(image, "resize", None)):
            return image  # a PIL image
        raise TypeError(
            f"Unsupported image object type: {type(image)}; log a numpy.ndarray or a "
            "PIL.Image.Image."
        )

    def log_table(self, run_id: str, data: Any, artifact_file: str) -> None:
        """Log a table as JSON (``{"columns": [...], "data": [[...]]}``), appending to the file.

        When the run already has ``artifact_file``, the new rows go below the old ones (columns
        are united, missing cells are null). The run's ``mlflow.loggedArtifacts`` tag lists the
        table, so the UI offers it in its table views.

        Args:
            run_id: The run.
            data: A ``pandas.DataFrame``, or a dict of columns (a dict of scalars is one row).
            artifact_file: Run-relative ``.json`` path, e.g. ``eval/results.json``.

        Raises:
            InvalidParameterValue: A bad file name or extension, or columns of unequal length.
        """
        bad = [c for c in _TABLE_FORBIDDEN if c in artifact_file]
        if bad:
            raise InvalidParameterValue(
                f"artifact_file {artifact_file!r} contains the forbidden character {bad[0]!r}."
            )
        if not artifact_file.endswith(".json"):
            raise InvalidParameterValue(
                f"Invalid table file {artifact_file!r}: give it a '.json' extension."
            )
        rel = safe_relative(artifact_file)
        table = _table_of(data)
        existing = self._read_table(run_id, rel)
        if existing is not None:
            table = merge_tables(existing, table)
        text = json.dumps(table, allow_nan=False, default=_json_value)
        self._write(run_id, rel, lambda p: _write_text(p, text))
        self._tag_table(run_id, rel)

    def _read_table(self, run_id: str, rel: str) -> dict[str, Any] | None:
        repo = self._artifact_repo(run_id)
        folder = posixpath.dirname(rel)
        listed: list[FileInfo] = repo.list_artifacts(folder or None)
        if not any(f.path == rel and not f.is_dir for f in listed):
            return None
        with tempfile.TemporaryDirectory(prefix="mltrail-table-") as tmp:
            local = repo.download_artifacts(rel, tmp)
            with open(local, encoding="utf-8") as fh:
                old: dict[str, Any] = json.load(fh)
        if "columns" not in old or "data" not in old:
            raise InvalidParameterValue(
                f"The run's {rel!r} is not a table (no 'columns' and 'data'); log the table "
                "under another file name."
            )
        return old

    def _tag_table(self, run_id: str, rel: str) -> None:
        current = self.get_run(run_id).data.tags.get(LOGGED_ARTIFACTS_TAG)
        entries: list[dict[str, str]] = json.loads(current) if current else []
        entry = {"path": rel, "type": "table"}
        if entry not in entries:
            self.set_tag(run_id, LOGGED_ARTIFACTS_TAG, json.dumps([*entries, entry]), True)


def _write_text(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)

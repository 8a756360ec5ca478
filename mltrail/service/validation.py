"""Key, value, name and batch rules for tracking and registry writes, in one place."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence

from mltrail.entities import Dataset, DatasetInput, Metric, Param, RunTag
from mltrail.exceptions import InvalidParameterValue

__all__ = [
    "MAX_ALIAS_LENGTH",
    "MAX_ENTITIES_PER_BATCH",
    "MAX_ENTITY_KEY_LENGTH",
    "MAX_EXPERIMENT_NAME_LENGTH",
    "MAX_EXPERIMENT_TAG_VAL_LENGTH",
    "MAX_METRICS_PER_BATCH",
    "MAX_PARAMS_TAGS_PER_BATCH",
    "MAX_PARAM_VAL_LENGTH",
    "MAX_REGISTERED_MODEL_NAME_LENGTH",
    "MAX_RESULTS_LIMIT",
    "MAX_TAG_VAL_LENGTH",
    "parse_version_number",
    "registry_tags",
    "validate_batch",
    "validate_dataset_inputs",
    "validate_experiment_name",
    "validate_experiment_tag",
    "validate_key",
    "validate_max_results",
    "validate_metric",
    "validate_model_alias",
    "validate_param",
    "validate_registered_model_name",
    "validate_registry_tag",
    "validate_run_id",
    "validate_run_name",
    "validate_tag",
]

MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_TAGS_PER_BATCH = 100
MAX_ENTITIES_PER_BATCH = 1000
MAX_ENTITY_KEY_LENGTH = 250
MAX_PARAM_VAL_LENGTH = 6000
MAX_TAG_VAL_LENGTH = 8000
MAX_EXPERIMENT_NAME_LENGTH = 256
MAX_EXPERIMENT_TAG_VAL_LENGTH = 20000
MAX_RUN_NAME_LENGTH = 250
MAX_RESULTS_LIMIT = 50000
MAX_DATASET_NAME_SIZE = 500
MAX_DATASET_DIGEST_SIZE = 36
MAX_DATASET_SOURCE_SIZE = 65535
MAX_INPUT_TAG_KEY_SIZE = 255
MAX_INPUT_TAG_VALUE_SIZE = 500

MAX_REGISTERED_MODEL_NAME_LENGTH = 256
MAX_ALIAS_LENGTH = 255
_VERSION_ALIAS = re.compile(r"^v\d+$", re.IGNORECASE)
_NAME_RE = re.compile(r"^[/\w.\- :]*$")
_RUN_ID_RE = re.compile(r"^[a-zA-Z0-9][\w\-]{0,255}$")
_NAME_RULE = (
    "Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), "
    "spaces ( ), colons (:) and slashes (/)"
)


def _fail(message: str) -> InvalidParameterValue:
    return InvalidParameterValue(message)


def validate_key(kind: str, key: object) -> str:
    """Check a metric, param or tag key.

    Raises:
        InvalidParameterValue: The key is missing, too long, has a forbidden character, or
            would name another path when used as a file name (``a/../b``, ``/x``, ``.``).
    """
    if key is None or not isinstance(key, str) or key == "":
        raise _fail(f"Missing value for required parameter 'key': every {kind} needs a name.")
    if len(key) > MAX_ENTITY_KEY_LENGTH:
        raise _fail(
            f"{kind.capitalize()} name '{key[:50]}...' is {len(key)} characters long; "
            f"the limit is {MAX_ENTITY_KEY_LENGTH}. Use a shorter name."
        )
    if not _NAME_RE.match(key):
        raise _fail(f"Invalid {kind} name {key!r}. {_NAME_RULE}.")
    normalized = posixpath.normpath(key)
    if normalized != key or normalized == "." or key.startswith(("..", "/")):
        raise _fail(
            f"Invalid {kind} name {key!r}: names are used as file paths, so they must not "
            "start with '/', contain '..' segments, '//' or end with '/'."
        )
    return key


def validate_metric(metric: Metric) -> None:
    """Check a metric point's name, value, timestamp and step.

    Raises:
        InvalidParameterValue: A part of the point is invalid.
    """
    validate_key("metric", metric.key)
    _validate_metric_numbers(metric)


def _validate_metric_numbers(metric: Metric) -> None:
    value = metric.value
    if (
        type(value) is float
        and type(metric.timestamp) is int
        and type(metric.step) is int
        and -(2**63) <= metric.timestamp < 2**63
        and -(2**63) <= metric.step < 2**63
    ):
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(
            f"Got invalid value {value!r} for metric '{metric.key}' (timestamp={metric.timestamp}"
            "). Metric values must be numbers (float or int); convert it or log it as a param."
        )
    for name, number in (("timestamp", metric.timestamp), ("step", metric.step)):
        if isinstance(number, bool) or not isinstance(number, int):
            raise _fail(
                f"Got invalid {name} {number!r} for metric '{metric.key}' (value={value}). "
                f"The {name} must be an integer."
            )
        if not -(2**63) <= number < 2**63:
            raise _fail(f"The {name} {number} of metric '{metric.key}' does not fit in int64.")


def validate_param(param: Param) -> None:
    """Check a param's key and value length.

    Raises:
        InvalidParameterValue: The key is invalid or the value is longer than 6000 characters.
    """
    validate_key("param", param.key)
    if not isinstance(param.value, str):
        raise _fail(f"Param '{param.key}' has a value of type {type(param.value).__name__}.")
    if len(param.value) > MAX_PARAM_VAL_LENGTH:
        raise _fail(
            f"Param '{param.key}' has a value of {len(param.value)} characters; the limit is "
            f"{MAX_PARAM_VAL_LENGTH}. Values are never truncated: shorten it or log it as an "
            "artifact."
        )


def validate_tag(tag: RunTag) -> None:
    """Check a run tag's key and value length.

    Raises:
        InvalidParameterValue: The key is invalid or the value is longer than 8000 characters.
    """
    validate_key("tag", tag.key)
    if tag.value is not None and not isinstance(tag.value, str):
        raise _fail(f"Tag '{tag.key}' has a value of type {type(tag.value).__name__}.")
    if tag.value is not None and len(tag.value) > MAX_TAG_VAL_LENGTH:
        raise _fail(
            f"Tag '{tag.key}' has a value of {len(tag.value)} characters; the limit is "
            f"{MAX_TAG_VAL_LENGTH}. Values are never truncated: shorten it."
        )


def validate_experiment_tag(key: str, value: str) -> None:
    """Check an experiment tag.

    Raises:
        InvalidParameterValue: The key is invalid or the value is too long.
    """
    validate_key("tag", key)
    if value is not None and len(value) > MAX_EXPERIMENT_TAG_VAL_LENGTH:
        raise _fail(
            f"Experiment tag '{key}' has a value of {len(value)} characters; the limit is "
            f"{MAX_EXPERIMENT_TAG_VAL_LENGTH}."
        )


def validate_experiment_name(name: object) -> str:
    """Check an experiment name.

    Raises:
        InvalidParameterValue: The name is missing, not a string, or too long.
    """
    if name is None or name == "":
        raise _fail("Invalid experiment name: ''. Experiment names must be non-empty strings.")
    if not isinstance(name, str):
        raise _fail(
            f"Invalid experiment name: {name!r}. Expected a string, got {type(name).__name__}."
        )
    if len(name) > MAX_EXPERIMENT_NAME_LENGTH:
        raise _fail(
            f"Experiment name is {len(name)} characters long; the limit is "
            f"{MAX_EXPERIMENT_NAME_LENGTH}."
        )
    return name


def validate_run_id(run_id: object) -> str:
    """Check the shape of a run id.

    Raises:
        InvalidParameterValue: The id is missing or has characters a run id never has.
    """
    if not isinstance(run_id, str) or not run_id:
        raise _fail("Missing value for required parameter 'run_id'.")
    if not _RUN_ID_RE.match(run_id):
        raise _fail(f"Invalid run ID: {run_id!r}. Run ids are 32 hexadecimal characters.")
    return run_id


def validate_run_name(name: str | None) -> None:
    """Check a run name's length.

    Raises:
        InvalidParameterValue: The name is longer than 250 characters.
    """
    if name is not None and len(name) > MAX_RUN_NAME_LENGTH:
        raise _fail(f"Run name is {len(name)} characters long; the limit is {MAX_RUN_NAME_LENGTH}.")


def validate_max_results(max_results: int | None, limit: int = MAX_RESULTS_LIMIT) -> int | None:
    """Check a page size.

    Raises:
        InvalidParameterValue: It is not a positive integer no greater than ``limit``.
    """
    if max_results is None:
        return None
    if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results <= 0:
        raise _fail(f"Invalid value {max_results!r} for max_results: use a positive integer.")
    if max_results > limit:
        raise _fail(
            f"Invalid value {max_results} for parameter 'max_results' supplied. It must be at "
            f"most {limit}."
        )
    return max_results


def validate_batch(
    metrics: Sequence[Metric], params: Sequence[Param], tags: Sequence[RunTag]
) -> None:
    """Check a log_batch request: its size limits, then every element.

    Raises:
        InvalidParameterValue: A limit is exceeded, an element is invalid, or the batch gives
            one param key two different values.
    """
    if len(metrics) > MAX_METRICS_PER_BATCH:
        raise _fail(
            f"A batch logging request can have at most {MAX_METRICS_PER_BATCH} metrics; got "
            f"{len(metrics)}. Split it into several calls."
        )
    if len(params) > MAX_PARAMS_TAGS_PER_BATCH:
        raise _fail(
            f"A batch logging request can have at most {MAX_PARAMS_TAGS_PER_BATCH} params; got "
            f"{len(params)}. Split it into several calls."
        )
    if len(tags) > MAX_PARAMS_TAGS_PER_BATCH:
        raise _fail(
            f"A batch logging request can have at most {MAX_PARAMS_TAGS_PER_BATCH} tags; got "
            f"{len(tags)}. Split it into several calls."
        )
    total = len(metrics) + len(params) + len(tags)
    if total > MAX_ENTITIES_PER_BATCH:
        raise _fail(
            f"A batch logging request can have at most {MAX_ENTITIES_PER_BATCH} metrics, params "
            f"and tags in total; got {total}. Split it into several calls."
        )
    checked: set[str] = set()
    low, high = -(2**63), 2**63
    for metric in metrics:
        # Keys repeat within a batch (one per series); check each name once.
        if metric.key not in checked:
            validate_key("metric", metric.key)
            checked.add(metric.key)
        # The common well-typed point is checked inline; anything else gets the full check
        # and its error message.
        ts, step = metric.timestamp, metric.step
        if not (
            type(metric.value) is float
            and type(ts) is int
            and type(step) is int
            and low <= ts < high
            and low <= step < high
        ):
            _validate_metric_numbers(metric)
    seen: dict[str, str] = {}
    for param in params:
        validate_param(param)
        if seen.setdefault(param.key, param.value) != param.value:
            raise _fail(
                f"Duplicate parameter keys with different values in one batch: '{param.key}' "
                f"is given both {seen[param.key]!r} and {param.value!r}."
            )
    for tag in tags:
        validate_tag(tag)


def validate_dataset_inputs(inputs: Sequence[DatasetInput]) -> None:
    """Check dataset inputs' names, digests, sources and tag sizes.

    Raises:
        InvalidParameterValue: A field is missing or too long.
    """
    for item in inputs:
        ds: Dataset = item.dataset
        for field, value, limit in (
            ("name", ds.name, MAX_DATASET_NAME_SIZE),
            ("digest", ds.digest, MAX_DATASET_DIGEST_SIZE),
            ("source_type", ds.source_type, 36),
            ("source", ds.source, MAX_DATASET_SOURCE_SIZE),
        ):
            if not value:
                raise _fail(f"Missing value for required parameter 'dataset.{field}'.")
            if len(value) > limit:
                raise _fail(f"Dataset {field} is {len(value)} characters; the limit is {limit}.")
        for tag in item.tags:
            if not tag.key or len(tag.key) > MAX_INPUT_TAG_KEY_SIZE:
                raise _fail(f"Input tag key {tag.key!r} must be 1 to 255 characters.")
            if tag.value is None or len(tag.value) > MAX_INPUT_TAG_VALUE_SIZE:
                raise _fail(f"Input tag '{tag.key}' value must be at most 500 characters.")


# ------------------------------------------------------------------ model registry
def validate_registered_model_name(name: object, field: str = "name") -> str:
    """Check a registered model name.

    Raises:
        InvalidParameterValue: It is missing or longer than 256 characters.
    """
    if not isinstance(name, str) or not name.strip():
        raise InvalidParameterValue(f"Missing value for required parameter '{field}'.")
    if len(name) > MAX_REGISTERED_MODEL_NAME_LENGTH:
        raise InvalidParameterValue(
            f"Registered model name is {len(name)} characters long; the limit is "
            f"{MAX_REGISTERED_MODEL_NAME_LENGTH}. Use a shorter name."
        )
    return name


def parse_version_number(version: object) -> int:
    """Read a model version number (``"3"`` or ``3``).

    Raises:
        InvalidParameterValue: It is not a positive integer.
    """
    try:
        number = int(str(version))
    except ValueError:
        raise InvalidParameterValue(
            f"Parameter 'version' must be an integer, got '{version}'."
        ) from None
    if number < 1:
        raise InvalidParameterValue(f"Parameter 'version' must be at least 1, got '{version}'.")
    return number


def validate_model_alias(alias: object) -> str:
    """Check a registered model alias (``latest`` and ``v<digits>`` are reserved).

    Raises:
        InvalidParameterValue: It is missing, too long, reserved or has '/', '@' or ':'.
    """
    if not isinstance(alias, str) or not alias:
        raise InvalidParameterValue("Missing value for required parameter 'alias'.")
    if len(alias) > MAX_ALIAS_LENGTH:
        raise InvalidParameterValue(
            f"Alias name is {len(alias)} characters long; the limit is {MAX_ALIAS_LENGTH}."
        )
    if alias.lower() == "latest":
        raise InvalidParameterValue(
            "'latest' alias name (case insensitive) is reserved: models:/<name>/latest already "
            "means the newest version. Pick another alias."
        )
    if _VERSION_ALIAS.match(alias):
        raise InvalidParameterValue(
            f"Version alias name '{alias}' is reserved: it reads as a version number. Pick "
            "another alias."
        )
    if "/" in alias or "@" in alias or ":" in alias:
        raise InvalidParameterValue(
            f"Invalid alias name {alias!r}: it must not contain '/', '@' or ':'."
        )
    return alias


def registry_tags(tags: Mapping[str, str] | None) -> dict[str, str]:
    """Return registry tags as strings, each checked by ``validate_registry_tag``."""
    out = {str(k): str(v) for k, v in (tags or {}).items()}
    for key, value in out.items():
        validate_registry_tag(key, value)
    return out


def validate_registry_tag(key: str, value: str) -> None:
    """Check a registered model or model version tag.

    Raises:
        InvalidParameterValue: The key is invalid or the value too long.
    """
    validate_key("tag", key)
    if len(value) > MAX_TAG_VAL_LENGTH:
        raise InvalidParameterValue(
            f"Tag {key!r} has a value of {len(value)} characters; the limit is "
            f"{MAX_TAG_VAL_LENGTH}."
        )

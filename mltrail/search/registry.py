"""The registry's search grammar: registered-model and model-version filters and orderings."""

from __future__ import annotations

from collections.abc import Sequence

from mltrail.exceptions import InvalidParameterValue
from mltrail.search.filter import Comparison, tokenize
from mltrail.search.filter import _check_value as check_value
from mltrail.search.filter import _fail as fail
from mltrail.search.filter import _Parser as Parser

__all__ = [
    "RegistryOrder",
    "parse_model_version_filter",
    "parse_registered_model_filter",
    "parse_registry_order_by",
]

_TAG_PREFIXES = ("tags", "tag")
_MODEL_ATTRIBUTES = {"name": "name"}
_VERSION_STRING_ATTRIBUTES = {
    "name": "name",
    "run_id": "run_id",
    "source_path": "source_path",
    "source": "source_path",
    "model_id": "model_id",
    "current_stage": "current_stage",
}
_VERSION_NUMERIC_ATTRIBUTES = {"version_number": "version_number", "version": "version_number"}
_MODEL_ORDER = {
    "name": "name",
    "timestamp": "last_updated_timestamp",
    "last_updated_timestamp": "last_updated_timestamp",
    "creation_timestamp": "creation_timestamp",
}
_VERSION_ORDER = {
    "name": "name",
    "version_number": "version_number",
    "run_id": "run_id",
    "timestamp": "last_updated_timestamp",
    "last_updated_timestamp": "last_updated_timestamp",
    "creation_timestamp": "creation_timestamp",
}


def _parse(
    filter_string: str | None,
    strings: dict[str, str],
    numbers: dict[str, str],
    what: str,
) -> list[Comparison]:
    if filter_string is None or not filter_string.strip():
        return []
    text = filter_string
    out: list[Comparison] = []
    for tok, op, value, _ in Parser(text).parse():
        prefix, dot, key = tok.text.partition(".")
        if not dot:
            prefix, key = "attribute", prefix
        if prefix.lower() in _TAG_PREFIXES:
            if op in ("IS NULL", "IS NOT NULL", "IN", "NOT IN"):
                raise fail(text, tok.pos, f"tags.{key} cannot be compared with {op}")
            value = check_value(text, tok, "tags", key, op, value, numeric=False)
            out.append(Comparison("tag", key, op, value))
            continue
        if prefix.lower() not in ("attribute", "attributes", "attr"):
            raise fail(
                text, tok.pos, f"{what} are searched by attributes and tags., not {prefix!r}"
            )
        if key in numbers:
            key = numbers[key]
            value = check_value(text, tok, "attributes", key, op, value, numeric=True)
        elif key in strings:
            key = strings[key]
            if op in ("IS NULL", "IS NOT NULL"):
                raise fail(text, tok.pos, f"{key} cannot be compared with {op}")
            value = check_value(text, tok, "attributes", key, op, value, numeric=False)
        else:
            known = sorted({*strings.values(), *numbers.values()})
            raise InvalidParameterValue(
                f"Invalid attribute key '{key}' specified. Valid keys are {known}; filter tags "
                "with tags.<key>."
            )
        out.append(Comparison("attribute", key, op, value))
    return out


def parse_registered_model_filter(filter_string: str | None) -> list[Comparison]:
    """Parse a registered-model filter: ``name`` and ``tags.<key>`` comparisons.

    Raises:
        InvalidParameterValue: The filter is malformed or names an unknown key.
    """
    return _parse(filter_string, _MODEL_ATTRIBUTES, {}, "registered models")


def parse_model_version_filter(filter_string: str | None) -> list[Comparison]:
    """Parse a model-version filter: name, version_number, run_id, source_path, model_id, tags.

    Raises:
        InvalidParameterValue: The filter is malformed or names an unknown key.
    """
    return _parse(
        filter_string, _VERSION_STRING_ATTRIBUTES, _VERSION_NUMERIC_ATTRIBUTES, "model versions"
    )


class RegistryOrder:
    """One ordering term: a column name and a direction."""

    def __init__(self, field: str, ascending: bool) -> None:
        self.field = field
        self.ascending = ascending


def parse_registry_order_by(
    clauses: Sequence[str] | None, for_versions: bool
) -> list[RegistryOrder]:
    """Parse ``order_by`` clauses of a registered-model or model-version search.

    Raises:
        InvalidParameterValue: A clause is malformed or names a key that cannot be ordered by.
    """
    allowed = _VERSION_ORDER if for_versions else _MODEL_ORDER
    out = []
    for clause in clauses or []:
        if not clause or not clause.strip():
            continue
        tokens = tokenize(clause)
        key = tokens[0].text if tokens else ""
        if key.startswith(("attributes.", "attribute.")):
            key = key.partition(".")[2]
        direction = tokens[1].text.upper() if len(tokens) == 2 else "ASC"
        if key not in allowed or len(tokens) > 2 or direction not in ("ASC", "DESC"):
            raise InvalidParameterValue(
                f"Invalid order_by clause {clause!r}. Use '<key> [ASC|DESC]' with a key among "
                f"{sorted(allowed)}."
            )
        out.append(RegistryOrder(allowed[key], direction == "ASC"))
    return out

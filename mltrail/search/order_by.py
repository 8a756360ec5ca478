"""``order_by`` clauses: ``<entity>.<key> [ASC|DESC]`` parsed into typed terms."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mltrail.exceptions import InvalidParameterValue
from mltrail.search.filter import RUN_NUMERIC_ATTRIBUTES, RUN_STRING_ATTRIBUTES, Entity, tokenize

__all__ = ["OrderBy", "parse_order_by"]

_ENTITIES: dict[str, Entity] = {
    "metric": "metric",
    "metrics": "metric",
    "param": "param",
    "params": "param",
    "parameter": "param",
    "parameters": "param",
    "tag": "tag",
    "tags": "tag",
    "attribute": "attribute",
    "attributes": "attribute",
    "attr": "attribute",
    "run": "attribute",
}
_RUN_ORDER_ATTRIBUTES = {
    **RUN_STRING_ATTRIBUTES,
    **RUN_NUMERIC_ATTRIBUTES,
    "experiment_id": "experiment_id",
}
_EXPERIMENT_ORDER_ATTRIBUTES = ("name", "experiment_id", "creation_time", "last_update_time")


@dataclass(frozen=True, slots=True)
class OrderBy:
    """One ordering term."""

    entity: Entity
    key: str
    ascending: bool = True


def _fail(clause: str, problem: str) -> InvalidParameterValue:
    return InvalidParameterValue(
        f"Invalid order_by clause {clause!r}: {problem}. Use '<entity>.<key> [ASC|DESC]', "
        "e.g. 'metrics.acc DESC' or 'attributes.start_time ASC'."
    )


def _parse_one(clause: str, for_runs: bool) -> OrderBy:
    tokens = tokenize(clause)
    if not tokens or tokens[0].kind != "ident":
        raise _fail(clause, "it must start with a key")
    ascending = True
    if len(tokens) == 2:
        direction = tokens[1].text.upper()
        if tokens[1].kind not in ("ident", "keyword") or direction not in ("ASC", "DESC"):
            raise _fail(clause, f"unknown direction {tokens[1].text!r}; use ASC or DESC")
        ascending = direction == "ASC"
    elif len(tokens) > 2:
        raise _fail(clause, "too many words")
    prefix, dot, key = tokens[0].text.partition(".")
    if not dot:
        prefix, key = "attribute", prefix
    entity = _ENTITIES.get(prefix.lower())
    if entity is None:
        raise _fail(clause, f"unknown entity {prefix!r}")
    if for_runs:
        if entity == "attribute":
            if key not in _RUN_ORDER_ATTRIBUTES:
                raise _fail(clause, f"runs cannot be ordered by attribute {key!r}")
            key = _RUN_ORDER_ATTRIBUTES[key]
    elif entity != "attribute" or key not in _EXPERIMENT_ORDER_ATTRIBUTES:
        raise _fail(
            clause,
            "experiments can be ordered by name, experiment_id, creation_time or last_update_time",
        )
    return OrderBy(entity, key, ascending)


def parse_order_by(clauses: Sequence[str] | None, for_runs: bool = True) -> list[OrderBy]:
    """Parse order_by clauses for run (``for_runs``) or experiment searches.

    Raises:
        InvalidParameterValue: A clause is malformed or names an unknown key.
    """
    if not clauses:
        return []
    if isinstance(clauses, str):
        clauses = [clauses]
    return [_parse_one(clause, for_runs) for clause in clauses if clause and clause.strip()]

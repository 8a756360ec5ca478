"""The search filter grammar: a small lexer and parser producing a list of comparisons.

Grammar (a conjunction; ``OR`` is not part of MLflow's language)::

    filter     := comparison ( AND comparison )*
    comparison := ident op value | ident [NOT] IN '(' value (',' value)* ')' | ident IS [NOT] NULL
    ident      := entity '.' key | bare-name          (bare names only where a grammar allows)
    key        := word-chars-and-dots | `backticked` | "double quoted"
    value      := 'string' | "string" | number
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mltrail.exceptions import InvalidParameterValue

__all__ = [
    "RUN_NUMERIC_ATTRIBUTES",
    "RUN_STRING_ATTRIBUTES",
    "Comparison",
    "Entity",
    "parse_experiment_filter",
    "parse_logged_model_filter",
    "parse_run_filter",
    "tokenize",
]

Entity = Literal["metric", "param", "tag", "attribute", "dataset"]
Value = float | str | tuple[str, ...] | None

_ENTITY_ALIASES: dict[str, Entity] = {
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
    "dataset": "dataset",
    "datasets": "dataset",
}

RUN_STRING_ATTRIBUTES = {
    "run_id": "run_id",
    "run_name": "run_name",
    "run name": "run_name",
    "Run name": "run_name",
    "Run Name": "run_name",
    "status": "status",
    "user_id": "user_id",
    "artifact_uri": "artifact_uri",
    "lifecycle_stage": "lifecycle_stage",
}
RUN_NUMERIC_ATTRIBUTES = {
    "start_time": "start_time",
    "end_time": "end_time",
    "created": "start_time",
    "Created": "start_time",
}
_DATASET_KEYS = ("name", "digest", "context")
_EXPERIMENT_STRING_ATTRIBUTES = ("name",)
_EXPERIMENT_NUMERIC_ATTRIBUTES = ("creation_time", "last_update_time")

_NUMERIC_OPS = frozenset({"=", "!=", "<", "<=", ">", ">="})
_STRING_OPS = frozenset({"=", "!=", "LIKE", "ILIKE"})
_LIST_OPS = frozenset({"IN", "NOT IN"})
_NULL_OPS = frozenset({"IS NULL", "IS NOT NULL"})
_KEYWORDS = frozenset({"AND", "OR", "LIKE", "ILIKE", "IN", "NOT", "IS", "NULL"})


@dataclass(frozen=True, slots=True)
class Comparison:
    """One ``entity.key op value`` condition.

    ``value`` is a float for numeric comparisons, a str for string ones, a tuple of str for
    ``IN``/``NOT IN`` and None for ``IS NULL``/``IS NOT NULL``.
    """

    entity: Entity
    key: str
    op: str
    value: Value


@dataclass(frozen=True, slots=True)
class _Token:
    kind: Literal["ident", "string", "number", "op", "keyword", "lparen", "rparen", "comma"]
    text: str
    pos: int
    quoted_key: bool = False


def _fail(text: str, pos: int, problem: str) -> InvalidParameterValue:
    return InvalidParameterValue(
        f"Invalid filter {text!r}: {problem} (at character {pos}). Filters look like "
        "\"metrics.acc > 0.9 AND params.lr = '0.01' AND tags.`my key` LIKE 'a%'\"."
    )


def _read_quoted(text: str, start: int, quote: str) -> tuple[str, int]:
    """Read a quoted run starting at ``start`` (the opening quote); return (content, next)."""
    out: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if ch == quote:
            if i + 1 < len(text) and text[i + 1] == quote and quote != "`":
                out.append(quote)  # a doubled quote stands for itself
                i += 2
                continue
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise _fail(text, start, f"unterminated {quote} quote")


def _is_ident_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_.-:/"


def tokenize(text: str) -> list[_Token]:
    """Split a filter into tokens.

    Raises:
        InvalidParameterValue: An unterminated quote or an unexpected character.
    """
    tokens: list[_Token] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == "(":
            tokens.append(_Token("lparen", ch, i))
            i += 1
        elif ch == ")":
            tokens.append(_Token("rparen", ch, i))
            i += 1
        elif ch == ",":
            tokens.append(_Token("comma", ch, i))
            i += 1
        elif ch in "<>!=":
            two = text[i : i + 2]
            if two in ("<=", ">=", "!=", "=="):
                tokens.append(_Token("op", "=" if two == "==" else two, i))
                i += 2
            elif ch == "!":
                raise _fail(text, i, "'!' must be followed by '='")
            else:
                tokens.append(_Token("op", ch, i))
                i += 1
        elif ch in "'\"":
            value, i2 = _read_quoted(text, i, ch)
            tokens.append(_Token("string", value, i))
            i = i2
        elif ch == "`":
            raise _fail(text, i, "a backticked key must follow an entity prefix like 'tags.'")
        elif ch.isdigit() or (
            ch in "+-." and i + 1 < n and (text[i + 1].isdigit() or text[i + 1] == ".")
        ):
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] in ".+-"):
                if text[j] in "+-" and text[j - 1] not in "eE":
                    break
                j += 1
            literal = text[i:j]
            try:
                float(literal)
            except ValueError:
                raise _fail(text, i, f"{literal!r} is not a number") from None
            tokens.append(_Token("number", literal, i))
            i = j
        elif _is_ident_char(ch):
            j = i
            while j < n and _is_ident_char(text[j]):
                j += 1
            word = text[i:j]
            if word.upper() in _KEYWORDS:
                tokens.append(_Token("keyword", word.upper(), i))
                i = j
                continue
            if word.endswith(".") and j < n and text[j] in '`"':
                key, j2 = _read_quoted(text, j, text[j])
                tokens.append(_Token("ident", word + key, i, quoted_key=True))
                i = j2
                continue
            tokens.append(_Token("ident", word, i))
            i = j
        else:
            raise _fail(text, i, f"unexpected character {ch!r}")
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, what: str) -> _Token:
        tok = self.peek()
        if tok is None:
            raise _fail(self.text, len(self.text), f"expected {what} but the filter ended")
        self.i += 1
        return tok

    def parse(self) -> list[tuple[_Token, str, Value, list[_Token]]]:
        out = []
        while True:
            out.append(self.comparison())
            tok = self.peek()
            if tok is None:
                return out
            if tok.kind == "keyword" and tok.text == "AND":
                self.i += 1
                continue
            if tok.kind == "keyword" and tok.text == "OR":
                raise _fail(
                    self.text, tok.pos, "'OR' is not supported; only 'AND' joins conditions"
                )
            raise _fail(self.text, tok.pos, f"expected 'AND' but found {tok.text!r}")

    def comparison(self) -> tuple[_Token, str, Value, list[_Token]]:
        ident = self.take("a key such as metrics.acc")
        if ident.kind != "ident":
            raise _fail(self.text, ident.pos, f"expected a key but found {ident.text!r}")
        op_tok = self.take("an operator")
        if op_tok.kind == "op":
            value_tok = self.take("a value")
            return ident, op_tok.text, self.value(value_tok), [value_tok]
        if op_tok.kind != "keyword":
            raise _fail(self.text, op_tok.pos, f"expected an operator but found {op_tok.text!r}")
        word = op_tok.text
        if word in ("LIKE", "ILIKE"):
            value_tok = self.take("a quoted pattern")
            return ident, word, self.value(value_tok), [value_tok]
        if word == "IS":
            nxt = self.take("NULL or NOT NULL")
            if nxt.kind == "keyword" and nxt.text == "NULL":
                return ident, "IS NULL", None, []
            if nxt.kind == "keyword" and nxt.text == "NOT":
                last = self.take("NULL")
                if last.kind == "keyword" and last.text == "NULL":
                    return ident, "IS NOT NULL", None, []
            raise _fail(self.text, nxt.pos, "expected 'IS NULL' or 'IS NOT NULL'")
        if word == "NOT":
            nxt = self.take("IN")
            if not (nxt.kind == "keyword" and nxt.text == "IN"):
                raise _fail(self.text, nxt.pos, "expected 'IN' after 'NOT'")
            items = self.in_list()
            return ident, "NOT IN", tuple(str(self.value(t)) for t in items), items
        if word == "IN":
            items = self.in_list()
            return ident, "IN", tuple(str(self.value(t)) for t in items), items
        raise _fail(self.text, op_tok.pos, f"expected an operator but found {word!r}")

    def in_list(self) -> list[_Token]:
        open_tok = self.take("'('")
        if open_tok.kind != "lparen":
            raise _fail(self.text, open_tok.pos, "IN needs a parenthesised list like ('a', 'b')")
        items: list[_Token] = []
        while True:
            tok = self.take("a value or ')'")
            if tok.kind == "rparen" and not items:
                raise _fail(self.text, tok.pos, "the IN list is empty")
            if tok.kind not in ("string", "number"):
                raise _fail(self.text, tok.pos, f"expected a value but found {tok.text!r}")
            items.append(tok)
            sep = self.take("',' or ')'")
            if sep.kind == "rparen":
                return items
            if sep.kind != "comma":
                raise _fail(self.text, sep.pos, f"expected ',' or ')' but found {sep.text!r}")

    def value(self, tok: _Token) -> Value:
        if tok.kind == "string":
            return tok.text
        if tok.kind == "number":
            return float(tok.text)
        raise _fail(self.text, tok.pos, f"expected a value but found {tok.text!r}")


def _split_ident(text: str, tok: _Token) -> tuple[str, str]:
    prefix, dot, key = tok.text.partition(".")
    if not dot:
        # A bare identifier (``status``, ``run_name``) names a run attribute, as in MLflow.
        return "attribute", prefix
    if not key:
        raise _fail(
            text,
            tok.pos,
            f"{tok.text!r} needs an entity prefix: metrics., params., tags., attributes. "
            "or datasets.",
        )
    return prefix, key


def _check_value(
    text: str, tok: _Token, entity: str, key: str, op: str, value: Value, numeric: bool
) -> Value:
    if op in _NULL_OPS:
        return value
    if numeric:
        if op not in _NUMERIC_OPS:
            raise _fail(text, tok.pos, f"operator {op!r} cannot compare the number {entity}.{key}")
        if not isinstance(value, float):
            raise _fail(
                text, tok.pos, f"{entity}.{key} is numeric; compare it with a number, not a string"
            )
        return value
    if op in _LIST_OPS:
        return value
    if op not in _STRING_OPS:
        raise _fail(
            text,
            tok.pos,
            f"operator {op!r} cannot compare {entity}.{key}; use =, !=, LIKE or ILIKE with "
            "a quoted string",
        )
    if not isinstance(value, str):
        raise _fail(text, tok.pos, f"{entity}.{key} is a string; quote the value: '{value:g}'")
    return value


def parse_run_filter(filter_string: str | None) -> list[Comparison]:
    """Parse a run search filter into comparisons.

    Raises:
        InvalidParameterValue: The filter is malformed; the message names the problem.
    """
    if filter_string is None or not filter_string.strip():
        return []
    text = filter_string
    out: list[Comparison] = []
    for tok, op, value, _ in _Parser(text).parse():
        prefix, key = _split_ident(text, tok)
        entity = _ENTITY_ALIASES.get(prefix) or _ENTITY_ALIASES.get(prefix.lower())
        if entity is None:
            raise _fail(
                text,
                tok.pos,
                f"unknown entity {prefix!r}; use metrics., params., tags., attributes. or "
                "datasets.",
            )
        if entity == "attribute":
            if key in RUN_NUMERIC_ATTRIBUTES:
                key = RUN_NUMERIC_ATTRIBUTES[key]
                value = _check_value(text, tok, "attributes", key, op, value, numeric=True)
            elif key in RUN_STRING_ATTRIBUTES:
                key = RUN_STRING_ATTRIBUTES[key]
                if op in _NULL_OPS:
                    raise _fail(text, tok.pos, f"attributes.{key} cannot be compared with {op}")
                value = _check_value(text, tok, "attributes", key, op, value, numeric=False)
            else:
                known = sorted({*RUN_STRING_ATTRIBUTES.values(), *RUN_NUMERIC_ATTRIBUTES})
                raise _fail(
                    text, tok.pos, f"unknown attribute {key!r}; searchable attributes are {known}"
                )
        elif entity == "dataset":
            if key not in _DATASET_KEYS:
                raise _fail(
                    text, tok.pos, f"unknown dataset field {key!r}; use name, digest or context"
                )
            if op in _NULL_OPS:
                raise _fail(text, tok.pos, f"datasets.{key} cannot be compared with {op}")
            value = _check_value(text, tok, "datasets", key, op, value, numeric=False)
        elif entity == "metric":
            if op in _LIST_OPS:
                raise _fail(text, tok.pos, f"metrics.{key} cannot be compared with {op}")
            value = _check_value(text, tok, "metrics", key, op, value, numeric=True)
        else:
            value = _check_value(text, tok, entity + "s", key, op, value, numeric=False)
        out.append(Comparison(entity, key, op, value))
    return out


def parse_experiment_filter(filter_string: str | None) -> list[Comparison]:
    """Parse an experiment search filter (``name``, times and ``tags.<key>``).

    Raises:
        InvalidParameterValue: The filter is malformed; the message names the problem.
    """
    if filter_string is None or not filter_string.strip():
        return []
    text = filter_string
    out: list[Comparison] = []
    for tok, op, value, _ in _Parser(text).parse():
        prefix, dot, key = tok.text.partition(".")
        if not dot:
            prefix, key = "attribute", prefix
        entity = _ENTITY_ALIASES.get(prefix.lower())
        if entity == "attribute":
            if key in _EXPERIMENT_NUMERIC_ATTRIBUTES:
                value = _check_value(text, tok, "attributes", key, op, value, numeric=True)
            elif key in _EXPERIMENT_STRING_ATTRIBUTES:
                if op in _NULL_OPS or op in _LIST_OPS:
                    raise _fail(text, tok.pos, f"{key} cannot be compared with {op}")
                value = _check_value(text, tok, "attributes", key, op, value, numeric=False)
            else:
                raise _fail(
                    text,
                    tok.pos,
                    f"unknown experiment attribute {key!r}; use name, creation_time or "
                    "last_update_time",
                )
        elif entity == "tag":
            if op in _LIST_OPS:
                raise _fail(text, tok.pos, f"tags.{key} cannot be compared with {op}")
            value = _check_value(text, tok, "tags", key, op, value, numeric=False)
        else:
            raise _fail(
                text, tok.pos, f"experiments are searched by attributes and tags, not {prefix!r}"
            )
        out.append(Comparison(entity, key, op, value))
    return out


_MODEL_STRING_ATTRIBUTES = ("name", "model_id", "model_type", "status", "source_run_id")
_MODEL_NUMERIC_ATTRIBUTES = {
    "creation_timestamp": "creation_timestamp",
    "creation_time": "creation_timestamp",
    "last_updated_timestamp": "last_updated_timestamp",
}


def parse_logged_model_filter(filter_string: str | None) -> list[Comparison]:
    """Parse a LoggedModel search filter (attributes, ``metrics.``, ``params.``, ``tags.``).

    Raises:
        InvalidParameterValue: The filter is malformed; the message names the problem.
    """
    if filter_string is None or not filter_string.strip():
        return []
    text = filter_string
    out: list[Comparison] = []
    for tok, op, value, _ in _Parser(text).parse():
        prefix, dot, key = tok.text.partition(".")
        if not dot:
            prefix, key = "attribute", prefix
        entity = _ENTITY_ALIASES.get(prefix.lower())
        if entity == "attribute":
            if key in _MODEL_NUMERIC_ATTRIBUTES:
                key = _MODEL_NUMERIC_ATTRIBUTES[key]
                value = _check_value(text, tok, "attributes", key, op, value, numeric=True)
            elif key in _MODEL_STRING_ATTRIBUTES:
                if op in _NULL_OPS:
                    raise _fail(text, tok.pos, f"{key} cannot be compared with {op}")
                value = _check_value(text, tok, "attributes", key, op, value, numeric=False)
            else:
                known = sorted({*_MODEL_STRING_ATTRIBUTES, *_MODEL_NUMERIC_ATTRIBUTES})
                raise _fail(
                    text, tok.pos, f"unknown LoggedModel attribute {key!r}; use one of {known}"
                )
        elif entity == "metric":
            if op in _LIST_OPS or op in _NULL_OPS:
                raise _fail(text, tok.pos, f"metrics.{key} cannot be compared with {op}")
            value = _check_value(text, tok, "metrics", key, op, value, numeric=True)
        elif entity in ("param", "tag"):
            if op in _NULL_OPS:
                raise _fail(text, tok.pos, f"{entity}s.{key} cannot be compared with {op}")
            value = _check_value(text, tok, entity + "s", key, op, value, numeric=False)
        else:
            raise _fail(
                text,
                tok.pos,
                f"LoggedModels are searched by attributes, metrics., params. and tags., not "
                f"{prefix!r}",
            )
        out.append(Comparison(entity, key, op, value))
    return out

"""Search grammar for runs and experiments (filters, order_by, page tokens); pure, no SQL."""

from mltrail.search.filter import Comparison, parse_experiment_filter, parse_run_filter
from mltrail.search.order_by import OrderBy, parse_order_by
from mltrail.search.tokens import decode_page_token, encode_page_token

__all__ = [
    "Comparison",
    "OrderBy",
    "decode_page_token",
    "encode_page_token",
    "parse_experiment_filter",
    "parse_order_by",
    "parse_run_filter",
]

"""DuckDB's run-time errors in Athena's words (``ERROR_NAME: message``).

Errors the translator plants (``duck.fail`` and the ``tr_*`` helpers) carry Athena's text after
``duck.ERROR_MARK``; DuckDB's own errors for the same conditions (integer overflow, division by
zero, a scalar subquery with several rows, ...) are reworded here as Trino words them (sources:
Trino's IntegerOperators / BigintOperators / DecimalOperators and the planner's messages).
Anything else is an engine bug: GENERIC_INTERNAL_ERROR, logged with its traceback by the engine.
"""

from __future__ import annotations

import re

import duckdb

from .catalog import CatalogError
from .duck import ERROR_MARK

_INT_NAMES = {"INT8": "tinyint", "INT16": "smallint", "INT32": "integer", "INT64": "bigint"}
_OPS = {"addition": "addition", "subtraction": "subtraction", "multiplication": "multiplication"}


class InternalError(CatalogError):
    """An error no Athena rule explains: the engine logs it with its traceback."""


def translate(exc: Exception) -> CatalogError:
    full = str(exc)
    msg = full.split("\n")[0]
    if isinstance(exc, duckdb.InterruptException):
        return CatalogError("USER_CANCELLED", "Query was cancelled by user")
    if ERROR_MARK in full:
        text = full.split(ERROR_MARK, 1)[1].split("\n")[0]
        code, _, message = text.partition(": ")
        return CatalogError(code, message)
    m = re.search(r"Overflow in (addition|subtraction|multiplication) of (INT\d+) \((-?\d+) [-+*] (-?\d+)\)", msg)
    if m:
        op, kind, a, b = m.groups()
        sym = {"addition": "+", "subtraction": "-", "multiplication": "*"}[op]
        return CatalogError("NUMERIC_VALUE_OUT_OF_RANGE", f"{_INT_NAMES[kind]} {op} overflow: {a} {sym} {b}")
    if (
        re.search(r"Overflow in (addition|subtraction|multiplication) of DECIMAL", msg)
        or "DECIMAL" in msg
        and "out of range" in msg.lower()
    ):
        return CatalogError("NUMERIC_VALUE_OUT_OF_RANGE", "Decimal overflow")
    m = re.search(
        r"Type (INT\d+|INT128|DOUBLE|FLOAT) with value (\S+) can't be cast because the value is out of range for "
        r"the destination type (INT\d+)",
        msg,
    )
    if m:
        return CatalogError(
            "NUMERIC_VALUE_OUT_OF_RANGE", f"Out of range for {_INT_NAMES.get(m.group(3), m.group(3))}: {m.group(2)}"
        )
    if "Division by zero" in msg:
        return CatalogError("DIVISION_BY_ZERO", "Division by zero")
    if "More than one row returned by a subquery" in msg:
        return CatalogError("SUBQUERY_MULTIPLE_ROWS", "Scalar sub-query has returned multiple rows")
    m = re.search(r'column "([^"]+)" must appear in the GROUP BY clause or must be part of an aggregate function', msg)
    if m:
        return CatalogError(
            "EXPRESSION_NOT_AGGREGATE",
            f"line 1:8: '{m.group(1)}' must be an aggregate expression or appear in GROUP BY clause",
        )
    if "For SELECT DISTINCT, ORDER BY expressions must appear in select list" in msg:
        return CatalogError(
            "EXPRESSION_NOT_IN_DISTINCT",
            "line 1:1: For SELECT DISTINCT, ORDER BY expressions must appear in select list",
        )
    if "aggregate function calls cannot be nested" in msg:
        return CatalogError("NESTED_AGGREGATION", "line 1:8: Cannot nest aggregations inside aggregation")
    if "WHERE clause cannot contain aggregates" in msg:
        return CatalogError(
            "EXPRESSION_NOT_SCALAR",
            "line 1:1: WHERE clause cannot contain aggregations, window functions or grouping operations",
        )
    if "Map keys must be unique" in msg:
        return CatalogError("INVALID_FUNCTION_ARGUMENT", "Duplicate map keys are not allowed")
    if re.search(r"invalid perl operator|invalid escape sequence|missing argument to repetition|bad repetition", msg):
        # DuckDB's regular expressions are RE2's: Java's lookarounds and backreferences are not there
        detail = msg.split(": ", 1)[-1]
        return CatalogError("NOT_SUPPORTED", f"localcloud's regular expressions (RE2) cannot run: {detail}")
    m = re.search(r"Unknown TimeZone '([^']*)'", msg)
    if m:
        return CatalogError("INVALID_FUNCTION_ARGUMENT", f"Time zone not supported: {m.group(1)}")
    if isinstance(exc, duckdb.InvalidInputException) and "parquet" in msg.lower():
        return CatalogError("HIVE_CANNOT_OPEN_SPLIT", msg)
    if isinstance(exc, duckdb.ConversionException):
        return CatalogError("INVALID_CAST_ARGUMENT", msg.split(": ", 1)[-1])
    return InternalError("GENERIC_INTERNAL_ERROR", msg)

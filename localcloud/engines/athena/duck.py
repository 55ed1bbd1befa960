"""Small builders of DuckDB expression trees (sqlglot nodes the DuckDB generator prints).

The translator (``translate.py``) and the function table (``functions.py``) build DuckDB SQL
as sqlglot trees: :func:`call` for a DuckDB function, :func:`cast`, :func:`tpl` for a snippet
written as DuckDB SQL with ``{0}``, ``{1}`` placeholders, :func:`fail` for a Trino error raised
at run time (DuckDB's ``error()``; ``errors.py`` turns its text back into Athena's reason).
"""

from __future__ import annotations

import functools
import re

import sqlglot
from sqlglot import exp

from . import ttypes
from .ttypes import T

# Errors raised inside DuckDB carry this prefix so that errors.py knows the text is Athena's.
ERROR_MARK = "ATHENA::"


def ident(name: str) -> exp.Identifier:
    return exp.Identifier(this=name, quoted=True)


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.Column(this=ident(name), table=ident(table) if table else None)


def call(name: str, *args: exp.Expr) -> exp.Anonymous:
    return exp.Anonymous(this=name, expressions=list(args))


def string(s: str) -> exp.Literal:
    return exp.Literal.string(s)


def number(n: int | float | str) -> exp.Literal | exp.Neg:
    return exp.Literal.number(n)


def null() -> exp.Null:
    return exp.Null()


@functools.lru_cache(maxsize=4096)
def _datatype(text: str) -> exp.DataType:
    return exp.DataType.build(text, dialect="duckdb")


def datatype(t: T | str) -> exp.DataType:
    return _datatype(t if isinstance(t, str) else ttypes.duck(t)).copy()


def cast(node: exp.Expr, t: T | str, safe: bool = False) -> exp.Expr:
    cls = exp.TryCast if safe else exp.Cast
    return cls(this=node, to=datatype(t))


def paren(node: exp.Expr) -> exp.Expr:
    return (
        node
        if isinstance(node, (exp.Paren, exp.Column, exp.Literal, exp.Anonymous, exp.Cast))
        else exp.Paren(this=node)
    )


_PLACEHOLDER = re.compile(r"\{(\d+)\}")


@functools.lru_cache(maxsize=2048)
def _template(text: str) -> exp.Expr:
    return sqlglot.parse_one(_PLACEHOLDER.sub(r'"__p\1"', text), read="duckdb")


def tpl(text: str, *args: exp.Expr) -> exp.Expr:
    """DuckDB SQL with ``{i}`` standing for the i-th argument (each argument is copied in)."""
    tree = _template(text).copy()

    def fill(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and not node.table and node.name.startswith("__p"):
            i = int(node.name[3:])
            if i >= len(args):
                raise IndexError(f"template {text!r} needs argument {i}")
            return paren(args[i].copy())
        return node

    return tree.transform(fill, copy=False)


def fail(code: str, message: exp.Expr | str) -> exp.Expr:
    """DuckDB ``error()``: raises Athena's ``CODE: message`` when (and only when) evaluated."""
    text = string(f"{ERROR_MARK}{code}: {message}") if isinstance(message, str) else None
    if text is None:
        text = exp.DPipe(this=string(f"{ERROR_MARK}{code}: "), expression=message, safe=True)
    return call("error", text)


def to_text(node: exp.Expr) -> exp.Expr:
    return cast(node, "VARCHAR")


def alias(node: exp.Expr, name: str) -> exp.Alias:
    """``node AS "name"`` (sqlglot's alias_ would turn a subquery into a derived table)."""
    return exp.Alias(this=node, alias=ident(name))

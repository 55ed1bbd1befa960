"""Parsing Athena SQL the way Trino reads it, with Trino's syntax-error wording.

Statements Athena sends to Trino (queries, CTAS, CREATE VIEW, INSERT, ...) are parsed by
:data:`Raw`: sqlglot's Trino dialect with every function call left as written (an
``Anonymous`` node named as the user typed it) and array subscripts left 1-based, so the
translator (``translate.py``) decides what each function means in Trino instead of sqlglot
mapping it to a look-alike.  Hive DDL (CREATE EXTERNAL TABLE, ...) keeps sqlglot's Athena
dialect (``sql.parse``).

Syntax errors read as Trino's parser words them: ``line 1:1: mismatched input 'SELEC'.
Expecting: ...`` (https://trino.io/docs/current/language/reserved.html; the Athena docs quote
this shape in engine-versions-reference-0003).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar

import sqlglot
from sqlglot import exp
from sqlglot.dialects.athena import _TrinoTokenizer
from sqlglot.dialects.trino import Trino
from sqlglot.errors import ParseError, TokenError
from sqlglot.parser import Parser
from sqlglot.parsers.athena import AthenaTrinoParser
from sqlglot.tokens import Token, TokenType

from .catalog import CatalogError

# Special syntax that stays parsed into its own node (CAST, EXTRACT, SUBSTRING ... FROM, ...).
_KEEP = {"CAST", "TRY_CAST", "EXTRACT", "POSITION", "SUBSTRING", "TRIM", "LISTAGG", "NORMALIZE", "JSON_QUERY"}


def _typed_literal(self: Parser, this: exp.Expr, to: exp.DataType) -> exp.Cast:
    node = self.expression(exp.Cast(this=this, to=to))
    node.meta["typed_literal"] = True  # DATE '...', DECIMAL '1.0': the translator types these as literals
    return node


class _EveryType(dict[exp.DType, Callable[..., exp.Expr]]):
    def get(self, key: object, default: object = None) -> Callable[..., exp.Expr]:
        return _typed_literal


class _RawParser(AthenaTrinoParser):
    FUNCTIONS: ClassVar[dict[str, Callable[..., Any]]] = {}
    TYPE_LITERAL_PARSERS = _EveryType()
    FUNCTION_PARSERS = {k: v for k, v in AthenaTrinoParser.FUNCTION_PARSERS.items() if k in _KEEP}


class Raw(Trino):
    """Trino SQL with function calls as written (see the module docstring)."""

    INDEX_OFFSET = 0  # ARRAY[1, 2][1] stays [1]: the translator checks Trino's subscript rules
    Tokenizer = _TrinoTokenizer
    Parser = _RawParser


# Trino's statement keywords (the "Expecting:" list of a statement that starts wrong), plus
# Athena's own (MSCK, UNLOAD, OPTIMIZE, VACUUM).
STATEMENT_STARTS = (
    "ALTER ANALYZE CALL COMMENT COMMIT CREATE DEALLOCATE DELETE DENY DESC DESCRIBE DROP EXECUTE "
    "EXPLAIN GRANT INSERT MERGE MSCK OPTIMIZE PREPARE REFRESH RESET REVOKE ROLLBACK SET SHOW START "
    "TABLE TRUNCATE UNLOAD UPDATE USE VACUUM VALUES WITH SELECT"
).split()
_EXPECTING = ", ".join(f"'{w}'" for w in STATEMENT_STARTS) + ", '('"
_CLAUSES = {"FROM", "WHERE", "GROUP", "ORDER", "HAVING", "LIMIT", "UNION", "INTERSECT", "EXCEPT", "WINDOW", "OFFSET"}


def syntax_error(line: int, col: int, token: str, expecting: str = "") -> CatalogError:
    msg = f"line {line}:{col}: mismatched input '{token}'."
    if expecting:
        msg += f" Expecting: {expecting}"
    return CatalogError("SYNTAX_ERROR", msg)


def strip_comments(sql: str) -> str:
    """The statement without leading comments and blank space (what decides its kind)."""
    s = sql.lstrip()
    while True:
        if s.startswith("--"):
            s = s.split("\n", 1)[1].lstrip() if "\n" in s else ""
        elif s.startswith("/*") and "*/" in s:
            s = s.split("*/", 1)[1].lstrip()
        else:
            return s


def first_word(sql: str) -> str:
    m = re.match(r"\(|[A-Za-z_]+", strip_comments(sql))
    return m.group(0).upper() if m else ""


def _position(sql: str, offset: int) -> tuple[int, int]:
    before = sql[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


_SET_WORDS = ("AUTHORIZATION", "PATH", "ROLE", "SESSION", "TIME")


def check_start(sql: str) -> None:
    """A statement must start with one of Trino's/Athena's statement keywords (so DuckDB's own
    statements, ATTACH, INSTALL, LOAD, COPY, PRAGMA, EXPORT, are syntax errors, as on Athena)."""
    word = first_word(sql)
    if word == "SET":
        m = re.match(r"\s*SET\s+(\S+)", strip_comments(sql), re.I)
        nxt = m.group(1).upper() if m else "<EOF>"
        if nxt not in _SET_WORDS:
            raise syntax_error(1, 5, m.group(1) if m else "<EOF>", ", ".join(f"'{w}'" for w in _SET_WORDS))
        return
    if word and (word in STATEMENT_STARTS or word == "("):
        return
    body = strip_comments(sql)
    offset = len(sql) - len(sql.lstrip()) if body == sql.lstrip() else sql.find(body)
    m = re.match(r"\S+?(?=[\s(;]|$)", body)
    token = m.group(0) if m else (body[:1] or "<EOF>")
    line, col = _position(sql, max(offset, 0))
    raise syntax_error(line, col, token, _EXPECTING)


def _tokens(sql: str) -> list[Token]:
    try:
        return Raw().tokenize(sql)
    except TokenError as exc:
        raise CatalogError("SYNTAX_ERROR", f"line 1:1: {exc}") from None


def _check_tokens(sql: str, tokens: list[Token]) -> None:
    """Mistakes sqlglot forgives but Trino's grammar refuses: a comma before FROM/WHERE/..."""
    for prev, tok in zip(tokens, tokens[1:]):
        if prev.token_type == TokenType.COMMA and tok.text.upper() in _CLAUSES:
            raise syntax_error(tok.line, tok.col - len(tok.text) + 1, tok.text)
        if prev.token_type in (TokenType.FROM, TokenType.JOIN) and tok.token_type == TokenType.STRING:
            # FROM '/some/file' (DuckDB reads a file named so); Trino names tables, never strings
            raise syntax_error(tok.line, tok.col - len(tok.text) - 1, f"'{tok.text}'")


def parse_statement(sql: str) -> exp.Expr:
    """One Trino statement (query, CTAS, CREATE VIEW, INSERT) with raw function calls."""
    tokens = _tokens(sql)
    _check_tokens(sql, tokens)
    try:
        statements = [s for s in sqlglot.parse(sql, dialect=Raw) if s is not None]
    except ParseError as exc:
        raise _parse_error(sql, tokens, exc) from None
    if len(statements) != 1:
        raise CatalogError("", f"Only one sql statement is allowed. Got: {len(statements)}")
    ast = statements[0]
    for ident in ast.find_all(exp.Identifier):
        if ident.quoted and ident.this == "":
            raise CatalogError("SYNTAX_ERROR", "line 1:1: Zero-length delimited identifier not allowed")
    for t in ast.find_all(exp.Table):
        if isinstance(t.this, exp.Anonymous):
            _table_function(t.this)
    return ast


def _table_function(fn: exp.Anonymous) -> None:
    """``FROM read_text(...)``: Trino's grammar has no such thing (table functions are called as
    ``TABLE(name(...))``, and Athena registers none)."""
    if fn.name.upper() == "TABLE" and fn.expressions:
        inner = fn.expressions[0]
        name = inner.name if isinstance(inner, exp.Anonymous) else inner.sql(dialect=Raw)
        raise CatalogError("FUNCTION_NOT_FOUND", f"line 1:1: Table function '{name.lower()}' not registered")
    raise CatalogError("SYNTAX_ERROR", "line 1:1: mismatched input '('. Expecting: <EOF>")


def _parse_error(sql: str, tokens: list[Token], exc: ParseError) -> CatalogError:
    err = (exc.errors or [{}])[0]
    line, col = err.get("line", 1), err.get("col", 1)
    highlight = (err.get("highlight") or "").strip()
    last = tokens[-1] if tokens else None
    if last is not None and last.line == line and last.col == col:
        # the parser ran out of input: Trino reports the end of the statement
        return CatalogError(
            "SYNTAX_ERROR", f"line {line}:{col + 1}: mismatched input '<EOF>'. {err.get('description', '')}"
        )
    token = highlight or "<EOF>"
    return CatalogError(
        "SYNTAX_ERROR",
        f"line {line}:{max(1, col - len(token) + 1)}: mismatched input '{token}'. {err.get('description', '')}",
    )


def parse_value(text: str) -> exp.Expr:
    """One parameter of EXECUTE ... USING or ExecutionParameters: a single constant value, parsed
    as SQL (so ``'a'' OR ''1''=''1'`` is one string, never SQL text)."""
    ast = parse_statement(f"SELECT {text}")
    extra = [k for k in ("from_", "from", "where", "group", "having", "order", "limit", "joins") if ast.args.get(k)]
    if not isinstance(ast, exp.Select) or len(ast.expressions) != 1 or extra:
        raise CatalogError("INVALID_PARAMETER_USAGE", f"line 1:1: A parameter must be a single value: {text}")
    value = ast.expressions[0]
    if value.find(exp.Column, exp.Subquery, exp.Select, exp.Placeholder):
        raise CatalogError("INVALID_PARAMETER_USAGE", f"line 1:1: A parameter must be a constant value: {text}")
    return value


def parse_values(text: str) -> list[exp.Expr]:
    """The comma-separated values of EXECUTE ... USING."""
    ast = parse_statement(f"SELECT {text}")
    if not isinstance(ast, exp.Select) or any(ast.args.get(k) for k in ("from_", "from", "where")):
        raise CatalogError("SYNTAX_ERROR", f"line 1:1: mismatched input in USING: {text}")
    for value in ast.expressions:
        if value.find(exp.Column, exp.Subquery, exp.Select, exp.Placeholder):
            raise CatalogError(
                "INVALID_PARAMETER_USAGE", f"line 1:1: A parameter must be a constant value: {value.sql()}"
            )
    return list(ast.expressions)

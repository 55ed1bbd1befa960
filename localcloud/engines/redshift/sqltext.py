"""Redshift SQL text: splitting, a token cursor for the statements the runtime parses itself,
and translation of the rest to PostgreSQL with sqlglot's ``redshift`` dialect.

sqlglot parses Redshift queries well but not every Redshift DDL/utility statement
(``DISTKEY`` on a column, ``COPY``/``UNLOAD`` options, ``CREATE EXTERNAL SCHEMA``), so those
are read here from sqlglot's tokens; queries and DML go through sqlglot's parser.
"""

from __future__ import annotations

import functools
import re

import sqlglot
from sqlglot import exp
from sqlglot.dialects.redshift import Redshift
from sqlglot.tokens import Token, TokenType

from .errors import SqlError

_DIALECT = Redshift()


def tokens(sql: str) -> list[Token]:
    try:
        return _DIALECT.tokenize(sql)
    except sqlglot.errors.TokenError as exc:
        raise SqlError(f"syntax error: {exc}", "42601") from None


def split(sql: str) -> list[str]:
    """Statements of a simple-protocol query string, in order (empty ones dropped)."""
    out: list[str] = []
    start: int | None = None
    toks = tokens(sql)
    for i, t in enumerate(toks):
        if t.token_type == TokenType.SEMICOLON:
            if start is not None:
                out.append(sql[toks[start].start : toks[i - 1].end + 1])
            start = None
        elif start is None:
            start = i
    if start is not None:
        out.append(sql[toks[start].start : toks[-1].end + 1])
    return out


def head_words(sql: str, n: int = 4) -> list[str]:
    """The first ``n`` words of a statement, lower-case (comments skipped)."""
    words = []
    for t in tokens(sql)[: n * 2]:
        if t.token_type in (TokenType.STRING, TokenType.L_PAREN, TokenType.IDENTIFIER):
            break
        words.append(t.text.lower())
        if len(words) == n:
            break
    return words


class Cursor:
    """Walks a statement's tokens; ``text(a, b)`` gives back the original text between tokens."""

    def __init__(self, sql: str) -> None:
        self.sql = sql
        self.toks: list[Token] = []
        for t in tokens(sql):
            # sqlglot folds some keyword pairs into one token ("PRIMARY KEY", "PARTITION BY"): split them
            if " " in t.text and t.token_type not in (TokenType.STRING, TokenType.IDENTIFIER, TokenType.HEREDOC_STRING):
                for m in re.finditer(r"\S+", sql[t.start : t.end + 1]):
                    a = t.start + m.start()
                    self.toks.append(Token(TokenType.VAR, m.group(), t.line, t.col, a, a + len(m.group()) - 1))
            else:
                self.toks.append(t)
        self.i = 0

    def peek(self, k: int = 0) -> Token | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def word(self, k: int = 0) -> str:
        t = self.peek(k)
        if t is None or t.token_type in (TokenType.STRING, TokenType.IDENTIFIER):
            return ""
        return t.text.lower()

    def at_end(self) -> bool:
        t = self.peek()
        return t is None or t.token_type == TokenType.SEMICOLON

    def next(self) -> Token:
        t = self.peek()
        if t is None:
            raise SqlError("syntax error at end of input", "42601")
        self.i += 1
        return t

    def accept(self, *words: str) -> bool:
        if all(self.word(k) == w for k, w in enumerate(words)):
            self.i += len(words)
            return True
        return False

    def near(self) -> str:
        """The next token's text for a syntax error ("end of input" at the end)."""
        t = self.peek()
        return t.text if t else "end of input"

    def expect(self, *words: str) -> None:
        if not self.accept(*words):
            raise SqlError(f'syntax error at or near "{self.near()}"', "42601")

    def string(self) -> str:
        t = self.next()
        if t.token_type not in (TokenType.STRING, TokenType.HEREDOC_STRING):
            raise SqlError(f'syntax error at or near "{t.text}": a quoted string was expected', "42601")
        return t.text

    def ident(self) -> str:
        """An identifier: unquoted ones fold to lower case (quoted ones too: Redshift's default)."""
        t = self.next()
        if t.token_type in (TokenType.STRING, TokenType.L_PAREN, TokenType.R_PAREN, TokenType.COMMA):
            raise SqlError(f'syntax error at or near "{t.text}"', "42601")
        return t.text.lower()

    def qualified(self) -> tuple[str | None, str]:
        first = self.ident()
        t = self.peek()
        if t is not None and t.token_type == TokenType.DOT:
            self.next()
            return first, self.ident()
        return None, first

    def number(self) -> int:
        t = self.next()
        try:
            return int(t.text)
        except ValueError:
            raise SqlError(f'syntax error at or near "{t.text}": a number was expected', "42601") from None

    def paren_list(self) -> list[str]:
        """``( a, b, c )`` of identifiers."""
        self.expect("(")
        out = [self.ident()]
        while self.accept(","):
            out.append(self.ident())
        self.expect(")")
        return out

    def skip_group(self) -> tuple[int, int]:
        """Skip a balanced ``( ... )``; returns the token index range inside it."""
        self.expect("(")
        start, depth = self.i, 1
        while depth:
            t = self.next()
            if t.token_type == TokenType.L_PAREN:
                depth += 1
            elif t.token_type == TokenType.R_PAREN:
                depth -= 1
        return start, self.i - 1

    def text(self, a: int, b: int) -> str:
        """Original text of tokens ``a`` .. ``b - 1``."""
        if b <= a:
            return ""
        return self.sql[self.toks[a].start : self.toks[b - 1].end + 1]

    def rest(self) -> str:
        return self.text(self.i, len(self.toks))


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# -- queries ------------------------------------------------------------------------------------

_LAST_FUNCS = re.compile(r"\bpg_last_(query_id|copy_id|copy_count|unload_count|unload_id)\s*\(\s*\)", re.I)


def substitute_session_functions(sql: str, values: dict[str, int]) -> str:
    """``pg_last_query_id()`` & co. answer from the session's memory (Redshift's session functions)."""
    if "pg_last_" not in sql.lower():
        return sql
    return _LAST_FUNCS.sub(lambda m: str(values.get(m.group(1).lower(), -1)), sql)


def parse_query(sql: str) -> exp.Expr | None:
    """sqlglot's tree of a query/DML statement (a copy the caller may change), or None."""
    tree = _parse_cached(sql)
    return None if tree is None else tree.copy()


@functools.lru_cache(maxsize=512)
def _parse_cached(sql: str) -> exp.Expr | None:
    try:
        tree = sqlglot.parse_one(sql, read="redshift")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return None
    if tree is None or isinstance(tree, exp.Command):
        return None
    return tree


@functools.lru_cache(maxsize=512)
def to_postgres(sql: str) -> str:
    """Redshift SQL to PostgreSQL; the original text when sqlglot cannot read it."""
    tree = _parse_cached(sql)
    if tree is None:
        return sql
    try:
        return tree_to_postgres(tree.copy())
    except sqlglot.errors.SqlglotError:
        return sql


def tree_to_postgres(tree: exp.Expr) -> str:
    """PostgreSQL text of a (Redshift-parsed) tree, after the fixes sqlglot's generator needs."""
    for node in list(tree.find_all(exp.GroupConcat)):
        _listagg(node)
    for node in list(tree.find_all(exp.ApproxDistinct)):
        # Redshift's APPROXIMATE COUNT(DISTINCT) estimates (HyperLogLog); the exact count is within its error
        node.replace(exp.Count(this=exp.Distinct(expressions=[node.this])))
    return tree.sql("postgres")


def _listagg(node: exp.GroupConcat) -> None:
    """LISTAGG(x [, sep]) [WITHIN GROUP (ORDER BY ...)] as PostgreSQL's STRING_AGG(x, sep ORDER BY ...).

    Redshift's default delimiter is none (sqlglot would put a comma)."""
    parent = node.parent if isinstance(node.parent, exp.WithinGroup) else None
    value, sep, distinct = node.this, node.args.get("separator"), ""
    if isinstance(value, exp.Distinct):
        distinct = "DISTINCT "
        parts = value.expressions
        value, sep = parts[0], parts[1] if len(parts) > 1 else sep
    sep_sql = sep.sql("postgres") if sep is not None else "''"
    order = ""
    if parent is not None and isinstance(parent.expression, exp.Order):
        order = " ORDER BY " + ", ".join(o.sql("postgres") for o in parent.expression.expressions)
    # PostgreSQL's STRING_AGG wants text (Redshift's LISTAGG takes any type); with DISTINCT the
    # ORDER BY must repeat the argument, so the value is left as it is there
    arg = value.sql("postgres") if distinct else f"CAST({value.sql('postgres')} AS TEXT)"
    text = f"STRING_AGG({distinct}{arg}, {sep_sql}{order})"
    (parent or node).replace(sqlglot.parse_one(text, read="postgres"))


def table_refs(tree: exp.Expr) -> list[exp.Table]:
    """Real tables a query reads (CTE names excluded)."""
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    out: list[exp.Table] = []
    for t in tree.find_all(exp.Table):
        if not t.name:
            continue
        if not t.db and t.name.lower() in ctes:
            continue
        out.append(t)
    return out

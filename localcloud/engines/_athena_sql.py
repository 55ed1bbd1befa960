"""Athena (Trino) SELECTs run by DuckDB: parse with sqlglot, resolve tables in Glue, prune
partitions, read only the needed columns, translate to DuckDB's dialect, name the outputs as
Trino does (``_col1`` for an unnamed expression).
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa
import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError, ParseError
from sqlglot.optimizer.qualify import qualify

from ._athena_catalog import CatalogError, TableInfo, table_info
from ._athena_scan import TableReader, duckdb_type

DIALECT = "athena"
MAX_VIEW_DEPTH = 10


def position(node: exp.Expression | None) -> str:
    """``line L:C`` of a node, as Athena prefixes its messages."""
    for n in ([node] + list(node.find_all(exp.Identifier)) if node is not None else []):
        meta = getattr(n, "meta", None) or {}
        if "line" in meta:
            col = max(1, meta.get("col", 1) - len(n.name) + 1)
            return f"line {meta['line']}:{col}"
    return "line 1:1"


def parse(sql: str) -> exp.Expression:
    try:
        statements = [s for s in sqlglot.parse(sql, dialect=DIALECT) if s is not None]
    except ParseError as exc:
        err = (exc.errors or [{}])[0]
        msg = err.get("description") or str(exc)
        raise CatalogError("SYNTAX_ERROR", f"line {err.get('line', 1)}:{err.get('col', 1)}: {msg}") from None
    if len(statements) != 1:
        raise CatalogError("", "Only one sql statement is allowed. Got: %d" % len(statements))
    return statements[0]


def view_sql(view_text: str) -> str:
    """The SQL of a view stored the way Athena stores it (``/* Presto View: base64 */``)."""
    m = re.search(r"/\* Presto View: (\S+) \*/", view_text or "")
    if not m:
        return view_text
    return json.loads(base64.b64decode(m.group(1)))["originalSql"]


@dataclass
class Query:
    names: list[str]
    table: pa.Table
    scanned: int
    tables: list[TableInfo] = field(default_factory=list)


class SelectRunner:
    MAX_PRUNED = 256

    def __init__(self, reader: TableReader, con: duckdb.DuckDBPyConnection) -> None:
        self.reader = reader
        self.con = con
        self._pruned: OrderedDict = OrderedDict()  # (keys, partition values, predicate) -> indexes kept
        self._lock = threading.Lock()

    # -- resolution --------------------------------------------------------------------------
    def _expand_views(self, ast: exp.Expression, default_db: str) -> exp.Expression:
        for _ in range(MAX_VIEW_DEPTH):
            ctes = {c.alias_or_name.lower() for c in ast.find_all(exp.CTE)}
            changed = False
            for t in list(ast.find_all(exp.Table)):
                if not t.name or (not t.db and t.name.lower() in ctes) or isinstance(t.this, exp.Func):
                    continue
                info = self._info(t, default_db)
                if info.table_type == "VIRTUAL_VIEW":
                    sub = parse(view_sql(info.view_sql or ""))
                    alias = t.alias or t.name
                    t.replace(exp.Subquery(this=sub, alias=exp.TableAlias(this=exp.to_identifier(alias))))
                    changed = True
            if not changed:
                return ast
        raise CatalogError("VIEW_IS_RECURSIVE", "View is recursive")

    def _info(self, t: exp.Table, default_db: str) -> TableInfo:
        catalog = t.catalog.lower()
        if catalog and catalog != "awsdatacatalog":
            raise CatalogError("CATALOG_NOT_FOUND", f"{position(t)}: Catalog '{catalog}' does not exist")
        try:
            return table_info(t.db or default_db, t.name)
        except CatalogError as exc:
            raise CatalogError(exc.code, f"{position(t)}: {exc.message}") from None

    # -- partition pruning ------------------------------------------------------------------------
    @staticmethod
    def _outer_joined(t: exp.Table) -> bool:
        join = t.find_ancestor(exp.Join)
        return bool(join and join.args.get("side"))

    def _prune(self, cur, t: exp.Table, info: TableInfo) -> list:
        parts = info.partitions
        select = t.find_ancestor(exp.Select)
        where = select.args.get("where") if select else None
        if not parts or where is None or self._outer_joined(t):
            return parts
        names = {t.alias_or_name.lower(), info.name.lower()}
        pkeys = {k for k, _ in info.partition_keys}
        conds = []
        for c in where.this.flatten() if isinstance(where.this, exp.And) else [where.this]:
            cols = list(c.find_all(exp.Column))
            if not cols or c.find(exp.Select, exp.Subquery):
                continue
            if all(col.name.lower() in pkeys and (not col.table or col.table.lower() in names) for col in cols):
                conds.append(c.copy().transform(
                    lambda n: exp.column(n.name.lower(), quoted=True) if isinstance(n, exp.Column) else n))
        if not conds:
            return parts
        where_sql = " AND ".join(c.sql("duckdb") for c in conds)
        # The same predicate over the same partition list keeps the same partitions: a repeated
        # query skips registering the list in DuckDB (a few ms, most of a small query's cost).
        # Only for predicates of literals and casts: current_date or random() may change.
        memo = (tuple(info.partition_keys), tuple(tuple(v) for v, _ in parts), where_sql)
        stable = not any(isinstance(n, exp.Func) and not isinstance(n, exp.Cast) for c in conds for n in c.walk())
        keep = self._pruned.get(memo) if stable else None
        if keep is None:
            keep = self._prune_in_duckdb(cur, info, parts, where_sql)
        if stable:
            with self._lock:
                self._pruned[memo] = keep
                while len(self._pruned) > self.MAX_PRUNED:
                    self._pruned.popitem(last=False)
        return [parts[i] for i in keep]

    @staticmethod
    def _prune_in_duckdb(cur, info: TableInfo, parts: list, where_sql: str) -> list[int]:
        keys = [k for k, _ in info.partition_keys]
        arrays = [pa.array([None if v[i] == "__HIVE_DEFAULT_PARTITION__" else v[i] for v, _ in parts], pa.string())
                  for i in range(len(keys))]
        cur.register("__parts", pa.Table.from_arrays(arrays + [pa.array(range(len(parts)))], names=keys + ["__i"]))
        typed = ", ".join(f'TRY_CAST("{k}" AS {duckdb_type(ty)}) AS "{k}"' for k, ty in info.partition_keys)
        try:
            keep = cur.execute(f"SELECT __i FROM (SELECT {typed}, __i FROM __parts) WHERE {where_sql}").fetchall()
        except duckdb.Error:
            return list(range(len(parts)))  # a predicate DuckDB cannot evaluate alone: read every partition
        finally:
            cur.unregister("__parts")
        return sorted(i for (i,) in keep)

    # -- the whole query ----------------------------------------------------------------------------
    def prepare(self, ast: exp.Expression, default_db: str, cur) -> tuple[exp.Expression, list, int]:
        ast = self._expand_views(ast, default_db)
        ctes = {c.alias_or_name.lower() for c in ast.find_all(exp.CTE)}
        sources = []  # (view name, alias, info, partitions)
        for i, t in enumerate(list(ast.find_all(exp.Table))):
            if not t.name or (not t.db and t.name.lower() in ctes) or isinstance(t.this, exp.Func):
                continue
            info = self._info(t, default_db)
            parts = self._prune(cur, t, info)
            name = f"__src{i}"
            alias = (t.alias or t.name).lower()
            new = exp.Table(this=exp.to_identifier(name), alias=exp.TableAlias(this=exp.to_identifier(alias)))
            t.replace(new)
            sources.append((name, alias, info, parts))
        schema = {name: {c: ty for c, ty in info.all_columns} for name, _, info, _ in sources}
        needed: dict[str, set[str] | None] = {name: None for name, *_ in sources}
        try:
            ast = qualify(ast, schema=schema, dialect=DIALECT, validate_qualify_columns=True,
                          quote_identifiers=True)
            by_alias = {}
            for name, alias, _, _ in sources:
                by_alias.setdefault(alias, []).append(name)
                needed[name] = set()
            for col in ast.find_all(exp.Column):
                for name in by_alias.get(col.table.lower(), []):
                    needed[name].add(col.name.lower())
        except OptimizeError as exc:
            m = re.search(r"Column '([^']+)' could not be resolved", str(exc))
            if m:
                raise CatalogError("COLUMN_NOT_FOUND",
                                   f"line 1:8: Column '{m.group(1).lower()}' cannot be resolved or requester is "
                                   f"not authorized to access requested resources") from None
            needed = {name: None for name, *_ in sources}  # qualify could not follow: read every column
        scanned = 0
        for name, _, info, parts in sources:
            cols = needed[name]
            if cols is not None:
                cols = cols & {c for c, _ in info.columns}
            scanned += self.reader.source(cur, name, info, parts, cols)
        return ast, [s[2] for s in sources], scanned

    @staticmethod
    def output_names(ast: exp.Expression) -> list[str]:
        sel = ast
        while isinstance(sel, (exp.SetOperation, exp.Subquery)):
            sel = sel.left if isinstance(sel, exp.SetOperation) else sel.this
        names = []
        for i, e in enumerate(sel.expressions if isinstance(sel, exp.Select) else []):
            n = e.alias_or_name
            names.append(f"_col{i}" if not n or re.fullmatch(r"_col_\d+", n) else n.lower())
        return names

    def run(self, ast: exp.Expression, default_db: str, cancel=None) -> Query:
        cur = self.con.cursor()
        if cancel is not None:
            cancel.append(cur)
        try:
            ast, infos, scanned = self.prepare(ast, default_db, cur)
            names = self.output_names(ast)
            sql = ast.sql("duckdb")
            rel = cur.sql(sql)
            if any(str(t).upper() in ("HUGEINT", "UHUGEINT", "UBIGINT") for t in rel.types):
                cols = rel.columns
                proj = ", ".join(f'CAST("{c}" AS BIGINT) AS "{c}"' if str(t).upper() in ("HUGEINT", "UHUGEINT", "UBIGINT")
                                 else f'"{c}"' for c, t in zip(cols, rel.types))
                rel = rel.project(proj)
            table = rel.to_arrow_table()
            if len(names) != table.num_columns:
                names = [c.lower() for c in table.column_names]
            return Query(names, table, scanned, infos)
        except duckdb.Error as exc:
            raise translate_duckdb_error(exc) from None
        finally:
            cur.close()


def translate_duckdb_error(exc: Exception) -> CatalogError:
    msg = str(exc).split("\n")[0]
    if isinstance(exc, duckdb.InterruptException):
        return CatalogError("USER_CANCELLED", "Query was cancelled by user")
    m = re.search(r'Referenced column "?([^"\s]+)"? not found', msg)
    if m:
        return CatalogError("COLUMN_NOT_FOUND", f"line 1:8: Column '{m.group(1)}' cannot be resolved or requester "
                                                f"is not authorized to access requested resources")
    m = re.search(r"(?:Scalar|Aggregate|Table) Function with name (\S+) does not exist", msg)
    if m:
        return CatalogError("FUNCTION_NOT_FOUND", f"line 1:8: Function '{m.group(1)}' not registered")
    if isinstance(exc, duckdb.ConversionException):
        return CatalogError("INVALID_CAST_ARGUMENT", msg.split(": ", 1)[-1])
    if isinstance(exc, (duckdb.BinderException, duckdb.ParserException)):
        return CatalogError("SYNTAX_ERROR", "line 1:1: " + msg.split(": ", 1)[-1])
    if isinstance(exc, duckdb.InvalidInputException) and "parquet" in msg.lower():
        return CatalogError("HIVE_CANNOT_OPEN_SPLIT", msg)
    return CatalogError("GENERIC_INTERNAL_ERROR", msg)

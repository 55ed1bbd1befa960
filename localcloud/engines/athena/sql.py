"""Athena (Trino) queries run by DuckDB: resolve tables in Glue, translate Trino to DuckDB with
Trino's meaning (``translate.py``), prune partitions, read only the needed columns, run.

Output columns are named as Athena names them (``_col1`` for an unnamed expression) and typed
with Trino's types, which drive ``ColumnInfo`` and the rendering of every value.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from . import duck, errors, ttypes
from .catalog import CatalogError, Partition, TableInfo, table_info
from .sqlparse import Raw, parse_statement
from .tables import TableReader
from .translate import Source, Translated, Translator
from .ttypes import T
from .types import duckdb_type

DIALECT = "athena"
MAX_VIEW_DEPTH = 10


def position(node: exp.Expr | None) -> str:
    """``line L:C`` of a node, as Athena prefixes its messages."""
    for n in [node] + list(node.find_all(exp.Identifier)) if node is not None else []:
        meta = getattr(n, "meta", None) or {}
        if "line" in meta:
            col = max(1, meta.get("col", 1) - len(n.name) + 1)
            return f"line {meta['line']}:{col}"
    return "line 1:1"


def parse(sql: str) -> exp.Expr:
    """A Hive DDL statement (sqlglot's Athena dialect)."""
    try:
        statements = [s for s in sqlglot.parse(sql, dialect=DIALECT) if s is not None]
    except ParseError as exc:
        err = (exc.errors or [{}])[0]
        msg = err.get("description") or str(exc)
        raise CatalogError("SYNTAX_ERROR", f"line {err.get('line', 1)}:{err.get('col', 1)}: {msg}") from None
    if len(statements) != 1:
        raise CatalogError("", f"Only one sql statement is allowed. Got: {len(statements)}")
    return statements[0]


def view_sql(view_text: str) -> str:
    """The SQL of a view stored the way Athena stores it (``/* Presto View: base64 */``)."""
    m = re.search(r"/\* Presto View: (\S+) \*/", view_text or "")
    if not m:
        return view_text
    return json.loads(base64.b64decode(m.group(1)))["originalSql"]


# When the last query run on this thread finished planning (catalog, partition pruning, sources
# registered) and running in DuckDB: time.time() values that engine.py reports as Athena's
# QueryPlanningTimeInMillis and EngineExecutionTimeInMillis (result conversion and writing after
# that are ServiceProcessingTimeInMillis, as on Athena).
STAGES = threading.local()

# The DuckDB cursors a running query uses: StopQueryExecution interrupts them.
Cursors = list[duckdb.DuckDBPyConnection]


@dataclass
class Query:
    names: list[str]
    table: pa.Table
    scanned: int
    tables: list[TableInfo] = field(default_factory=list)
    types: list[T] = field(default_factory=list)


# Where a source's files go in a plan's SQL: a quoted identifier no statement can spell (random
# per process), replaced by the source's ``(SELECT ... FROM read_parquet(...))`` at each run.
_SLOT = f"__lc_source_{uuid.uuid4().hex}_"

# The tables a translation looked up: (database, table as written) -> what Glue said then.
Lookups = list[tuple[str, str, TableInfo]]


@dataclass
class Plan:
    """A SELECT translated once and run again while its tables are unchanged in Glue.

    ``sql`` is the final DuckDB SQL with a slot per source; the sources' files are listed (and
    their partitions pruned) at every run, so objects added to or removed from S3 are read as
    they are now.  ``tables`` holds every table (and view) the translation looked up, as Glue
    described it: the plan is reused only while Glue still describes each one the same.
    """

    sources: list[Source]
    sql: str
    names: list[str]
    types: list[T]
    tables: Lookups


# Predicates on partition columns that DuckDB evaluates exactly as Trino: only these node kinds
# are used to prune partitions (anything else reads every partition, never fewer).
_PRUNABLE = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Null,
    exp.Boolean,
    exp.Paren,
    exp.EQ,
    exp.NEQ,
    exp.LT,
    exp.LTE,
    exp.GT,
    exp.GTE,
    exp.In,
    exp.Between,
    exp.And,
    exp.Or,
    exp.Not,
    exp.Is,
    exp.Like,
    exp.Cast,
    exp.DataType,
    exp.DataTypeParam,
    exp.Tuple,
)


class SelectRunner:
    MAX_PRUNED = 256
    MAX_PLANS = 256

    def __init__(self, reader: TableReader, con: duckdb.DuckDBPyConnection) -> None:
        self.reader = reader
        self.con = con
        # (keys, partition values, predicate) -> indexes kept
        self._pruned: OrderedDict[tuple[object, ...], list[int]] = OrderedDict()
        # (query text, default database) -> its plan: a repeated query skips parsing and translation
        self._plans: OrderedDict[tuple[str, str], Plan] = OrderedDict()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._plans.clear()
            self._pruned.clear()

    # -- resolution --------------------------------------------------------------------------
    def _expand_views(self, ast: exp.Expr, default_db: str, seen: Lookups | None = None) -> exp.Expr:
        for _ in range(MAX_VIEW_DEPTH):
            ctes = {c.alias_or_name.lower() for c in ast.find_all(exp.CTE)}
            changed = False
            for t in list(ast.find_all(exp.Table)):
                if not t.name or (not t.db and t.name.lower() in ctes) or "$" in t.name:
                    continue
                info = self._info(t, default_db, seen)
                if info.table_type == "VIRTUAL_VIEW":
                    sub = parse_statement(view_sql(info.view_sql or ""))
                    alias = t.alias or t.name
                    t.replace(exp.Subquery(this=sub, alias=exp.TableAlias(this=exp.to_identifier(alias))))
                    changed = True
            if not changed:
                return ast
        raise CatalogError("VIEW_IS_RECURSIVE", "View is recursive")

    def _info(self, t: exp.Table, default_db: str, seen: Lookups | None = None) -> TableInfo:
        catalog = t.catalog.lower()
        if catalog and catalog != "awsdatacatalog":
            raise CatalogError("CATALOG_NOT_FOUND", f"{position(t)}: Catalog '{catalog}' does not exist")
        try:
            info = table_info(t.db or default_db, t.name)
        except CatalogError as exc:
            raise CatalogError(exc.code, f"{position(t)}: {exc.message}") from None
        if seen is not None:
            seen.append((t.db or default_db, t.name, info))
        return info

    # -- partition pruning ------------------------------------------------------------------------
    @staticmethod
    def _outer_joined(t: exp.Table) -> bool:
        join = t.find_ancestor(exp.Join)
        return bool(join and join.args.get("side"))

    def _prune(self, cur: duckdb.DuckDBPyConnection, t: exp.Table, info: TableInfo) -> list[Partition]:
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
            if not cols or not all(isinstance(n, _PRUNABLE) for n in c.walk()):
                continue
            if all(col.name.lower() in pkeys and (not col.table or col.table.lower() in names) for col in cols):
                conds.append(
                    c.copy().transform(
                        lambda n: exp.column(n.name.lower(), quoted=True) if isinstance(n, exp.Column) else n
                    )
                )
        if not conds:
            return parts
        where_sql = " AND ".join(c.sql("duckdb") for c in conds)
        # The same predicate over the same partition list keeps the same partitions: a repeated
        # query skips registering the list in DuckDB (a few ms, most of a small query's cost).
        memo = (tuple(info.partition_keys), tuple(tuple(v) for v, _ in parts), where_sql)
        keep = self._pruned.get(memo)
        if keep is None:
            keep = self._prune_in_duckdb(cur, info, parts, where_sql)
            with self._lock:
                self._pruned[memo] = keep
                while len(self._pruned) > self.MAX_PRUNED:
                    self._pruned.popitem(last=False)
        return [parts[i] for i in keep]

    @staticmethod
    def _prune_in_duckdb(
        cur: duckdb.DuckDBPyConnection, info: TableInfo, parts: list[Partition], where_sql: str
    ) -> list[int]:
        keys = [k for k, _ in info.partition_keys]
        arrays = [
            pa.array([None if v[i] == "__HIVE_DEFAULT_PARTITION__" else v[i] for v, _ in parts], pa.string())
            for i in range(len(keys))
        ]
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
    def translate(self, ast: exp.Expr, default_db: str, seen: Lookups | None = None) -> tuple[Translator, Translated]:
        """Translate a query; ``seen`` collects the tables (and views) it looked up in Glue."""
        ast = self._expand_views(ast, default_db, seen)
        tr = Translator(lambda t: self._info(t, default_db, seen))
        return tr, tr.query_statement(ast)

    def run(
        self,
        ast: exp.Expr,
        default_db: str,
        cancel: Cursors | None = None,
        for_write: bool = False,
        text: str | None = None,
    ) -> Query:
        """Run a query; ``for_write`` gives the physical values a table stores (CTAS, INSERT).

        ``text``: the statement ``ast`` was parsed from, with nothing bound into it; its plan is
        kept for :meth:`run_planned`.
        """
        seen: Lookups = []
        tr, out = self.translate(ast, default_db, seen)
        plan = Plan(tr.sources, self._plan_sql(tr, out.node, out.types, for_write), out.names, out.types, seen)
        if text is not None and not for_write:
            with self._lock:
                self._plans[(text, default_db)] = plan
                self._plans.move_to_end((text, default_db))
                while len(self._plans) > self.MAX_PLANS:
                    self._plans.popitem(last=False)
        return self._run_plan(plan, cancel)

    def run_planned(self, text: str, default_db: str, cancel: Cursors | None = None) -> Query | None:
        """Run ``text`` from its plan if Glue still describes every table it read as it did when
        the plan was made (None: no such plan; parse and :meth:`run` it)."""
        plan = self._plans.get((text, default_db))
        if plan is None:
            return None
        for db, name, info in plan.tables:
            try:
                if table_info(db, name) != info:
                    return None
            except CatalogError:
                return None
        return self._run_plan(plan, cancel)

    def _run_plan(self, plan: Plan, cancel: Cursors | None) -> Query:
        table, scanned = self._run_sql(plan.sources, plan.sql, cancel)
        return Query(plan.names, table, scanned, [s.info for s in plan.sources], plan.types)

    def run_translated(
        self, tr: Translator, node: exp.Expr, types: list[T], cancel: Cursors | None = None, for_write: bool = True
    ) -> tuple[pa.Table, int]:
        """(Arrow table, bytes scanned) of a translated query: sources read, then DuckDB runs it."""
        return self._run_sql(tr.sources, self._plan_sql(tr, node, types, for_write), cancel)

    def _plan_sql(self, tr: Translator, node: exp.Expr, types: list[T], for_write: bool) -> str:
        """The final DuckDB SQL of a translated query (``node`` is changed), sources as slots."""
        for i, src in enumerate(tr.sources):
            for t in list(node.find_all(exp.Table)):
                if t.name == src.name and not t.alias and not t.db:
                    t.set("this", duck.ident(f"{_SLOT}{i}"))
                    t.set("alias", exp.TableAlias(this=duck.ident(src.name)))
        return self._final(node, types, for_write).sql("duckdb")

    def _run_sql(self, sources: list[Source], sql: str, cancel: Cursors | None) -> tuple[pa.Table, int]:
        cur = self.con.cursor()
        if cancel is not None:
            cancel.append(cur)
        try:
            scanned = 0
            for i, src in enumerate(sources):
                parts = self._prune(cur, src.table, src.info)
                relation, n = self.reader.source(cur, src.name, src.info, parts, set(src.needed))
                scanned += n
                sql = sql.replace(f'"{_SLOT}{i}"', relation)
            STAGES.planned = time.time()
            table = cur.sql(sql).to_arrow_table()
            STAGES.executed = time.time()
            return table, scanned
        except duckdb.Error as exc:
            raise errors.translate(exc) from None
        finally:
            cur.close()

    @staticmethod
    def _final(q: exp.Expr, types: list[T], for_write: bool) -> exp.Expr:
        """The query's outputs in the shape results are read in: a zone-carrying timestamp as its
        local time and zone (or, written to a table, as the UTC instant Hive stores)."""
        inplace = isinstance(q, exp.Select) and len(q.expressions) == len(types)
        cols = []
        for i, t in enumerate(types):
            c = q.expressions[i].this if inplace else duck.col(f"c{i}", "__out")
            if t.base == "timestamptz":
                if for_write:
                    c = duck.cast(duck.call("struct_extract", c, duck.string("i")), "TIMESTAMP")
                else:
                    c = duck.call(
                        "struct_pack",
                        exp.PropertyEQ(this=duck.ident("l"), expression=duck.call("tr_tz_local", c)),
                        exp.PropertyEQ(
                            this=duck.ident("z"), expression=duck.call("struct_extract", c.copy(), duck.string("z"))
                        ),
                    )
            elif t.base == "unknown" and for_write:
                c = duck.cast(c, "VARCHAR")
            elif for_write:
                c = duck.cast(c, ttypes.duck(t))
            cols.append(duck.alias(c, f"c{i}"))
        if inplace:
            # in place, so that the query's own ORDER BY still orders what is read
            q.set("expressions", cols)
            return q
        return exp.select(*cols).from_(exp.Subquery(this=q, alias=exp.TableAlias(this=duck.ident("__out"))))


__all__ = ["Plan", "Query", "SelectRunner", "parse", "parse_statement", "position", "view_sql", "Raw"]

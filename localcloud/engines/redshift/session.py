"""One database session: how each Redshift statement is run on the warehouse's PostgreSQL.

:meth:`Session.plan` reads a statement and decides:

* **pass** — PostgreSQL runs it (translated from Redshift SQL by sqlglot when they differ),
  optionally after a ``prepare`` step (Spectrum/federated tables loaded into session temp
  tables, system views refreshed) and followed by an ``after`` step (zone-map accounting of
  the scans into ``SYS_QUERY_DETAIL``).  The wire proxy relays such statements message by
  message, so every PostgreSQL protocol feature (binary formats, portals, cancel) keeps working.
* **handler** — the runtime runs it itself (``COPY``, ``UNLOAD``, ``CREATE TABLE`` with
  Redshift attributes, ``ALTER ... DISTKEY/SORTKEY``, ``EXPLAIN``, ``CREATE EXTERNAL SCHEMA``)
  and produces the result through a :class:`Sink`.

The Data API and the wire proxy both go through here, so the two ways in give the same answers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlglot import exp

from . import ddl, slices
from .errors import SqlError, not_supported
from .explain import TableLookup, and_terms, explain
from .pgwire import TEXT_OID, Cell, Field, PgConn, Result, encode_value, not_null
from .sqltext import (
    head_words,
    parse_query,
    quote_literal,
    substitute_session_functions,
    table_refs,
    tree_to_postgres,
)

if TYPE_CHECKING:
    from .warehouse import ScanRow, Warehouse

# Statements PostgreSQL has and Redshift does not: refused as Redshift would.
REFUSED = {
    ("create", "index"): "CREATE INDEX",
    ("create", "unique"): "CREATE UNIQUE INDEX",
    ("create", "trigger"): "CREATE TRIGGER",
    ("create", "extension"): "CREATE EXTENSION",
    ("create", "sequence"): "CREATE SEQUENCE",
    ("create", "type"): "CREATE TYPE",
    ("create", "domain"): "CREATE DOMAIN",
    ("create", "rule"): "CREATE RULE",
    ("create", "event"): "CREATE EVENT TRIGGER",
    ("create", "foreign"): "CREATE FOREIGN TABLE",
    ("create", "server"): "CREATE SERVER",
    ("listen",): "LISTEN",
    ("notify",): "NOTIFY",
    ("load",): "LOAD",
    ("alter", "system"): "ALTER SYSTEM",
}
SYSTEM_REFRESH = {"svv_table_info", "stv_tbl_perm"}
EXTERNAL_REFRESH = {"svv_external_tables", "svv_external_columns", "svv_external_partitions"}


class Sink:
    """Where a handler's result goes (the wire encoder or the Data API's collector)."""

    def start(self, fields: list[Field]) -> None: ...
    def row(self, values: list[Cell]) -> None: ...
    def done(self, tag: str) -> None: ...
    def notice(self, message: str) -> None: ...


class CollectSink(Sink):
    def __init__(self) -> None:
        self.result = Result()
        self.notices: list[str] = []

    def start(self, fields: list[Field]) -> None:
        self.result.fields = fields

    def row(self, values: list[Cell]) -> None:
        fields = self.result.fields or []
        self.result.rows.append([encode_value(v, f.type_oid, 0) for v, f in zip(values, fields)])

    def done(self, tag: str) -> None:
        self.result.tag = tag

    def notice(self, message: str) -> None:
        self.notices.append(message)


@dataclass
class Plan:
    kind: str  # "pass" | "handler"
    sql: str  # the Redshift statement
    pg_sql: str = ""
    handler: Callable[[Session, Sink], None] | None = None
    fields: list[Field] | None = None  # a handler's result columns (None: no rows)
    prepare: Callable[[], None] | None = None
    after: Callable[[float, float], None] | None = None
    is_query: bool = False


@dataclass(eq=False)
class Session:
    warehouse: Warehouse
    conn: PgConn
    user: str
    database: str
    last: dict[str, int] = field(default_factory=dict)
    session_id: int = 0
    current_query: int = 0

    # -- planning -------------------------------------------------------------------------------
    def plan(self, sql: str) -> Plan:
        words = head_words(sql, 4)
        w = words + [""] * (4 - len(words))
        if w[0] == "copy":
            from .copy import run_copy

            return Plan("handler", sql, handler=lambda s, sink: run_copy(s, sql, sink))
        if w[0] == "unload":
            from .unload import run_unload

            return Plan("handler", sql, handler=lambda s, sink: run_unload(s, sql, sink))
        if w[0] == "create" and w[1] == "external":
            if w[2] == "schema":
                from .external import create_external_schema

                return Plan("handler", sql, handler=lambda s, sink: create_external_schema(s, sql, sink))
            raise not_supported(f"CREATE EXTERNAL {w[2].upper()} (define external tables in the Glue Data Catalog)")
        if w[0] == "create" and "table" in w[1:4]:
            return Plan("handler", sql, handler=lambda s, sink: s._create_table(sql, sink))
        if w[0] == "alter" and w[1] == "table":
            alter = ddl.parse_alter(sql)
            if alter is not None:
                return Plan("handler", sql, handler=lambda s, sink: s._alter_dist_sort(alter, sink))
        if w[0] == "explain":
            return Plan(
                "handler", sql, handler=lambda s, sink: s._explain(sql, sink), fields=[Field("QUERY PLAN", TEXT_OID)]
            )
        for key, what in REFUSED.items():
            if tuple(w[: len(key)]) == key:
                raise SqlError(f"{what} is not supported in Amazon Redshift", "0A000")
        sql = substitute_session_functions(sql, self.last)
        if w[0] in ("select", "with", "insert", "update", "delete", "values"):
            return self._plan_query(sql, w[0])
        return Plan("pass", sql, pg_sql=sql)

    def _plan_query(self, sql: str, verb: str) -> Plan:
        tree = parse_query(sql)
        if tree is None:
            return Plan("pass", sql, pg_sql=sql, is_query=verb in ("select", "with", "values"))
        refs = table_refs(tree)
        external = self.warehouse.external_schemas(self.database) if any(t.db for t in refs) else {}
        ext_refs = [t for t in refs if t.db and t.db.lower() in external]
        if ext_refs:
            from .external import plan_external

            return plan_external(self, sql, tree, ext_refs, external)
        plan = Plan("pass", sql, pg_sql=tree_to_postgres(tree), is_query=isinstance(tree, (exp.Select, exp.Union)))
        if any(t.name.lower() in SYSTEM_REFRESH for t in refs):
            plan.prepare = self.warehouse.refresh_system_views_for(self.database)
        elif any(t.name.lower() in EXTERNAL_REFRESH for t in refs):
            from .external import refresh_external_views

            plan.prepare = lambda: refresh_external_views(self)
        elif isinstance(tree, exp.Select) and refs:
            plan.after = lambda start, end: self._record_scans(tree, refs, start, end)
        return plan

    # -- running (Data API, and handlers' own statements) ---------------------------------------
    def run(self, sql: str, params: list | None = None) -> tuple[Result, list[str]]:
        """Run one statement and collect its result (text values)."""
        plan = self.plan(sql)
        qid = self.warehouse.next_query_id()
        start = time.time()
        if plan.handler is not None:  # kind "handler"
            sink = CollectSink()
            self.current_query = qid
            try:
                plan.handler(self, sink)
            except SqlError:
                self.poison_transaction()
                raise
            self.last["query_id"] = qid
            return sink.result, sink.notices
        if plan.prepare:
            plan.prepare()
        result = self.conn.query(plan.pg_sql, params or [])
        self.last["query_id"] = qid
        if plan.after:
            plan.after(start, time.time())
        return result, []

    def poison_transaction(self) -> None:
        """A handler failed inside BEGIN ... : abort the transaction, as a failed statement does."""
        if self.conn.status == b"T":
            try:
                self.conn.simple("DO $$BEGIN RAISE EXCEPTION 'statement failed'; END$$")
            except SqlError:
                pass

    def execute(self, sql: str) -> list[Result]:
        """The runtime's own statements in this session (simple protocol)."""
        return self.conn.simple(sql)

    # -- CREATE TABLE / ALTER -------------------------------------------------------------------
    def _create_table(self, sql: str, sink: Sink) -> None:
        ct = ddl.parse_create_table(sql)
        if ct.as_query is not None:
            q = parse_query(ct.as_query)
            if q is None:
                raise SqlError("syntax error in CREATE TABLE AS query", "42601")
            refs = table_refs(q)
            external = self.warehouse.external_schemas(self.database)
            ext_refs = [t for t in refs if t.db and t.db.lower() in external]
            if ext_refs:
                from .external import plan_external

                inner = plan_external(self, ct.as_query, q, ext_refs, external)
                if inner.prepare is not None:
                    inner.prepare()
                pg_query = inner.pg_sql
            else:
                pg_query = tree_to_postgres(q)
            self.conn.simple(ct.pg_sql + pg_query)
            cols = self.conn.query(
                "SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped "
                "ORDER BY attnum",
                [ct.relation],
            ).text_rows()
            names = [not_null(r[0]) for r in cols]
            try:
                ddl.check_columns(ct.attrs, names)
            except SqlError:
                self.conn.simple(f"DROP TABLE {ct.relation}")
                raise
            rows = not_null(self.conn.query(f"SELECT count(*) FROM {ct.relation}").rows[0][0]).decode()
            self.conn.simple(ct.attrs.record_sql(ct.relation))
            sink.done(f"SELECT {rows}")
            return
        self.conn.simple(ct.pg_sql + ";\n" + ct.attrs.record_sql(ct.relation))
        sink.done("CREATE TABLE")

    def _alter_dist_sort(self, alter: ddl.AlterDistSort, sink: Sink) -> None:
        metas = self._metas_for_names([alter.relation])
        meta = metas.get(alter.relation)
        if meta is None:
            raise SqlError(f"relation {alter.relation} does not exist", "42P01")
        names = [c for c, _, _ in meta.columns]
        attrs = ddl.TableAttrs(meta.diststyle, meta.distkey, meta.sortstyle, list(meta.sortkeys))
        if alter.diststyle is not None:
            attrs.diststyle, attrs.distkey = alter.diststyle, alter.distkey
            if alter.diststyle != "KEY":
                attrs.distkey = None
        if alter.sortstyle is not None:
            if meta.sortstyle == "INTERLEAVED":
                raise SqlError("ALTER SORTKEY is not supported for tables with an interleaved sort key", "0A000")
            attrs.sortstyle, attrs.sortkeys = alter.sortstyle, alter.sortkeys or []
        ddl.check_columns(attrs, names)
        self.conn.simple(attrs.record_sql(alter.relation))
        sink.done("ALTER TABLE")

    def _metas_for_names(self, names: list[str]) -> dict[str, slices.TableMeta]:
        lits = ",".join(quote_literal(n) for n in names)
        rows = self.conn.query(f"SELECT n, to_regclass(n)::oid FROM unnest(ARRAY[{lits}]::text[]) n").text_rows()
        oids = {not_null(n): int(o) for n, o in rows if o}
        metas = slices.tables_by_oid(self.conn, list(set(oids.values())))
        return {n: metas[o] for n, o in oids.items() if o in metas}

    # -- EXPLAIN ------------------------------------------------------------------------------------
    def _explain(self, sql: str, sink: Sink) -> None:
        words = head_words(sql, 3)
        body = sql[sql.lower().index("explain") + len("explain") :].lstrip()
        if words[1:2] == ["verbose"]:
            raise not_supported("EXPLAIN VERBOSE")
        tree = parse_query(substitute_session_functions(body, self.last))
        if tree is None:
            raise not_supported("EXPLAIN of this statement")
        session = self

        class Lookup(TableLookup):
            def meta(self, t: exp.Table) -> slices.TableMeta | None:
                name = (t.db + "." if t.db else "") + t.name
                return session._metas_for_names([name]).get(name)

            def count(self, t: exp.Table, where_sql: str | None) -> int:
                name = (f'"{t.db}".' if t.db else "") + f'"{t.name}"'
                alias = t.alias or t.name
                where = f" WHERE {where_sql}" if where_sql else ""
                return int(not_null(session.conn.query(f'SELECT count(*) FROM {name} AS "{alias}"{where}').rows[0][0]))

        lines = explain(tree, Lookup(), self.warehouse.topology)
        sink.start([Field("QUERY PLAN", TEXT_OID)])
        for line in lines:
            sink.row([line])
        sink.done("EXPLAIN")

    # -- zone maps ------------------------------------------------------------------------------
    def _record_scans(self, tree: exp.Select, refs: list[exp.Table], start: float, end: float) -> None:
        if self.conn.status == b"E":
            return
        names = {(t.db + "." if t.db else "") + t.name: t for t in refs}
        try:
            metas = self._metas_for_names(list(names))
        except SqlError:
            return
        if not metas:
            return
        where = tree.args.get("where")
        conjuncts = list(and_terms(where.this)) if where is not None else []
        rows: list[ScanRow] = []
        qid = self.last.get("query_id", 0)
        for step, (name, t) in enumerate(names.items()):
            meta = metas.get(name)
            if meta is None:
                continue
            preds, ncols = _predicates_for(t, meta, conjuncts, tree, len(names) == 1)
            blocks_read: int | None
            rows_read: int | None
            rows_out: int | None
            restricted: bool | None
            if meta.sortstyle == "INTERLEAVED":
                blocks_read = rows_read = rows_out = None
                restricted = None
            else:
                try:
                    stats = slices.scan_stats(self.conn, meta, preds, ncols, self.warehouse.topology)
                except SqlError:
                    return
                blocks_read, rows_read, rows_out = stats.blocks_read, stats.rows_read, stats.rows_out
                restricted = stats.restricted
            rows.append((qid, step, meta.relid, meta.name, restricted, blocks_read, rows_read, rows_out))
        self.warehouse.log_scans(self.database, self.user, rows, start, end)


_OPS: dict[type[exp.Expr], str] = {exp.EQ: "=", exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<="}
_FLIP = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "=": "="}


def _literal(e: exp.Expr) -> str | None:
    if isinstance(e, (exp.Literal, exp.Cast)) and not list(e.find_all(exp.Column)):
        return e.sql("postgres")
    if isinstance(e, exp.Neg) and isinstance(e.this, exp.Literal):
        return e.sql("postgres")
    return None


def _predicates_for(
    t: exp.Table, meta: slices.TableMeta, conjuncts: list[exp.Expr], tree: exp.Select, only_table: bool
) -> tuple[list[slices.Predicate], int]:
    """Range predicates on ``t``'s columns (literal bounds only) and how many of its columns are read."""
    alias = (t.alias or t.name).lower()
    cols = {c for c, _, _ in meta.columns}

    def mine(c: exp.Column) -> bool:
        q = c.table.lower()
        return c.name.lower() in cols and (q == alias or (not q and only_table))

    preds: list[slices.Predicate] = []
    for c in conjuncts:
        op = _OPS.get(type(c))
        if op and isinstance(c, exp.Binary):
            if isinstance(c.left, exp.Column) and mine(c.left) and (lit := _literal(c.right)):
                preds.append(slices.Predicate(c.left.name.lower(), op, [lit]))
            elif isinstance(c.right, exp.Column) and mine(c.right) and (lit := _literal(c.left)):
                preds.append(slices.Predicate(c.right.name.lower(), _FLIP[op], [lit]))
        elif isinstance(c, exp.Between) and isinstance(c.this, exp.Column) and mine(c.this):
            lo, hi = _literal(c.args["low"]), _literal(c.args["high"])
            if lo and hi:
                preds.append(slices.Predicate(c.this.name.lower(), "between", [lo, hi]))
        elif isinstance(c, exp.In) and isinstance(c.this, exp.Column) and mine(c.this):
            lits = [_literal(v) for v in c.expressions]
            vals = [v for v in lits if v]
            if vals and len(vals) == len(lits):
                preds.append(slices.Predicate(c.this.name.lower(), "in", vals))
    if any(isinstance(s, exp.Star) for s in tree.expressions):
        ncols = len(cols)
    else:
        ncols = len({c.name.lower() for c in tree.find_all(exp.Column) if mine(c)})
    return preds, ncols

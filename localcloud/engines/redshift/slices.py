"""The simulated cluster layout: slices, distribution, blocks and zone maps.

This is a simulation, computed from the real rows PostgreSQL stores (one copy of each row):

* **slices**: ``nodes × slices_per_node`` numbered like ``STV_SLICES``.
* **distribution** decides each row's slice: ``KEY`` hashes the key's text
  (``hashtext``; equal values always land on the same slice, NULLs all on one), ``EVEN``
  deals rows round robin in storage order, ``ALL`` keeps a full copy on the first slice of
  every node.  ``AUTO`` is reported as ``AUTO(ALL)`` up to ``auto_all_max_rows`` rows and
  ``AUTO(EVEN)`` above (Redshift documents the ALL-then-EVEN behaviour, not the threshold).
* **blocks**: Redshift stores each column in 1 MB blocks.  ``size`` in ``SVV_TABLE_INFO``
  counts those 1 MB blocks from the uncompressed bytes of each column on each slice (plus the
  3 hidden columns), so a small table shows Redshift's documented minimum size.  For zone
  maps a block is scaled down to ``rows_per_block`` rows per slice (all columns of a block
  hold the same rows), sorted by the sort key, so lab-sized tables have several blocks and a
  range filter on the sort key visibly skips some.  A block is read when its min/max range
  can hold rows matching the filter.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from .pgwire import PgConn, not_null
from .sqltext import quote_ident, quote_literal

BLOCK_BYTES = 1024 * 1024
HIDDEN_COLUMNS = 3  # insert_xid, delete_xid, row_id: Redshift adds them to every table


@dataclass(frozen=True)
class Topology:
    nodes: int = 2
    slices_per_node: int = 2
    rows_per_block: int = 1000
    auto_all_max_rows: int = 10_000

    @property
    def slices(self) -> int:
        return self.nodes * self.slices_per_node


@dataclass
class TableMeta:
    relid: int
    schema: str
    name: str
    diststyle: str
    distkey: str | None
    sortstyle: str
    sortkeys: list[str]
    columns: list[tuple[str, str, int]]  # (name, formatted type, varchar length or -1)
    encodings: dict[str, str] = field(default_factory=dict)
    created: str | None = None

    @property
    def qualified(self) -> str:
        return f"{quote_ident(self.schema)}.{quote_ident(self.name)}"


_META_SQL = """
SELECT c.oid, n.nspname, c.relname, t.diststyle,
       (SELECT attname FROM pg_attribute WHERE attrelid = c.oid AND attnum = t.distkey),
       t.sortstyle,
       (SELECT coalesce(string_agg(attname, ',' ORDER BY array_position(t.sortkeys, attnum)), '')
          FROM pg_attribute WHERE attrelid = c.oid AND attnum = ANY (t.sortkeys)),
       (SELECT string_agg(attname || chr(1) || format_type(atttypid, atttypmod) || chr(1) ||
                          CASE WHEN atttypid = 1043 AND atttypmod > 0 THEN atttypmod - 4 ELSE -1 END,
                          chr(2) ORDER BY attnum)
          FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped),
       t.encodings::text, t.created::text
FROM lc_redshift.table_attrs t JOIN pg_class c ON c.oid = t.relid JOIN pg_namespace n ON n.oid = c.relnamespace
"""


def _meta_rows(rows: Sequence[Sequence[str | None]]) -> list[TableMeta]:
    import json

    out: list[TableMeta] = []
    for r in rows:
        cols: list[tuple[str, str, int]] = []
        for item in (r[7] or "").split("\x02"):
            if item:
                name, typ, length = item.split("\x01")
                cols.append((name, typ, int(length)))
        out.append(
            TableMeta(
                int(not_null(r[0])),
                not_null(r[1]),
                not_null(r[2]),
                not_null(r[3]),
                r[4],
                not_null(r[5]),
                [s for s in (r[6] or "").split(",") if s],
                cols,
                json.loads(r[8] or "{}"),
                r[9],
            )
        )
    return out


def all_tables(conn: PgConn) -> list[TableMeta]:
    """Permanent tables with Redshift attributes (temporary tables live in their own session)."""
    res = conn.query(_META_SQL + " WHERE c.relpersistence <> 't' ORDER BY n.nspname, c.relname")
    return _meta_rows(res.text_rows())


def tables_by_oid(conn: PgConn, oids: list[int]) -> dict[int, TableMeta]:
    if not oids:
        return {}
    res = conn.query(_META_SQL + f" WHERE c.oid IN ({','.join(str(int(o)) for o in oids)})")
    return {m.relid: m for m in _meta_rows(res.text_rows())}


def effective_style(meta: TableMeta, rows: int, topo: Topology) -> tuple[str, str]:
    """(how rows are placed: KEY/EVEN/ALL, what SVV_TABLE_INFO.diststyle says)."""
    if meta.diststyle == "KEY":
        return "KEY", f"KEY({meta.distkey})"
    if meta.diststyle == "AUTO":
        return ("ALL", "AUTO(ALL)") if rows <= topo.auto_all_max_rows else ("EVEN", "AUTO(EVEN)")
    return meta.diststyle, meta.diststyle


def slice_expr(meta: TableMeta, style: str, topo: Topology) -> str:
    n = topo.slices
    if style == "KEY":
        col = quote_ident(not_null(meta.distkey))
        return f"((coalesce(hashtext(({col})::text), 0)::bigint % {n}) + {n}) % {n}"
    if style == "EVEN":
        return f"(row_number() OVER (ORDER BY ctid) - 1) % {n}"
    return "0"


def slice_counts(conn: PgConn, meta: TableMeta, topo: Topology) -> tuple[int, str, list[int]]:
    """(row count, SVV diststyle label, rows per slice) — ALL tables: rows of each node's copy."""
    total = int(not_null(conn.query(f"SELECT count(*) FROM {meta.qualified}").rows[0][0]))
    style, label = effective_style(meta, total, topo)
    n = topo.slices
    if style == "EVEN":
        per = [total // n + (1 if i < total % n else 0) for i in range(n)]
    elif style == "ALL":
        per = [total if i % topo.slices_per_node == 0 else 0 for i in range(n)]
    else:
        res = conn.query(
            f"SELECT s, count(*) FROM (SELECT {slice_expr(meta, style, topo)} AS s FROM {meta.qualified}) x GROUP BY s"
        )
        per = [0] * n
        for s, c in res.text_rows():
            per[int(not_null(s))] = int(not_null(c))
    return total, label, per


def column_blocks(conn: PgConn, meta: TableMeta, style: str, topo: Topology) -> dict[int, list[int]]:
    """1 MB blocks per populated slice, per column (user columns, then the 3 hidden ones)."""
    sums = ", ".join(f"coalesce(sum(pg_column_size({quote_ident(c)})), 0)" for c, _, _ in meta.columns)
    res = conn.query(
        f"SELECT s, count(*), {sums} FROM (SELECT {slice_expr(meta, style, topo)} AS s, * FROM {meta.qualified}) x "
        "GROUP BY s"
    )
    out: dict[int, list[int]] = {}
    for row in res.text_rows():
        s, rows = int(not_null(row[0])), int(not_null(row[1]))
        blocks = [max(1, math.ceil(int(not_null(v)) / BLOCK_BYTES)) for v in row[2:]]
        blocks += [max(1, math.ceil(rows * 8 / BLOCK_BYTES))] * HIDDEN_COLUMNS
        out[s] = blocks
    if style == "ALL":  # the same copy on the first slice of every node
        first = out.get(0, [])
        out = {node * topo.slices_per_node: list(first) for node in range(topo.nodes)} if first else {}
    return out


def refresh_table_info(conn: PgConn, topo: Topology, database: str) -> None:
    """Recompute ``SVV_TABLE_INFO`` and ``STV_TBL_PERM`` from the data (conn: internal superuser)."""
    info_rows: list[tuple[object, ...]] = []
    perm_rows: list[tuple[int, int, str, int, int, int]] = []
    for meta in all_tables(conn):
        total, label, per = slice_counts(conn, meta, topo)
        style = "ALL" if label.endswith("ALL)") or label == "ALL" else ("KEY" if label.startswith("KEY") else "EVEN")
        blocks = column_blocks(conn, meta, style, topo) if total else {}
        for s in range(topo.slices):
            perm_rows.append((s, meta.relid, meta.name, per[s], per[s], sum(blocks.get(s, []))))
        if not total:
            continue  # Redshift: SVV_TABLE_INFO shows no empty tables
        size = sum(sum(b) for b in blocks.values())
        populated = [c for i, c in enumerate(per) if style != "ALL" or i % topo.slices_per_node == 0]
        skew = None if style == "ALL" or min(populated) == 0 else round(max(populated) / min(populated), 2)
        names = [c for c, _, _ in meta.columns]
        skew_sort = None
        if meta.sortkeys and meta.sortstyle != "AUTO" and blocks:
            per_col = [sum(b[i] for b in blocks.values()) for i in range(len(names))]
            k = names.index(meta.sortkeys[0])
            others = [b for i, b in enumerate(per_col) if names[i] not in meta.sortkeys]
            skew_sort = round(max(others) / per_col[k], 2) if others and per_col[k] else None
        varchars = [length for _, _, length in meta.columns if length > 0]
        sortkey1 = meta.sortkeys[0] if meta.sortkeys and meta.sortstyle != "AUTO" else "AUTO(SORTKEY)"
        info_rows.append(
            (
                database,
                meta.schema,
                meta.relid,
                meta.name,
                "Y" if meta.encodings else "Y, AUTO(ENCODE)",
                label,
                sortkey1,
                max(varchars) if varchars else None,
                meta.encodings.get(sortkey1, "none") if sortkey1 != "AUTO(SORTKEY)" else None,
                len(meta.sortkeys) if meta.sortstyle != "AUTO" else 0,
                size,
                total,
                skew_sort,
                skew,
                total,
                meta.created,
            )
        )
    stmts = [
        "BEGIN",
        "DELETE FROM lc_redshift.table_info",
        "DELETE FROM lc_redshift.tbl_perm",
    ]  # not TRUNCATE: a reader may hold a lock
    for r in info_rows:
        vals = ", ".join(_lit(v) for v in r)
        stmts.append(
            'INSERT INTO lc_redshift.table_info (database, schema, table_id, "table", encoded, diststyle, sortkey1, '
            "max_varchar, sortkey1_enc, sortkey_num, size, tbl_rows, skew_sortkey1, skew_rows, "
            f"estimated_visible_rows, create_time) VALUES ({vals})"
        )
    for r in perm_rows:
        stmts.append(
            'INSERT INTO lc_redshift.tbl_perm (slice, id, name, "rows", sorted_rows, temp, db_id, backup, block_count) '
            f"VALUES ({r[0]}, {r[1]}, {_lit(r[2])}, {r[3]}, {r[4]}, 0, 0, 1, {r[5]})"
        )
    stmts.append("COMMIT")
    conn.simple(";\n".join(stmts))


def _lit(v: object) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, (int, float)):
        return str(v)
    return quote_literal(str(v))


# -- zone maps ---------------------------------------------------------------------------------


@dataclass
class Predicate:
    column: str
    op: str  # =, <, <=, >, >=, between, in
    values: list[str]  # PostgreSQL literal SQL

    def on_rows(self) -> str:
        col = quote_ident(self.column)
        if self.op == "between":
            return f"{col} BETWEEN {self.values[0]} AND {self.values[1]}"
        if self.op == "in":
            return f"{col} IN ({', '.join(self.values)})"
        return f"{col} {self.op} {self.values[0]}"

    def on_block(self, mn: str, mx: str) -> str:
        """True when a block with this column's [mn, mx] may hold a matching row."""
        v = self.values
        if self.op == "=":
            return f"({mn} <= {v[0]} AND {mx} >= {v[0]})"
        if self.op in ("<", "<="):
            return f"({mn} {self.op} {v[0]})"
        if self.op in (">", ">="):
            return f"({mx} {self.op} {v[0]})"
        if self.op == "between":
            return f"({mx} >= {v[0]} AND {mn} <= {v[1]})"
        return "(" + " OR ".join(f"({mn} <= {x} AND {mx} >= {x})" for x in v) + ")"


@dataclass
class ScanStats:
    blocks_total: int
    blocks_read: int
    rows_read: int
    rows_out: int
    restricted: bool


def scan_stats(conn: PgConn, meta: TableMeta, preds: list[Predicate], ncols: int, topo: Topology) -> ScanStats:
    """Blocks a scan of ``meta`` with ``preds`` reads, from the blocks' min/max (zone maps)."""
    total = int(not_null(conn.query(f"SELECT count(*) FROM {meta.qualified}").rows[0][0]))
    style, _ = effective_style(meta, total, topo)
    copies = topo.nodes if style == "ALL" else 1
    per_col = max(ncols, 1)
    if not preds:
        # Nothing to skip: every block is read.  Blocks per slice follow from the rows per slice,
        # without ordering the table (the sort below is what makes a scan with predicates cost).
        if style == "KEY":
            res = conn.query(f"SELECT count(*) FROM {meta.qualified} GROUP BY {slice_expr(meta, style, topo)}")
            counts = [int(not_null(r[0])) for r in res.text_rows()]
        elif style == "EVEN":
            n = topo.slices
            counts = [total // n + (1 if i < total % n else 0) for i in range(n)]
        else:  # ALL: one copy here, multiplied by the nodes below
            counts = [total]
        blocks = sum(math.ceil(c / topo.rows_per_block) for c in counts)
        return ScanStats(blocks * copies * per_col, blocks * copies * per_col, total * copies, total * copies, False)
    order = ", ".join(quote_ident(k) for k in meta.sortkeys) if meta.sortkeys and meta.sortstyle != "AUTO" else "ctid"
    cols = sorted({p.column for p in preds})
    alias = {c: f"c{i}" for i, c in enumerate(cols)}
    inner_cols = "".join(f", {quote_ident(c)} AS {alias[c]}" for c in cols)
    match = " AND ".join(p.on_rows().replace(quote_ident(p.column), alias[p.column]) for p in preds) or "true"
    aggs = "".join(f", min({alias[c]}) AS mn_{alias[c]}, max({alias[c]}) AS mx_{alias[c]}" for c in cols)
    hit = " AND ".join(p.on_block(f"mn_{alias[p.column]}", f"mx_{alias[p.column]}") for p in preds) or "true"
    b = topo.rows_per_block
    sort_cols = "".join(f", {quote_ident(k)}" for k in meta.sortkeys if meta.sortstyle != "AUTO")
    sql = f"""
    WITH base AS (SELECT {slice_expr(meta, style, topo)} AS s, ctid AS rid{sort_cols}{inner_cols}
                  FROM {meta.qualified}),
         r AS (SELECT s, (row_number() OVER (PARTITION BY s ORDER BY {order.replace("ctid", "rid")}) - 1) / {b} AS blk,
                      ({match}) AS ok{"".join(f", {alias[c]}" for c in cols)} FROM base),
         blocks AS (SELECT s, blk, count(*) AS n, count(*) FILTER (WHERE ok) AS m{aggs} FROM r GROUP BY s, blk)
    SELECT count(*), count(*) FILTER (WHERE {hit}), coalesce(sum(n) FILTER (WHERE {hit}), 0), coalesce(sum(m), 0)
    FROM blocks"""
    row = conn.query(sql).rows[0]
    total_blocks, read, rows_read, rows_out = (int(not_null(v)) for v in row)
    return ScanStats(
        total_blocks * copies * per_col, read * copies * per_col, rows_read * copies, rows_out * copies, bool(preds)
    )

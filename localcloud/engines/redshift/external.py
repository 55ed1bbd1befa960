"""External schemas: Redshift Spectrum over the Glue Data Catalog, and federated MySQL.

``CREATE EXTERNAL SCHEMA s FROM DATA CATALOG DATABASE 'db' IAM_ROLE ...`` and
``CREATE EXTERNAL SCHEMA m FROM MYSQL DATABASE 'shop' URI 'host' PORT 3306 IAM_ROLE ...
SECRET_ARN '...'`` reserve the schema name (a real, empty PostgreSQL schema) and record the
source in ``SVV_EXTERNAL_SCHEMAS``.

A query over ``s.table`` is run by loading what the query needs into a session temporary
table just before it runs and pointing the query at that table:

* **Spectrum**: the table, its columns, format and partitions come from the Glue catalog
  (read through the injected catalog reader); a ``WHERE`` comparison of a partition column
  with a literal prunes partitions before any object is listed; the remaining partitions'
  objects are read through the injected S3 reader (Parquet, JSON lines, delimited text/CSV).
  Each scan is logged in ``SYS_EXTERNAL_QUERY_DETAIL``/``SVL_S3QUERY_SUMMARY`` (partitions,
  files, bytes scanned: the whole object for text formats, the column chunks read for Parquet).
* **Federated MySQL**: the columns come from the remote ``information_schema``; the query's
  projection and its literal ``WHERE`` comparisons on that table are pushed down to MySQL (as
  Redshift pushes them down) through the injected connector.

External tables are read-only, as in Redshift.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import operator
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypedDict

import pyarrow.parquet as pq
from sqlglot import exp

from .errors import SqlError, not_supported
from .explain import and_terms
from .loadopts import parse_authorization, resolve_role, split_s3
from .session import Plan, _literal
from .sqltext import Cursor, quote_ident, quote_literal, tree_to_postgres

if TYPE_CHECKING:
    from .session import Session, Sink

KIND_DATA_CATALOG, KIND_MYSQL = 1, 3
PyValue = str | int | float  # a literal of a WHERE comparison, as Python reads it
# (column, operator, literal values, the comparison's node): what partition pruning and pushdown use
Pred = tuple[str, str, list[PyValue], exp.Expr]


class ExternalScan(TypedDict):
    """One external table read for a query: a row of SYS_EXTERNAL_QUERY_DETAIL/SVL_S3QUERY_SUMMARY."""

    source_type: str
    table: str
    format: str | None
    location: str
    total_partitions: int
    qualified_partitions: int
    files: int
    scanned_bytes: int
    rows: int
    returned_bytes: int
    text: str | None


_HIVE_TO_PG = {
    "string": "varchar",
    "int": "integer",
    "integer": "integer",
    "bigint": "bigint",
    "smallint": "smallint",
    "tinyint": "smallint",
    "double": "double precision",
    "float": "real",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
}
_MYSQL_TO_PG = {
    "tinyint": "smallint",
    "smallint": "smallint",
    "mediumint": "integer",
    "int": "integer",
    "integer": "integer",
    "bigint": "bigint",
    "float": "real",
    "double": "double precision",
    "date": "date",
    "datetime": "timestamp",
    "timestamp": "timestamp",
    "time": "time",
    "year": "smallint",
    "char": "char",
    "varchar": "varchar",
    "text": "varchar(65535)",
    "tinytext": "varchar(65535)",
    "mediumtext": "varchar(65535)",
    "longtext": "varchar(65535)",
    "enum": "varchar(65535)",
    "set": "varchar(65535)",
    "json": "varchar(65535)",
    "bit": "boolean",
}


def create_external_schema(session: Session, sql: str, sink: Sink) -> None:
    c = Cursor(sql)
    c.expect("create", "external", "schema")
    if_not_exists = c.accept("if", "not", "exists")
    name = c.ident()
    c.expect("from")
    opts: dict = {}
    if c.accept("data", "catalog"):
        kind = KIND_DATA_CATALOG
    elif c.accept("mysql"):
        kind = KIND_MYSQL
    elif c.word() in ("postgres", "hive", "redshift", "kafka", "kinesis", "msk"):
        raise not_supported(f"CREATE EXTERNAL SCHEMA ... FROM {c.word().upper()}")
    else:
        kind = KIND_DATA_CATALOG  # FROM DATA CATALOG is the default source
    database = None
    while not c.at_end():
        if parse_authorization(c, opts):
            continue
        if c.accept("database"):
            database = c.string()
        elif c.accept("region"):
            opts["region"] = c.string()
        elif c.accept("uri"):
            opts["uri"] = c.string()
        elif c.accept("port"):
            opts["port"] = c.number()
        elif c.accept("secret_arn"):
            opts["secret_arn"] = c.string()
        elif c.accept("schema"):
            opts["remote_schema"] = c.string()
        elif c.accept("create", "external", "database", "if", "not", "exists"):
            raise not_supported("CREATE EXTERNAL DATABASE IF NOT EXISTS (create the Glue database first)")
        elif c.accept("catalog_role"):
            c.accept("default") or c.string()
        else:
            raise SqlError(f'syntax error at or near "{c.near()}"', "42601")
    if not database:
        raise SqlError("DATABASE is required in CREATE EXTERNAL SCHEMA", "42601")
    opts["iam_role_arn"] = resolve_role(session, opts)
    wh = session.warehouse
    if kind == KIND_DATA_CATALOG:
        if wh.hooks.catalog is None:
            raise not_supported("Spectrum without a Glue catalog reader (the warehouse was not wired to Glue)")
        if wh.hooks.catalog.get_database(database) is None:
            raise SqlError(f'External database "{database}" does not exist in the data catalog', "3F000")
    else:
        for need in ("uri", "secret_arn"):
            if need not in opts:
                raise SqlError(f"{need.upper()} is required for an external schema FROM MYSQL", "42601")
        opts.setdefault("port", 3306)
        if wh.hooks.federated_connect is None:
            raise not_supported("federated query without a MySQL connector (the warehouse was not wired to RDS)")
    exists = session.conn.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [name]).rows
    if exists:
        if if_not_exists:
            sink.notice(f'External schema "{name}" already exists, skipping')
            sink.done("CREATE SCHEMA")
            return
        raise SqlError(f'Schema "{name}" already exists', "42P06")
    options = {k: v for k, v in opts.items() if k not in ("iam_role",)}
    options["iam_role"] = opts["iam_role"] if opts["iam_role"] != "default" else opts["iam_role_arn"]
    session.conn.simple(
        f"CREATE SCHEMA {quote_ident(name)}; SELECT lc_redshift.register_external_schema({quote_literal(name)}, "
        f"{kind}::smallint, {quote_literal(database)}, {quote_literal(json.dumps(options))})"
    )
    sink.done("CREATE SCHEMA")


def plan_external(session: Session, sql: str, tree: exp.Expr, refs: list[exp.Table], schemas: dict[str, dict]) -> Plan:
    if not isinstance(tree, (exp.Select, exp.Union)):
        raise SqlError("Cannot modify an external table: external tables are read-only", "0A000")
    where = tree.args.get("where") if isinstance(tree, exp.Select) else None
    conjuncts = list(and_terms(where.this)) if where is not None else []
    loads: list[tuple[str, str, dict, str, list[Pred], set[str] | None]] = []
    for i, t in enumerate(refs):
        schema = t.db.lower()
        info = schemas[schema]
        temp = f"lc_ext_{i}_{schema}_{t.name.lower()}"[:63]
        alias = t.alias or t.name
        cols_used = _columns_used(tree, t, alias, len(refs) == 1)
        preds = _preds(conjuncts, alias.lower(), len(refs) == 1)
        loads.append((schema, t.name.lower(), info, temp, preds, cols_used))
        new = exp.Table(this=exp.to_identifier(temp), db=exp.to_identifier("pg_temp"))
        new.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
        t.replace(new)
    pg_sql = tree_to_postgres(tree)
    stats: list[ExternalScan] = []

    def prepare() -> None:
        stats.clear()
        for schema, name, info, temp, preds, cols_used in loads:
            if info["kind"] == KIND_DATA_CATALOG:
                stats.append(_load_spectrum(session, schema, name, info, temp, preds, cols_used))
            else:
                stats.append(_load_mysql(session, schema, name, info, temp, preds, cols_used))

    def after(start: float, end: float) -> None:
        _log_external(session, stats, start, end)

    return Plan("pass", sql, pg_sql=pg_sql, prepare=prepare, after=after, is_query=True)


def _columns_used(tree: exp.Expr, t: exp.Table, alias: str, only: bool) -> set[str] | None:
    if any(isinstance(s, exp.Star) for s in tree.find_all(exp.Star)):
        return None
    out: set[str] = set()
    for c in tree.find_all(exp.Column):
        q = c.table.lower()
        if q == alias.lower() or (not q and only):
            out.add(c.name.lower())
    return out


def _preds(conjuncts: list[exp.Expr], alias: str, only: bool) -> list[Pred]:
    """(column, op, python literal values, node) comparisons of this table's columns with literals."""
    ops: dict[type[exp.Expr], str] = {
        exp.EQ: "=",
        exp.GT: ">",
        exp.GTE: ">=",
        exp.LT: "<",
        exp.LTE: "<=",
        exp.NEQ: "<>",
    }
    flip = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "=": "=", "<>": "<>"}
    out: list[Pred] = []

    def mine(c: exp.Expr) -> bool:
        return isinstance(c, exp.Column) and (c.table.lower() == alias or (not c.table and only))

    for c in conjuncts:
        op = ops.get(type(c))
        if op and isinstance(c, exp.Binary) and mine(c.left) and _literal(c.right):
            out.append((c.left.name.lower(), op, [_pyval(c.right)], c))
        elif op and isinstance(c, exp.Binary) and mine(c.right) and _literal(c.left):
            out.append((c.right.name.lower(), flip[op], [_pyval(c.left)], c))
        elif isinstance(c, exp.In) and mine(c.this) and all(_literal(v) for v in c.expressions):
            out.append((c.this.name.lower(), "in", [_pyval(v) for v in c.expressions], c))
        elif isinstance(c, exp.Between) and mine(c.this) and _literal(c.args["low"]) and _literal(c.args["high"]):
            out.append((c.this.name.lower(), "between", [_pyval(c.args["low"]), _pyval(c.args["high"])], c))
    return out


def _pyval(e: exp.Expr) -> PyValue:
    while isinstance(e, exp.Cast):
        e = e.this
    if isinstance(e, exp.Literal):
        return e.this if e.is_string else (float(e.this) if "." in e.this else int(e.this))
    if isinstance(e, exp.Neg):
        inner = _pyval(e.this)
        if not isinstance(inner, str):  # -'5' is no number here: its SQL text, as for any other expression
            return -inner
    return e.sql()


# Any: partition values and literals of whatever type the column has, compared under try/except TypeError
def _typed(value: PyValue | None, hive_type: str) -> Any:
    t = hive_type.lower()
    if value is None:
        return None
    try:
        if t in ("int", "integer", "bigint", "smallint", "tinyint"):
            return int(value)
        if t in ("double", "float") or t.startswith("decimal"):
            return float(value)
        if t == "date":
            return dt.date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return str(value)


_CMP: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "<>": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


def _matches(values: dict[str, str], preds: list[Pred], types: dict[str, str]) -> bool:
    for col, op, lits, _ in preds:
        if col not in values:
            continue
        v = _typed(values[col], types[col])
        ls = [_typed(x, types[col]) for x in lits]
        ok: bool
        try:
            if op == "in":
                ok = v in ls
            elif op == "between":
                ok = ls[0] <= v <= ls[1]
            else:
                ok = _CMP[op](v, ls[0])
        except TypeError:
            ok = True  # not comparable here: keep the partition, PostgreSQL filters the rows
        if not ok:
            return False
    return True


def _pg_type(hive: str) -> str:
    t = hive.strip().lower()
    if t in _HIVE_TO_PG:
        return _HIVE_TO_PG[t]
    if t.startswith(("decimal", "varchar", "char")):
        return t.replace("decimal", "numeric")
    raise not_supported(f"the external column type {hive} (complex and other types)")


# -- Spectrum --------------------------------------------------------------------------------------


def _load_spectrum(
    session: Session, schema: str, name: str, info: dict, temp: str, preds: list[Pred], cols_used: set[str] | None
) -> ExternalScan:
    wh = session.warehouse
    s3, catalog = wh.hooks.s3, wh.hooks.catalog
    if s3 is None or catalog is None:
        raise not_supported(
            "Spectrum without an S3 reader and a Glue catalog reader (the warehouse was not wired to them)"
        )
    table = catalog.get_table(info["database"], name)
    if table is None:
        raise SqlError(f'relation "{schema}.{name}" does not exist', "42P01")
    sd = table.get("StorageDescriptor") or {}
    columns = [(c["Name"].lower(), c.get("Type", "string")) for c in sd.get("Columns", [])]
    pkeys = [(c["Name"].lower(), c.get("Type", "string")) for c in table.get("PartitionKeys") or []]
    types = dict(columns + pkeys)
    serde = ((sd.get("SerdeInfo") or {}).get("SerializationLibrary") or "").lower()
    serde_params = (sd.get("SerdeInfo") or {}).get("Parameters") or {}
    fmt = (
        "parquet"
        if "parquet" in serde or "parquet" in (sd.get("InputFormat") or "").lower()
        else ("json" if "json" in serde else ("opencsv" if "opencsv" in serde else "text"))
    )
    params = {**(table.get("Parameters") or {}), **serde_params}
    locations: list[tuple[dict, str]] = []
    total_parts = 0
    if pkeys:
        parts = catalog.get_partitions(info["database"], name)
        total_parts = len(parts)
        part_preds = [p for p in preds if p[0] in dict(pkeys)]
        for part in parts:
            values = dict(zip([k for k, _ in pkeys], part["Values"]))
            if _matches(values, part_preds, types):
                locations.append((values, (part.get("StorageDescriptor") or {}).get("Location") or ""))
    else:
        locations.append(({}, sd.get("Location") or ""))
    pg_cols = ", ".join(f"{quote_ident(c)} {_pg_type(t)}" for c, t in columns + pkeys)
    session.conn.simple(
        f"DROP TABLE IF EXISTS pg_temp.{quote_ident(temp)}; CREATE TEMP TABLE {quote_ident(temp)} ({pg_cols})"
    )
    files, scanned, rows_out, out_bytes = 0, 0, 0, 0
    lines: list[bytes] = []
    skip = int(params.get("skip.header.line.count", "0") or 0)
    for values, location in locations:
        bucket, prefix = split_s3(location)
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        for key, size in s3.list(bucket, prefix):
            rel = key[len(prefix) :]
            if key.endswith("/") or key.endswith("_$folder$") or any(p.startswith(("_", ".")) for p in rel.split("/")):
                continue
            body = s3.get(bucket, key)
            files += 1
            tail = [values.get(k) for k, _ in pkeys]
            recs: Sequence[list[SpectrumValue]]
            if fmt == "parquet":
                recs, nbytes = _parquet(body, [c for c, _ in columns], cols_used)
                scanned += nbytes
            else:
                scanned += size
                recs = (
                    _json_lines(body, columns) if fmt == "json" else _delimited(body, columns, fmt, serde_params, skip)
                )
            for rec in recs:
                line = _pg_line(rec + tail)
                lines.append(line)
                out_bytes += len(line)
                rows_out += 1
    if lines:
        try:
            session.conn.copy_in(f"COPY pg_temp.{quote_ident(temp)} FROM STDIN", [b"".join(lines)])
        except SqlError as exc:
            raise SqlError(f"Spectrum Scan Error: {schema}.{name}: {exc.message}", "XX000") from None
    return {
        "source_type": "S3",
        "table": f"{schema}.{name}",
        "format": fmt.upper() if fmt != "opencsv" else "CSV",
        "location": (sd.get("Location") or ""),
        "total_partitions": total_parts,
        "qualified_partitions": len(locations) if pkeys else 0,
        "files": files,
        "scanned_bytes": scanned,
        "rows": rows_out,
        "returned_bytes": out_bytes,
        "text": None,
    }


def _pg_line(values: Sequence[object]) -> bytes:
    out: list[str] = []
    for v in values:
        if v is None:
            out.append("\\N")
        else:
            s = v if isinstance(v, str) else ("t" if v is True else "f" if v is False else str(v))
            out.append(s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r"))
    return ("\t".join(out) + "\n").encode()


# a value read from a lake file: text (numbers as their text), a boolean, or NULL
SpectrumValue = str | bool | None


def _parquet(body: bytes, names: list[str], used: set[str] | None) -> tuple[list[list[SpectrumValue]], int]:
    f = pq.ParquetFile(io.BytesIO(body))
    file_cols = {n.lower(): n for n in f.schema_arrow.names}
    wanted = [n for n in names if used is None or n in used]
    read = [file_cols[n] for n in wanted if n in file_cols]
    nbytes = 0
    md = f.metadata
    for rg in range(md.num_row_groups):
        group = md.row_group(rg)
        for ci in range(group.num_columns):
            col = group.column(ci)
            if col.path_in_schema.split(".")[0] in read:
                nbytes += col.total_compressed_size
    table = f.read(columns=read) if read else None
    nrows = md.num_rows
    data = {n.lower(): table.column(n).to_pylist() for n in read} if table is not None else {}
    recs: list[list[SpectrumValue]] = []
    for i in range(nrows):
        rec: list[SpectrumValue] = []
        for n in names:
            v = data.get(n, [None] * nrows)[i] if n in data else None
            if isinstance(v, dt.datetime):
                v = v.isoformat(sep=" ")
            elif v is not None and not isinstance(v, (str, bool)):
                v = str(v)
            rec.append(v)
        recs.append(rec)
    return recs, nbytes


def _json_lines(body: bytes, columns: list[tuple[str, str]]) -> list[list[SpectrumValue]]:
    recs: list[list[SpectrumValue]] = []
    for line in body.decode("utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SqlError(f"Spectrum Scan Error: invalid JSON: {exc.msg}", "XX000") from None
        low = {k.lower(): v for k, v in obj.items()} if isinstance(obj, dict) else {}
        rec: list[SpectrumValue] = []
        for c, _ in columns:
            v = low.get(c)
            if isinstance(v, (dict, list)):
                v = json.dumps(v)
            elif isinstance(v, bool):
                v = "t" if v else "f"
            elif v is not None:
                v = str(v)
            rec.append(v)
        recs.append(rec)
    return recs


def _delimited(
    body: bytes, columns: list[tuple[str, str]], fmt: str, serde_params: dict, skip: int
) -> list[list[SpectrumValue]]:
    text = body.decode("utf-8", errors="replace")
    if fmt == "opencsv":
        reader = csv.reader(
            io.StringIO(text),
            delimiter=serde_params.get("separatorChar", ","),
            quotechar=serde_params.get("quoteChar", '"'),
        )
        rows = list(reader)
    else:
        delim = serde_params.get("field.delim", "\x01")
        rows = [line.split(delim) for line in text.splitlines()]
    recs: list[list[SpectrumValue]] = []
    for row in rows[skip:]:
        if not row or row == [""]:
            continue
        rec = [(row[i] if i < len(row) else None) for i in range(len(columns))]
        recs.append(
            [None if (v == "\\N" or (v == "" and t.lower() != "string")) else v for v, (_, t) in zip(rec, columns)]
        )
    return recs


# -- federated MySQL ----------------------------------------------------------------------------------


def _load_mysql(
    session: Session, schema: str, name: str, info: dict, temp: str, preds: list[Pred], cols_used: set[str] | None
) -> ExternalScan:
    wh = session.warehouse
    connect = wh.hooks.federated_connect
    if connect is None:  # CREATE EXTERNAL SCHEMA ... FROM MYSQL refused it already
        raise not_supported("federated query without a MySQL connector (the warehouse was not wired to RDS)")
    options = {k: info.get(k) for k in ("uri", "port", "secret_arn", "iam_role", "remote_schema")}
    options["database"] = info["database"]
    options["warehouse"] = wh.config.name  # whose security groups the connection leaves from
    try:
        conn = connect(options)
    except Exception as exc:
        raise SqlError(f"Federated query: could not connect to the MySQL database: {exc}", "08001") from None
    try:
        cur = conn.cursor()
        cur.execute(
            "SELECT column_name, data_type, character_maximum_length, numeric_precision, numeric_scale "
            "FROM information_schema.columns WHERE table_schema = %s AND lower(table_name) = %s "
            "ORDER BY ordinal_position",
            (info["database"], name),
        )
        meta = cur.fetchall()
        if not meta:
            raise SqlError(f'relation "{schema}.{name}" does not exist', "42P01")
        cols: list[tuple[str, str, str]] = []
        pg_cols: list[str] = []
        for cname, dtype, clen, prec, scale in meta:
            cname = cname.decode() if isinstance(cname, bytes) else cname
            dtype = (dtype.decode() if isinstance(dtype, bytes) else dtype).lower()
            if dtype in ("decimal", "numeric"):
                pg = f"numeric({prec},{scale})"
            elif dtype in ("char", "varchar"):
                pg = f"{_MYSQL_TO_PG[dtype]}({min(int(clen or 256) * 4, 65535)})"
            elif dtype in _MYSQL_TO_PG:
                pg = _MYSQL_TO_PG[dtype]
            else:
                raise not_supported(f"the MySQL column type {dtype.upper()} in federated query")
            cols.append((cname.lower(), cname, dtype))
            pg_cols.append(f"{quote_ident(cname.lower())} {pg}")
        pushed: list[str] = []
        known = {c for c, _, _ in cols}
        for col, _op, _lits, node in preds:
            if col in known:
                pushed.append(node.sql("mysql"))
        select = ", ".join(f"`{orig}`" for _, orig, _ in cols)
        remote = f"SELECT {select} FROM `{info['database']}`.`{name}`"
        if pushed:
            remote += " WHERE " + " AND ".join(pushed)
        cur.execute(remote)
        fetched = cur.fetchall()
    finally:
        try:
            conn.close()
        except Exception:
            pass
    ddl = f"CREATE TEMP TABLE {quote_ident(temp)} ({', '.join(pg_cols)})"
    session.conn.simple(f"DROP TABLE IF EXISTS pg_temp.{quote_ident(temp)}; {ddl}")
    lines = [_pg_line([_mysql_value(v) for v in row]) for row in fetched]
    if lines:
        session.conn.copy_in(f"COPY pg_temp.{quote_ident(temp)} FROM STDIN", [b"".join(lines)])
    return {
        "source_type": "MYSQL",
        "table": f"{schema}.{name}",
        "format": None,
        "location": f"{info.get('uri')}:{info.get('port')}",
        "total_partitions": 0,
        "qualified_partitions": 0,
        "files": 0,
        "scanned_bytes": 0,
        "rows": len(lines),
        "returned_bytes": sum(len(x) for x in lines),
        "text": remote,
    }


def _mysql_value(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, (bytes, bytearray)):
        return v.decode(errors="replace")
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.timedelta):
        secs = int(v.total_seconds())
        return f"{secs // 3600:02d}:{secs % 3600 // 60:02d}:{secs % 60:02d}"
    return str(v)


def _log_external(session: Session, stats: list[ExternalScan], start: float, end: float) -> None:
    if not stats:
        return
    wh = session.warehouse
    uid = wh._user_id(session.database, session.user)
    qid = session.last.get("query_id", 0)
    values: list[str] = []
    for seg, s in enumerate(stats):
        values.append(
            f"({uid}, {qid}, {seg}, to_timestamp({start:.6f}) AT TIME ZONE 'UTC', to_timestamp({end:.6f}) AT TIME ZONE "
            f"'UTC', {int((end - start) * 1e6)}, {quote_literal(s['source_type'])}, {s['files']}, {s['rows']}, "
            f"{s['returned_bytes']}, {quote_literal(s['format']) if s['format'] else 'NULL'}, "
            f"{quote_literal(s['location'])}, {quote_literal(s['text']) if s['text'] else 'NULL'}, "
            f"{s['total_partitions']}, {s['qualified_partitions']}, {s['scanned_bytes']}, {quote_literal(s['table'])})"
        )
    wh.admin_simple(
        session.database,
        "INSERT INTO lc_redshift.external_scans (user_id, query_id, segment_id, start_time, end_time, duration, "
        "source_type, scanned_files, returned_rows, returned_bytes, file_format, file_location, external_query_text, "
        "total_partitions, qualified_partitions, scanned_bytes, table_name) VALUES " + ", ".join(values),
    )
    _ = time


def refresh_external_views(session: Session) -> None:
    """Fill SVV_EXTERNAL_TABLES/COLUMNS/PARTITIONS from the Glue catalog (data catalog schemas)."""
    wh = session.warehouse
    cat = wh.hooks.catalog
    tables: list[list[object]] = []
    columns: list[list[object]] = []
    partitions: list[list[object]] = []
    for schema, info in sorted(wh.external_schemas(session.database).items()):
        if info["kind"] != KIND_DATA_CATALOG or cat is None:
            continue
        for t in cat.get_tables(info["database"]):
            sd = t.get("StorageDescriptor") or {}
            serde = sd.get("SerdeInfo") or {}
            name = t["Name"].lower()
            common = [
                sd.get("InputFormat"),
                sd.get("OutputFormat"),
                serde.get("SerializationLibrary"),
                json.dumps(serde.get("Parameters") or {}),
                int(bool(sd.get("Compressed"))),
            ]
            tables.append(
                [
                    session.database,
                    schema,
                    name,
                    sd.get("Location"),
                    *common,
                    json.dumps(t.get("Parameters") or {}),
                    t.get("TableType") or "EXTERNAL_TABLE",
                ]
            )
            cols = sd.get("Columns") or []
            for i, c in enumerate(cols, start=1):
                columns.append([session.database, schema, name, c["Name"].lower(), c.get("Type"), i, 0, "true"])
            for k, c in enumerate(t.get("PartitionKeys") or [], start=1):
                columns.append(
                    [session.database, schema, name, c["Name"].lower(), c.get("Type"), len(cols) + k, k, "true"]
                )
            if t.get("PartitionKeys"):
                for part in cat.get_partitions(info["database"], t["Name"]):
                    psd = part.get("StorageDescriptor") or {}
                    pserde = psd.get("SerdeInfo") or {}
                    partitions.append(
                        [
                            session.database,
                            schema,
                            name,
                            json.dumps(part["Values"]),
                            psd.get("Location"),
                            psd.get("InputFormat"),
                            psd.get("OutputFormat"),
                            pserde.get("SerializationLibrary"),
                            json.dumps(pserde.get("Parameters") or {}),
                            int(bool(psd.get("Compressed"))),
                            json.dumps(part.get("Parameters") or {}),
                        ]
                    )

    def rows(table: str, data: list[list[object]]) -> str:
        if not data:
            return ""
        vals = ", ".join(
            "("
            + ", ".join("NULL" if v is None else str(v) if isinstance(v, int) else quote_literal(str(v)) for v in r)
            + ")"
            for r in data
        )
        return f"; INSERT INTO lc_redshift.{table} VALUES {vals}"

    wh.admin_simple(
        session.database,
        "BEGIN; DELETE FROM lc_redshift.ext_tables; DELETE FROM lc_redshift.ext_columns; "
        "DELETE FROM lc_redshift.ext_partitions"
        + rows("ext_tables", tables)
        + rows("ext_columns", columns)
        + rows("ext_partitions", partitions)
        + "; COMMIT",
    )

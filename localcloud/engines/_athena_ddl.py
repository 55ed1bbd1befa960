"""Athena statements other than plain SELECTs: Hive DDL into the Glue catalog, SHOW/DESCRIBE,
MSCK REPAIR TABLE, ALTER TABLE ADD/DROP PARTITION, CREATE VIEW and CREATE TABLE AS SELECT.

Each returns an :class:`Outcome`; failures raise ``CatalogError`` with Athena's wording.
"""

from __future__ import annotations

import base64
import fnmatch
import io
import json
import re
import urllib.parse
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.parquet as pq
from sqlglot import exp

from . import _athena_catalog as cat
from ._athena_catalog import CatalogError
from ._athena_results import Column, Result, athena_type, format_value
from ._athena_scan import S3Store, parse_type_or_fail, split_s3
from ._athena_sql import SelectRunner, parse


@dataclass
class Outcome:
    result: Result
    statement_type: str  # DDL | DML | UTILITY
    substatement: str
    scanned: int = 0


def _ddl(sub: str, lines: list[str] | None = None, name: str = "result") -> Outcome:
    res = Result.text(name, lines) if lines is not None else Result(header=False)
    return Outcome(res, "DDL", sub)


def _utility(sub: str, name: str, lines: list[str]) -> Outcome:
    return Outcome(Result.text(name, lines), "UTILITY", sub)


def _ident(s: str) -> str:
    return s.strip().strip("`\"").lower()


def _table_ref(text: str, default_db: str) -> tuple[str, str]:
    parts = [_ident(p) for p in text.strip().split(".")]
    if len(parts) == 3:
        parts = parts[1:]
    return (parts[0], parts[1]) if len(parts) == 2 else (default_db, parts[0])


def hive_type_of(t: pa.DataType) -> str:
    """Arrow type of a query result -> the Hive type Athena records for a CTAS column."""
    col = athena_type(t)
    if col.type == "varchar":
        return "string"
    if col.type == "decimal":
        return f"decimal({t.precision},{t.scale})"
    if col.type == "array":
        return f"array<{hive_type_of(t.value_type)}>"
    if col.type == "map":
        return f"map<{hive_type_of(t.key_type)},{hive_type_of(t.item_type)}>"
    if col.type == "row":
        return "struct<" + ",".join(f"{f.name}:{hive_type_of(f.type)}" for f in t) + ">"
    return {"integer": "int", "real": "float", "varbinary": "binary"}.get(col.type, col.type)


def _type_text(kind: exp.DataType) -> str:
    text = kind.sql("hive").lower()
    return re.sub(r"\s+", "", text) if text.startswith(("struct", "array", "map")) else text.replace(" ", "")


def _partition_spec(text: str) -> dict[str, str]:
    spec = {}
    for k, v in re.findall(r"`?(\w+)`?\s*=\s*('(?:[^']|'')*'|\"[^\"]*\"|[^,\s)]+)", text):
        if v[:1] in "'\"":
            v = v[1:-1].replace("''", "'")
        spec[k.lower()] = v
    return spec


class Statements:
    def __init__(self, store: S3Store, selects: SelectRunner) -> None:
        self.store = store
        self.selects = selects

    # ---- entry point -------------------------------------------------------------------------
    def run(self, sql: str, db: str, qid: str, output_location: str, cancel: list | None = None) -> Outcome:
        text = sql.strip().rstrip(";").strip()
        head = re.sub(r"\s+", " ", text[:60]).upper()
        if head.startswith("MSCK REPAIR TABLE"):
            return self.msck(text, db)
        if head.startswith("SHOW "):
            return self.show(text, db)
        if re.match(r"ALTER TABLE \S+ (ADD|DROP)( IF (NOT )?EXISTS)? PARTITION", head):
            return self.alter_partitions(text, db)
        if head.startswith(("DESCRIBE ", "DESC ")):
            return self.describe(text, db)
        ast = parse(text)
        if isinstance(ast, exp.Query):
            q = self.selects.run(ast, db, cancel)
            res = _result_from(q)
            return Outcome(res, "DML", "SELECT", q.scanned)
        if isinstance(ast, exp.Create):
            kind = (ast.args.get("kind") or "").upper()
            if kind in ("DATABASE", "SCHEMA"):
                return self.create_database(ast)
            if kind == "VIEW":
                return self.create_view(ast, db)
            if kind == "TABLE" and ast.expression is not None:
                return self.ctas(ast, db, qid, output_location, cancel)
            if kind == "TABLE":
                return self.create_table(ast, db)
        if isinstance(ast, exp.Drop):
            return self.drop(ast, db)
        raise CatalogError("NOT_SUPPORTED", f"localcloud does not run this statement yet: {head.split(' (')[0]}")

    # ---- databases -----------------------------------------------------------------------------
    def create_database(self, ast: exp.Create) -> Outcome:
        name = _ident(ast.this.name)
        props = {type(p).__name__: p for p in (ast.args.get("properties") or exp.Properties()).expressions}
        with cat.LOCK:
            if cat.find_database(name) is not None:
                if ast.args.get("exists"):
                    return _ddl("CREATE_DATABASE")
                raise CatalogError("", f"Database {name} already exists")
            db_input = {"Name": name}
            if "SchemaCommentProperty" in props:
                db_input["Description"] = props["SchemaCommentProperty"].this.name
            if "LocationProperty" in props:
                db_input["LocationUri"] = props["LocationProperty"].this.name
            cat.glue().create_database(name, db_input)
        return _ddl("CREATE_DATABASE")

    def drop(self, ast: exp.Drop, default_db: str) -> Outcome:
        kind = (ast.args.get("kind") or "").upper()
        t = ast.this if ast.this is not None else (ast.args.get("tables") or [None])[0]
        exists = ast.args.get("exists")
        with cat.LOCK:
            if kind in ("DATABASE", "SCHEMA"):
                name = _ident(t.name)
                db = cat.find_database(name)
                if db is None:
                    if exists:
                        return _ddl("DROP_DATABASE")
                    raise CatalogError("", f"Database does not exist: {name}")
                if db.tables and not ast.args.get("cascade"):
                    raise CatalogError("", f"InvalidOperationException(message:Database {name} is not empty. "
                                           f"One or more tables exist.)")
                cat.glue().delete_database(db.name)
                return _ddl("DROP_DATABASE")
            dbname = _ident(t.db) if t.db else default_db
            db = cat.find_database(dbname)
            tbl = cat.find_table(db, t.name) if db is not None else None
            want_view = kind == "VIEW"
            if tbl is None or (tbl.as_dict().get("TableType") == "VIRTUAL_VIEW") != want_view:
                if exists:
                    return _ddl(f"DROP_{kind}")
                what = "View" if want_view else "Table"
                raise CatalogError("", f"SemanticException [Error 10001]: {what} not found {dbname}.{_ident(t.name)}")
            cat.glue().delete_table(db.name, tbl.name)  # external data stays in S3, as on AWS
        return _ddl(f"DROP_{kind}")

    # ---- tables ------------------------------------------------------------------------------------
    def create_table(self, ast: exp.Create, default_db: str) -> Outcome:
        schema = ast.this
        t = schema.this if isinstance(schema, exp.Schema) else schema
        props = list((ast.args.get("properties") or exp.Properties()).expressions)
        if not any(isinstance(p, exp.ExternalProperty) for p in props):
            fmt_props = [p for p in props if type(p) is exp.Property and p.name.lower() == "table_type"]
            if not fmt_props:
                raise CatalogError("", "Only external table creation is supported: use CREATE EXTERNAL TABLE "
                                       "(or CREATE TABLE ... AS SELECT).")
        dbname = _ident(t.db) if t.db else default_db
        name = _ident(t.name)
        columns = [(_ident(c.name), _type_text(c.args["kind"])) for c in schema.expressions
                   if isinstance(c, exp.ColumnDef)] if isinstance(schema, exp.Schema) else []
        pkeys, location, serde, serde_params, tblprops = [], "", None, {}, {}
        fmt = ("TEXTFILE", *cat.STORED_AS["TEXTFILE"])
        inp, outp = fmt[1], fmt[2]
        for p in props:
            if isinstance(p, exp.PartitionedByProperty) and isinstance(p.this, exp.Schema):
                pkeys = [(_ident(c.name), _type_text(c.args["kind"])) for c in p.this.expressions]
            elif isinstance(p, exp.LocationProperty):
                location = p.this.name
            elif isinstance(p, exp.RowFormatSerdeProperty):
                serde = p.this.name
                sp = p.args.get("serde_properties")
                for kv in sp.expressions if sp else []:
                    serde_params[kv.this.name] = kv.args["value"].name
            elif isinstance(p, exp.RowFormatDelimitedProperty):
                serde = cat.LAZY_SIMPLE
                for arg, key in (("fields", "field.delim"), ("escaped", "escape.delim"), ("lines", "line.delim"),
                                 ("collection_items", "collection.delim"), ("map_keys", "mapkey.delim"),
                                 ("null", "serialization.null.format")):
                    if p.args.get(arg) is not None:
                        serde_params[key] = p.args[arg].name
                if "field.delim" in serde_params:
                    serde_params["serialization.format"] = serde_params["field.delim"]
            elif isinstance(p, exp.FileFormatProperty):
                if isinstance(p.this, exp.InputOutputFormat):
                    inp, outp = p.this.args["input_format"].name, p.this.args["output_format"].name
                else:
                    stored = p.this.name.upper()
                    if stored not in cat.STORED_AS:
                        raise CatalogError("NOT_SUPPORTED", f"STORED AS {stored} is not supported by localcloud")
                    inp, outp, default_serde = cat.STORED_AS[stored]
                    serde = serde or default_serde
            elif type(p) is exp.Property:
                tblprops[p.name if isinstance(p.this, exp.Literal) else p.this.name] = p.args["value"].name
        serde = serde or cat.LAZY_SIMPLE
        if serde == cat.LAZY_SIMPLE and not serde_params:
            serde_params = {"serialization.format": "1"}
        for _, ty in columns + pkeys:
            parse_type_or_fail(ty)
        if not location:
            raise CatalogError("", "External table location must be specified: add LOCATION 's3://bucket/prefix/'")
        split_s3(location)
        with cat.LOCK:
            db = cat.find_database(dbname)
            if db is None:
                raise CatalogError("SCHEMA_NOT_FOUND", f"Schema '{dbname}' does not exist")
            if cat.find_table(db, name) is not None:
                if ast.args.get("exists"):
                    return _ddl("CREATE_TABLE")
                raise CatalogError("", f"AlreadyExistsException: Table {dbname}.{name} already exists")
            table_input = {
                "Name": name, "TableType": "EXTERNAL_TABLE", "Owner": "hadoop",
                "Parameters": {"EXTERNAL": "TRUE", **tblprops},
                "PartitionKeys": [{"Name": n, "Type": ty} for n, ty in pkeys],
                "StorageDescriptor": cat.storage_descriptor(columns, location, inp, outp, serde, serde_params),
            }
            cat.glue().create_table(db.name, name, table_input)
        return _ddl("CREATE_TABLE")

    def create_view(self, ast: exp.Create, default_db: str) -> Outcome:
        t = ast.this
        dbname = _ident(t.db) if t.db else default_db
        name = _ident(t.name)
        select = ast.expression
        original = select.sql("athena")
        q = self.selects.run(exp.select("*").from_(select.copy().subquery("v")).limit(0), dbname)
        cols = [(n, athena_type(f.type).type) for n, f in zip(q.names, q.table.schema)]
        doc = {"originalSql": original, "catalog": "awsdatacatalog", "schema": dbname,
               "columns": [{"name": n, "type": ty} for n, ty in cols]}
        table_input = {
            "Name": name, "TableType": "VIRTUAL_VIEW", "Owner": "hadoop",
            "Parameters": {"presto_view": "true", "comment": "Presto View"},
            "ViewOriginalText": "/* Presto View: " + base64.b64encode(json.dumps(doc).encode()).decode() + " */",
            "ViewExpandedText": "/* Presto View */",
            "PartitionKeys": [],
            "StorageDescriptor": cat.storage_descriptor(
                [(n, hive_type_of(f.type)) for n, f in zip(q.names, q.table.schema)], "", "", "", "", {}),
        }
        with cat.LOCK:
            db = cat.find_database(dbname)
            if db is None:
                raise CatalogError("SCHEMA_NOT_FOUND", f"Schema '{dbname}' does not exist")
            existing = cat.find_table(db, name)
            if existing is not None and not ast.args.get("replace"):
                raise CatalogError("ALREADY_EXISTS", f"View '{cat.CATALOG}.{dbname}.{name}' already exists")
            if existing is not None:
                cat.glue().update_table(db.name, existing.name, table_input)
            else:
                cat.glue().create_table(db.name, name, table_input)
        return _ddl("CREATE_VIEW")

    # ---- CREATE TABLE AS SELECT ------------------------------------------------------------------
    def ctas(self, ast: exp.Create, default_db: str, qid: str, output_location: str, cancel) -> Outcome:
        t = ast.this
        dbname = _ident(t.db) if t.db else default_db
        name = _ident(t.name)
        opts, pcols = {}, []
        for p in (ast.args.get("properties") or exp.Properties()).expressions:
            if isinstance(p, exp.FileFormatProperty):
                opts["format"] = p.this.name.upper()
            elif isinstance(p, exp.PartitionedByProperty):
                pcols = [_ident(e.name) for e in p.this.expressions]
            elif type(p) is exp.Property:
                opts[p.name.lower()] = p.args["value"].name
        fmt = opts.get("format", "PARQUET").upper()
        if fmt not in ("PARQUET", "JSON", "TEXTFILE"):
            raise CatalogError("NOT_SUPPORTED", f"CTAS format {fmt} is not supported by localcloud")
        out_dir = output_location.rsplit("/", 1)[0] + "/"
        location = opts.get("external_location") or f"{out_dir}tables/{qid}/"
        if not location.endswith("/"):
            location += "/"
        db = cat.find_database(dbname)
        if db is None:
            raise CatalogError("SCHEMA_NOT_FOUND", f"Schema '{dbname}' does not exist")
        if cat.find_table(db, name) is not None:
            if ast.args.get("exists"):
                return Outcome(Result([Column("rows", "bigint", 19)], [], update_count=0), "DML",
                               "CREATE_TABLE_AS_SELECT")
            raise CatalogError("TABLE_ALREADY_EXISTS", f"Table '{cat.CATALOG}.{dbname}.{name}' already exists")
        if self.store.has_objects(location):
            raise CatalogError("HIVE_PATH_ALREADY_EXISTS",
                               f"Target directory for table '{dbname}.{name}' already exists: {location}. You may "
                               f"need to manually clean the data at location '{location}' before retrying. Athena "
                               f"will not delete data in your account.")
        q = self.selects.run(ast.expression, default_db, cancel)
        if pcols and q.names[-len(pcols):] != pcols:
            raise CatalogError("HIVE_COLUMN_ORDER_MISMATCH",
                               f"Partition keys must be the last columns in the table and in the same order as the "
                               f"table properties: [{', '.join(pcols)}]")
        data = q.table.rename_columns(q.names)
        columns = [(n, hive_type_of(f.type)) for n, f in zip(q.names, data.schema) if n not in pcols]
        pkeys = [(n, hive_type_of(data.schema.field(n).type)) for n in pcols]
        inp, outp, serde = cat.STORED_AS[fmt]
        serde_params = {"serialization.format": "1"}
        if fmt == "TEXTFILE":
            delim = opts.get("field_delimiter", "\x01")
            serde_params = {"field.delim": delim, "serialization.format": delim}
        groups = self._split(data, pcols)
        parts = []
        for n, (values, chunk) in enumerate(groups):
            body = self._encode(chunk.drop_columns(pcols), fmt, serde_params)
            where = cat.partition_location(location, pkeys, values) if pcols else location
            self.store.put(f"{where}{qid}_{n:05d}", body)
            if pcols:
                parts.append((values, where))
        with cat.LOCK:
            cat.glue().create_table(db.name, name, {
                "Name": name, "TableType": "EXTERNAL_TABLE", "Owner": "hadoop",
                "Parameters": {"EXTERNAL": "TRUE", "has_encrypted_data": "false"},
                "PartitionKeys": [{"Name": k, "Type": ty} for k, ty in pkeys],
                "StorageDescriptor": cat.storage_descriptor(columns, location, inp, outp, serde, serde_params)})
            if parts:
                cat.add_partitions(db.name, name, parts, if_not_exists=True)
        res = Result([Column("rows", "bigint", 19)], [[str(data.num_rows)]], update_count=data.num_rows)
        return Outcome(res, "DML", "CREATE_TABLE_AS_SELECT", q.scanned)

    @staticmethod
    def _split(data: pa.Table, pcols: list[str]):
        if not pcols:
            return [([], data)]
        keys = data.select(pcols).to_pylist()
        order: dict[tuple, list[int]] = {}
        for i, k in enumerate(keys):
            order.setdefault(tuple(k[c] for c in pcols), []).append(i)
        out = []
        for combo in sorted(order, key=lambda c: tuple("" if v is None else str(v) for v in c)):
            values = ["__HIVE_DEFAULT_PARTITION__" if v is None else
                      urllib.parse.quote(format_value(v, data.schema.field(c).type), safe=" ")
                      for v, c in zip(combo, pcols)]
            out.append((values, data.take(pa.array(order[combo]))))
        return out

    @staticmethod
    def _encode(chunk: pa.Table, fmt: str, serde_params: dict) -> bytes:
        if fmt == "PARQUET":
            buf = io.BytesIO()
            pq.write_table(chunk, buf, compression="snappy")
            return buf.getvalue()
        rows = chunk.to_pylist()
        if fmt == "JSON":
            return "".join(json.dumps(r, default=str, ensure_ascii=False) + "\n" for r in rows).encode()
        delim = serde_params["field.delim"]
        types = [f.type for f in chunk.schema]
        return "".join(delim.join("\\N" if r[n] is None else format_value(r[n], ty)
                                  for n, ty in zip(chunk.column_names, types)) + "\n" for r in rows).encode()

    # ---- partitions --------------------------------------------------------------------------------
    def msck(self, text: str, default_db: str) -> Outcome:
        m = re.match(r"MSCK\s+REPAIR\s+TABLE\s+(\S+)$", text, re.I)
        if not m:
            raise CatalogError("SYNTAX_ERROR", "line 1:1: expected MSCK REPAIR TABLE <table>")
        dbname, name = _table_ref(m.group(1), default_db)
        info = cat.table_info(dbname, name)
        if not info.partition_keys:
            return _ddl("MSCK_REPAIR_TABLE", [])
        base = info.location if info.location.endswith("/") else info.location + "/"
        keys = [k for k, _ in info.partition_keys]
        found: dict[tuple, str] = {}
        _, prefix = split_s3(base)
        for obj in self.store.list(base):
            dirs = obj.key[len(prefix):].split("/")[:-1]
            if len(dirs) < len(keys):
                continue
            values = []
            for d, k in zip(dirs, keys):
                dk, eq, dv = d.partition("=")
                if not eq or dk.lower() != k:
                    break
                values.append(urllib.parse.unquote(dv))
            else:
                found.setdefault(tuple(values), base + "/".join(dirs[:len(keys)]) + "/")
        known = {tuple(v) for v, _ in info.partitions}
        new = sorted(v for v in found if v not in known)
        if new:
            cat.add_partitions(info.database, info.name, [(list(v), found[v]) for v in new], if_not_exists=True)
        spec = lambda v: "/".join(f"{k}={x}" for k, x in zip(keys, v))  # noqa: E731
        lines = ([f"Partitions not in metastore:\t" + "\t".join(f"{info.name}:{spec(v)}" for v in new)] if new else [])
        lines += [f"Repair: Added partition to metastore {info.name}:{spec(v)}" for v in new]
        return _ddl("MSCK_REPAIR_TABLE", lines)

    def alter_partitions(self, text: str, default_db: str) -> Outcome:
        m = re.match(r"ALTER\s+TABLE\s+(\S+)\s+(ADD|DROP)\s+(IF\s+(?:NOT\s+)?EXISTS\s+)?(.*)$", text, re.I | re.S)
        dbname, name = _table_ref(m.group(1), default_db)
        action, guarded, rest = m.group(2).upper(), bool(m.group(3)), m.group(4)
        info = cat.table_info(dbname, name)
        keys = [k for k, _ in info.partition_keys]
        specs = re.findall(r"PARTITION\s*\(([^)]*)\)(?:\s*LOCATION\s*'([^']*)')?", rest, re.I)
        if not specs:
            raise CatalogError("SYNTAX_ERROR", "line 1:1: expected PARTITION (key=value, ...)")
        if action == "ADD":
            todo = []
            for spec_text, loc in specs:
                spec = _partition_spec(spec_text)
                if sorted(spec) != sorted(keys):
                    raise CatalogError("", f"SemanticException partition spec {spec_text.strip()} does not match "
                                           f"the partition keys ({', '.join(keys)}) of {dbname}.{name}")
                values = [spec[k] for k in keys]
                todo.append((values, loc or cat.partition_location(info.location, info.partition_keys, values)))
            cat.add_partitions(info.database, info.name, todo, if_not_exists=guarded)
            return _ddl("ALTER_TABLE_ADD_PARTITION")
        with cat.LOCK:
            for spec_text, _ in specs:
                spec = _partition_spec(spec_text)
                values = [spec.get(k) for k in keys]
                matches = [v for v, _ in info.partitions
                           if all(s is None or s == x for s, x in zip(values, v))]
                if not matches and not guarded:
                    raise CatalogError("", f"SemanticException [Error 10006]: Partition not found ({spec_text.strip()})")
                for v in matches:
                    cat.glue().delete_partition(info.database, info.name, v)
        return _ddl("ALTER_TABLE_DROP_PARTITION")

    # ---- SHOW / DESCRIBE ------------------------------------------------------------------------------
    def show(self, text: str, default_db: str) -> Outcome:
        words = text.split()
        what = words[1].upper() if len(words) > 1 else ""
        if what in ("DATABASES", "SCHEMAS"):
            m = re.search(r"LIKE\s+'([^']*)'", text, re.I)
            names = sorted(d.name for d in cat.glue().databases.values())
            if m:
                names = [n for n in names if fnmatch.fnmatch(n, m.group(1).replace("|", "*"))]
            return _utility("SHOW_DATABASES", "database_name", names)
        if what == "TABLES":
            m = re.match(r"SHOW\s+TABLES(?:\s+(?:IN|FROM)\s+(\S+))?(?:\s+'([^']*)')?$", text, re.I)
            dbname = _ident(m.group(1)) if m and m.group(1) else default_db
            db = cat.find_database(dbname)
            if db is None:
                raise CatalogError("SCHEMA_NOT_FOUND", f"Schema '{dbname}' does not exist")
            names = sorted(t.lower() for t in db.tables)
            if m and m.group(2):
                names = [n for n in names if fnmatch.fnmatch(n, m.group(2))]
            return _utility("SHOW_TABLES", "tab_name", names)
        if what == "PARTITIONS":
            dbname, name = _table_ref(words[2], default_db)
            info = cat.table_info(dbname, name)
            if not info.partition_keys:
                raise CatalogError("", f"SemanticException [Error 10241]: Table {info.name} is not a partitioned table")
            keys = [k for k, _ in info.partition_keys]
            lines = sorted("/".join(f"{k}={v}" for k, v in zip(keys, vals)) for vals, _ in info.partitions)
            return _utility("SHOW_PARTITIONS", "partition", lines)
        if what == "COLUMNS":
            m = re.match(r"SHOW\s+COLUMNS\s+(?:IN|FROM)\s+(\S+)(?:\s+(?:IN|FROM)\s+(\S+))?$", text, re.I)
            if not m:
                raise CatalogError("SYNTAX_ERROR", "line 1:1: expected SHOW COLUMNS IN <table>")
            dbname, name = _table_ref(m.group(1), _ident(m.group(2)) if m.group(2) else default_db)
            info = cat.table_info(dbname, name, with_partitions=False)
            return _utility("SHOW_COLUMNS", "field", [n for n, _ in info.all_columns])
        raise CatalogError("NOT_SUPPORTED", f"localcloud does not run SHOW {what} yet")

    def describe(self, text: str, default_db: str) -> Outcome:
        words = [w for w in text.split()[1:] if w.upper() not in ("FORMATTED", "EXTENDED")]
        dbname, name = _table_ref(words[0], default_db)
        info = cat.table_info(dbname, name, with_partitions=False)
        row = lambda a, b, c="": f"{a:<20}\t{b:<20}\t{c:<20}"  # noqa: E731  Hive pads to 20 columns
        lines = [row(n, t) for n, t in info.columns + info.partition_keys]
        if info.partition_keys:
            lines += ["\t \t ", "# Partition Information\t \t ", row("# col_name", "data_type", "comment"), "\t \t "]
            lines += [row(n, t) for n, t in info.partition_keys]
        return _utility("DESCRIBE_TABLE", "col_name", lines)


def _result_from(q) -> Result:
    from ._athena_results import from_arrow

    return from_arrow(q.table, q.names)

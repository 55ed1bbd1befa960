"""Athena statements other than plain SELECTs: Hive DDL into the Glue catalog, SHOW/DESCRIBE,
MSCK REPAIR TABLE, ALTER TABLE ADD/DROP PARTITION, CREATE VIEW and CREATE TABLE AS SELECT.

Each returns an :class:`Outcome`; failures raise ``CatalogError`` with Athena's wording.
"""

from __future__ import annotations

import base64
import fnmatch
import json
import re
import urllib.parse
from dataclasses import dataclass, field

import pyarrow as pa
from sqlglot import exp

from . import catalog as cat
from . import dml, ttypes
from .catalog import CatalogError
from .dml import bind_parameters
from .prepared import PreparedStatements
from .results import Column, Result, from_arrow
from .s3store import S3Store, split_s3
from .sql import Cursors, SelectRunner, parse
from .sqlparse import Raw, check_start, first_word, parse_statement, parse_value, parse_values, strip_comments
from .ttypes import T
from .types import hive_type_text, parse_type_or_fail


@dataclass
class Outcome:
    result: Result
    statement_type: str  # DDL | DML | UTILITY
    substatement: str
    scanned: int = 0
    manifest: list[str] | None = None  # data files a write produced (the query's data manifest)


def _hive_ddl(head: str, body: str) -> bool:
    """Statements Athena runs on Hive (sqlglot's Athena dialect parses them): CREATE [EXTERNAL]
    TABLE without AS, CREATE/DROP DATABASE, DROP TABLE."""
    if head.startswith(("CREATE DATABASE", "CREATE SCHEMA", "DROP DATABASE", "DROP SCHEMA", "DROP TABLE")):
        return True
    if head.startswith(("CREATE EXTERNAL TABLE", "CREATE TABLE")):
        return not re.search(r"\bAS\s*\(?\s*(SELECT|WITH|VALUES|TABLE)\b", body, re.I)
    return False


def _ddl(sub: str, lines: list[str] | None = None, name: str = "result") -> Outcome:
    res = Result.text(name, lines) if lines is not None else Result(header=False)
    return Outcome(res, "DDL", sub)


def _utility(sub: str, name: str, lines: list[str]) -> Outcome:
    return Outcome(Result.text(name, lines), "UTILITY", sub)


def _ident(s: str) -> str:
    return s.strip().strip('`"').lower()


def _table_ref(text: str, default_db: str) -> tuple[str, str]:
    parts = [_ident(p) for p in text.strip().split(".")]
    if len(parts) == 3:
        parts = parts[1:]
    return (parts[0], parts[1]) if len(parts) == 2 else (default_db, parts[0])


def _partition_spec(text: str) -> dict[str, str]:
    spec = {}
    for k, v in re.findall(r"`?(\w+)`?\s*=\s*('(?:[^']|'')*'|\"[^\"]*\"|[^,\s)]+)", text):
        if v[:1] in "'\"":
            v = v[1:-1].replace("''", "'")
        spec[k.lower()] = v
    return spec


_CTAS = "CREATE_TABLE_AS_SELECT"
# SerDes whose schema Hive takes from the metastore (hive.serdes.using.metastore.for.schema);
# DESCRIBE prints "from deserializer" as the comment of the others' columns.
_METASTORE_SERDES = {
    cat.LAZY_SIMPLE,
    cat.PARQUET_SERDE,
    "org.apache.hadoop.hive.ql.io.orc.OrcSerde",
    "org.apache.hadoop.hive.serde2.columnar.ColumnarSerDe",
    "org.apache.hadoop.hive.serde2.columnar.LazyBinaryColumnarSerDe",
    "org.apache.hadoop.hive.serde2.MetadataTypedColumnsetSerDe",
}
# ROW FORMAT DELIMITED clauses -> LazySimpleSerDe parameters
_DELIMITED = (
    ("fields", "field.delim"),
    ("escaped", "escape.delim"),
    ("lines", "line.delim"),
    ("collection_items", "collection.delim"),
    ("map_keys", "mapkey.delim"),
    ("null", "serialization.null.format"),
)


def _require_external(props: list[exp.Expr]) -> None:
    if not any(isinstance(p, exp.ExternalProperty) for p in props) and not any(
        type(p) is exp.Property and p.name.lower() == "table_type" for p in props
    ):
        raise CatalogError(
            "",
            "Only external table creation is supported: use CREATE EXTERNAL TABLE (or CREATE TABLE ... AS SELECT).",
        )


def _column_defs(items: list[exp.Expr]) -> list[tuple[str, str]]:
    return [(_ident(c.name), hive_type_text(c.args["kind"])) for c in items if isinstance(c, exp.ColumnDef)]


@dataclass
class _Storage:
    """What CREATE EXTERNAL TABLE's clauses say about a table's partitions, files and SerDe."""

    partition_keys: list[tuple[str, str]] = field(default_factory=list)
    location: str = ""
    serde: str | None = None
    serde_params: dict[str, str] = field(default_factory=dict)
    table_params: dict[str, str] = field(default_factory=dict)
    input_format: str = cat.STORED_AS["TEXTFILE"][0]
    output_format: str = cat.STORED_AS["TEXTFILE"][1]

    def add(self, p: exp.Expr) -> None:
        """One clause, in the order written (STORED AS picks a SerDe only when none was named)."""
        if isinstance(p, exp.PartitionedByProperty) and isinstance(p.this, exp.Schema):
            self.partition_keys = _column_defs(p.this.expressions)
        elif isinstance(p, exp.LocationProperty):
            self.location = p.this.name
        elif isinstance(p, exp.RowFormatSerdeProperty):
            self.serde = p.this.name
            sp = p.args.get("serde_properties")
            self.serde_params.update({kv.this.name: kv.args["value"].name for kv in (sp.expressions if sp else [])})
        elif isinstance(p, exp.RowFormatDelimitedProperty):
            self.serde = cat.LAZY_SIMPLE
            self.serde_params.update({key: p.args[arg].name for arg, key in _DELIMITED if p.args.get(arg) is not None})
            if "field.delim" in self.serde_params:
                self.serde_params["serialization.format"] = self.serde_params["field.delim"]
        elif isinstance(p, exp.FileFormatProperty):
            self._file_format(p)
        elif type(p) is exp.Property:
            self.table_params[p.name if isinstance(p.this, exp.Literal) else p.this.name] = p.args["value"].name

    def _file_format(self, p: exp.FileFormatProperty) -> None:
        if isinstance(p.this, exp.InputOutputFormat):
            self.input_format = p.this.args["input_format"].name
            self.output_format = p.this.args["output_format"].name
            return
        stored = p.this.name.upper()
        if stored not in cat.STORED_AS:
            raise CatalogError("NOT_SUPPORTED", f"STORED AS {stored} is not supported by localcloud")
        self.input_format, self.output_format, default_serde = cat.STORED_AS[stored]
        self.serde = self.serde or default_serde


def _storage_of(props: list[exp.Expr]) -> _Storage:
    st = _Storage()
    for p in props:
        st.add(p)
    st.serde = st.serde or cat.LAZY_SIMPLE
    if st.serde == cat.LAZY_SIMPLE and not st.serde_params:
        st.serde_params = {"serialization.format": "1"}
    return st


def _with_no_data(ast: exp.Create) -> bool:
    """CREATE TABLE ... AS SELECT ... WITH NO DATA: the table, empty."""
    for p in (ast.args.get("properties") or exp.Properties()).expressions:
        if isinstance(p, exp.WithDataProperty) and p.args.get("no"):
            return True
    return False


def _ctas_options(ast: exp.Create) -> tuple[dict[str, str], list[str]]:
    """CTAS ``WITH (...)`` properties (lower-case names; ``format``) and its partition columns."""
    opts: dict[str, str] = {}
    pcols: list[str] = []
    for p in (ast.args.get("properties") or exp.Properties()).expressions:
        if isinstance(p, exp.FileFormatProperty):
            opts["format"] = p.this.name.upper()
        elif isinstance(p, exp.PartitionedByProperty):
            pcols = [_ident(e.name) for e in p.this.expressions]
        elif type(p) is exp.Property:
            opts[p.name.lower()] = p.args["value"].name
    return opts, pcols


# CTAS properties localcloud writes exactly as Athena does; any other (bucketing, Iceberg, ORC
# options, ...) is refused by name rather than ignored: a bucketed table written unbucketed would be
# a silently different answer (file count, bytes scanned).
_CTAS_PROPERTIES = {"format", "external_location", "field_delimiter", "write_compression", "parquet_compression"}
_CTAS_PROPERTY_VALUES = {"table_type": "HIVE", "is_external": "TRUE"}  # accepted only with Athena's default


def _refuse_unsupported_ctas_properties(opts: dict[str, str]) -> None:
    for key, value in opts.items():
        if key in _CTAS_PROPERTIES or _CTAS_PROPERTY_VALUES.get(key) == str(value).upper():
            continue
        raise CatalogError(
            "NOT_SUPPORTED", f"localcloud does not support the CTAS property {key} = {value} (it would be ignored)"
        )


class Statements:
    def __init__(self, store: S3Store, selects: SelectRunner, prepared: PreparedStatements | None = None) -> None:
        self.store = store
        self.selects = selects
        self.prepared = prepared or PreparedStatements()

    # ---- entry point -------------------------------------------------------------------------
    def run(
        self,
        sql: str,
        db: str,
        qid: str,
        output_location: str | None,
        cancel: Cursors | None = None,
        workgroup: str = "primary",
        params: list[str] | None = None,
    ) -> Outcome:
        text = sql.strip().rstrip(";").strip()
        body = strip_comments(text)
        flat = re.sub(r"\s+", " ", body).upper()
        head = flat[:60]
        if head.startswith("MSCK REPAIR TABLE"):
            return self.msck(body, db)
        if head.startswith("SHOW "):
            return self.show(body, db)
        if re.match(r"ALTER TABLE \S+ (ADD|DROP)( IF (NOT )?EXISTS)? PARTITION", flat):
            return self.alter_partitions(body, db)
        if head.startswith(("DESCRIBE ", "DESC ")):
            return self.describe(body, db)
        check_start(text)
        word = first_word(body)
        if word == "PREPARE":
            return self.prepare(body, workgroup)
        if word == "DEALLOCATE":
            return self.deallocate(body, workgroup)
        if word == "EXECUTE":
            name, ast, values = self._execute_parts(body, workgroup)
            if params:
                if values:
                    raise CatalogError(
                        "INVALID_PARAMETER_USAGE",
                        "line 1:1: EXECUTE ... USING and ExecutionParameters cannot be combined",
                    )
                values = [parse_value(p) for p in params]
            bind_parameters(ast, values)
            return self.run_ast(ast, None, db, qid, output_location, cancel)
        if word == "UNLOAD":
            if params:
                raise CatalogError("NOT_SUPPORTED", "localcloud does not bind ExecutionParameters in UNLOAD")
            res, written, scanned = dml.unload(self.selects, self.store, body, db, qid, cancel, parse_statement)
            return Outcome(res, "DML", "UNLOAD", scanned, manifest=written.files)
        hive = _hive_ddl(head, body)
        if params is None and not hive:
            # a query run before, its tables unchanged in Glue: no parsing, no translation
            q = self.selects.run_planned(text, db, cancel)
            if q is not None:
                return Outcome(from_arrow(q.table, q.names, q.types), "DML", "SELECT", q.scanned)
        ast = parse(body) if hive else parse_statement(text)
        bound = params is not None or any(isinstance(n, exp.Placeholder) for n in ast.walk())
        if bound:
            bind_parameters(ast, [parse_value(p) for p in params or []])
        return self.run_ast(ast, head, db, qid, output_location, cancel, None if bound or hive else text)

    def run_ast(
        self,
        ast: exp.Expr,
        head: str | None,
        db: str,
        qid: str,
        output_location: str | None,
        cancel: Cursors | None,
        text: str | None = None,
    ) -> Outcome:
        """Run a parsed statement; ``text``: the SQL it was parsed from, nothing bound into it
        (a query's plan is then kept for the next run of the same text)."""
        if isinstance(ast, exp.Query):
            q = self.selects.run(ast, db, cancel, text=text)
            res = from_arrow(q.table, q.names, q.types)
            return Outcome(res, "DML", "SELECT", q.scanned)
        if isinstance(ast, exp.Insert):
            res, written, scanned = dml.insert(self.selects, self.store, ast, db, qid, cancel)
            return Outcome(res, "DML", "INSERT", scanned, manifest=written.files)
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
        what = (head or ast.sql(dialect="trino")[:40]).split(" (")[0]
        raise CatalogError("NOT_SUPPORTED", f"localcloud does not run this statement: {what}")

    # ---- prepared statements -------------------------------------------------------------------
    @staticmethod
    def check_preparable(statement: str) -> None:
        """A statement PREPARE (or CreatePreparedStatement) accepts: one that parses."""
        check_start(statement)
        if first_word(statement) not in ("UNLOAD",):
            parse_statement(statement)

    def prepare(self, body: str, workgroup: str) -> Outcome:
        m = re.match(r"PREPARE\s+(\S+)\s+FROM\s+(.+)$", body, re.I | re.S)
        if not m:
            raise CatalogError("SYNTAX_ERROR", "line 1:1: mismatched input. Expecting: PREPARE name FROM statement")
        name, statement = _ident(m.group(1)), m.group(2)
        self.check_preparable(statement)  # syntax errors surface at PREPARE, as on Athena
        self.prepared.put(workgroup, name, statement)
        return Outcome(Result(header=False), "UTILITY", "PREPARE")

    def deallocate(self, body: str, workgroup: str) -> Outcome:
        m = re.match(r"DEALLOCATE\s+PREPARE\s+(\S+)$", body, re.I)
        if not m:
            raise CatalogError("SYNTAX_ERROR", "line 1:1: mismatched input. Expecting: DEALLOCATE PREPARE name")
        name = _ident(m.group(1))
        if not self.prepared.delete(workgroup, name):
            raise CatalogError("NOT_FOUND", f"Prepared statement not found: {name}")
        return Outcome(Result(header=False), "UTILITY", "DEALLOCATE")

    def _execute_parts(self, body: str, workgroup: str) -> tuple[str, exp.Expr, list[exp.Expr]]:
        m = re.match(r"EXECUTE\s+(\S+)(?:\s+USING\s+(.+))?$", body, re.I | re.S)
        if not m:
            raise CatalogError("SYNTAX_ERROR", "line 1:1: mismatched input. Expecting: EXECUTE name [USING values]")
        name = _ident(m.group(1))
        doc = self.prepared.get(workgroup, name)
        if doc is None:
            raise CatalogError("NOT_FOUND", f"Prepared statement not found: {name}")
        statement = doc["QueryStatement"]
        if first_word(statement) == "UNLOAD":
            raise CatalogError("NOT_SUPPORTED", "localcloud does not EXECUTE a prepared UNLOAD")
        ast = (
            parse(statement)
            if _hive_ddl(re.sub(r"\s+", " ", statement[:60]).upper(), statement)
            else parse_statement(statement)
        )
        values = parse_values(m.group(2)) if m.group(2) else []
        return name, ast, values

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
                    raise CatalogError(
                        "",
                        f"InvalidOperationException(message:Database {name} is not empty. One or more tables exist.)",
                    )
                cat.glue().delete_database(db.name)
                return _ddl("DROP_DATABASE")
            dbname = _ident(t.db) if t.db else default_db
            db = cat.find_database(dbname)
            tbl = cat.find_table(db, t.name) if db is not None else None
            want_view = kind == "VIEW"
            if db is None or tbl is None or (tbl.as_dict().get("TableType") == "VIRTUAL_VIEW") != want_view:
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
        _require_external(props)
        dbname, name = (_ident(t.db) if t.db else default_db), _ident(t.name)
        columns = _column_defs(schema.expressions) if isinstance(schema, exp.Schema) else []
        st = _storage_of(props)
        for _, ty in columns + st.partition_keys:
            parse_type_or_fail(ty)
        if not st.location:
            raise CatalogError("", "External table location must be specified: add LOCATION 's3://bucket/prefix/'")
        split_s3(st.location)
        with cat.LOCK:
            db = cat.find_database(dbname)
            if db is None:
                raise CatalogError("SCHEMA_NOT_FOUND", f"Schema '{dbname}' does not exist")
            if cat.find_table(db, name) is not None:
                if ast.args.get("exists"):
                    return _ddl("CREATE_TABLE")
                raise CatalogError("", f"AlreadyExistsException: Table {dbname}.{name} already exists")
            sd = cat.storage_descriptor(
                columns, st.location, st.input_format, st.output_format, st.serde or cat.LAZY_SIMPLE, st.serde_params
            )
            table_input = {
                "Name": name,
                "TableType": "EXTERNAL_TABLE",
                "Owner": "hadoop",
                "Parameters": {"EXTERNAL": "TRUE", **st.table_params},
                "PartitionKeys": [{"Name": n, "Type": ty} for n, ty in st.partition_keys],
                "StorageDescriptor": sd,
            }
            cat.glue().create_table(db.name, name, table_input)
        return _ddl("CREATE_TABLE")

    def create_view(self, ast: exp.Create, default_db: str) -> Outcome:
        t = ast.this
        dbname = _ident(t.db) if t.db else default_db
        name = _ident(t.name)
        select = ast.expression
        original = select.sql(dialect=Raw)
        _, out = self.selects.translate(select.copy(), dbname)
        cols = [(n, str(ty)) for n, ty in zip(out.names, out.types)]
        doc = {
            "originalSql": original,
            "catalog": "awsdatacatalog",
            "schema": dbname,
            "columns": [{"name": n, "type": ty} for n, ty in cols],
        }
        table_input = {
            "Name": name,
            "TableType": "VIRTUAL_VIEW",
            "Owner": "hadoop",
            "Parameters": {"presto_view": "true", "comment": "Presto View"},
            "ViewOriginalText": "/* Presto View: " + base64.b64encode(json.dumps(doc).encode()).decode() + " */",
            "ViewExpandedText": "/* Presto View */",
            "PartitionKeys": [],
            "StorageDescriptor": cat.storage_descriptor(
                [(n, ttypes.to_hive(ty)) for n, ty in zip(out.names, out.types)], "", "", "", "", {}
            ),
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
    def ctas(
        self, ast: exp.Create, default_db: str, qid: str, output_location: str | None, cancel: Cursors | None
    ) -> Outcome:
        t = ast.this
        dbname, name = (_ident(t.db) if t.db else default_db), _ident(t.name)
        opts, pcols = _ctas_options(ast)
        _refuse_unsupported_ctas_properties(opts)
        fmt = opts.get("format", "PARQUET").upper()
        if fmt in ("ORC", "AVRO", "ION"):
            raise CatalogError("NOT_SUPPORTED", f"localcloud cannot write CTAS format {fmt}")
        if fmt not in ("PARQUET", "JSON", "TEXTFILE"):
            raise CatalogError("INVALID_TABLE_PROPERTY", f"Unsupported format: {fmt}")
        location = opts.get("external_location")
        if not location:
            if not output_location:
                raise CatalogError(
                    "INVALID_TABLE_PROPERTY",
                    "external_location is required when the workgroup has no query result location "
                    "(managed query results)",
                )
            location = output_location.rsplit("/", 1)[0] + f"/tables/{qid}/"
        location += "" if location.endswith("/") else "/"
        db = cat.find_database(dbname)
        if db is None:
            raise CatalogError("SCHEMA_NOT_FOUND", f"Schema '{dbname}' does not exist")
        if cat.find_table(db, name) is not None:
            if ast.args.get("exists"):
                return Outcome(Result([Column("rows", "bigint", 19)], [], update_count=0), "DML", _CTAS)
            raise CatalogError("TABLE_ALREADY_EXISTS", f"Table '{cat.CATALOG}.{dbname}.{name}' already exists")
        if self.store.has_objects(location):
            raise CatalogError(
                "HIVE_PATH_ALREADY_EXISTS",
                f"Target directory for table '{dbname}.{name}' already exists: {location}. You may "
                f"need to manually clean the data at location '{location}' before retrying. Athena "
                f"will not delete data in your account.",
            )
        q = self.selects.run(ast.expression, default_db, cancel, for_write=True)
        if pcols and q.names[-len(pcols) :] != pcols:
            raise CatalogError(
                "HIVE_COLUMN_ORDER_MISMATCH",
                f"Partition keys must be the last columns in the table and in the same order as the "
                f"table properties: [{', '.join(pcols)}]",
            )
        data = q.table.rename_columns(q.names)
        if _with_no_data(ast):
            data = data.slice(0, 0)
        types = [ty if ty.base != "timestamptz" else ttypes.TIMESTAMP3 for ty in q.types]
        files = self._write_ctas_table(db.name, name, data, types, pcols, fmt, opts, location, qid)
        res = Result([Column("rows", "bigint", 19)], [[str(data.num_rows)]], update_count=data.num_rows)
        return Outcome(res, "DML", _CTAS, q.scanned, manifest=files)

    def _write_ctas_table(
        self,
        db: str,
        name: str,
        data: pa.Table,
        types: list[T],
        pcols: list[str],
        fmt: str,
        opts: dict[str, str],
        location: str,
        qid: str,
    ) -> list[str]:
        """The query's rows as files under ``location`` (one folder per partition) and the table in Glue."""
        by_name = dict(zip(data.column_names, types))
        columns = [(n, ttypes.to_hive(by_name[n])) for n in data.column_names if n not in pcols]
        pkeys = [(n, ttypes.to_hive(by_name[n])) for n in pcols]
        inp, outp, serde = cat.STORED_AS[fmt]
        serde_params = {"serialization.format": "1"}
        if fmt == "TEXTFILE":
            delim = opts.get("field_delimiter", "\x01")
            serde_params = {"field.delim": delim, "serialization.format": delim}
        compression = (
            opts.get("write_compression") or opts.get("parquet_compression") or ("GZIP" if fmt == "PARQUET" else None)
        )
        written = dml.Written()
        if data.num_rows:
            written = dml.write_rows(
                self.store, data, types, location, pcols, fmt, serde_params, qid, compression=compression, keys=pkeys
            )
        with cat.LOCK:
            cat.glue().create_table(
                db,
                name,
                {
                    "Name": name,
                    "TableType": "EXTERNAL_TABLE",
                    "Owner": "hadoop",
                    "Parameters": {"EXTERNAL": "TRUE", "has_encrypted_data": "false"},
                    "PartitionKeys": [{"Name": k, "Type": ty} for k, ty in pkeys],
                    "StorageDescriptor": cat.storage_descriptor(columns, location, inp, outp, serde, serde_params),
                },
            )
            if written.partitions:
                cat.add_partitions(db, name, written.partitions, if_not_exists=True)
        return written.files

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
            dirs = obj.key[len(prefix) :].split("/")[:-1]
            if len(dirs) < len(keys):
                continue
            values = []
            for d, k in zip(dirs, keys):
                dk, eq, dv = d.partition("=")
                if not eq or dk.lower() != k:
                    break
                values.append(urllib.parse.unquote(dv))
            else:
                found.setdefault(tuple(values), base + "/".join(dirs[: len(keys)]) + "/")
        known = {tuple(v) for v, _ in info.partitions}
        new = sorted(v for v in found if v not in known)
        if new:
            cat.add_partitions(info.database, info.name, [(list(v), found[v]) for v in new], if_not_exists=True)
        spec = lambda v: "/".join(f"{k}={x}" for k, x in zip(keys, v))  # noqa: E731
        lines = ["Partitions not in metastore:\t" + "\t".join(f"{info.name}:{spec(v)}" for v in new)] if new else []
        lines += [f"Repair: Added partition to metastore {info.name}:{spec(v)}" for v in new]
        return _ddl("MSCK_REPAIR_TABLE", lines)

    def alter_partitions(self, text: str, default_db: str) -> Outcome:
        m = re.match(r"ALTER\s+TABLE\s+(\S+)\s+(ADD|DROP)\s+(IF\s+(?:NOT\s+)?EXISTS\s+)?(.*)$", text, re.I | re.S)
        if not m:
            raise CatalogError("SYNTAX_ERROR", "line 1:1: expected ALTER TABLE <table> ADD|DROP PARTITION (...)")
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
                    raise CatalogError(
                        "",
                        f"SemanticException partition spec {spec_text.strip()} does not match "
                        f"the partition keys ({', '.join(keys)}) of {dbname}.{name}",
                    )
                values = [spec[k] for k in keys]
                todo.append((values, loc or cat.partition_location(info.location, info.partition_keys, values)))
            cat.add_partitions(info.database, info.name, todo, if_not_exists=guarded)
            return _ddl("ALTER_TABLE_ADD_PARTITION")
        with cat.LOCK:
            for spec_text, _ in specs:
                spec = _partition_spec(spec_text)
                values = [spec.get(k) for k in keys]
                matches = [v for v, _ in info.partitions if all(s is None or s == x for s, x in zip(values, v))]
                if not matches and not guarded:
                    raise CatalogError(
                        "", f"SemanticException [Error 10006]: Partition not found ({spec_text.strip()})"
                    )
                for v in matches:
                    # moto annotates the values list as an int (it keys partitions by str(values))
                    cat.glue().delete_partition(info.database, info.name, v)  # type: ignore[arg-type]
        return _ddl("ALTER_TABLE_DROP_PARTITION")

    # ---- SHOW / DESCRIBE ------------------------------------------------------------------------------
    def show(self, text: str, default_db: str) -> Outcome:
        words = text.split()
        what = words[1].upper() if len(words) > 1 else ""
        if what in ("DATABASES", "SCHEMAS"):
            m = re.search(r"LIKE\s+'([^']*)'", text, re.I)
            names = sorted(d.name for d in list(cat.glue().databases.values()))
            if m:
                names = [n for n in names if fnmatch.fnmatch(n, m.group(1).replace("|", "*"))]
            return _utility("SHOW_DATABASES", "database_name", names)
        if what == "TABLES":
            m = re.match(r"SHOW\s+TABLES(?:\s+(?:IN|FROM)\s+(\S+))?(?:\s+'([^']*)')?$", text, re.I)
            dbname = _ident(m.group(1)) if m and m.group(1) else default_db
            db = cat.find_database(dbname)
            if db is None:
                raise CatalogError("SCHEMA_NOT_FOUND", f"Schema '{dbname}' does not exist")
            names = sorted(t.lower() for t in list(db.tables))
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
        # Hive reads the columns of SerDes it does not know from the SerDe ("from deserializer")
        comment = "" if (info.serde or cat.LAZY_SIMPLE) in _METASTORE_SERDES else "from deserializer"
        lines = [row(n, t, comment) for n, t in info.columns] + [row(n, t) for n, t in info.partition_keys]
        if info.partition_keys:
            lines += ["\t \t ", "# Partition Information\t \t ", row("# col_name", "data_type", "comment"), "\t \t "]
            lines += [row(n, t) for n, t in info.partition_keys]
        return _utility("DESCRIBE_TABLE", "col_name", lines)

"""Reading a table's S3 objects the way Athena's SerDes do, and counting the bytes scanned.

Objects are read from moto's S3 backend in-process (never over HTTP).  Parquet objects are
written once to a cache folder keyed by ETag and DuckDB reads those files directly, so it
reads only the column chunks a query needs: all files of a query's partitions in one
``read_parquet`` with hive partitioning, through ``k=v`` links to the cached files.  Text objects (JSON, CSV) are parsed once per
ETag into Arrow tables that DuckDB scans without copying.

``DataScannedInBytes`` follows Athena's rules: text formats count every byte of every object
read; Parquet counts the compressed size of the column chunks of the columns read (only
the footer when no column is needed, as for ``count(*)``); partition columns cost nothing
because they come from the catalog, not from the files.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import functools
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import sqlglot
from moto.backends import get_backend
from moto.s3.models import FakeKey
from sqlglot import exp

from .. import config
from ._athena_catalog import CatalogError, TableInfo


PART_KEY = "__lc_partition"  # the folder of a partition known by its position (see _parquet)
# Partition values DuckDB reads back from a k=v folder exactly as written (it URL-decodes, and
# turns __HIVE_DEFAULT_PARTITION__ into NULL).
_PLAIN = re.compile(r"(?!__HIVE_DEFAULT_PARTITION__$)(?i:(?!null$))[A-Za-z0-9_.\-]+")


# ---- S3 -------------------------------------------------------------------------------------

def split_s3(url: str) -> tuple[str, str]:
    if not url.lower().startswith("s3://"):
        raise CatalogError("", f"Invalid S3 location: {url}")
    rest = url[5:]
    bucket, _, key = rest.partition("/")
    return bucket, key


@dataclass(frozen=True)
class S3Object:
    bucket: str
    key: str
    size: int
    etag: str

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


class S3Store:
    """moto's S3 in this process, plus the on-disk cache of objects DuckDB reads by path."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        self._lock = threading.Lock()
        self._links: Path | None = None

    @staticmethod
    def backend():
        return get_backend("s3")[config.ACCOUNT_ID]["aws"]

    def bucket(self, name: str):
        b = self.backend().buckets.get(name)
        if b is None:
            raise CatalogError("HIVE_FILESYSTEM_ERROR", f"The specified bucket does not exist: {name}")
        return b

    def list(self, location: str) -> list[S3Object]:
        """Objects under ``location`` (recursive, like Athena), hidden files and folder markers left out."""
        return self.list_many([location])[0]

    def list_many(self, locations: list[str]) -> list[list[S3Object]]:
        """``list`` for many prefixes (a table's partitions) in one pass over each bucket's keys."""
        wanted = []
        for loc in locations:
            bucket, prefix = split_s3(loc)
            wanted.append((bucket, prefix if not prefix or prefix.endswith("/") else prefix + "/"))
        found: list[list[S3Object]] = [[] for _ in wanted]
        for bucket in {b for b, _ in wanted}:
            store = self.bucket(bucket).keys
            mine = [(i, p) for i, (b, p) in enumerate(wanted) if b == bucket]
            common = min((p for _, p in mine), key=len)
            common = common[:min(len(common), *(len(os.path.commonprefix([common, p])) for _, p in mine))]
            for key in [k for k in dict.keys(store) if k.startswith(common)]:
                if key.endswith("/") or key.endswith("_$folder$"):
                    continue
                for i, prefix in mine:
                    if not key.startswith(prefix):
                        continue
                    rel = key[len(prefix):]
                    if any(part.startswith(("_", ".")) for part in rel.split("/")):
                        continue  # _SUCCESS, .crc, _temporary/ are not data for Hive/Athena
                    fk = store.get(key)
                    if isinstance(fk, FakeKey):  # not a delete marker (never touch .value: it copies the bytes)
                        found[i].append(S3Object(bucket, key, fk.size, fk.etag.strip('"')))
        return [sorted(f, key=lambda o: o.key) for f in found]

    def read(self, obj: S3Object) -> bytes:
        return self.backend().buckets[obj.bucket].keys[obj.key].value

    def path(self, obj: S3Object) -> str:
        """A local file with the object's bytes (written once per ETag)."""
        name = hashlib.sha1(f"{obj.bucket}/{obj.key}/{obj.etag}".encode()).hexdigest()
        p = self.cache_dir / name[:2] / name
        if not p.exists():
            p.parent.mkdir(parents=True, exist_ok=True)
            tmp = p.with_suffix(f".{threading.get_ident()}.tmp")
            tmp.write_bytes(self.read(obj))
            os.replace(tmp, p)
        return str(p)

    def hive_path(self, obj: S3Object, folders: list[tuple[str, str]]) -> str:
        """``path(obj)`` seen through a link ``.../k1=v1/k2=v2/data.parquet``.

        One ``read_parquet(..., hive_partitioning=true)`` over all of a query's files then gets
        the partition columns as per-file constants, as DuckDB reads a hive table.  The folder
        values come from the catalog (never from the object's own key).
        """
        target = self.path(obj)
        link = self.links_dir() / Path(target).name
        for k, v in folders:
            link = link / f"{k}={v}"
        link = link / "data.parquet"
        if not os.path.lexists(link):
            link.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.symlink(target, link)
            except FileExistsError:  # another query made it first
                pass
        return str(link)

    def links_dir(self) -> Path:
        # DuckDB reads every ``k=v`` folder of a path as a partition column: links must live
        # where no folder above them has an "=" (one in LAB_DIR would shadow a table column).
        if self._links is None:
            mine = self.cache_dir / "hive"
            self._links = mine if "=" not in str(mine) else Path(tempfile.mkdtemp(prefix="localcloud-athena-"))
        return self._links

    def clear(self) -> None:
        """Forget the links folder (the engine empties ``cache_dir`` on reset)."""
        if self._links is not None and not self._links.is_relative_to(self.cache_dir):
            shutil.rmtree(self._links, ignore_errors=True)
        self._links = None

    def put(self, url: str, body: bytes) -> None:
        bucket, key = split_s3(url)
        self.bucket(bucket)
        self.backend().put_object(bucket, key, body)

    def has_objects(self, location: str) -> bool:
        try:
            return bool(self.list(location))
        except CatalogError:
            return False


# ---- Hive types ----------------------------------------------------------------------------

def hive_type(type_str: str) -> exp.DataType:
    return exp.DataType.build(type_str, dialect="hive")


@functools.lru_cache(maxsize=1024)  # sqlglot's parse costs ~0.1 ms; a wide table asks per column per query
def duckdb_type(type_str: str) -> str:
    return hive_type(type_str).sql("duckdb")


def arrow_type(dtype: exp.DataType) -> pa.DataType:
    t = dtype.this
    T = exp.DataType.Type
    simple = {
        T.TINYINT: pa.int8(), T.SMALLINT: pa.int16(), T.INT: pa.int32(), T.BIGINT: pa.int64(),
        T.DOUBLE: pa.float64(), T.FLOAT: pa.float32(), T.BOOLEAN: pa.bool_(), T.DATE: pa.date32(),
        T.TIMESTAMP: pa.timestamp("ms"), T.BINARY: pa.binary(), T.VARBINARY: pa.binary(),
    }
    if t in simple:
        return simple[t]
    if t == T.DECIMAL:
        params = [int(p.name) for p in dtype.expressions] or [10, 0]
        return pa.decimal128(params[0], params[1] if len(params) > 1 else 0)
    if t == T.ARRAY:
        return pa.list_(arrow_type(dtype.expressions[0]))
    if t == T.MAP:
        return pa.map_(arrow_type(dtype.expressions[0]), arrow_type(dtype.expressions[1]))
    if t == T.STRUCT:
        fields = []
        for f in dtype.expressions:
            fields.append(pa.field(f.name.lower(), arrow_type(f.args["kind"])))
        return pa.struct(fields)
    return pa.string()


class BadData(CatalogError):
    def __init__(self, message: str) -> None:
        super().__init__("HIVE_BAD_DATA", message)


def _java_double(x: float) -> str:
    if x == int(x) and abs(x) < 1e7:
        return f"{x:.1f}"
    return repr(x)


def _converter(dtype: exp.DataType, strict: bool):
    """value (JSON/CSV) -> Python value for ``dtype``; bad values raise ValueError (or give None)."""
    T = exp.DataType.Type
    t = dtype.this

    def text(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float):
            return _java_double(v)
        if isinstance(v, (dict, list)):
            return json.dumps(v, separators=(",", ":"), ensure_ascii=False)
        return str(v)

    def integer(v):
        if isinstance(v, bool):
            raise ValueError(v)
        if isinstance(v, int):
            return v
        if isinstance(v, float) and v.is_integer():
            return int(v)
        return int(str(v).strip())

    def real(v):
        if isinstance(v, bool):
            raise ValueError(v)
        return float(v)

    def boolean(v):
        if isinstance(v, bool):
            return v
        s = str(v).strip().lower()
        if s in ("true", "false"):
            return s == "true"
        raise ValueError(v)

    def dec(v):
        params = [int(p.name) for p in dtype.expressions] or [10, 0]
        scale = params[1] if len(params) > 1 else 0
        return decimal.Decimal(str(v).strip()).quantize(decimal.Decimal(1).scaleb(-scale))

    def date(v):
        return dt.date.fromisoformat(str(v).strip()[:10])

    def timestamp(v):
        return dt.datetime.fromisoformat(str(v).strip().replace("T", " ").rstrip("Z"))

    table = {T.TEXT: text, T.VARCHAR: text, T.CHAR: text, T.TINYINT: integer, T.SMALLINT: integer,
             T.INT: integer, T.BIGINT: integer, T.DOUBLE: real, T.FLOAT: real, T.BOOLEAN: boolean,
             T.DECIMAL: dec, T.DATE: date, T.TIMESTAMP: timestamp}
    return table.get(t, lambda v: v)


def _to_array(values: list, dtype: exp.DataType, strict: bool, where: str, index: int) -> pa.Array:
    conv = _converter(dtype, strict)
    is_text = dtype.this in (exp.DataType.Type.TEXT, exp.DataType.Type.VARCHAR, exp.DataType.Type.CHAR)
    out = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        if not is_text and v == "" and not strict:
            out.append(None)  # LazySimpleSerDe: an empty field of a non-string column is NULL
            continue
        try:
            out.append(conv(v))
        except (ValueError, TypeError, decimal.InvalidOperation, ArithmeticError):
            if not strict:
                out.append(None)
                continue
            raise BadData(f"Error parsing field value '{v}' for field {index}: For input string: "
                          f"\"{v}\" ({where})") from None
    try:
        return pa.array(out, type=arrow_type(dtype))
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
        if not strict:
            return pa.array([None] * len(out), type=arrow_type(dtype))
        raise BadData(f"Error parsing column {index} ({where}): {exc}") from None


# ---- text formats ----------------------------------------------------------------------------

def _json_rows(data: bytes, names: list[str], ignore_malformed: bool, where: str) -> list[list]:
    cols = [[] for _ in names]
    for lineno, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError("A JSONObject text must begin with '{'")
        except ValueError as exc:
            if not ignore_malformed:
                raise BadData(f"Row is not a valid JSON Object - JSONException: {exc} "
                              f"({where}, line {lineno})") from None
            for c in cols:  # OpenX returns a row of NULLs for a malformed line it ignores
                c.append(None)
            continue
        lower = {k.lower(): v for k, v in obj.items()}
        for c, n in zip(cols, names):
            c.append(lower.get(n))
    return cols


def _text_rows(data: bytes, names: list[str], serde_params: dict, skip: int) -> list[list]:
    delim = serde_params.get("field.delim") or serde_params.get("serialization.format") or "\x01"
    if delim.isdigit() and len(delim) > 1:
        delim = chr(int(delim))
    null = serde_params.get("serialization.null.format", "\\N")
    text = data.decode("utf-8", "replace")
    lines = text.split(serde_params.get("line.delim", "\n"))
    if lines and lines[-1] == "":
        lines.pop()
    cols = [[] for _ in names]
    for line in lines[skip:]:
        fields = line.split(delim)
        for i, c in enumerate(cols):
            v = fields[i] if i < len(fields) else None
            c.append(None if v == null else v)
    return cols


def _opencsv_rows(data: bytes, names: list[str], serde_params: dict, skip: int) -> list[list]:
    sep = serde_params.get("separatorChar", ",")
    quote = serde_params.get("quoteChar", '"')
    esc = serde_params.get("escapeChar", "\\")
    reader = csv.reader(io.StringIO(data.decode("utf-8", "replace"), newline=""),
                        delimiter=sep, quotechar=quote, escapechar=esc)
    cols = [[] for _ in names]
    for n, fields in enumerate(reader):
        if n < skip or not fields:
            continue
        for i, c in enumerate(cols):
            c.append(fields[i] if i < len(fields) else None)
    return cols


def parse_text(table: TableInfo, data: bytes, where: str) -> pa.Table:
    """One text object of ``table`` as an Arrow table of its (non-partition) columns."""
    names = [n for n, _ in table.columns]
    skip = int(table.params.get("skip.header.line.count", table.serde_params.get("skip.header.line.count", 0)) or 0)
    fmt = table.fmt
    if fmt == "json":
        ignore = str(table.serde_params.get("ignore.malformed.json", "false")).lower() == "true"
        cols, strict = _json_rows(data, names, ignore, where), True
    elif fmt == "opencsv":
        cols, strict = _opencsv_rows(data, names, table.serde_params, skip), True
    else:
        cols, strict = _text_rows(data, names, table.serde_params, skip), False
    arrays = [_to_array(vals, hive_type(t), strict, where, i)
              for i, (vals, (_, t)) in enumerate(zip(cols, table.columns))]
    return pa.Table.from_arrays(arrays, names=names)


# ---- the source of one table reference in a query ------------------------------------------------

class TableReader:
    """Turns (table, chosen partitions, columns needed) into something DuckDB can scan."""

    MAX_CACHED = 256

    def __init__(self, store: S3Store) -> None:
        self.store = store
        self._parsed: OrderedDict = OrderedDict()  # (etag, table signature) -> pa.Table
        self._footers: OrderedDict = OrderedDict()  # etag -> (schema names, {col: bytes}, footer bytes)
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._parsed.clear()
            self._footers.clear()

    def _remember(self, cache: OrderedDict, key, value) -> None:
        with self._lock:
            cache[key] = value
            cache.move_to_end(key)
            while len(cache) > self.MAX_CACHED:
                cache.popitem(last=False)

    def files(self, table: TableInfo, partitions: list[tuple[list[str], str]] | None):
        """[(partition values or None, [S3Object])] for the table or the chosen partitions."""
        if not table.partition_keys:
            return [(None, self.store.list(table.location))]
        parts = list(partitions or [])
        try:
            listed = self.store.list_many([loc for _, loc in parts])
        except CatalogError:  # a partition in a bucket that is gone: list them one by one
            listed = [self.store.list(loc) if self.store.has_objects(loc) else [] for _, loc in parts]
        return [(values, objs) for (values, _), objs in zip(parts, listed)]

    def _footer(self, obj: S3Object):
        hit = self._footers.get(obj.etag)
        if hit is not None:
            return hit
        meta = pq.read_metadata(self.store.path(obj))
        names = [meta.schema.column(i).path.split(".")[0] for i in range(meta.num_columns)]
        sizes: dict[str, int] = {}
        for rg in range(meta.num_row_groups):
            group = meta.row_group(rg)
            for ci in range(group.num_columns):
                col = group.column(ci)
                top = col.path_in_schema.split(".")[0].lower()
                sizes[top] = sizes.get(top, 0) + col.total_compressed_size
        # names + leaf types: files that differ in either need union_by_name to be read together
        schema = tuple((meta.schema.column(i).path, meta.schema.column(i).physical_type,
                        str(meta.schema.column(i).logical_type)) for i in range(meta.num_columns))
        value = ([n for n in dict.fromkeys(names)], sizes, meta.serialized_size, schema)
        self._remember(self._footers, obj.etag, value)
        return value

    def text_table(self, table: TableInfo, obj: S3Object) -> pa.Table:
        sig = (obj.etag, table.fmt, tuple(table.columns), tuple(sorted(table.serde_params.items())),
               table.params.get("skip.header.line.count"))
        hit = self._parsed.get(sig)
        if hit is None:
            hit = parse_text(table, self.store.read(obj), obj.url)
            self._remember(self._parsed, sig, hit)
        return hit

    def source(self, con, name: str, table: TableInfo, partitions, needed: set[str] | None) -> int:
        """Create view ``name`` in DuckDB connection ``con``; returns the bytes scanned."""
        if table.fmt == "unsupported":
            raise CatalogError("NOT_SUPPORTED", f"SerDe {table.serde} is not supported by localcloud")
        groups = self.files(table, partitions)
        pcols = [(k, duckdb_type(t)) for k, t in table.partition_keys]
        cols = [(n, duckdb_type(t)) for n, t in table.columns]
        if table.fmt == "parquet":
            return self._parquet(con, name, table, groups, cols, pcols, needed)
        scanned, pieces = 0, []
        for values, objs in groups:
            for obj in objs:
                t = self.text_table(table, obj)
                scanned += obj.size
                for (k, ty), v in zip(table.partition_keys, values or []):
                    t = t.append_column(k, _to_array([v] * t.num_rows, hive_type(ty), False, obj.url, 0))
                pieces.append(t)
        if pieces:
            data = pa.concat_tables(pieces)
        else:
            fields = [pa.field(n, arrow_type(hive_type(t))) for n, t in table.all_columns]
            data = pa.Table.from_pylist([], schema=pa.schema(fields))
        con.register(name, data)
        return scanned

    def _parquet(self, con, name, table, groups, cols, pcols, needed) -> int:
        """One scan over every file of the chosen partitions, as DuckDB reads a hive table.

        Partition values that DuckDB reads back unchanged from a ``k=v`` folder (plain words:
        no ``/``, ``%``, ``__HIVE_DEFAULT_PARTITION__``...) are the folder names; otherwise the
        folder is the partition's position and the values are looked up in a list literal
        (slower to group by: DuckDB keeps no statistics for it).  Table columns a file lacks
        read as NULL (``union_by_name`` when the files' schemas differ).
        """
        plain = all(v is not None and len(v) >= len(pcols) and all(_PLAIN.fullmatch(x) for x in v[:len(pcols)])
                    for v, objs in groups if objs) and all(_PLAIN.fullmatch(k) for k, _ in pcols) if pcols else False
        scanned, paths, schemas = 0, [], set()
        present: dict[str, str] = {}
        for index, (values, objs) in enumerate(groups):
            if plain:
                folders = [(k, v) for (k, _), v in zip(pcols, values)]
            else:
                folders = [(PART_KEY, str(index))] if pcols else []
            for obj in objs:
                names, sizes, footer, schema = self._footer(obj)
                schemas.add(schema)
                for n in names:
                    present.setdefault(n.lower(), n)
                wanted = [c for c in (needed if needed is not None else [n for n, _ in cols]) if c in sizes]
                scanned += sum(sizes[c] for c in wanted) if wanted else footer
                paths.append(self.store.hive_path(obj, folders) if folders else self.store.path(obj))
        if not paths:
            exprs = [f'CAST(NULL AS {ty}) AS "{n}"' for n, ty in cols + pcols]
            con.execute(f'CREATE OR REPLACE TEMP VIEW "{name}" AS SELECT {", ".join(exprs)} WHERE false')
            return scanned
        exprs = []
        for n, ty in cols:
            src = present.get(n)
            exprs.append(f'CAST("{src}" AS {ty}) AS "{n}"' if src else f'CAST(NULL AS {ty}) AS "{n}"')
        for i, (k, ty) in enumerate(pcols):
            if plain:
                exprs.append(f'CAST("{k}" AS {ty}) AS "{k}"')
            else:
                values = ", ".join(_sql_str(v[i]) if v is not None and i < len(v) else "NULL" for v, _ in groups)
                exprs.append(f'CAST([{values}][{PART_KEY} + 1] AS {ty}) AS "{k}"')
        if not pcols:
            options = "hive_partitioning=false"
        elif plain:
            types = ", ".join(f"'{k}': 'VARCHAR'" for k, _ in pcols)
            options = f"hive_partitioning=true, hive_types={{{types}}}"
        else:
            options = f"hive_partitioning=true, hive_types={{'{PART_KEY}': 'INTEGER'}}"
        if len(schemas) > 1:
            options += ", union_by_name=true"
        files = ", ".join(_sql_str(p) for p in paths)
        con.execute(f'CREATE OR REPLACE TEMP VIEW "{name}" AS SELECT {", ".join(exprs)} '
                    f"FROM read_parquet([{files}], {options})")
        return scanned


def _sql_str(v: str) -> str:
    return "'" + str(v).replace("'", "''") + "'"


def parse_type_or_fail(type_str: str) -> exp.DataType:
    try:
        return hive_type(type_str)
    except (sqlglot.errors.ParseError, ValueError) as exc:
        raise CatalogError("", f"Unsupported type: {type_str} ({exc})") from None



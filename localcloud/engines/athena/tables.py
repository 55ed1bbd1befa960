"""Reading a table's S3 objects for one query, and counting the bytes scanned.

Parquet objects are read by DuckDB from the store's cache files: all files of a query's
partitions in one ``read_parquet`` with hive partitioning, through ``k=v`` links to the cached
files, so it reads only the column chunks a query needs.  Text objects (JSON, CSV) are parsed
once per ETag by the SerDes (``serdes``) into Arrow tables that DuckDB scans without copying.

``DataScannedInBytes`` follows Athena's rules: text formats count every byte of every object
read; Parquet counts the compressed size of the column chunks of the columns read (only
the footer when no column is needed, as for ``count(*)``); partition columns cost nothing
because they come from the catalog, not from the files.
"""

from __future__ import annotations

import bz2
import gzip
import re
import threading
import zlib
from collections import OrderedDict
from typing import TypeVar

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from .catalog import CatalogError, Partition, TableInfo
from .s3store import S3Object, S3Store
from .serdes import parse_text, to_array
from .types import arrow_type, duckdb_type, hive_type

PART_KEY = "__lc_partition"  # the folder of a partition known by its position (see _parquet)
# Partition values DuckDB reads back from a k=v folder exactly as written (it URL-decodes, and
# turns __HIVE_DEFAULT_PARTITION__ into NULL).
_K = TypeVar("_K")
_V = TypeVar("_V")

# A Parquet file's (column names, {column: compressed bytes}, footer bytes, leaf schema).
Footer = tuple[list[str], dict[str, int], int, tuple[tuple[str, str, str], ...]]
# The objects to read: (partition values, or None for an unpartitioned table; its objects).
Groups = list[tuple[list[str] | None, list[S3Object]]]

_PLAIN = re.compile(r"(?!__HIVE_DEFAULT_PARTITION__$)(?i:(?!null$))[A-Za-z0-9_.\-]+")


def decompress(key: str, data: bytes) -> bytes:
    """A text object's bytes, uncompressed as Athena does it: by the file name's extension
    (https://docs.aws.amazon.com/athena/latest/ug/compression-formats.html)."""
    name = key.lower()
    if name.endswith((".gz", ".gzip")):
        return gzip.decompress(data)
    if name.endswith(".bz2"):
        return bz2.decompress(data)
    if name.endswith(".deflate"):
        return zlib.decompress(data)
    for ext in (".snappy", ".lz4", ".lzo", ".zst", ".zstd"):
        if name.endswith(ext):
            raise CatalogError("NOT_SUPPORTED", f"localcloud cannot read {ext[1:]}-compressed text files ({key})")
    return data


# ---- the source of one table reference in a query ------------------------------------------------


class TableReader:
    """Turns (table, chosen partitions, columns needed) into something DuckDB can scan."""

    MAX_CACHED = 256

    def __init__(self, store: S3Store) -> None:
        self.store = store
        self._parsed: OrderedDict[tuple[object, ...], pa.Table] = OrderedDict()  # (etag, table signature) -> rows
        self._footers: OrderedDict[str, Footer] = OrderedDict()  # etag -> its footer
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._parsed.clear()
            self._footers.clear()

    def _remember(self, cache: OrderedDict[_K, _V], key: _K, value: _V) -> None:
        with self._lock:
            cache[key] = value
            cache.move_to_end(key)
            while len(cache) > self.MAX_CACHED:
                cache.popitem(last=False)

    def files(self, table: TableInfo, partitions: list[Partition] | None) -> Groups:
        """[(partition values or None, [S3Object])] for the table or the chosen partitions."""
        if not table.partition_keys:
            return [(None, self.store.list(table.location))]
        parts = list(partitions or [])
        try:
            listed = self.store.list_many([loc for _, loc in parts])
        except CatalogError:  # a partition in a bucket that is gone: list them one by one
            listed = [self.store.list(loc) if self.store.has_objects(loc) else [] for _, loc in parts]
        return [(values, objs) for (values, _), objs in zip(parts, listed)]

    def _footer(self, obj: S3Object) -> Footer:
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
        schema = tuple(
            (meta.schema.column(i).path, meta.schema.column(i).physical_type, str(meta.schema.column(i).logical_type))
            for i in range(meta.num_columns)
        )
        value = ([n for n in dict.fromkeys(names)], sizes, meta.serialized_size, schema)
        self._remember(self._footers, obj.etag, value)
        return value

    def text_table(self, table: TableInfo, obj: S3Object) -> pa.Table:
        sig = (
            obj.etag,
            table.fmt,
            tuple(table.columns),
            tuple(sorted(table.serde_params.items())),
            table.params.get("skip.header.line.count"),
        )
        hit = self._parsed.get(sig)
        if hit is None:
            hit = parse_text(table, decompress(obj.key, self.store.read(obj)), obj.url)
            self._remember(self._parsed, sig, hit)
        return hit

    def source(
        self,
        con: duckdb.DuckDBPyConnection,
        name: str,
        table: TableInfo,
        partitions: list[Partition] | None,
        needed: set[str] | None,
    ) -> tuple[str, int]:
        """(what the query reads ``name`` from, bytes scanned): a ``(SELECT ... FROM read_parquet(...))``
        subquery for Parquet (inlined into the query: DuckDB then binds the files once, not once for a
        view and again for the query), or ``name`` itself, an Arrow table registered on ``con``."""
        if table.fmt == "unsupported":
            raise CatalogError("NOT_SUPPORTED", f"SerDe {table.serde} is not supported by localcloud")
        groups = self.files(table, partitions)
        pcols = [(k, duckdb_type(t)) for k, t in table.partition_keys]
        cols = [(n, duckdb_type(t)) for n, t in table.columns]
        if table.fmt == "parquet":
            return self._parquet(table, groups, cols, pcols, needed)
        scanned, pieces = 0, []
        for values, objs in groups:
            for obj in objs:
                t = self.text_table(table, obj)
                scanned += obj.size
                for (k, ty), v in zip(table.partition_keys, values or []):
                    t = t.append_column(k, to_array([v] * t.num_rows, hive_type(ty), False, obj.url, 0))
                pieces.append(t)
        if pieces:
            data = pa.concat_tables(pieces)
        else:
            fields = [pa.field(n, arrow_type(hive_type(t))) for n, t in table.all_columns]
            data = pa.Table.from_pylist([], schema=pa.schema(fields))
        con.register(name, data)
        return f'"{name}"', scanned

    def _parquet(
        self,
        table: TableInfo,
        groups: Groups,
        cols: list[tuple[str, str]],
        pcols: list[tuple[str, str]],
        needed: set[str] | None,
    ) -> tuple[str, int]:
        """One scan over every file of the chosen partitions, as DuckDB reads a hive table.

        Partition values that DuckDB reads back unchanged from a ``k=v`` folder (plain words:
        no ``/``, ``%``, ``__HIVE_DEFAULT_PARTITION__``...) are the folder names; otherwise the
        folder is the partition's position and the values are looked up in a list literal
        (slower to group by: DuckDB keeps no statistics for it).  Table columns a file lacks
        read as NULL (``union_by_name`` when the files' schemas differ).
        """
        plain = (
            all(
                v is not None and len(v) >= len(pcols) and all(_PLAIN.fullmatch(x) for x in v[: len(pcols)])
                for v, objs in groups
                if objs
            )
            and all(_PLAIN.fullmatch(k) for k, _ in pcols)
            if pcols
            else False
        )
        scanned, paths, schemas = 0, [], set()
        present: dict[str, str] = {}
        for index, (values, objs) in enumerate(groups):
            if plain:
                folders = [(k, v) for (k, _), v in zip(pcols, values or [])]  # plain: values are there
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
            return f"(SELECT {', '.join(exprs)} WHERE false)", scanned
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
        return f"(SELECT {', '.join(exprs)} FROM read_parquet([{files}], {options}))", scanned


def _sql_str(v: str) -> str:
    return "'" + str(v).replace("'", "''") + "'"

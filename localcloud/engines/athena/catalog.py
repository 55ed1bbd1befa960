"""The Glue Data Catalog as Athena sees it: tables, partitions and their storage, as moto keeps them.

Athena keeps no metadata of its own: every table, column, partition and SerDe lives in Glue.
This module turns moto's Glue records into :class:`TableInfo` and writes new ones back in
the shape real Athena DDL produces (so ``glue.get_table`` shows what it shows on AWS).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ... import seam

if TYPE_CHECKING:
    from ...seam.models import GlueBackend
    from ...seam.models import GlueDatabase as FakeDatabase
    from ...seam.models import GlueTable as FakeTable

CATALOG = "awsdatacatalog"
JSON_OPENX = "org.openx.data.jsonserde.JsonSerDe"
JSON_HIVE = "org.apache.hive.hcatalog.data.JsonSerDe"
LAZY_SIMPLE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
OPEN_CSV = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
TEXT_INPUT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
PARQUET_INPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

# STORED AS <format> -> (input format, output format, default SerDe), as Hive/Athena record them.
STORED_AS = {
    "PARQUET": (PARQUET_INPUT, PARQUET_OUTPUT, PARQUET_SERDE),
    "TEXTFILE": (TEXT_INPUT, TEXT_OUTPUT, LAZY_SIMPLE),
    "JSON": (TEXT_INPUT, TEXT_OUTPUT, JSON_OPENX),
}

# Glue mutations from concurrent queries (MSCK REPAIR while a crawler runs) go one at a time.
LOCK = threading.RLock()


# One partition of a table: (its values, its S3 location).
Partition = tuple[list[str], str]


class CatalogError(Exception):
    """A failed statement: ``code`` is Athena's error name (TABLE_NOT_FOUND, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}" if code else message)
        self.code = code
        self.message = message


@dataclass
class TableInfo:
    database: str
    name: str
    columns: list[tuple[str, str]]  # (lower-case name, hive type)
    partition_keys: list[tuple[str, str]]
    location: str
    serde: str
    serde_params: dict[str, str]
    input_format: str
    params: dict[str, str]
    table_type: str = "EXTERNAL_TABLE"
    view_sql: str | None = None
    partitions: list[Partition] = field(default_factory=list)

    @property
    def fmt(self) -> str:
        """'parquet', 'json', 'opencsv' or 'text' (LazySimpleSerDe): how the files are read."""
        lib, inp = (self.serde or "").lower(), (self.input_format or "").lower()
        if "parquet" in lib or "parquet" in inp:
            return "parquet"
        if "json" in lib:
            return "json"
        if "opencsv" in lib:
            return "opencsv"
        if "orc" in lib or "orc" in inp or "avro" in lib:
            return "unsupported"
        return "text"

    @property
    def all_columns(self) -> list[tuple[str, str]]:
        return self.columns + self.partition_keys


def glue() -> GlueBackend:
    return seam.glue()


def find_database(name: str) -> FakeDatabase | None:
    dbs = dict.copy(glue().databases)  # one C-level copy: others may create databases meanwhile
    if name in dbs:
        return dbs[name]
    for key, db in dbs.items():
        if key.lower() == name.lower():
            return db
    return None


def find_table(db: FakeDatabase, name: str) -> FakeTable | None:
    tables = dict.copy(db.tables)  # as in find_database
    if name in tables:
        return tables[name]
    for key, tbl in tables.items():
        if key.lower() == name.lower():
            return tbl
    return None


def _cols(items: Iterable[Mapping[str, str]] | None) -> list[tuple[str, str]]:
    return [(c["Name"].lower(), c.get("Type", "string").lower()) for c in items or []]


def _existing_table(database: str, name: str) -> tuple[FakeDatabase, FakeTable]:
    """The Glue database and table, or Athena's SCHEMA_NOT_FOUND / TABLE_NOT_FOUND."""
    db = find_database(database)
    if db is None:
        raise CatalogError("SCHEMA_NOT_FOUND", f"Schema '{database.lower()}' does not exist")
    tbl = find_table(db, name)
    if tbl is None:
        raise CatalogError("TABLE_NOT_FOUND", f"Table '{CATALOG}.{database.lower()}.{name.lower()}' does not exist")
    return db, tbl


def table_info(database: str, name: str, with_partitions: bool = True) -> TableInfo:
    db, tbl = _existing_table(database, name)
    d = tbl.as_dict()
    sd = d.get("StorageDescriptor") or {}
    serde = sd.get("SerdeInfo") or {}
    info = TableInfo(
        database=db.name,
        name=tbl.name,
        columns=_cols(sd.get("Columns")),
        partition_keys=_cols(d.get("PartitionKeys")),
        location=sd.get("Location") or "",
        serde=serde.get("SerializationLibrary") or "",
        serde_params=dict(serde.get("Parameters") or {}),
        input_format=sd.get("InputFormat") or "",
        params=dict(d.get("Parameters") or {}),
        table_type=d.get("TableType") or "EXTERNAL_TABLE",
        view_sql=d.get("ViewOriginalText"),
    )
    if with_partitions and info.partition_keys:
        for values, part_input in seam.glue_partitions(tbl):
            psd = part_input.get("StorageDescriptor") or {}
            info.partitions.append((values, psd.get("Location") or ""))
    return info


def storage_descriptor(
    columns: Iterable[tuple[str, str]],
    location: str,
    fmt_input: str,
    fmt_output: str,
    serde: str,
    serde_params: Mapping[str, str],
) -> dict[str, object]:
    return {
        "Columns": [{"Name": n, "Type": t} for n, t in columns],
        "Location": location,
        "InputFormat": fmt_input,
        "OutputFormat": fmt_output,
        "Compressed": False,
        "NumberOfBuckets": 0,
        "SerdeInfo": {"SerializationLibrary": serde, "Parameters": serde_params},
        "BucketColumns": [],
        "SortColumns": [],
        "StoredAsSubDirectories": False,
    }


def partition_location(table_location: str, keys: Sequence[tuple[str, str]], values: Sequence[str]) -> str:
    base = table_location if table_location.endswith("/") else table_location + "/"
    return base + "/".join(f"{k}={v}" for (k, _), v in zip(keys, values)) + "/"


def add_partitions(database: str, table: str, specs: list[tuple[list[str], str]], if_not_exists: bool) -> int:
    """Register (values, location) partitions; returns how many were new."""
    with LOCK:
        db, tbl = _existing_table(database, table)  # dropped meanwhile: Athena's error, not a crash
        d = tbl.as_dict()
        sd = d.get("StorageDescriptor") or {}
        added = 0
        for values, location in specs:
            if seam.glue_has_partition(tbl, values):
                if if_not_exists:
                    continue
                raise CatalogError("", "Partition already exists.")
            psd = dict(sd, Location=location)
            glue().create_partition(db.name, tbl.name, {"Values": list(values), "StorageDescriptor": psd})
            added += 1
        return added

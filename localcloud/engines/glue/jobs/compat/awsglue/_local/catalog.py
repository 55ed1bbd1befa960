"""The Glue Data Catalog through boto3: what a table's data looks like, and tables a job updates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from . import schema as sc
from .run import NotSupportedLocally, client

if TYPE_CHECKING:  # boto3-stubs (type checking only)
    from mypy_boto3_glue.type_defs import (
        ColumnOutputTypeDef,
        PartitionInputTypeDef,
        StorageDescriptorOutputTypeDef,
        TableInputTypeDef,
        TableTypeDef,
    )


class SerDe(TypedDict):
    SerializationLibrary: str
    InputFormat: str
    OutputFormat: str
    Parameters: dict[str, str]


SERDES: dict[str, SerDe] = {
    "parquet": {
        "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        "Parameters": {"serialization.format": "1"},
    },
    "json": {
        "SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe",
        "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
        "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
        "Parameters": {"paths": ""},
    },
    "csv": {
        "SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
        "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
        "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
        "Parameters": {"field.delim": ","},
    },
}


@dataclass
class TableInfo:
    database: str
    name: str
    location: str
    fmt: str  # json | csv | parquet
    columns: list[tuple[str, str]]  # data columns (name, hive type)
    partition_keys: list[tuple[str, str]]
    csv_options: dict[str, Any] = field(default_factory=dict)
    raw: Mapping[str, object] = field(default_factory=dict)  # GetTable's Table

    @property
    def partition_types(self) -> dict[str, sc.T]:
        return {k: sc.from_hive(t) for k, t in self.partition_keys}


def table_format(table: TableTypeDef) -> str:
    sd = table.get("StorageDescriptor", {})
    classification = (table.get("Parameters") or {}).get("classification", "").lower()
    serde = (sd.get("SerdeInfo") or {}).get("SerializationLibrary", "") or ""
    informat = sd.get("InputFormat", "") or ""
    if classification in ("json", "csv", "parquet"):
        return classification
    if "JsonSerDe" in serde:
        return "json"
    if "Parquet" in serde or "Parquet" in informat:
        return "parquet"
    if "LazySimpleSerDe" in serde or "OpenCSVSerde" in serde:
        return "csv"
    raise NotSupportedLocally(f"catalog table {table.get('Name')} with SerDe {serde or informat or 'unknown'}")


def get_table(database: str, name: str) -> TableInfo:
    table = client("glue").get_table(DatabaseName=database, Name=name)["Table"]
    sd = table.get("StorageDescriptor", {})
    fmt = table_format(table)
    csv_options: dict[str, Any] = {}
    if fmt == "csv":
        params = (sd.get("SerdeInfo") or {}).get("Parameters") or {}
        csv_options = {
            "separator": params.get("field.delim") or params.get("separatorChar") or ",",
            "quoteChar": params.get("quoteChar", '"'),
            "_skip_lines": int((table.get("Parameters") or {}).get("skip.header.line.count", "0")),
            "_column_names": [c["Name"] for c in sd.get("Columns", [])],
        }
    return TableInfo(
        database=database,
        name=name,
        location=sd.get("Location", ""),
        fmt=fmt,
        columns=[(c["Name"], c.get("Type", "string")) for c in sd.get("Columns", [])],
        partition_keys=[(c["Name"], c.get("Type", "string")) for c in table.get("PartitionKeys", [])],
        csv_options=csv_options,
        raw=table,
    )


def partitions(database: str, name: str) -> list[tuple[list[str], str]]:
    """(values, location) of every partition of the table."""
    out: list[tuple[list[str], str]] = []
    pages = client("glue").get_paginator("get_partitions").paginate(DatabaseName=database, TableName=name)
    for page in pages:
        for p in page.get("Partitions", []):
            out.append((p["Values"], p.get("StorageDescriptor", {}).get("Location", "")))
    return out


def ensure_table(
    database: str, name: str, location: str, fmt: str, node: sc.T, partition_keys: list[str], update: bool
) -> TableTypeDef:
    """Create the table a sink writes (enableUpdateCatalog), or add the columns new data brought."""
    glue = client("glue")
    # The catalog stores column names folded to lower case (Hive compatibility), as Glue does.
    data_cols: list[ColumnOutputTypeDef] = [
        {"Name": k.lower(), "Type": sc.hive(t)} for k, t in node.fields.items() if k not in partition_keys
    ]
    part_cols: list[ColumnOutputTypeDef] = [
        {"Name": k.lower(), "Type": sc.hive(node.fields[k]) if k in node.fields else "string"} for k in partition_keys
    ]
    serde = SERDES[fmt]
    sd: StorageDescriptorOutputTypeDef = {
        "Columns": data_cols,
        "Location": location,
        "InputFormat": serde["InputFormat"],
        "OutputFormat": serde["OutputFormat"],
        "SerdeInfo": {"SerializationLibrary": serde["SerializationLibrary"], "Parameters": dict(serde["Parameters"])},
    }
    params = {"classification": fmt, "UPDATED_BY_CRAWLER": "false"}
    if fmt == "csv":
        params["skip.header.line.count"] = "1"
    try:
        table = glue.get_table(DatabaseName=database, Name=name)["Table"]
    except glue.exceptions.EntityNotFoundException:
        glue.create_table(
            DatabaseName=database,
            TableInput={
                "Name": name,
                "TableType": "EXTERNAL_TABLE",
                "Parameters": params,
                "StorageDescriptor": sd,
                "PartitionKeys": part_cols,
            },
        )
        return glue.get_table(DatabaseName=database, Name=name)["Table"]
    if update:
        old = table.get("StorageDescriptor", {})
        have = {c["Name"] for c in old.get("Columns", [])}
        new_cols = list(old.get("Columns", [])) + [c for c in data_cols if c["Name"] not in have]
        if len(new_cols) != len(old.get("Columns", [])):
            tin: TableInputTypeDef = {"Name": table["Name"]}
            if "TableType" in table:
                tin["TableType"] = table["TableType"]
            if "Parameters" in table:
                tin["Parameters"] = table["Parameters"]
            if "PartitionKeys" in table:
                tin["PartitionKeys"] = table["PartitionKeys"]
            tin["StorageDescriptor"] = {**old, "Columns": new_cols}
            glue.update_table(DatabaseName=database, TableInput=tin)
            table = glue.get_table(DatabaseName=database, Name=name)["Table"]
    return table


def add_partitions(table: TableTypeDef, database: str, location: str, written: list[dict[str, Any]]) -> int:
    """Register the partitions a write created that the catalog does not know yet."""
    keys = [k["Name"] for k in table.get("PartitionKeys", [])]
    if not keys or not written:
        return 0
    glue = client("glue")
    known = {tuple(v) for v, _ in partitions(database, table["Name"])}
    base = location if location.endswith("/") else location + "/"
    inputs: list[PartitionInputTypeDef] = []
    for values in written:
        vals = [str(values.get(k, "")) for k in keys]
        if tuple(vals) in known:
            continue
        known.add(tuple(vals))
        sd = table.get("StorageDescriptor", {}).copy()
        sd["Location"] = base + "/".join(f"{k}={v}" for k, v in zip(keys, vals)) + "/"
        inputs.append({"Values": vals, "StorageDescriptor": sd})
    for i in range(0, len(inputs), 100):  # BatchCreatePartition takes 100 at a time
        resp = glue.batch_create_partition(
            DatabaseName=database, TableName=table["Name"], PartitionInputList=inputs[i : i + 100]
        )
        if resp.get("Errors"):
            err = resp["Errors"][0]["ErrorDetail"]
            raise RuntimeError(f"BatchCreatePartition: {err.get('ErrorCode')}: {err.get('ErrorMessage')}")
    return len(inputs)

"""Athena's metadata API answered from the Glue Data Catalog (introduced for lab 04).

``ListDataCatalogs`` / ``GetDataCatalog`` know ``AwsDataCatalog`` (type GLUE, the account's Glue
catalog); ``ListDatabases`` / ``GetDatabase`` / ``ListTableMetadata`` / ``GetTableMetadata`` read
Glue's databases and tables in the shapes of the Athena API Reference (TableMetadata's
``Parameters`` carry the storage descriptor flattened, as in the documented examples:
``location``, ``inputformat``, ``serde.serialization.lib``, ``serde.param.field.delim``).  A
missing database or table is a ``MetadataException``, as Athena relays Glue's EntityNotFound.

Sources: https://docs.aws.amazon.com/athena/latest/APIReference/ (GetTableMetadata,
ListTableMetadata, ListDatabases, GetDataCatalog) and
https://docs.aws.amazon.com/athena/latest/ug/datastores-hive-cli.html (response examples).
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import uuid
from typing import TYPE_CHECKING, TypeVar

from . import catalog as cat

if TYPE_CHECKING:
    from ...seam.models import GlueDatabase as FakeDatabase
    from ...seam.models import GlueTable as FakeTable

_T = TypeVar("_T")

GLUE_CATALOG = "AwsDataCatalog"
MAX_PAGE = 50


class MetadataError(Exception):
    """An API error: ``code`` (MetadataException, InvalidRequestException...) and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _is_glue(name: str | None) -> bool:
    return (name or "").lower() == GLUE_CATALOG.lower()


def _epoch(value: object) -> float | None:
    if isinstance(value, dt.datetime):
        return value.timestamp()
    if isinstance(value, (int, float)):
        return float(value)
    return None


def _not_found(what: str) -> MetadataError:
    """Glue's EntityNotFoundException as Athena relays it: Glue's message, then the AWS SDK's
    "(Service: ...; Error Code: ...; Request ID: ...; Proxy: null)" (clients parse that tail)."""
    return MetadataError(
        "MetadataException",
        f"{what} (Service: AmazonDataCatalog; Status Code: 400; Error Code: EntityNotFoundException; "
        f"Request ID: {uuid.uuid4()}; Proxy: null)",
    )


def page(
    items: list[_T], max_results: int | None, token: str | None, min_max: int = 1, max_max: int = MAX_PAGE
) -> tuple[list[_T], str | None]:
    """(this page, NextToken or None); tokens are opaque to clients (base64 of the offset)."""
    n = int(max_results or max_max)
    if not min_max <= n <= max_max:
        raise MetadataError(
            "InvalidRequestException",
            f"1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: "
            f"Member must have value less than or equal to {max_max}",
        )
    start = 0
    if token:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode())
        except ValueError:
            raise MetadataError("InvalidRequestException", "Invalid NextToken") from None
    chunk = items[start : start + n]
    nxt = base64.urlsafe_b64encode(str(start + n).encode()).decode() if start + n < len(items) else None
    return chunk, nxt


# ---- catalogs --------------------------------------------------------------------------------------


def glue_catalog_summary() -> dict[str, str]:
    return {"CatalogName": GLUE_CATALOG, "Type": "GLUE"}


def glue_catalog(account_id: str) -> dict[str, object]:
    return {
        "Name": GLUE_CATALOG,
        "Description": "AWS Glue Data Catalog",
        "Type": "GLUE",
        "Parameters": {"catalog-id": account_id},
    }


# ---- databases ----------------------------------------------------------------------------------------


def _database(db: FakeDatabase) -> dict[str, object]:
    d = db.as_dict()
    out: dict[str, object] = {"Name": d["Name"]}
    if d.get("Description"):
        out["Description"] = d["Description"]
    out["Parameters"] = dict(d.get("Parameters") or {})
    return out


def list_databases(catalog_name: str, max_results: int | None, token: str | None) -> dict[str, object]:
    _require_glue(catalog_name)
    dbs = sorted(cat.glue().databases.values(), key=lambda d: d.name)
    chunk, nxt = page([_database(d) for d in dbs], max_results, token)
    doc: dict[str, object] = {"DatabaseList": chunk}
    if nxt:
        doc["NextToken"] = nxt
    return doc


def get_database(catalog_name: str, name: str) -> dict[str, object]:
    _require_glue(catalog_name)
    db = cat.find_database(name or "")
    if db is None:
        raise _not_found(f"Database {name} not found.")
    return {"Database": _database(db)}


def _require_glue(catalog_name: str) -> None:
    if not _is_glue(catalog_name):
        raise MetadataError(
            "MetadataException", f"Catalog {catalog_name} does not exist (localcloud knows only {GLUE_CATALOG})"
        )


# ---- tables ----------------------------------------------------------------------------------------------


def table_metadata(tbl: FakeTable) -> dict[str, object]:
    d = tbl.as_dict()
    sd = d.get("StorageDescriptor") or {}
    serde = sd.get("SerdeInfo") or {}
    params = dict(d.get("Parameters") or {})
    if d.get("TableType") != "VIRTUAL_VIEW":
        flat = {
            "location": sd.get("Location"),
            "inputformat": sd.get("InputFormat"),
            "outputformat": sd.get("OutputFormat"),
            "serde.serialization.lib": serde.get("SerializationLibrary"),
        }
        params.update({k: v for k, v in flat.items() if v})
        params.update({f"serde.param.{k}": v for k, v in (serde.get("Parameters") or {}).items()})

    def col(c: dict[str, object]) -> dict[str, object]:
        return {k: c[k] for k in ("Name", "Type", "Comment") if c.get(k) is not None}

    out: dict[str, object] = {
        "Name": d["Name"],
        "TableType": d.get("TableType") or "EXTERNAL_TABLE",
        "Columns": [col(c) for c in sd.get("Columns") or []],
        "PartitionKeys": [col(c) for c in d.get("PartitionKeys") or []],
        "Parameters": params,
    }
    created = _epoch(d.get("CreateTime"))
    if created is not None:
        out["CreateTime"] = created
    return out


def get_table_metadata(catalog_name: str, database: str, table: str) -> dict[str, object]:
    _require_glue(catalog_name)
    db = cat.find_database(database or "")
    if db is None:
        raise _not_found(f"Database {database} not found.")
    tbl = cat.find_table(db, table or "")
    if tbl is None:
        raise _not_found("Entity Not Found")
    return {"TableMetadata": table_metadata(tbl)}


def list_table_metadata(
    catalog_name: str, database: str, expression: str | None, max_results: int | None, token: str | None
) -> dict[str, object]:
    _require_glue(catalog_name)
    db = cat.find_database(database or "")
    if db is None:
        raise _not_found(f"Database {database} not found.")
    tables = sorted(db.tables.values(), key=lambda t: t.name)
    if expression:
        try:
            rx = re.compile(expression, re.I)
        except re.error as exc:
            raise MetadataError("InvalidRequestException", f"Invalid Expression {expression!r}: {exc}") from None
        tables = [t for t in tables if rx.fullmatch(t.name)]
    chunk, nxt = page([table_metadata(t) for t in tables], max_results, token)
    doc: dict[str, object] = {"TableMetadataList": chunk}
    if nxt:
        doc["NextToken"] = nxt
    return doc

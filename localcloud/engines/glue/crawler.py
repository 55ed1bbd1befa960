"""A Glue crawl: infer a table (columns, partitions, SerDe) from S3 objects, write it to the catalog.

One table per S3 target, named after the target's last folder (plus the crawler's
``TablePrefix``); ``key=value`` sub-folders become partition keys (others ``partition_0``...),
as Glue names them.  On a re-crawl the table gains the columns new files brought
(``SchemaChangePolicy.UpdateBehavior`` UPDATE_IN_DATABASE, the default) and new partitions.
"""

from __future__ import annotations

import io
import json
import re
import time
import urllib.parse
import uuid
from typing import Any, Protocol

import pyarrow.parquet as pq

from ... import seam
from ..athena import catalog as cat
from ..athena.s3store import S3Store, split_s3
from ..athena.types import hive_type_of

STOPPING_S = 0.1  # how long a finished crawl reports STOPPING before READY
SAMPLE_BYTES = 1 << 20  # Glue classifies on the first MB of each object


class Crawler(Protocol):
    """What a crawl reads of its crawler (moto's model object, reached through the seam)."""

    @property
    def name(self) -> str: ...
    @property
    def database_name(self) -> str | None: ...
    @property
    def targets(self) -> dict[str, Any] | None: ...
    @property
    def table_prefix(self) -> str | None: ...
    @property
    def schema_change_policy(self) -> dict[str, str] | None: ...


def _merge(a: str | None, b: str) -> str:
    if a is None or a == b:
        return b
    nums = ["int", "bigint", "double"]
    if a in nums and b in nums:
        return nums[max(nums.index(a), nums.index(b))]
    return "string"


def _json_type(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "int" if -(2**31) <= v < 2**31 else "bigint"
    if isinstance(v, float):
        return "double"
    if isinstance(v, list):
        inner = None
        for x in v:
            t = _json_type(x)
            inner = _merge(inner, t) if t else inner
        return f"array<{inner or 'string'}>"
    if isinstance(v, dict):
        fields = [f"{k.lower()}:{_json_type(x) or 'string'}" for k, x in v.items()]
        return "struct<" + ",".join(fields) + ">"
    return "string"


def _csv_type(s: str) -> str:
    if re.fullmatch(r"-?\d{1,18}", s):
        return "bigint"
    if re.fullmatch(r"-?\d*\.\d+([eE][-+]?\d+)?", s):
        return "double"
    if s.lower() in ("true", "false"):
        return "boolean"
    return "string"


def classify(head: bytes) -> str:
    if head[:4] == b"PAR1":
        return "parquet"
    text = head.lstrip()
    if text[:1] in (b"{", b"["):
        return "json"
    return "csv"


def infer(kind: str, data: bytes, columns: dict[str, str | None]) -> int:
    """Add the columns found in one object to ``columns`` (name -> type); returns its record count."""
    if kind == "parquet":
        schema = pq.read_schema(io.BytesIO(data))
        for f in schema:
            columns[f.name.lower()] = _merge(columns.get(f.name.lower()), hive_type_of(f.type))
        return pq.read_metadata(io.BytesIO(data)).num_rows
    if kind == "json":
        n = 0
        for line in data.splitlines():
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            n += 1
            for k, v in obj.items():
                t = _json_type(v)
                if t:
                    columns[k.lower()] = _merge(columns.get(k.lower()), t)
                else:
                    columns.setdefault(k.lower(), None)
        return n
    import csv

    text = data.decode("utf-8", "replace")
    delim = max(",\t|;", key=lambda d: text.split("\n", 1)[0].count(d))
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=delim) if r]
    if not rows:
        return 0
    first = rows[0]
    header = (
        len(rows) > 1
        and all(_csv_type(x) == "string" for x in first)
        and any(_csv_type(x) != "string" for r in rows[1:] for x in r if x)
    )
    names = (
        [h.strip().lower() or f"col{i}" for i, h in enumerate(first)]
        if header
        else [f"col{i}" for i in range(len(first))]
    )
    columns.setdefault("__csv__", f"{delim}|{int(header)}")
    for r in rows[1:] if header else rows:
        for name, x in zip(names, r):
            columns[name] = _merge(columns.get(name), _csv_type(x)) if x else columns.get(name)
    return len(rows) - int(header)


class Crawl:
    """One run of a crawler: its state as GetCrawler reports it, and what it changed."""

    def __init__(self) -> None:
        self.state = "RUNNING"
        self.status = "RUNNING"
        self.error: str | None = None
        self.started = time.time()
        self.ended: float | None = None
        self.created = self.updated = 0
        self.id = str(uuid.uuid4())


def run(store: S3Store, name: str, crawl: Crawl) -> None:
    """Crawl every S3 target of crawler ``name`` (on a worker thread); RUNNING -> STOPPING -> READY."""
    try:
        crawler: Crawler = seam.glue().get_crawler(name)
        database = crawler.database_name
        if not database:
            raise ValueError("The crawler has no target database")
        if cat.find_database(database) is None:
            # A crawler creates its target database when it is missing (AWS's Glue getting-started
            # example and its integration test rely on it: tests/awsdocs).
            seam.glue().create_database(database, {"Name": database})
        for target in (crawler.targets or {}).get("S3Targets", []):
            if crawl.state != "RUNNING":
                break
            crawl_target(store, crawler, target, crawl)
        if crawl.status == "RUNNING":
            crawl.status = "SUCCEEDED"
    except Exception as exc:  # the crawl fails, the daemon goes on
        crawl.status, crawl.error = "FAILED", str(exc)
    crawl.state = "STOPPING"
    time.sleep(STOPPING_S)
    crawl.ended = time.time()
    crawl.state = "READY"


class Found:
    """What one target's objects hold: columns, partitions, formats, counts."""

    def __init__(self) -> None:
        self.columns: dict[str, str | None] = {}
        self.partitions: dict[tuple[str, ...], str] = {}  # values -> location
        self.partition_keys: list[str] = []
        self.kinds: set[str] = set()
        self.records = self.size = self.objects = 0

    @property
    def kind(self) -> str:
        """One classification for the table: JSON wins a mix (Glue's JSON classifier is tried first)."""
        kinds = sorted(self.kinds)
        return kinds[0] if len(kinds) == 1 or "json" not in kinds else "json"


def scan(store: S3Store, path: str) -> Found | None:
    """Read every object under ``path`` (an S3 target ending in /); None when there is none."""
    _, prefix = split_s3(path)
    objs = store.list(path)
    if not objs:
        return None
    found = Found()
    depth = min(len(o.key[len(prefix) :].split("/")) - 1 for o in objs)  # partition folders all objects have
    for obj in objs:
        dirs = obj.key[len(prefix) :].split("/")[:-1][:depth]
        if dirs:
            if not found.partition_keys:
                found.partition_keys = [
                    d.split("=", 1)[0].lower() if "=" in d else f"partition_{i}" for i, d in enumerate(dirs)
                ]
            values = tuple(urllib.parse.unquote(d.split("=", 1)[1]) if "=" in d else d for d in dirs)
            found.partitions.setdefault(values, path + "/".join(dirs) + "/")
        data = store.read(obj)
        kind = classify(data[:SAMPLE_BYTES])
        found.kinds.add(kind)
        found.records += infer(kind, data, found.columns)
        found.size += obj.size
        found.objects += 1
    return found


def _storage(found: Found) -> tuple[tuple[str, str, str], dict[str, str], dict[str, str]]:
    """((input format, output format, SerDe), SerDe parameters, table parameters) as Glue records them."""
    csv_info = found.columns.pop("__csv__", None)
    tparams: dict[str, str] = {}
    if found.kind == "json":
        formats = (cat.TEXT_INPUT, cat.TEXT_OUTPUT, cat.JSON_OPENX)
        serde_params = {"paths": ",".join(n for n in found.columns if n not in found.partition_keys)}
    elif found.kind == "parquet":
        formats, serde_params = cat.STORED_AS["PARQUET"], {"serialization.format": "1"}
    else:
        formats = (cat.TEXT_INPUT, cat.TEXT_OUTPUT, cat.LAZY_SIMPLE)
        delim, header = (csv_info or ",|0").split("|")
        serde_params = {"field.delim": delim}
        if header == "1":
            tparams["skip.header.line.count"] = "1"
        tparams["areColumnsQuoted"] = "false"
    return formats, serde_params, tparams


def _table_parameters(found: Found, crawler_name: str, extra: dict[str, str]) -> dict[str, str]:
    return {
        **extra,
        "classification": found.kind,
        "compressionType": "none",
        "typeOfData": "file",
        "recordCount": str(found.records),
        "objectCount": str(found.objects),
        "sizeKey": str(found.size),
        "averageRecordSize": str(found.size // found.records if found.records else 0),
        "UPDATED_BY_CRAWLER": crawler_name,
        "CrawlerSchemaSerializerVersion": "1.0",
        "CrawlerSchemaDeserializerVersion": "1.0",
        "EXTERNAL": "TRUE",
    }


def crawl_target(store: S3Store, crawler: Crawler, target: dict[str, Any], crawl: Crawl) -> None:
    """One S3 target -> one table (created, or updated per the SchemaChangePolicy) and its partitions."""
    path = target["Path"] if target["Path"].endswith("/") else target["Path"] + "/"
    found = scan(store, path)
    if found is None:
        return
    (inp, outp, serde), serde_params, extra = _storage(found)
    tparams = _table_parameters(found, crawler.name, extra)
    cols = [(n, t or "string") for n, t in found.columns.items() if n not in found.partition_keys]
    table = (crawler.table_prefix or "") + re.sub(r"[^a-z0-9_]", "_", path.rstrip("/").rsplit("/", 1)[-1].lower())
    policy = (crawler.schema_change_policy or {}).get("UpdateBehavior", "UPDATE_IN_DATABASE")
    database = crawler.database_name or ""
    with cat.LOCK:
        db = cat.find_database(database)
        if db is None:  # deleted while the crawl ran: Glue's GetDatabase answer
            raise LookupError(f"EntityNotFoundException: Database {database} not found.")
        existing = cat.find_table(db, table)
        if existing is not None:  # a re-crawl adds the columns new files brought, keeps the old ones
            old = [(c["Name"], c["Type"]) for c in existing.as_dict()["StorageDescriptor"]["Columns"]]
            known = {n for n, _ in old}
            cols = old + [(n, t) for n, t in cols if n not in known]
        table_input = {
            "Name": table,
            "TableType": "EXTERNAL_TABLE",
            "Owner": "owner",
            "Retention": 0,
            "Parameters": tparams,
            "PartitionKeys": [{"Name": k, "Type": "string"} for k in found.partition_keys],
            "StorageDescriptor": dict(
                cat.storage_descriptor(cols, path, inp, outp, serde, serde_params), Parameters=dict(tparams)
            ),
        }
        if existing is None:
            seam.glue().create_table(db.name, table, table_input)
            crawl.created += 1
        elif policy == "UPDATE_IN_DATABASE":
            seam.glue().update_table(db.name, existing.name, table_input)
            crawl.updated += 1
        if found.partitions:
            specs = [(list(v), loc) for v, loc in sorted(found.partitions.items())]
            cat.add_partitions(db.name, table, specs, if_not_exists=True)

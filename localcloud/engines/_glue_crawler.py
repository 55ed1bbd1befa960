"""Glue crawlers that really crawl: infer a table (columns, partitions, SerDe) from S3 objects.

moto records crawlers and says READY at once.  Here ``StartCrawler`` runs a crawl on a worker
thread and ``GetCrawler`` reports RUNNING -> STOPPING -> READY with ``LastCrawl.Status``, like
AWS.  One table per S3 target, named after the target's last folder (plus the crawler's
``TablePrefix``); ``key=value`` sub-folders become partition keys (others ``partition_0``...),
as Glue names them.  On a re-crawl the table gains the columns new files brought
(``SchemaChangePolicy.UpdateBehavior`` UPDATE_IN_DATABASE, the default) and new partitions.
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
import urllib.parse
import uuid

import pyarrow.parquet as pq

from ..awserrors import error
from ..calls import Response
from . import _athena_catalog as cat
from ._athena_scan import S3Store, split_s3

STOPPING_S = 0.1  # how long a finished crawl reports STOPPING before READY
SAMPLE_BYTES = 1 << 20  # Glue classifies on the first MB of each object


def _merge(a: str | None, b: str) -> str:
    if a is None or a == b:
        return b
    nums = ["int", "bigint", "double"]
    if a in nums and b in nums:
        return nums[max(nums.index(a), nums.index(b))]
    return "string"


def _json_type(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "int" if -2**31 <= v < 2**31 else "bigint"
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


def infer(kind: str, data: bytes, columns: dict) -> int:
    """Add the columns found in one object to ``columns`` (name -> type); returns its record count."""
    if kind == "parquet":
        schema = pq.read_schema(io.BytesIO(data))
        from ._athena_ddl import hive_type_of

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
    header = len(rows) > 1 and all(_csv_type(x) == "string" for x in first) and any(
        _csv_type(x) != "string" for r in rows[1:] for x in r if x)
    names = [h.strip().lower() or f"col{i}" for i, h in enumerate(first)] if header else \
        [f"col{i}" for i in range(len(first))]
    columns.setdefault("__csv__", f"{delim}|{int(header)}")
    for r in rows[1:] if header else rows:
        for name, x in zip(names, r):
            columns[name] = _merge(columns.get(name), _csv_type(x)) if x else columns.get(name)
    return len(rows) - int(header)


class Crawl:
    def __init__(self) -> None:
        self.state = "RUNNING"
        self.status = "RUNNING"
        self.error: str | None = None
        self.started = time.time()
        self.ended: float | None = None
        self.created = self.updated = 0
        self.id = str(uuid.uuid4())


class Crawlers:
    def __init__(self, store: S3Store) -> None:
        self.store = store
        self.crawls: dict[str, Crawl] = {}
        self.lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    @staticmethod
    def _backend():
        return cat.glue()

    def reset(self) -> None:
        with self.lock:
            self.crawls.clear()

    def stop(self) -> None:
        for t in self._threads:
            t.join(timeout=5)

    # ---- API hooks -------------------------------------------------------------------------------
    def before(self, call):
        name = call.params.get("Name") or call.params.get("CrawlerName")
        if call.action == "GetCrawlerMetrics":
            return self._metrics(call)
        if call.action not in ("StartCrawler", "StopCrawler", "DeleteCrawler") or name not in self._backend().crawlers:
            return None  # moto answers (and rejects an unknown crawler as AWS does)
        with self.lock:
            crawl = self.crawls.get(name)
            busy = crawl is not None and crawl.state != "READY"
            if call.action == "StartCrawler":
                if busy:
                    return error(call, "CrawlerRunningException", f"Crawler with name {name} has already started")
                self.crawls[name] = crawl = Crawl()
            elif call.action == "DeleteCrawler" and busy:
                return error(call, "CrawlerRunningException", f"Crawler {name} is running; stop it first")
            elif call.action == "StopCrawler":
                if not busy or crawl.state != "RUNNING":
                    return error(call, "CrawlerNotRunningException", f"Crawler with name {name} isn't running")
                crawl.state = "STOPPING"
                crawl.status = "CANCELLED"
                return Response(200, {"Content-Type": "application/x-amz-json-1.1"}, b"{}")
        if call.action == "StartCrawler":
            t = threading.Thread(target=self._crawl, args=(name, crawl), name=f"glue-crawl-{name}", daemon=True)
            self._threads = [x for x in self._threads if x.is_alive()] + [t]
            t.start()
            # moto's own crawl record would refuse the next start: this engine owns the state
            return Response(200, {"Content-Type": "application/x-amz-json-1.1"}, b"{}")
        return None

    def after(self, call, response):
        if call.action not in ("GetCrawler", "GetCrawlers", "BatchGetCrawlers") or response.status != 200:
            return None
        doc = json.loads(response.body or b"{}")
        items = [doc["Crawler"]] if "Crawler" in doc else doc.get("Crawlers", [])
        for c in items:
            crawl = self.crawls.get(c.get("Name"))
            c["State"] = crawl.state if crawl else "READY"
            if crawl and crawl.state == "READY":
                last = {"Status": crawl.status, "LogGroup": "/aws-glue/crawlers", "LogStream": c["Name"],
                        "MessagePrefix": crawl.id, "StartTime": crawl.started}
                if crawl.error:
                    last["ErrorMessage"] = crawl.error
                c["LastCrawl"] = last
                c["CrawlElapsedTime"] = 0
            elif crawl:
                c.pop("LastCrawl", None)
                c["CrawlElapsedTime"] = int((time.time() - crawl.started) * 1000)
        return Response(200, response.headers, json.dumps(doc, default=str).encode())

    def _metrics(self, call):
        names = call.params.get("CrawlerNameList") or list(self._backend().crawlers)
        out = []
        for n in names:
            c = self.crawls.get(n)
            out.append({"CrawlerName": n, "TimeLeftSeconds": 0.0, "StillEstimating": False,
                        "LastRuntimeSeconds": round((c.ended - c.started), 3) if c and c.ended else 0.0,
                        "MedianRuntimeSeconds": 0.0, "TablesCreated": c.created if c else 0,
                        "TablesUpdated": c.updated if c else 0, "TablesDeleted": 0})
        body = json.dumps({"CrawlerMetricsList": out}).encode()
        return Response(200, {"Content-Type": "application/x-amz-json-1.1"}, body)

    # ---- the crawl --------------------------------------------------------------------------------
    def _crawl(self, name: str, crawl: Crawl) -> None:
        try:
            crawler = self._backend().get_crawler(name)
            if cat.find_database(crawler.database_name or "") is None:
                raise ValueError(f"Database {crawler.database_name} not found")
            for target in (crawler.targets or {}).get("S3Targets", []):
                if crawl.state != "RUNNING":
                    break
                self._crawl_target(crawler, target, crawl)
            if crawl.status == "RUNNING":
                crawl.status = "SUCCEEDED"
        except Exception as exc:  # the crawl fails, the daemon goes on
            crawl.status, crawl.error = "FAILED", str(exc)
        crawl.state = "STOPPING"
        time.sleep(STOPPING_S)
        crawl.ended = time.time()
        crawl.state = "READY"

    def _crawl_target(self, crawler, target: dict, crawl: Crawl) -> None:
        path = target["Path"]
        if not path.endswith("/"):
            path += "/"
        _, prefix = split_s3(path)
        objs = self.store.list(path)
        if not objs:
            return
        columns: dict[str, str | None] = {}
        parts: dict[tuple, str] = {}
        depth = None
        kinds, records, size = set(), 0, 0
        for obj in objs:
            dirs = obj.key[len(prefix):].split("/")[:-1]
            depth = len(dirs) if depth is None else min(depth, len(dirs))
        pkeys = []
        for obj in objs:
            dirs = obj.key[len(prefix):].split("/")[:-1][:depth]
            if not pkeys and dirs:
                pkeys = [d.split("=", 1)[0].lower() if "=" in d else f"partition_{i}" for i, d in enumerate(dirs)]
            if dirs:
                values = tuple(urllib.parse.unquote(d.split("=", 1)[1]) if "=" in d else d for d in dirs)
                parts.setdefault(values, path + "/".join(dirs) + "/")
            data = self.store.read(obj)
            kind = classify(data[:SAMPLE_BYTES])
            kinds.add(kind)
            records += infer(kind, data, columns)
            size += obj.size
        kind = sorted(kinds)[0] if len(kinds) == 1 else "json" if "json" in kinds else sorted(kinds)[0]
        csv_info = columns.pop("__csv__", None)
        cols = [(n, t or "string") for n, t in columns.items() if n not in pkeys]
        serde_params, tparams = {}, {}
        if kind == "json":
            inp, outp, serde = cat.TEXT_INPUT, cat.TEXT_OUTPUT, cat.JSON_OPENX
            serde_params = {"paths": ",".join(n for n, _ in cols)}
        elif kind == "parquet":
            inp, outp, serde = cat.STORED_AS["PARQUET"]
            serde_params = {"serialization.format": "1"}
        else:
            inp, outp, serde = cat.TEXT_INPUT, cat.TEXT_OUTPUT, cat.LAZY_SIMPLE
            delim, header = (csv_info or ",|0").split("|")
            serde_params = {"field.delim": delim}
            if header == "1":
                tparams["skip.header.line.count"] = "1"
            tparams["areColumnsQuoted"] = "false"
        tparams.update({"classification": kind, "compressionType": "none", "typeOfData": "file",
                        "recordCount": str(records), "objectCount": str(len(objs)), "sizeKey": str(size),
                        "averageRecordSize": str(size // records if records else 0),
                        "UPDATED_BY_CRAWLER": crawler.name, "CrawlerSchemaSerializerVersion": "1.0",
                        "CrawlerSchemaDeserializerVersion": "1.0", "EXTERNAL": "TRUE"})
        table = (crawler.table_prefix or "") + re.sub(r"[^a-z0-9_]", "_", path.rstrip("/").rsplit("/", 1)[-1].lower())
        policy = (crawler.schema_change_policy or {}).get("UpdateBehavior", "UPDATE_IN_DATABASE")
        with cat.LOCK:
            db = cat.find_database(crawler.database_name)
            existing = cat.find_table(db, table)
            if existing is not None:
                old = existing.as_dict()
                old_cols = [(c["Name"], c["Type"]) for c in old["StorageDescriptor"]["Columns"]]
                known = {n for n, _ in old_cols}
                cols = old_cols + [(n, t) for n, t in cols if n not in known]
            table_input = {
                "Name": table, "TableType": "EXTERNAL_TABLE", "Owner": "owner", "Retention": 0,
                "Parameters": tparams,
                "PartitionKeys": [{"Name": k, "Type": "string"} for k in pkeys],
                "StorageDescriptor": dict(cat.storage_descriptor(cols, path, inp, outp, serde, serde_params),
                                          Parameters=dict(tparams)),
            }
            if existing is None:
                self._backend().create_table(db.name, table, table_input)
                crawl.created += 1
            elif policy == "UPDATE_IN_DATABASE":
                self._backend().update_table(db.name, existing.name, table_input)
                crawl.updated += 1
            if parts:
                cat.add_partitions(db.name, table, [(list(v), loc) for v, loc in sorted(parts.items())],
                                   if_not_exists=True)

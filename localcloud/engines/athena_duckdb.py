"""Athena engine: real SQL answers offline (introduced for lab 04).

moto stores Athena workgroups and the Glue catalog but never runs a query.  This engine
answers the query APIs itself and runs every statement for real:

* ``StartQueryExecution`` checks what AWS checks (the workgroup, an output location) and
  returns at once; the statement runs on a worker thread (QUEUED -> RUNNING -> SUCCEEDED /
  FAILED / CANCELLED), as Athena is asynchronous.
* SELECTs are parsed by sqlglot (Athena/Trino dialect) and executed by DuckDB over the table's
  S3 objects, read in-process from moto; DDL, MSCK REPAIR TABLE, ALTER TABLE ... PARTITION,
  SHOW/DESCRIBE, CREATE VIEW and CTAS go to the Glue catalog (see ``_athena_ddl``).
* ``GetQueryExecution`` reports real statistics (``DataScannedInBytes`` from the objects
  actually read) and Athena's failure reasons; ``GetQueryResults`` pages rows as strings with
  ColumnInfo; the CSV (or .txt) result file is written to the output location in S3.
* Glue crawlers (``StartCrawler``) infer tables and partitions from S3 (``_glue_crawler``).

``GetQueryExecution`` waits up to ``LONG_POLL_S`` for a running query before it answers, so a
client's first poll usually sees the final state: a 1-second pyathena poll then costs
milliseconds, while a long query is still seen RUNNING, as on AWS.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import duckdb

from ..awserrors import error
from ..calls import Response
from . import Engine
from ._athena_catalog import CatalogError
from ._athena_ddl import Statements
from ._athena_results import BadToken, Result, csv_bytes, metadata_bytes, page, txt_bytes
from ._athena_scan import S3Store, TableReader, split_s3
from ._athena_sql import SelectRunner
from ._glue_crawler import Crawlers

LONG_POLL_S = 0.25
NO_OUTPUT = ("No output location provided. An output location is required either through the Workgroup "
             "result configuration setting or as an API input.")
TERMINAL = ("SUCCEEDED", "FAILED", "CANCELLED")


@dataclass
class Execution:
    id: str
    query: str
    context: dict
    workgroup: str
    output_location: str  # s3://.../<id>.csv (or .txt once the statement is known to be DDL)
    result_configuration: dict
    state: str = "QUEUED"
    reason: str | None = None
    submitted: float = field(default_factory=time.time)
    started: float | None = None
    completed: float | None = None
    scanned: int = 0
    engine_ms: int = 0
    statement_type: str = "DML"
    substatement: str | None = None
    result: Result | None = None
    cursors: list = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)

    def describe(self) -> dict:
        now = time.time()
        end = self.completed or now
        status = {"State": self.state, "SubmissionDateTime": self.submitted}
        if self.completed:
            status["CompletionDateTime"] = self.completed
        if self.reason:
            status["StateChangeReason"] = self.reason
            status["AthenaError"] = {"ErrorCategory": 2 if self.state == "FAILED" else 3, "Retryable": False,
                                     "ErrorMessage": self.reason}
        queue_ms = int(((self.started or end) - self.submitted) * 1000)
        total_ms = int((end - self.submitted) * 1000)
        doc = {
            "QueryExecutionId": self.id,
            "Query": self.query,
            "StatementType": self.statement_type,
            "ResultConfiguration": dict(self.result_configuration, OutputLocation=self.output_location),
            "ResultReuseConfiguration": {"ResultReuseByAgeConfiguration": {"Enabled": False}},
            "QueryExecutionContext": self.context,
            "Status": status,
            "Statistics": {
                "EngineExecutionTimeInMillis": self.engine_ms,
                "DataScannedInBytes": self.scanned,
                "TotalExecutionTimeInMillis": total_ms,
                "QueryQueueTimeInMillis": queue_ms,
                "QueryPlanningTimeInMillis": 0,
                "ServiceProcessingTimeInMillis": max(0, total_ms - queue_ms - self.engine_ms),
                "ResultReuseInformation": {"ReusedPreviousResult": False},
            },
            "WorkGroup": self.workgroup,
            "EngineVersion": {"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"},
        }
        if self.substatement:
            doc["SubstatementType"] = self.substatement
        return doc


class AthenaEngine(Engine):
    name = "athena"
    order = 40
    services = ("athena", "glue")

    def start(self) -> None:
        self.cache_dir = self.ctx.state_dir / "s3cache"
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.store = S3Store(self.cache_dir)
        self.reader = TableReader(self.store)
        self.con = duckdb.connect(":memory:")
        # Parquet footers parsed once per file, not once per query (cache files never change:
        # their names carry the ETag).
        self.con.execute("SET parquet_metadata_cache = true")
        self.selects = SelectRunner(self.reader, self.con)
        self.statements = Statements(self.store, self.selects)
        self.pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="athena-query")
        self.executions: OrderedDict[str, Execution] = OrderedDict()
        self.lock = threading.Lock()
        self.crawlers = Crawlers(self.store)

    # ---- hooks ---------------------------------------------------------------------------------
    def before(self, call):
        if call.service == "glue":
            return self.crawlers.before(call)
        handler = getattr(self, f"_api_{call.action}", None)
        return handler(call) if handler else None

    def after(self, call, response):
        if call.service == "glue":
            return self.crawlers.after(call, response)
        return None

    def reset(self) -> None:
        with self.lock:
            running = list(self.executions.values())
            self.executions.clear()
        for ex in running:
            self._interrupt(ex)
        self.crawlers.reset()
        self.reader.clear()
        self.store.clear()
        shutil.rmtree(self.cache_dir, ignore_errors=True)
        self.cache_dir.mkdir(parents=True, exist_ok=True)

    def stop(self) -> None:
        with self.lock:
            running = list(self.executions.values())
        for ex in running:
            self._interrupt(ex)
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.crawlers.stop()
        self.store.clear()
        self.con.close()

    def status(self) -> dict:
        with self.lock:
            states = [e.state for e in self.executions.values()]
        return {"queries": len(states), "running": sum(s in ("QUEUED", "RUNNING") for s in states)}

    # ---- helpers ------------------------------------------------------------------------------------
    @staticmethod
    def _json(doc: dict) -> Response:
        return Response(200, {"Content-Type": "application/x-amz-json-1.1",
                              "x-amzn-RequestId": str(uuid.uuid4())}, json.dumps(doc).encode())

    def _get(self, call, qid: str | None):
        with self.lock:
            ex = self.executions.get(qid or "")
        if ex is None:
            return None, error(call, "InvalidRequestException", f"QueryExecution {qid} was not found")
        return ex, None

    def _workgroup(self, name: str):
        return self.ctx.backend("athena").work_groups.get(name)

    # ---- workgroups: AWS rejects unknown names where moto answers null ----------------------------
    def _api_GetWorkGroup(self, call):
        name = call.params.get("WorkGroup", "")
        if self._workgroup(name) is None:
            return error(call, "InvalidRequestException", f"WorkGroup {name} is not found.")
        return None

    def _api_DeleteWorkGroup(self, call):
        name = call.params.get("WorkGroup", "")
        if name == "primary":
            return error(call, "InvalidRequestException", "Primary WorkGroup cannot be deleted.")
        return self._api_GetWorkGroup(call)

    def _api_CreateWorkGroup(self, call):
        if self._workgroup(call.params.get("Name", "")) is not None:
            return error(call, "InvalidRequestException", "WorkGroup is already created")
        return None

    # ---- queries -------------------------------------------------------------------------------------
    def _api_StartQueryExecution(self, call):
        p = call.params
        query = p.get("QueryString") or ""
        wg_name = p.get("WorkGroup") or "primary"
        wg = self._workgroup(wg_name)
        if wg is None:
            return error(call, "InvalidRequestException", f"WorkGroup {wg_name} is not found.")
        if wg.state != "ENABLED":
            return error(call, "InvalidRequestException", f"WorkGroup {wg_name} is disabled.")
        wg_result = (wg.configuration or {}).get("ResultConfiguration") or {}
        client_result = dict(p.get("ResultConfiguration") or {})
        enforce = (wg.configuration or {}).get("EnforceWorkGroupConfiguration", True)
        location = (wg_result.get("OutputLocation") if enforce else None) or client_result.get("OutputLocation") \
            or wg_result.get("OutputLocation")
        if not location:
            return error(call, "InvalidRequestException", NO_OUTPUT)
        if not location.startswith("s3://"):
            return error(call, "InvalidRequestException", f"outputLocation is not a valid S3 path: {location}")
        qid = str(uuid.uuid4())
        context = dict(p.get("QueryExecutionContext") or {})
        ex = Execution(id=qid, query=query, context=context, workgroup=wg_name,
                       output_location=location.rstrip("/") + f"/{qid}.csv",
                       result_configuration={k: v for k, v in client_result.items() if k != "OutputLocation"})
        with self.lock:
            self.executions[qid] = ex
        self.pool.submit(self._run, ex)
        return self._json({"QueryExecutionId": qid})

    def _run(self, ex: Execution) -> None:
        if ex.state != "QUEUED":
            return
        ex.state, ex.started = "RUNNING", time.time()
        try:
            bucket, _ = split_s3(ex.output_location)
            if bucket not in self.store.backend().buckets:
                raise CatalogError("", f"Unable to verify/create output bucket {bucket}")
            db = (ex.context.get("Database") or "default").lower()
            out = self.statements.run(ex.query, db, ex.id, ex.output_location, ex.cursors)
            ex.statement_type, ex.substatement, ex.scanned = out.statement_type, out.substatement, out.scanned
            if out.statement_type == "DML":
                self.store.put(ex.output_location, csv_bytes(out.result))
                self.store.put(ex.output_location + ".metadata", metadata_bytes(out.result))
            else:
                ex.output_location = ex.output_location[:-4] + ".txt"
                self.store.put(ex.output_location, txt_bytes(out.result))
            ex.result = out.result
            final, reason = "SUCCEEDED", None
        except CatalogError as exc:
            final, reason = "FAILED", str(exc)
        except Exception as exc:  # an engine bug: fail the query, keep the daemon
            final, reason = "FAILED", f"GENERIC_INTERNAL_ERROR: {type(exc).__name__}: {exc}"
        ex.engine_ms = int((time.time() - ex.started) * 1000)
        if ex.state == "RUNNING":
            ex.state, ex.reason = final, reason
            ex.completed = time.time()
        ex.done.set()

    def _interrupt(self, ex: Execution) -> None:
        if ex.state in TERMINAL:
            return
        ex.state, ex.reason, ex.completed = "CANCELLED", "Query cancelled by user", time.time()
        for cur in list(ex.cursors):
            try:
                cur.interrupt()
            except duckdb.Error:
                pass
        ex.done.set()

    def _api_GetQueryExecution(self, call):
        ex, err = self._get(call, call.params.get("QueryExecutionId"))
        if err:
            return err
        ex.done.wait(LONG_POLL_S)
        return self._json({"QueryExecution": ex.describe()})

    def _api_BatchGetQueryExecution(self, call):
        found, missing = [], []
        for qid in call.params.get("QueryExecutionIds") or []:
            with self.lock:
                ex = self.executions.get(qid)
            if ex is None:
                missing.append({"QueryExecutionId": qid, "ErrorCode": "INVALID_INPUT",
                                "ErrorMessage": f"QueryExecution {qid} was not found"})
            else:
                found.append(ex.describe())
        return self._json({"QueryExecutions": found, "UnprocessedQueryExecutionIds": missing})

    def _api_GetQueryResults(self, call):
        ex, err = self._get(call, call.params.get("QueryExecutionId"))
        if err:
            return err
        if ex.state in ("QUEUED", "RUNNING"):
            return error(call, "InvalidRequestException", f"Query has not yet finished. Current state: {ex.state}")
        if ex.state != "SUCCEEDED":
            return error(call, "InvalidRequestException",
                         f"Query did not finish successfully. Final query state: {ex.state}")
        max_results = call.params.get("MaxResults")
        if max_results is not None and not 1 <= int(max_results) <= 1000:
            return error(call, "InvalidRequestException",
                         f"1 validation error detected: Value '{max_results}' at 'maxResults' failed to satisfy "
                         f"constraint: Member must have value less than or equal to 1000")
        try:
            return self._json(page(ex.result, max_results, call.params.get("NextToken")))
        except BadToken:
            return error(call, "InvalidRequestException", "Invalid NextToken")

    def _api_StopQueryExecution(self, call):
        ex, err = self._get(call, call.params.get("QueryExecutionId"))
        if err:
            return err
        self._interrupt(ex)
        return self._json({})

    def _api_ListQueryExecutions(self, call):
        wg = call.params.get("WorkGroup") or "primary"
        if self._workgroup(wg) is None:
            return error(call, "InvalidRequestException", f"WorkGroup {wg} is not found.")
        with self.lock:
            ids = [e.id for e in reversed(self.executions.values()) if e.workgroup == wg]
        n = int(call.params.get("MaxResults") or 50)
        start = int(call.params.get("NextToken") or 0)
        doc = {"QueryExecutionIds": ids[start:start + n]}
        if start + n < len(ids):
            doc["NextToken"] = str(start + n)
        return self._json(doc)


ENGINE = AthenaEngine

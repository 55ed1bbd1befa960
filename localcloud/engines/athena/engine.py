"""Athena engine: real SQL answers offline, as Athena engine version 3 gives them (lab 04).

moto stores Athena workgroups and the Glue catalog but never runs a query.  This engine
answers the query APIs itself and runs every statement for real:

* ``StartQueryExecution`` checks what AWS checks (the workgroup, an output location or managed
  query results, the 262,144-byte query limit) and returns at once; the statement runs on a
  worker thread (QUEUED -> RUNNING -> SUCCEEDED / FAILED / CANCELLED), as Athena is asynchronous.
* Queries are parsed as Trino SQL and translated to DuckDB with Trino's meaning (types,
  coercions, functions, errors: ``translate.py``, ``functions.py``), then run by DuckDB over the
  tables' S3 objects, read in-process (localcloud.seam), in a sandbox that reaches no other file
  (``runtime.py``).  DDL, MSCK REPAIR TABLE, ALTER TABLE ... PARTITION, SHOW/DESCRIBE, CREATE
  VIEW and CTAS go to the Glue catalog (``ddl.py``); INSERT INTO and UNLOAD write files
  (``dml.py``); PREPARE / EXECUTE / DEALLOCATE and the prepared-statement APIs keep statements
  per workgroup (``prepared.py``).
* ``GetQueryExecution`` reports real statistics (``DataScannedInBytes`` from the objects
  actually read, ``DataManifestLocation`` of a write) and Athena's failure reasons;
  ``GetQueryResults`` pages rows as strings with ColumnInfo; the CSV (or .txt) result file is
  written to the output location in S3.  The metadata API is answered from Glue (``metadata.py``).

``GetQueryExecution`` waits up to ``LONG_POLL_S`` for a running query before it answers, so a
client's first poll usually sees the final state: a 1-second pyathena poll then costs
milliseconds, while a long query is still seen RUNNING, as on AWS.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import duckdb

from ... import seam
from ...awserrors import error
from ...calls import Call, Response
from .. import Engine
from . import metadata, runtime
from .catalog import CatalogError
from .ddl import Statements
from .errors import InternalError
from .prepared import PreparedStatements
from .results import BadToken, Result, csv_bytes, metadata_bytes, page, txt_bytes
from .s3store import S3Store, split_s3
from .sql import STAGES, Cursors, SelectRunner
from .tables import TableReader

if TYPE_CHECKING:
    from ...persistence import RestoreReport
    from ...seam.models import AthenaWorkGroup as WorkGroup
    from ...seam.models import NamedQuery

_Item = TypeVar("_Item")  # what a paged list holds (ids, summaries)
log = logging.getLogger("localcloud.athena")

LONG_POLL_S = 0.25
MAX_QUERY_BYTES = 262_144  # StartQueryExecution's QueryString limit (Athena service quotas)
NO_OUTPUT = (
    "No output location provided. An output location is required either through the Workgroup "
    "result configuration setting or as an API input."
)
TERMINAL = ("SUCCEEDED", "FAILED", "CANCELLED")


@dataclass
class Execution:
    id: str
    query: str
    context: dict
    workgroup: str
    output_location: str | None  # s3://.../<id>.csv (.txt for DDL); None: managed query results
    result_configuration: dict
    state: str = "QUEUED"
    reason: str | None = None
    submitted: float = field(default_factory=time.time)
    started: float | None = None
    completed: float | None = None
    scanned: int = 0
    engine_ms: int = 0
    planning_ms: int = 0
    statement_type: str = "DML"
    substatement: str | None = None
    params: list[str] | None = None  # ExecutionParameters
    manifest_location: str | None = None
    result: Result | None = None
    cursors: Cursors = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)

    def describe(self) -> dict[str, object]:
        now = time.time()
        end = self.completed or now
        status: dict[str, object] = {"State": self.state, "SubmissionDateTime": self.submitted}
        if self.completed:
            status["CompletionDateTime"] = self.completed
        if self.reason:
            status["StateChangeReason"] = self.reason
            status["AthenaError"] = {
                "ErrorCategory": 2 if self.state == "FAILED" else 3,
                "Retryable": False,
                "ErrorMessage": self.reason,
            }
        queue_ms = int(((self.started or end) - self.submitted) * 1000)
        total_ms = int((end - self.submitted) * 1000)
        statistics: dict[str, object] = {
            "EngineExecutionTimeInMillis": self.engine_ms,
            "DataScannedInBytes": self.scanned,
            "TotalExecutionTimeInMillis": total_ms,
            "QueryQueueTimeInMillis": queue_ms,
            "QueryPlanningTimeInMillis": self.planning_ms,
            "ServiceProcessingTimeInMillis": max(0, total_ms - queue_ms - self.engine_ms),
            "ResultReuseInformation": {"ReusedPreviousResult": False},
        }
        if self.manifest_location:
            statistics["DataManifestLocation"] = self.manifest_location
        doc: dict[str, object] = {
            "QueryExecutionId": self.id,
            "Query": self.query,
            "StatementType": self.statement_type,
            "ResultConfiguration": dict(self.result_configuration, OutputLocation=self.output_location)
            if self.output_location
            else dict(self.result_configuration),
            "ResultReuseConfiguration": {"ResultReuseByAgeConfiguration": {"Enabled": False}},
            "QueryExecutionContext": self.context,
            "Status": status,
            "Statistics": statistics,
            "WorkGroup": self.workgroup,
            "EngineVersion": {"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"},
        }
        if self.substatement:
            doc["SubstatementType"] = self.substatement
        if self.output_location is None:
            doc["ManagedQueryResultsConfiguration"] = {"Enabled": True}
        if self.params:
            doc["ExecutionParameters"] = list(self.params)
        return doc


class AthenaEngine(Engine):
    name = "athena"
    order = 40
    services = ("athena",)

    def start(self) -> None:
        self.cache_dir = self.ctx.state_dir / "s3cache"
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.store = S3Store(self.cache_dir)
        self.reader = TableReader(self.store)
        # DuckDB reads only the engine's copies of S3 objects (and their Hive-style links)
        self.con = runtime.connect([self.cache_dir, self.store.links_dir()])
        self.selects = SelectRunner(self.reader, self.con)
        self.prepared = PreparedStatements()
        self.statements = Statements(self.store, self.selects, self.prepared)
        self.pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="athena-query")
        self.executions: OrderedDict[str, Execution] = OrderedDict()
        self.lock = threading.Lock()
        self._running = 0  # queries being run now (under self.lock); busy() tells the snapshotter

    # ---- lifecycle: the API operations are the _api_<Operation> methods below -------------------
    def reset(self) -> None:
        with self.lock:
            running = list(self.executions.values())
            self.executions.clear()
        for ex in running:
            self._interrupt(ex)
        self.prepared.clear()
        self.selects.clear()
        self.reader.clear()
        self.store.clear()
        shutil.rmtree(self.cache_dir, ignore_errors=True)
        self.cache_dir.mkdir(parents=True, exist_ok=True)

    def snapshot(self) -> dict:
        """Prepared statements survive stop/start, as they do in an Athena workgroup."""
        return {"prepared_statements": self.prepared.dump()}

    def restore(self, saved: dict | None, report: RestoreReport) -> None:
        self.prepared.load((saved or {}).get("prepared_statements") or [])

    def stop(self) -> None:
        with self.lock:
            running = list(self.executions.values())
        for ex in running:
            self._interrupt(ex)
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.store.remove()
        self.con.close()

    def status(self) -> dict:
        with self.lock:
            states = [e.state for e in self.executions.values()]
        return {"queries": len(states), "running": sum(s in ("QUEUED", "RUNNING") for s in states)}

    # ---- helpers ------------------------------------------------------------------------------------
    @staticmethod
    def _json(doc: dict[str, object]) -> Response:
        return Response(
            200,
            {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": str(uuid.uuid4())},
            json.dumps(doc).encode(),
        )

    def _get(self, call: Call, qid: str | None) -> Execution | Response:
        """The execution, or the error response for an unknown id."""
        with self.lock:
            ex = self.executions.get(qid or "")
        if ex is None:
            return error(call, "InvalidRequestException", f"QueryExecution {qid} was not found")
        return ex

    @staticmethod
    def _workgroup(name: str) -> WorkGroup | None:
        return seam.find_workgroup(name)

    # ---- workgroups: AWS rejects unknown names where moto answers null ----------------------------
    def _api_GetWorkGroup(self, call: Call) -> Response | None:
        name = call.params.get("WorkGroup", "")
        if self._workgroup(name) is None:
            return error(call, "InvalidRequestException", f"WorkGroup {name} is not found.")
        return None

    def _api_DeleteWorkGroup(self, call: Call) -> Response | None:
        name = call.params.get("WorkGroup", "")
        if name == "primary":
            return error(call, "InvalidRequestException", "Primary WorkGroup cannot be deleted.")
        return self._api_GetWorkGroup(call)

    def _api_CreateWorkGroup(self, call: Call) -> Response | None:
        if self._workgroup(call.params.get("Name", "")) is not None:
            return error(call, "InvalidRequestException", "WorkGroup is already created")
        return None

    # ---- queries -------------------------------------------------------------------------------------
    def _api_StartQueryExecution(self, call: Call) -> Response | None:
        p = call.params
        query = p.get("QueryString") or ""
        if len(query.encode()) > MAX_QUERY_BYTES:
            return error(
                call,
                "InvalidRequestException",
                "queryString failed to satisfy constraint: "
                f"Member must have length less than or equal to {MAX_QUERY_BYTES}",
            )
        wg_name = p.get("WorkGroup") or "primary"
        wg = self._workgroup(wg_name)
        if wg is None:
            return error(call, "InvalidRequestException", f"WorkGroup {wg_name} is not found.")
        if wg.state != "ENABLED":
            return error(call, "InvalidRequestException", f"WorkGroup {wg_name} is disabled.")
        wg_result = (wg.configuration or {}).get("ResultConfiguration") or {}
        client_result = dict(p.get("ResultConfiguration") or {})
        enforce = (wg.configuration or {}).get("EnforceWorkGroupConfiguration", True)
        location = (
            (wg_result.get("OutputLocation") if enforce else None)
            or client_result.get("OutputLocation")
            or wg_result.get("OutputLocation")
        )
        # A workgroup with managed query results keeps results itself: no output location
        # (https://docs.aws.amazon.com/athena/latest/ug/managed-results.html).
        managed = bool(((wg.configuration or {}).get("ManagedQueryResultsConfiguration") or {}).get("Enabled"))
        if managed and client_result.get("OutputLocation"):
            return error(
                call,
                "InvalidRequestException",
                f"WorkGroup {wg_name} uses managed query results: do not set ResultConfiguration.OutputLocation",
            )
        if not location and not managed:
            return error(call, "InvalidRequestException", NO_OUTPUT)
        if location and not location.startswith("s3://"):
            return error(call, "InvalidRequestException", f"outputLocation is not a valid S3 path: {location}")
        qid = str(uuid.uuid4())
        context = dict(p.get("QueryExecutionContext") or {})
        ex = Execution(
            id=qid,
            query=query,
            context=context,
            workgroup=wg_name,
            output_location=None if managed or not location else location.rstrip("/") + f"/{qid}.csv",
            result_configuration={k: v for k, v in client_result.items() if k != "OutputLocation"},
            params=list(p["ExecutionParameters"]) if p.get("ExecutionParameters") else None,
        )
        with self.lock:
            self.executions[qid] = ex
        self.pool.submit(self._run, ex)
        return self._json({"QueryExecutionId": qid})

    def busy(self) -> bool:
        """A query runs: the daemon's state snapshot (seconds of CPU with much S3 data) waits for it."""
        return self._running > 0

    def _run(self, ex: Execution) -> None:
        with self.lock:
            self._running += 1
        try:
            self._run_query(ex)
        finally:
            with self.lock:
                self._running -= 1

    def _run_query(self, ex: Execution) -> None:
        if ex.state != "QUEUED":
            return
        ex.state, ex.started = "RUNNING", time.time()
        STAGES.planned = STAGES.executed = None
        ran = None
        try:
            if ex.output_location:
                bucket, _ = split_s3(ex.output_location)
                if not self.store.bucket_exists(bucket):
                    raise CatalogError("", f"Unable to verify/create output bucket {bucket}")
            # a Hive-quoted name (awswrangler's repair_table sends `db`) names the same database
            db = (ex.context.get("Database") or "default").strip().strip("`").lower()
            out = self.statements.run(
                ex.query, db, ex.id, ex.output_location, ex.cursors, workgroup=ex.workgroup, params=ex.params
            )
            ran = time.time()
            ex.statement_type, ex.substatement, ex.scanned = out.statement_type, out.substatement, out.scanned
            if out.manifest is not None and ex.output_location:
                # the files a write produced (Athena's data manifest; awswrangler reads it)
                ex.manifest_location = ex.output_location[:-4] + "-manifest.csv"
                self.store.put(ex.manifest_location, "".join(f + "\n" for f in out.manifest).encode())
            if not ex.output_location:
                pass  # managed query results: GetQueryResults answers from ex.result
            elif out.statement_type == "DML":
                self.store.put(ex.output_location, csv_bytes(out.result))
                self.store.put(ex.output_location + ".metadata", metadata_bytes(out.result))
            else:
                ex.output_location = ex.output_location[:-4] + ".txt"
                self.store.put(ex.output_location, txt_bytes(out.result))
            ex.result = out.result
            final, reason = "SUCCEEDED", None
        except InternalError as exc:
            log.error("query %s failed with an internal error: %s\n%s", ex.id, exc, ex.query[:2000])
            final, reason = "FAILED", str(exc)
        except CatalogError as exc:
            final, reason = "FAILED", str(exc)
        except Exception as exc:  # an engine bug: fail the query, keep the daemon, log the traceback
            log.exception("query %s failed with an internal error\n%s", ex.id, ex.query[:2000])
            final, reason = "FAILED", f"GENERIC_INTERNAL_ERROR: {type(exc).__name__}: {exc}"
        # Athena's split: planning is part of the engine's time; turning the rows into strings and
        # writing the result files is service processing
        executed = STAGES.executed or ran or time.time()
        ex.engine_ms = int((executed - ex.started) * 1000)
        ex.planning_ms = int(((STAGES.planned or ex.started) - ex.started) * 1000)
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

    def _api_GetQueryExecution(self, call: Call) -> Response | None:
        ex = self._get(call, call.params.get("QueryExecutionId"))
        if isinstance(ex, Response):
            return ex
        ex.done.wait(LONG_POLL_S)
        return self._json({"QueryExecution": ex.describe()})

    def _api_BatchGetQueryExecution(self, call: Call) -> Response | None:
        found, missing = [], []
        for qid in call.params.get("QueryExecutionIds") or []:
            with self.lock:
                ex = self.executions.get(qid)
            if ex is None:
                missing.append(
                    {
                        "QueryExecutionId": qid,
                        "ErrorCode": "INVALID_INPUT",
                        "ErrorMessage": f"QueryExecution {qid} was not found",
                    }
                )
            else:
                found.append(ex.describe())
        return self._json({"QueryExecutions": found, "UnprocessedQueryExecutionIds": missing})

    def _api_GetQueryResults(self, call: Call) -> Response | None:
        ex = self._get(call, call.params.get("QueryExecutionId"))
        if isinstance(ex, Response):
            return ex
        if ex.state in ("QUEUED", "RUNNING"):
            return error(call, "InvalidRequestException", f"Query has not yet finished. Current state: {ex.state}")
        if ex.state != "SUCCEEDED" or ex.result is None:
            return error(
                call, "InvalidRequestException", f"Query did not finish successfully. Final query state: {ex.state}"
            )
        max_results = call.params.get("MaxResults")
        if max_results is not None and not 1 <= int(max_results) <= 1000:
            return error(
                call,
                "InvalidRequestException",
                f"1 validation error detected: Value '{max_results}' at 'maxResults' failed to satisfy "
                f"constraint: Member must have value less than or equal to 1000",
            )
        try:
            return self._json(page(ex.result, max_results, call.params.get("NextToken")))
        except BadToken:
            return error(call, "InvalidRequestException", "Invalid NextToken")

    def _api_StopQueryExecution(self, call: Call) -> Response | None:
        ex = self._get(call, call.params.get("QueryExecutionId"))
        if isinstance(ex, Response):
            return ex
        self._interrupt(ex)
        return self._json({})

    def _api_ListQueryExecutions(self, call: Call) -> Response | None:
        wg = call.params.get("WorkGroup") or "primary"
        if self._workgroup(wg) is None:
            return error(call, "InvalidRequestException", f"WorkGroup {wg} is not found.")
        with self.lock:
            ids = [e.id for e in reversed(self.executions.values()) if e.workgroup == wg]
        n = int(call.params.get("MaxResults") or 50)
        start = int(call.params.get("NextToken") or 0)
        doc: dict[str, object] = {"QueryExecutionIds": ids[start : start + n]}
        if start + n < len(ids):
            doc["NextToken"] = str(start + n)
        return self._json(doc)

    # ---- the metadata API, answered from Glue (metadata.py) -------------------------------------------
    def _metadata(self, call: Call, fn: Callable[..., dict[str, object]], *args: object) -> Response:
        try:
            return self._json(fn(*args))
        except metadata.MetadataError as exc:
            return error(call, exc.code, exc.message)

    def _api_ListDataCatalogs(self, call: Call) -> Response | None:
        others = [
            {"CatalogName": name, "Type": kind}
            for name, kind in seam.athena_data_catalogs()
            if name.lower() != metadata.GLUE_CATALOG.lower()
        ]
        return self._metadata(
            call,
            lambda: self._paged("DataCatalogsSummary", [metadata.glue_catalog_summary(), *others], call),
        )

    def _paged(self, key: str, items: list[_Item], call: Call) -> dict[str, object]:
        chunk, nxt = metadata.page(items, call.params.get("MaxResults"), call.params.get("NextToken"))
        doc: dict[str, object] = {key: chunk}
        if nxt:
            doc["NextToken"] = nxt
        return doc

    def _api_GetDataCatalog(self, call: Call) -> Response | None:
        name = call.params.get("Name") or ""
        if name.lower() == metadata.GLUE_CATALOG.lower():
            return self._json({"DataCatalog": metadata.glue_catalog(self.ctx.account_id)})
        if name not in dict(seam.athena_data_catalogs()):
            return error(call, "InvalidRequestException", f"Datacatalog {name} was not found")
        return None  # a catalog made with CreateDataCatalog: moto's

    def _api_ListDatabases(self, call: Call) -> Response | None:
        p = call.params
        return self._metadata(
            call, metadata.list_databases, p.get("CatalogName"), p.get("MaxResults"), p.get("NextToken")
        )

    def _api_GetDatabase(self, call: Call) -> Response | None:
        p = call.params
        return self._metadata(call, metadata.get_database, p.get("CatalogName"), p.get("DatabaseName"))

    def _api_GetTableMetadata(self, call: Call) -> Response | None:
        p = call.params
        return self._metadata(
            call, metadata.get_table_metadata, p.get("CatalogName"), p.get("DatabaseName"), p.get("TableName")
        )

    def _api_ListTableMetadata(self, call: Call) -> Response | None:
        p = call.params
        return self._metadata(
            call,
            metadata.list_table_metadata,
            p.get("CatalogName"),
            p.get("DatabaseName"),
            p.get("Expression"),
            p.get("MaxResults"),
            p.get("NextToken"),
        )

    # ---- named queries: moto keeps them; these are the calls it lacks or answers wrongly ----------------
    @staticmethod
    def _named(nq: NamedQuery) -> dict[str, object]:
        doc: dict[str, object] = {
            "Name": nq.name,
            "Database": nq.database,
            "QueryString": nq.query_string,
            "NamedQueryId": nq.id,
            "WorkGroup": nq.workgroup.name,
        }
        if nq.description:
            doc["Description"] = nq.description
        return doc

    def _api_GetNamedQuery(self, call: Call) -> Response | None:
        qid = call.params.get("NamedQueryId") or ""
        nq = seam.athena_named_queries().get(qid)
        if nq is None:
            return error(call, "InvalidRequestException", f"NamedQuery {qid} was not found")
        return self._json({"NamedQuery": self._named(nq)})

    def _api_BatchGetNamedQuery(self, call: Call) -> Response | None:
        found, missing = [], []
        saved = seam.athena_named_queries()
        for qid in call.params.get("NamedQueryIds") or []:
            nq = saved.get(qid)
            if nq is None:
                missing.append(
                    {
                        "NamedQueryId": qid,
                        "ErrorCode": "INVALID_INPUT",
                        "ErrorMessage": f"NamedQuery {qid} was not found",
                    }
                )
            else:
                found.append(self._named(nq))
        return self._json({"NamedQueries": found, "UnprocessedNamedQueryIds": missing})

    def _api_DeleteNamedQuery(self, call: Call) -> Response | None:
        qid = call.params.get("NamedQueryId") or ""
        if seam.athena_named_queries().pop(qid, None) is None:
            return error(call, "InvalidRequestException", f"NamedQuery {qid} was not found")
        return self._json({})

    def _api_CreateNamedQuery(self, call: Call) -> Response | None:
        wg = call.params.get("WorkGroup") or "primary"
        if self._workgroup(wg) is None:
            return error(call, "InvalidRequestException", f"WorkGroup {wg} is not found.")
        return None

    def _api_ListNamedQueries(self, call: Call) -> Response | None:
        wg = call.params.get("WorkGroup") or "primary"
        if self._workgroup(wg) is None:
            return error(call, "InvalidRequestException", f"WorkGroup {wg} is not found.")
        ids = [q.id for q in seam.athena_named_queries().values() if q.workgroup.name == wg]
        return self._metadata(call, lambda: self._paged("NamedQueryIds", ids, call))

    # ---- prepared statements (kept per workgroup, prepared.py) ------------------------------------------
    def _statement_call(self, call: Call) -> tuple[str, Response | None]:
        """(workgroup name, the error response when it does not exist)."""
        wg = call.params.get("WorkGroup") or ""
        if self._workgroup(wg) is None:
            return wg, error(call, "InvalidRequestException", f"WorkGroup {wg} is not found.")
        return wg, None

    def _api_CreatePreparedStatement(self, call: Call) -> Response | None:
        wg, err = self._statement_call(call)
        if err:
            return err
        name, sql = call.params.get("StatementName") or "", call.params.get("QueryStatement") or ""
        if self.prepared.get(wg, name.lower()) is not None:
            return error(call, "InvalidRequestException", f"Prepared statement {name} already exists in WorkGroup {wg}")
        try:
            self.statements.check_preparable(sql)
        except CatalogError as exc:
            return error(call, "InvalidRequestException", str(exc))
        self.prepared.put(wg, name.lower(), sql, call.params.get("Description"))
        return self._json({})

    def _api_UpdatePreparedStatement(self, call: Call) -> Response | None:
        wg, err = self._statement_call(call)
        if err:
            return err
        name, sql = call.params.get("StatementName") or "", call.params.get("QueryStatement") or ""
        if self.prepared.get(wg, name.lower()) is None:
            return error(
                call, "ResourceNotFoundException", f"Prepared statement {name} was not found in WorkGroup {wg}"
            )
        try:
            self.statements.check_preparable(sql)
        except CatalogError as exc:
            return error(call, "InvalidRequestException", str(exc))
        self.prepared.put(wg, name.lower(), sql, call.params.get("Description"))
        return self._json({})

    def _api_GetPreparedStatement(self, call: Call) -> Response | None:
        wg, err = self._statement_call(call)
        if err:
            return err
        name = call.params.get("StatementName") or ""
        doc = self.prepared.get(wg, name.lower())
        if doc is None:
            return error(
                call, "ResourceNotFoundException", f"Prepared statement {name} was not found in WorkGroup {wg}"
            )
        return self._json({"PreparedStatement": doc})

    def _api_BatchGetPreparedStatement(self, call: Call) -> Response | None:
        wg, err = self._statement_call(call)
        if err:
            return err
        found, missing = [], []
        for name in call.params.get("PreparedStatementNames") or []:
            doc = self.prepared.get(wg, name.lower())
            if doc is None:
                missing.append(
                    {
                        "StatementName": name,
                        "ErrorCode": "INVALID_INPUT",
                        "ErrorMessage": f"Prepared statement {name} was not found",
                    }
                )
            else:
                found.append(doc)
        return self._json({"PreparedStatements": found, "UnprocessedPreparedStatementNames": missing})

    def _api_ListPreparedStatements(self, call: Call) -> Response | None:
        wg, err = self._statement_call(call)
        if err:
            return err
        return self._metadata(call, lambda: self._paged("PreparedStatements", self.prepared.names(wg), call))

    def _api_DeletePreparedStatement(self, call: Call) -> Response | None:
        wg, err = self._statement_call(call)
        if err:
            return err
        name = call.params.get("StatementName") or ""
        if not self.prepared.delete(wg, name.lower()):
            return error(
                call, "ResourceNotFoundException", f"Prepared statement {name} was not found in WorkGroup {wg}"
            )
        return self._json({})

    # ---- work groups: the update moto lacks ------------------------------------------------------------
    def _api_UpdateWorkGroup(self, call: Call) -> Response | None:
        name = call.params.get("WorkGroup") or ""
        wg = self._workgroup(name)
        if wg is None:
            return error(call, "InvalidRequestException", f"WorkGroup {name} is not found.")
        state = call.params.get("State")
        if state is not None and state not in ("ENABLED", "DISABLED"):
            return error(call, "InvalidRequestException", f"Invalid State {state}")
        if name == "primary" and state == "DISABLED":
            return error(call, "InvalidRequestException", "Primary WorkGroup cannot be disabled.")
        seam.athena_update_workgroup(
            wg,
            description=call.params.get("Description"),
            state=state,
            updates=call.params.get("ConfigurationUpdates") or {},
        )
        return self._json({})

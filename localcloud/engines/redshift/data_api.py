"""The Redshift Data API: statements run asynchronously, described, paged, listed, cancelled.

Requests and responses are the dicts boto3's ``redshift-data`` client sends and expects
(PascalCase members); failures raise :class:`ApiError`.  A statement runs on a worker thread in
its own database session (or a kept-alive one: ``SessionKeepAliveSeconds``/``SessionId``),
going ``SUBMITTED`` → ``STARTED`` → ``FINISHED``/``FAILED``/``ABORTED``.

Credentials: ``SecretArn`` is resolved by the wiring's ``resolve_secret(arn) -> {"username",
"password"}`` and the password is checked; ``DbUser`` (clusters) and the caller's IAM
identity (Serverless without a secret: database user ``IAM:<name>``, created on first use as
Redshift does) are trusted, as the IAM authentication in front of them already happened.

Results are paged by size: localcloud cuts a page at ``page_bytes`` of JSON (default 1 MiB;
AWS does not document its page size) and hands back an opaque ``NextToken``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlglot.tokens import TokenType

from .errors import ApiError, SqlError
from .pgwire import Field, Result, not_null
from .sqltext import quote_ident, split, tokens

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from .runtime import Runtime
    from .session import Session
    from .warehouse import Warehouse

LONG_TYPES = {20, 21, 23, 26}  # int8, int2, int4, oid
DOUBLE_TYPES = {700, 701}
BOOL_TYPES = {16}
SIGNED_TYPES = LONG_TYPES | DOUBLE_TYPES | {1700}
TEXT_TYPES = {25, 1043, 1042, 18, 19}
PRECISION = {20: 19, 21: 5, 23: 10, 26: 10, 700: 8, 701: 17, 16: 1, 1082: 13, 1114: 29, 1184: 35}
MAX_KEEP_ALIVE = 86400


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Statement:
    id: str
    sql: str
    target: dict  # WorkgroupName or ClusterIdentifier, Database, SecretArn/DbUser
    params: list[dict]
    name: str | None
    created: dt.datetime
    updated: dt.datetime
    status: str = "SUBMITTED"
    error: str | None = None
    duration_ns: int = -1
    result: Result | None = None
    result_rows: int = -1
    result_size: int = -1
    query_id: int = -1
    pid: int = -1
    subs: list[Statement] = field(default_factory=list)
    is_batch: bool = False
    session: Session | None = None
    warehouse: Warehouse | None = None
    session_id: str | None = None
    cancelled: bool = False

    def has_result_set(self) -> bool:
        return self.result is not None and self.result.fields is not None


@dataclass
class KeptSession:
    session: Session
    target: dict
    expires: float
    busy: bool = False


class DataApi:
    def __init__(self, runtime: Runtime, page_bytes: int = 1024 * 1024, workers: int = 4) -> None:
        self.runtime = runtime
        self.page_bytes = page_bytes
        self.statements: dict[str, Statement] = {}
        self.sessions: dict[str, KeptSession] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="redshift-data")
        self.resolve_secret: Callable[[str], dict] | None = None
        self.iam_identity: Callable[[], str] = lambda: "learner"

    # -- requests ---------------------------------------------------------------------------------
    def execute_statement(self, p: dict) -> dict:
        sql = p.get("Sql")
        if not sql or not isinstance(sql, str):
            raise ApiError("ValidationException", "Sql must be a non-empty string.")
        return self._submit([sql], p, batch=False)

    def batch_execute_statement(self, p: dict) -> dict:
        sqls = p.get("Sqls") or []
        if not sqls or len(sqls) > 40:
            raise ApiError("ValidationException", "Sqls must hold 1 to 40 statements.")
        if p.get("Parameters"):
            raise ApiError("ValidationException", "Parameters are not supported with BatchExecuteStatement.")
        return self._submit(list(sqls), p, batch=True)

    def _submit(self, sqls: list[str], p: dict, batch: bool) -> dict:
        target = self._target(p)
        kept = None
        if p.get("SessionId"):
            kept = self._kept(p["SessionId"])
            target = kept.target
        wh = self._warehouse(target)
        if not batch:
            bind_named(sqls[0], list(p.get("Parameters") or []))  # refuse bad parameters now, as AWS does
        keep = p.get("SessionKeepAliveSeconds")
        if keep is not None and not 0 <= int(keep) <= MAX_KEEP_ALIVE:
            raise ApiError("ValidationException", f"SessionKeepAliveSeconds must be between 0 and {MAX_KEEP_ALIVE}.")
        self._expire_sessions()
        try:
            several = not batch and len(split(sqls[0])) > 1
        except SqlError:
            several = False  # unreadable SQL: let the statement run and fail with the database's error
        if several:
            raise ApiError(
                "ValidationException", "ExecuteStatement runs one SQL statement; use BatchExecuteStatement for several."
            )
        # A kept-alive session is opened now (its SessionId must work at once); others on the worker,
        # so queued statements do not hold database connections.
        new_kept = self._open_session(wh, target) if kept is None and keep else None
        session = new_kept if kept is None else kept.session
        now = _now()
        sid = str(uuid.uuid4())
        st = Statement(
            sid,
            sqls[0] if not batch else "; ".join(sqls),
            target,
            list(p.get("Parameters") or []),
            p.get("StatementName"),
            now,
            now,
            is_batch=batch,
        )
        if batch:
            st.subs = [Statement(f"{sid}:{i + 1}", s, target, [], None, now, now) for i, s in enumerate(sqls)]
        if kept is not None:
            st.session_id = p["SessionId"]
            kept.busy = True
        elif keep and new_kept is not None:
            st.session_id = str(uuid.uuid4())
            with self._lock:
                self.sessions[st.session_id] = KeptSession(new_kept, target, time.time() + int(keep))
        with self._lock:
            self.statements[sid] = st
        st.session = session
        st.pid = session.conn.pid if session else -1
        st.warehouse = wh
        self._pool.submit(self._run, st, kept is not None or bool(st.session_id), int(keep or 0))
        out: dict[str, object] = {"Id": sid, "CreatedAt": now, "Database": target["Database"]}
        for k in ("ClusterIdentifier", "WorkgroupName", "SecretArn", "DbUser"):
            if target.get(k):
                out[k] = target[k]
        if st.session_id:
            out["SessionId"] = st.session_id
        return out

    def _target(self, p: dict) -> dict:
        wg, cluster = p.get("WorkgroupName"), p.get("ClusterIdentifier")
        if p.get("SessionId"):
            if wg or cluster or p.get("Database") or p.get("SecretArn") or p.get("DbUser"):
                raise ApiError(
                    "ValidationException",
                    "SessionId can't be used with ClusterIdentifier, WorkgroupName, Database, SecretArn or DbUser.",
                )
            return {}
        if bool(wg) == bool(cluster):
            raise ApiError("ValidationException", "Either ClusterIdentifier or WorkgroupName must be specified.")
        if not p.get("Database"):
            raise ApiError("ValidationException", "Database must be specified.")
        if p.get("SecretArn") and p.get("DbUser"):
            raise ApiError("ValidationException", "SecretArn and DbUser can't be used together.")
        if cluster and not (p.get("SecretArn") or p.get("DbUser")):
            raise ApiError("ValidationException", "SecretArn or DbUser is required with ClusterIdentifier.")
        if wg and p.get("DbUser"):
            raise ApiError("ValidationException", "DbUser can't be used with WorkgroupName.")
        return {k: p[k] for k in ("WorkgroupName", "ClusterIdentifier", "Database", "SecretArn", "DbUser") if p.get(k)}

    def _warehouse(self, target: dict) -> Warehouse:
        if target.get("WorkgroupName"):
            wh, _ = self.runtime.serverless.warehouse_for_workgroup(target["WorkgroupName"])
            return wh
        wh = self.runtime.warehouse(f"cluster:{target['ClusterIdentifier']}")
        if wh is None or not wh.running:
            raise ApiError("ValidationException", f"Cluster {target['ClusterIdentifier']} not found or not available.")
        return wh

    def _open_session(self, wh: Warehouse, target: dict) -> Session:
        try:
            if target.get("SecretArn"):
                if self.resolve_secret is None:
                    raise ApiError("ValidationException", "SecretArn needs Secrets Manager (not wired).")
                secret = self.resolve_secret(target["SecretArn"])
                return wh.open_session(secret["username"], target["Database"], secret["password"])
            if target.get("DbUser"):
                return wh.open_session(target["DbUser"], target["Database"])
            user = f"IAM:{self.iam_identity()}"
            wh.admin_simple(
                "postgres",
                f"DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {_lit(user)}) THEN "
                f"CREATE ROLE {quote_ident(user)} LOGIN; END IF; END$$",
            )
            return wh.open_session(user, target["Database"])
        except SqlError as exc:
            raise ApiError("ExecuteStatementException", f"FATAL: {exc.message}") from None

    def _expire_sessions(self) -> None:
        now = time.time()
        with self._lock:
            gone = [k for k, v in self.sessions.items() if v.expires < now and not v.busy]
            dropped = [self.sessions.pop(k) for k in gone]
        for kept in dropped:
            kept.session.warehouse.end_session(kept.session)

    def _kept(self, session_id: str) -> KeptSession:
        with self._lock:
            kept = self.sessions.get(session_id)
        if kept is None or kept.expires < time.time():
            raise ApiError("ValidationException", f"Session {session_id} is not available or has expired.")
        if kept.busy:
            raise ApiError("ActiveSessionsExceededException", f"Session {session_id} is running a statement.")
        return kept

    # -- execution ----------------------------------------------------------------------------------
    def _run(self, st: Statement, keep: bool, keep_seconds: int) -> None:
        if st.cancelled:
            st.status, st.updated = "ABORTED", _now()
            if keep and st.session_id in self.sessions:
                self.sessions[st.session_id].busy = False
            return
        if st.session is None:
            try:
                if st.warehouse is None:  # set by _submit before the statement is queued
                    raise ApiError("ExecuteStatementException", "FATAL: the statement has no warehouse")
                st.session = self._open_session(st.warehouse, st.target)
            except ApiError as exc:
                st.status, st.error, st.updated = "FAILED", exc.message, _now()
                return
            except Exception as exc:  # e.g. a secret without a password, a socket gone: never stuck SUBMITTED
                log.exception("redshift data api: could not open a session for %s", st.id)
                st.status, st.updated = "FAILED", _now()
                st.error = f"FATAL: could not open a session: {type(exc).__name__}: {exc}"
                return
            st.pid = st.session.conn.pid
        session = st.session
        st.status = "STARTED"
        st.updated = _now()
        t0 = time.monotonic_ns()
        try:
            if st.is_batch:
                self._run_batch(st, session)
            else:
                sql, values = bind_named(st.sql, st.params)
                result, _ = session.run(sql, values)
                self._finish(st, result, session, t0)
        except SqlError as exc:
            if st.status == "STARTED":
                st.status = "ABORTED" if st.cancelled else "FAILED"
                st.error = f"ERROR: {exc.message}"
        except ApiError as exc:
            st.status, st.error = "FAILED", exc.message
        except Exception as exc:  # keep the statement's record honest about an internal failure
            st.status, st.error = "FAILED", f"ERROR: internal error: {exc}"
        finally:
            st.duration_ns = time.monotonic_ns() - t0
            st.updated = _now()
            st.session = None
            if keep and st.session_id:
                with self._lock:
                    kept = self.sessions.get(st.session_id)
                    if kept is not None:
                        kept.busy = False
                        if keep_seconds:
                            kept.expires = time.time() + keep_seconds
            else:
                session.warehouse.end_session(session)

    def _finish(self, st: Statement, result: Result, session: Session, t0: int) -> None:
        st.result = result
        st.query_id = session.last.get("query_id", -1)
        if result.fields is not None:
            st.result_rows = len(result.rows)
            st.result_size = sum(len(v) for row in result.rows for v in row if v is not None)
        else:
            st.result_rows = max(result.rowcount, 0) if result.rowcount >= 0 else 0
            st.result_size = 0
        st.duration_ns = time.monotonic_ns() - t0
        st.status = "ABORTED" if st.cancelled else "FINISHED"

    def _run_batch(self, st: Statement, session: Session) -> None:
        session.execute("BEGIN")
        failed = False
        for sub in st.subs:
            if failed:
                sub.status = "ABORTED"
                continue
            t0 = time.monotonic_ns()
            sub.status = "STARTED"
            try:
                result, _ = session.run(sub.sql)
                self._finish(sub, result, session, t0)
            except SqlError as exc:
                sub.status, sub.error = "FAILED", f"ERROR: {exc.message}"
                sub.duration_ns = time.monotonic_ns() - t0
                failed = True
            sub.updated = _now()
        if failed:
            session.execute("ROLLBACK")
            st.status = "FAILED"
            st.error = next(s.error for s in st.subs if s.error)
        else:
            session.execute("COMMIT")
            st.status = "FINISHED"
            st.query_id = st.subs[-1].query_id

    # -- describe / results / list / cancel ----------------------------------------------------------
    def _get(self, sid: str | None) -> Statement:
        if not sid:
            raise ApiError("ValidationException", "Id must be specified.")
        base, _, sub = sid.partition(":")
        with self._lock:
            st = self.statements.get(base)
        if st is None:
            raise ApiError("ResourceNotFoundException", f"Query does not exist: {sid}")
        if sub:
            if not st.is_batch or not sub.isdigit() or not 1 <= int(sub) <= len(st.subs):
                raise ApiError("ResourceNotFoundException", f"Query does not exist: {sid}")
            return st.subs[int(sub) - 1]
        return st

    def describe_statement(self, p: dict) -> dict:
        st = self._get(p.get("Id"))
        out = {
            "Id": st.id,
            "Status": st.status,
            "CreatedAt": st.created,
            "UpdatedAt": st.updated,
            "Duration": st.duration_ns,
            "HasResultSet": st.has_result_set(),
            "QueryString": st.sql,
            "ResultRows": st.result_rows,
            "ResultSize": st.result_size,
            "RedshiftPid": st.pid,
            "RedshiftQueryId": st.query_id if st.query_id > 0 else 0,
            "Database": st.target.get("Database", ""),
        }
        for k in ("ClusterIdentifier", "WorkgroupName", "SecretArn", "DbUser"):
            if st.target.get(k):
                out[k] = st.target[k]
        if st.error:
            out["Error"] = st.error
        if st.params:
            out["QueryParameters"] = st.params
        if st.session_id:
            out["SessionId"] = st.session_id
        if st.is_batch:
            out["SubStatements"] = [
                {
                    k: v
                    for k, v in {
                        "Id": s.id,
                        "Status": s.status,
                        "CreatedAt": s.created,
                        "UpdatedAt": s.updated,
                        "Duration": s.duration_ns,
                        "QueryString": s.sql,
                        "ResultRows": s.result_rows,
                        "ResultSize": s.result_size,
                        "RedshiftQueryId": max(s.query_id, 0),
                        "HasResultSet": s.has_result_set(),
                        "Error": s.error,
                    }.items()
                    if v is not None
                }
                for s in st.subs
            ]
        return out

    def get_statement_result(self, p: dict) -> dict:
        st = self._get(p.get("Id"))
        if st.is_batch:
            raise ApiError(
                "ValidationException", "Use the Id of a sub-statement (<Id>:<n>) to get a batch statement's result."
            )
        if st.status != "FINISHED":
            raise ApiError("ResourceNotFoundException", "Query does not have result. Please check query status.")
        if not st.has_result_set():
            raise ApiError("ResourceNotFoundException", "Query does not have result. Please check query status.")
        res = st.result
        if res is None or res.fields is None:  # has_result_set() said otherwise
            raise ApiError("ResourceNotFoundException", "Query does not have result. Please check query status.")
        fields = res.fields
        start = 0
        if p.get("NextToken"):
            try:
                token = json.loads(bytes.fromhex(p["NextToken"]).decode())
                assert token["id"] == st.id
                start = int(token["row"])
            except Exception:
                raise ApiError("ValidationException", "Invalid NextToken.") from None
        meta = self._column_metadata(fields, st.target)
        records: list[list[dict[str, object]]] = []
        size, i = 0, start
        while i < len(res.rows):
            rec = [_field(v, f.type_oid) for v, f in zip(res.rows[i], fields)]
            size += len(json.dumps(rec))
            if records and size > self.page_bytes:
                break
            records.append(rec)
            i += 1
        out: dict[str, object] = {"Records": records, "ColumnMetadata": meta, "TotalNumRows": len(res.rows)}
        if i < len(res.rows):
            out["NextToken"] = json.dumps({"id": st.id, "row": i}).encode().hex()
        return out

    def _column_metadata(self, fields: list[Field], target: dict) -> list[dict]:
        wh = self._warehouse(target)
        names = _type_names(wh)
        tables = _table_names(wh, target.get("Database", "dev"), {f.table_oid for f in fields})
        out = []
        for f in fields:
            tname = names.get(f.type_oid, str(f.type_oid))
            precision, scale, length = PRECISION.get(f.type_oid, 0), 0, 0
            if f.type_oid == 1700 and f.typmod > 0:
                precision, scale = ((f.typmod - 4) >> 16) & 0xFFFF, (f.typmod - 4) & 0xFFFF
            elif f.type_oid in (1043, 1042) and f.typmod > 0:
                precision = length = f.typmod - 4
            elif f.type_oid == 1700:
                precision = 38
            schema, table = tables.get(f.table_oid, ("", ""))
            out.append(
                {
                    "isCaseSensitive": f.type_oid in TEXT_TYPES,
                    "isCurrency": False,
                    "isSigned": f.type_oid in SIGNED_TYPES,
                    "label": f.name,
                    "name": f.name,
                    "nullable": 1,
                    "precision": precision,
                    "scale": scale,
                    "schemaName": schema,
                    "tableName": table,
                    "typeName": tname,
                    "length": length,
                }
            )
        return out

    def list_statements(self, p: dict) -> dict:
        status = p.get("Status", "ALL")
        name = p.get("StatementName")
        with self._lock:
            items = sorted(self.statements.values(), key=lambda s: s.created, reverse=True)
        out = []
        for s in items:
            if status != "ALL" and s.status != status:
                continue
            if name and not (s.name or "").startswith(name):
                continue
            for k in ("ClusterIdentifier", "WorkgroupName", "Database"):
                if p.get(k) and s.target.get(k) != p[k]:
                    break
            else:
                d = {
                    "Id": s.id,
                    "Status": s.status,
                    "CreatedAt": s.created,
                    "UpdatedAt": s.updated,
                    "IsBatchStatement": s.is_batch,
                }
                if s.is_batch:
                    d["QueryStrings"] = [x.sql for x in s.subs]
                else:
                    d["QueryString"] = s.sql
                if s.name:
                    d["StatementName"] = s.name
                if s.target.get("SecretArn"):
                    d["SecretArn"] = s.target["SecretArn"]
                if s.params:
                    d["QueryParameters"] = s.params
                out.append(d)
        size = min(int(p.get("MaxResults") or 100), 100)
        start = int(p.get("NextToken") or 0)
        page: dict[str, object] = {"Statements": out[start : start + size]}
        if start + size < len(out):
            page["NextToken"] = str(start + size)
        return page

    def cancel_statement(self, p: dict) -> dict:
        st = self._get(p.get("Id"))
        if st.status in ("FINISHED", "FAILED", "ABORTED"):
            raise ApiError("ValidationException", f"Could not cancel a query that is already in {st.status} state.")
        st.cancelled = True
        session = st.session
        if session is not None:
            session.conn.cancel()
        else:
            st.status = "ABORTED"
        return {"Status": True}

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            kept = list(self.sessions.values())
            self.sessions.clear()
        for k in kept:
            k.session.warehouse.end_session(k.session)


def _lit(v: str) -> str:
    return "'" + v.replace("'", "''") + "'"


def bind_named(sql: str, params: list[dict]) -> tuple[str, list]:
    """``:name`` placeholders to ``$n`` (strings and ``::`` casts left alone)."""
    given = {}
    for prm in params:
        if not isinstance(prm, dict) or "name" not in prm or "value" not in prm:
            raise ApiError("ValidationException", "Each parameter needs a name and a value.")
        given[prm["name"]] = prm["value"]
    order: list[str] = []
    out, last = [], 0
    toks = tokens(sql)
    for a, b in zip(toks, toks[1:]):
        if (
            a.token_type == TokenType.COLON
            and b.start == a.end + 1
            and b.token_type in (TokenType.VAR, TokenType.NUMBER)
        ):
            name = b.text
            if name not in given:
                raise ApiError("ValidationException", f"Parameter {name} is used in the SQL but was not given a value.")
            if name not in order:
                order.append(name)
            out.append(sql[last : a.start] + f"${order.index(name) + 1}")
            last = b.end + 1
    out.append(sql[last:])
    unused = set(given) - set(order)
    if unused:
        raise ApiError("ValidationException", f"Parameter {sorted(unused)[0]} is not used in the SQL.")
    return "".join(out), [given[n] for n in order]


def _field(v: bytes | None, oid: int) -> dict[str, object]:
    if v is None:
        return {"isNull": True}
    s = v.decode()
    if oid in LONG_TYPES:
        return {"longValue": int(s)}
    if oid in DOUBLE_TYPES:
        return {"doubleValue": float(s)}
    if oid in BOOL_TYPES:
        return {"booleanValue": s == "t"}
    return {"stringValue": s}


_TYPE_CACHE: dict[int, dict[int, str]] = {}


def _type_names(wh: Warehouse) -> dict[int, str]:
    key = id(wh)
    if key not in _TYPE_CACHE:
        rows = wh.admin_query("postgres", "SELECT oid, typname FROM pg_type").text_rows()
        _TYPE_CACHE[key] = {int(not_null(o)): not_null(n) for o, n in rows}
    return _TYPE_CACHE[key]


def _table_names(wh: Warehouse, database: str, oids: set[int]) -> dict[int, tuple[str, str]]:
    oids = {o for o in oids if o}
    if not oids:
        return {}
    rows = wh.admin_query(
        database,
        "SELECT c.oid, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE c.oid IN ({','.join(str(o) for o in oids)})",
    ).text_rows()
    return {int(not_null(o)): (not_null(s), not_null(t)) for o, s, t in rows}

"""A warehouse: one PostgreSQL server, its wire endpoint, and the state the SQL engine keeps.

A warehouse belongs to a Serverless namespace or to a provisioned cluster; it does not care
which control plane made it.  Its data survives :meth:`stop`/:meth:`start` (a Serverless
workgroup deleted and re-created over the same namespace) and goes with :meth:`remove`.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import pgserver, slices
from .errors import SqlError
from .io import CatalogAccess, DbApiConnection, S3Access
from .pgwire import PgConn, Result, not_null
from .proxy import Proxy, md5_password
from .session import Session
from .sqltext import quote_ident, quote_literal

# One scan of a query for SYS_QUERY_DETAIL: (query id, step, table id, table name, restricted,
# blocks read, rows read, rows out); None where an interleaved sort key leaves it unknown.
ScanRow = tuple[int, int, int, str, bool | None, int | None, int | None, int | None]


@dataclass
class WarehouseConfig:
    name: str
    admin_user: str
    admin_password: str
    database: str = "dev"
    kind: str = "serverless"  # or "provisioned": decides which system table load errors point to
    topology: slices.Topology = field(default_factory=slices.Topology)
    iam_roles: list[str] = field(default_factory=list)
    default_iam_role: str | None = None
    region: str = "us-east-1"


@dataclass
class Hooks:
    """What the wiring injects; the defaults suit tests (no security group, no S3)."""

    spawn: pgserver.Spawn = pgserver.default_spawn
    allow: Callable[[str], bool] = lambda source_ip: True
    s3: S3Access | None = None
    catalog: CatalogAccess | None = None
    federated_connect: Callable[[dict], DbApiConnection] | None = None
    drop: Callable[[socket.socket], None] | None = None  # how a denied connection is held (default: silence)


class Warehouse:
    def __init__(
        self, config: WarehouseConfig, home: pgserver.Home, template: Path | Callable[[], Path], hooks: Hooks
    ) -> None:
        self.config = config
        self.home = home
        self.template = template  # or how to make it: the first warehouse to start pays for initdb
        self.hooks = hooks
        self.topology = config.topology
        self.datadir = home.root / f"wh-{config.name}"
        self.server: pgserver.Server | None = None
        self.proxy: Proxy | None = None
        self._admins: dict[str, PgConn] = {}
        self._admin_lock = threading.RLock()
        self._ids = itertools.count(int(time.time()) % 100_000 * 10 + 100_000)
        self._sessions: set[Session] = set()
        self._session_ids = itertools.count(1073741824)
        self._lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0, allow: Callable[[str], bool] | None = None) -> None:
        """Start the server and the endpoint; ``allow(source_ip)`` (default ``hooks.allow``) is asked
        on every new connection (the security groups of the cluster/workgroup)."""
        if allow is not None:
            self.hooks = Hooks(**{**self.hooks.__dict__, "allow": allow})
        fresh = not self.has_data
        if fresh:  # also a copy a crash interrupted before its admin user existed: start it again
            template = self.template() if callable(self.template) else self.template
            pgserver.copy_template(self.home, template, self.datadir.name)
        self.server = pgserver.Server(self.home, self.datadir, self.config.name, self.hooks.spawn)
        topo = self.topology
        self.server.start(
            settings={"redshift.slices": str(topo.slices), "redshift.slices_per_node": str(topo.slices_per_node)}
        )
        if fresh:
            c = self.config
            admin = self.server.connect()
            try:
                admin.simple(
                    f"CREATE ROLE {quote_ident(c.admin_user)} LOGIN CREATEDB CREATEROLE "
                    f"PASSWORD {quote_literal(md5_password(c.admin_password, c.admin_user))}"
                )
                admin.simple(f"CREATE DATABASE {quote_ident(c.database)} OWNER {quote_ident(c.admin_user)}")
            finally:
                admin.close()
            self._ready_marker.write_text(c.admin_user)
        try:
            self.proxy = Proxy(self, self.hooks.allow, host, port)
        except OSError:
            if not port:
                raise
            self.proxy = Proxy(self, self.hooks.allow, host, 0)  # its old port is taken now: a new one

    @property
    def _ready_marker(self) -> Path:
        return self.datadir.parent / f"{self.datadir.name}.ready"

    @property
    def has_data(self) -> bool:
        """Made and initialised (admin user, database) by an earlier start: its data can come back."""
        return (self.datadir / "PG_VERSION").exists() and self._ready_marker.is_file()

    @property
    def endpoint(self) -> tuple[str, int]:
        if self.proxy is None:
            raise RuntimeError(f"warehouse {self.config.name} has no endpoint: it is not running")
        return self.proxy.host, self.proxy.port

    def running_server(self) -> pgserver.Server:
        """The server, or the error a client of a stopped server gets (not an AttributeError)."""
        server = self.server
        if server is None:
            raise SqlError("the database system is not accepting connections", "57P03", "FATAL")
        return server

    @property
    def running(self) -> bool:
        return self.server is not None and self.server.running

    def stop(self, immediate: bool = False) -> None:
        if self.proxy is not None:
            self.proxy.close()
            self.proxy = None
        with self._lock:
            sessions = list(self._sessions)
        for s in sessions:
            s.conn.close()
        with self._admin_lock:
            for c in self._admins.values():
                c.close()
            self._admins.clear()
        if self.server is not None:
            self.server.stop(immediate=immediate)
            self.server.remove_socket_dir()
            self.server = None

    def remove(self) -> None:
        import shutil

        self.stop(immediate=True)  # the data goes next: no checkpoint to wait for
        self._ready_marker.unlink(missing_ok=True)
        shutil.rmtree(self.datadir, ignore_errors=True)
        (self.datadir.parent / f"{self.datadir.name}.log").unlink(missing_ok=True)

    # -- sessions --------------------------------------------------------------------------------
    def check_password(self, user: str, password: str) -> bool:
        res = self.admin_query(
            "postgres",
            "SELECT rolpassword, rolcanlogin, rolvaliduntil IS NULL OR rolvaliduntil > now() "
            "FROM pg_authid WHERE rolname = $1",
            [user],
        )
        if not res.rows or user == pgserver.INTERNAL_USER:
            return False
        stored, can_login, valid = (v.decode() if v is not None else None for v in res.rows[0])
        return stored is not None and can_login == "t" and valid == "t" and stored == md5_password(password, user)

    def new_session(self, conn: PgConn, user: str, database: str) -> Session:
        s = Session(self, conn, user, database, session_id=next(self._session_ids))
        with self._lock:
            self._sessions.add(s)
        return s

    def end_session(self, session: Session) -> None:
        with self._lock:
            self._sessions.discard(session)
        session.conn.close()

    def open_session(self, user: str, database: str, password: str | None = None) -> Session:
        """A session for the Data API: checked against ``password`` when one is given (a secret),
        trusted otherwise (the caller authenticated the IAM identity, as ``DbUser`` does)."""
        if password is not None and not self.check_password(user, password):
            raise SqlError(f'password authentication failed for user "{user}"', "28P01", "FATAL")
        return self.new_session(self.running_server().connect(user, database), user, database)

    def next_query_id(self) -> int:
        return next(self._ids)

    def admin(self, database: str) -> PgConn:
        """The runtime's own superuser connection to ``database`` (autocommit; callers hold the lock)."""
        with self._admin_lock:
            conn = self._admins.get(database)
            if conn is None:
                conn = self._admins[database] = self.running_server().connect(pgserver.INTERNAL_USER, database)
            return conn

    def admin_query(self, database: str, sql: str, params: list | None = None) -> Result:
        with self._admin_lock:
            return self.admin(database).query(sql, params or [])

    def admin_simple(self, database: str, sql: str) -> list[Result]:
        with self._admin_lock:
            return self.admin(database).simple(sql)

    # -- external schemas ----------------------------------------------------------------------------
    def external_schemas(self, database: str) -> dict[str, dict]:
        rows = self.admin_query(
            database,
            "SELECT n.nspname, e.eskind, e.databasename, e.esoptions FROM lc_redshift.external_schemas e "
            "JOIN pg_namespace n ON n.oid = e.esoid",
        ).text_rows()
        return {
            not_null(r[0]): {"kind": int(not_null(r[1])), "database": r[2], **json.loads(not_null(r[3]))} for r in rows
        }

    # -- system views --------------------------------------------------------------------------------
    def refresh_system_views_for(self, database: str) -> Callable[[], None]:
        def refresh() -> None:
            with self._admin_lock:
                slices.refresh_table_info(self.admin(database), self.topology, database)

        return refresh

    def log_scans(self, database: str, user: str, rows: list[ScanRow], start: float, end: float) -> None:
        if not rows:
            return
        uid = self._user_id(database, user)
        ts0, ts1 = _ts(start), _ts(end)
        values: list[str] = []
        for qid, step, relid, name, restricted, blocks, rows_read, rows_out in rows:
            rr = "NULL" if restricted is None else ("'t'" if restricted else "'f'")
            values.append(
                f"({uid}, {qid}, 1, 0, 0, {step}, 'scan', {relid}, {quote_literal(name)}, {rr}, {ts0}, {ts1}, "
                f"{int((end - start) * 1e6)}, {_n(rows_read)}, {_n(rows_out)}, {_n(blocks)})"
            )
        self.admin_simple(
            database,
            "INSERT INTO lc_redshift.query_detail (user_id, query_id, child_query_sequence, stream_id, segment_id, "
            "step_id, step_name, table_id, table_name, is_rrscan, start_time, end_time, duration, input_rows, "
            "output_rows, blocks_read) VALUES " + ", ".join(values),
        )

    def _user_id(self, database: str, user: str) -> int:
        res = self.admin_query(database, "SELECT oid FROM pg_roles WHERE rolname = $1", [user])
        return int(not_null(res.rows[0][0])) if res.rows else 0


def _ts(t: float) -> str:
    return f"to_timestamp({t:.6f}) AT TIME ZONE 'UTC'"


def _n(v: int | None) -> str:
    return "NULL" if v is None else str(int(v))

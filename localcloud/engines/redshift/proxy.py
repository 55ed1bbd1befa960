"""The warehouse endpoint: a PostgreSQL wire-protocol proxy in front of the warehouse's server.

For every new TCP connection the proxy asks ``allow(source_ip)`` (security groups,
publicly accessible) at that moment.  A denied connection is treated like packets a
security group drops: nothing is ever sent back and the client's own connect timeout fires.

An allowed client authenticates with a password (the proxy asks for it in clear text over
the loopback connection and checks it against the md5 hash PostgreSQL stores; SSL is
declined), then gets a PostgreSQL session as that user.  Each statement goes through
:meth:`Session.plan`: statements PostgreSQL runs are relayed message by message (so binary
formats, portals, notices and cancel work unchanged); statements the runtime runs itself
are answered by the proxy.  One thread per connection: the backend calls are blocking.
"""

from __future__ import annotations

import hashlib
import logging
import socket
import struct
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from .errors import SqlError
from .pgwire import (
    CANCEL_REQUEST,
    GSSENC_REQUEST,
    PROTOCOL_3,
    SSL_REQUEST,
    Cell,
    Field,
    Reader,
    cstr,
    data_row,
    encode_value,
    error_payload,
    message,
    read_cstr,
    row_description,
)
from .session import Plan, Session, Sink
from .sqltext import split

if TYPE_CHECKING:
    from .warehouse import Warehouse

log = logging.getLogger("localcloud.redshift.proxy")
# How long a dropped connection is held in silence: longer than Linux's default TCP connect
# timeout (~127 s), so the client gives up first and sees a timeout (localcloud's security-group
# policy uses the same figure; the wiring may inject its own ``Hooks.drop``).
DROP_HOLD_S = 130.0


class WireSink(Sink):
    """Handler results to the client, in the formats its Bind asked for."""

    def __init__(self, out: Callable[[bytes], None], formats: list[int] | None, describe: bool) -> None:
        self.out = out
        self.formats = formats or []
        self.describe = describe
        self.fields: list[Field] = []

    def fmt(self, i: int) -> int:
        if not self.formats:
            return 0
        return self.formats[0] if len(self.formats) == 1 else self.formats[i]

    def start(self, fields: list[Field]) -> None:
        self.fields = fields
        if self.describe:
            self.out(row_description(fields, self.formats or [0]))

    def row(self, values: list[Cell]) -> None:
        self.out(
            data_row([encode_value(v, f.type_oid, self.fmt(i)) for i, (v, f) in enumerate(zip(values, self.fields))])
        )

    def done(self, tag: str) -> None:
        self.out(message(b"C", cstr(tag)))

    def notice(self, text: str) -> None:
        self.out(message(b"N", error_payload({"S": "INFO", "V": "INFO", "C": "00000", "M": text})))


class Proxy:
    def __init__(
        self, warehouse: Warehouse, allow: Callable[[str], bool], host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.warehouse = warehouse
        self.allow = allow
        self._sock = socket.create_server((host, port), backlog=64)
        self.host, self.port = self._sock.getsockname()[:2]
        self._closed = threading.Event()
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._sessions: dict[tuple[int, int], Session] = {}
        self.stats = {"allowed": 0, "dropped": 0}
        self._thread = threading.Thread(target=self._accept_loop, name=f"redshift-proxy-{port}", daemon=True)
        self._thread.start()

    # -- connection lifecycle -------------------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                client, addr = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client, addr[0]), daemon=True, name="redshift-conn").start()

    def _track(self, s: socket.socket, add: bool) -> None:
        with self._lock:
            (self._conns.add if add else self._conns.discard)(s)

    def _handle(self, client: socket.socket, source_ip: str) -> None:
        self._track(client, True)
        try:
            try:
                allowed = bool(self.allow(source_ip))
            except Exception:  # a bug in the rule check must not open the endpoint
                log.exception("rule check failed; dropping")
                allowed = False
            if not allowed:
                self.stats["dropped"] += 1
                drop = getattr(self.warehouse.hooks, "drop", None) or self._drop
                drop(client)
                return
            self.stats["allowed"] += 1
            Connection(self, client).serve()
        except (ConnectionError, OSError):
            pass
        except Exception:
            log.exception("redshift proxy connection failed")
        finally:
            self._track(client, False)
            try:
                client.close()
            except OSError:
                pass

    @staticmethod
    def _drop(client: socket.socket) -> None:
        client.settimeout(DROP_HOLD_S)
        try:
            while client.recv(4096):
                pass
        except OSError:
            pass

    def register(self, key: tuple[int, int], session: Session | None) -> None:
        with self._lock:
            if session is None:
                self._sessions.pop(key, None)
            else:
                self._sessions[key] = session

    def cancel(self, pid: int, secret: int) -> None:
        with self._lock:
            session = self._sessions.get((pid, secret))
        if session is not None:
            session.conn.cancel()

    def close(self) -> None:
        self._closed.set()
        for op in (lambda: self._sock.shutdown(socket.SHUT_RDWR), self._sock.close):
            try:
                op()
            except OSError:
                pass
        with self._lock:
            conns = list(self._conns)
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass
        self._thread.join(5)


class Connection:
    """One client: startup, authentication, then its statements."""

    def __init__(self, proxy: Proxy, sock: socket.socket) -> None:
        self.proxy = proxy
        self.sock = sock
        self.reader = Reader(sock)
        self._session: Session | None = None  # set once the client has authenticated
        self.out_buf: list[bytes] = []
        self.stmts: dict[str, tuple[Plan | None, bytes]] = {}  # name -> (plan, parse payload)
        self.portals: dict[str, tuple[Plan | None, list[int], bytes]] = {}
        self.skipping = False  # after an error in an extended batch: ignore until Sync
        self.prepared: set[int] = set()  # plans whose prepare step ran since the last Sync

    @property
    def session(self) -> Session:
        """The client's session: messages after the startup phase always have one."""
        if self._session is None:
            raise ConnectionError("no session: the client has not authenticated")
        return self._session

    def send(self, data: bytes) -> None:
        self.out_buf.append(data)

    def flush(self) -> None:
        if self.out_buf:
            self.sock.sendall(b"".join(self.out_buf))
            self.out_buf.clear()

    def fatal(self, fields: dict[str, str]) -> None:
        self.sock.sendall(message(b"E", error_payload(fields)))

    # -- startup ------------------------------------------------------------------------------------
    def serve(self) -> None:
        while True:
            body = self.reader.startup()
            (code,) = struct.unpack_from("!I", body)
            if code in (SSL_REQUEST, GSSENC_REQUEST):
                self.sock.sendall(b"N")
                continue
            if code == CANCEL_REQUEST:
                pid, secret = struct.unpack_from("!Ii", body, 4)
                self.proxy.cancel(pid, secret)
                return
            if code != PROTOCOL_3:
                self.fatal(
                    {"S": "FATAL", "C": "0A000", "M": f"unsupported frontend protocol {code >> 16}.{code & 0xFFFF}"}
                )
                return
            break
        params: dict[str, str] = {}
        pos = 4
        while pos < len(body) and body[pos] != 0:
            key, pos = read_cstr(body, pos)
            params[key], pos = read_cstr(body, pos)
        user = params.get("user", "")
        database = params.get("database") or user
        self.sock.sendall(message(b"R", struct.pack("!I", 3)))  # AuthenticationCleartextPassword
        kind, payload = self.reader.message()
        if kind != b"p":
            return
        password = payload.rstrip(b"\0").decode(errors="replace")
        wh = self.proxy.warehouse
        if not wh.check_password(user, password):
            self.fatal(
                {"S": "FATAL", "V": "FATAL", "C": "28P01", "M": f'password authentication failed for user "{user}"'}
            )
            return
        try:
            conn = wh.running_server().connect(user, database, application_name=params.get("application_name", ""))
        except SqlError as exc:
            self.fatal(exc.fields)
            return
        session = self._session = wh.new_session(conn, user, database)
        key = (conn.pid, conn.secret)
        self.proxy.register(key, session)
        try:
            for raw in conn.startup_messages:
                if raw[:1] == b"S" and raw[5:].startswith(b"server_version\0"):
                    # "15.18 (Debian ...)" is not a version clients like redshift_connector can parse
                    number = conn.server_params.get("server_version", "").split(" ")[0]
                    raw = message(b"S", cstr("server_version") + cstr(number))
                self.send(raw)
            self.flush()
            self.loop()
        finally:
            self.proxy.register(key, None)
            wh.end_session(session)

    # -- messages ---------------------------------------------------------------------------------
    def loop(self) -> None:
        while True:
            kind, payload = self.reader.message()
            if kind == b"X":
                return
            if kind == b"Q":
                self.simple(read_cstr(payload, 0)[0])
                self.flush()
                continue
            if kind == b"S":
                self.sync()
                self.flush()
                continue
            if kind == b"H":
                self.flush()
                continue
            if self.skipping:
                continue
            try:
                {
                    b"P": self.parse,
                    b"B": self.bind,
                    b"D": self.describe,
                    b"E": self.execute,
                    b"C": self.close_item,
                }.get(kind, self.unsupported)(payload)
            except SqlError as exc:
                self.send(message(b"E", error_payload(exc.fields)))
                self.skipping = True

    def unsupported(self, payload: bytes) -> None:
        raise SqlError("this protocol message is not supported", "0A000")

    # -- relaying ---------------------------------------------------------------------------------
    def relay_until(self, done: set[bytes]) -> bytes:
        """Relay backend messages to the client until one of ``done`` (returned, relayed too)."""
        conn = self.session.conn
        while True:
            kind, payload = conn.recv()
            if kind == b"Z":
                return kind
            if kind == b"G":  # COPY FROM STDIN: Redshift has no such thing
                conn.send(message(b"f", cstr("COPY FROM STDIN is not supported in Amazon Redshift")))
                continue
            self.send(message(kind, payload))
            if kind in done or kind == b"E":
                return kind

    # -- simple protocol -----------------------------------------------------------------------------
    def simple(self, sql: str) -> None:
        s = self.session
        try:
            statements = split(sql)
        except SqlError as exc:
            self.send(message(b"E", error_payload(exc.fields)))
            self.ready()
            return
        if not statements:
            self.send(message(b"I"))
            self.ready()
            return
        if len(statements) > 1 and self.simple_batch(statements):
            return
        for stmt in statements:
            try:
                plan = s.plan(stmt)
            except SqlError as exc:
                s.poison_transaction()
                self.send(message(b"E", error_payload(exc.fields)))
                break
            qid = s.warehouse.next_query_id()
            if plan.handler is not None:  # kind "handler"
                s.current_query = qid
                try:
                    plan.handler(s, WireSink(self.send, None, True))
                except SqlError as exc:
                    s.poison_transaction()
                    self.send(message(b"E", error_payload(exc.fields)))
                    break
                s.last["query_id"] = qid
                continue
            try:
                if plan.prepare:
                    plan.prepare()
            except SqlError as exc:
                s.poison_transaction()
                self.send(message(b"E", error_payload(exc.fields)))
                break
            start = time.time()
            s.conn.send(message(b"Q", cstr(plan.pg_sql)))
            failed = False
            while True:
                kind = self.relay_until({b"Z"})
                if kind == b"E":
                    failed = True
                elif kind == b"Z":
                    break
            s.last["query_id"] = qid
            if failed:
                break
            if plan.after:
                plan.after(start, time.time())
        self.ready()

    def simple_batch(self, statements: list[str]) -> bool:
        """A script of plain statements goes to PostgreSQL as one Query, keeping its implicit
        transaction (one failure rolls back the whole string, as on Redshift)."""
        s = self.session
        try:
            plans = [s.plan(stmt) for stmt in statements]
        except SqlError:
            return False
        if any(p.kind != "pass" or p.prepare or p.after for p in plans):
            return False
        s.conn.send(message(b"Q", cstr(";\n".join(p.pg_sql for p in plans))))
        while self.relay_until({b"Z"}) != b"Z":
            pass
        for _ in plans:
            s.last["query_id"] = s.warehouse.next_query_id()
        self.ready()
        return True

    def ready(self) -> None:
        self.send(message(b"Z", self.session.conn.status))

    # -- extended protocol ---------------------------------------------------------------------------
    def parse(self, payload: bytes) -> None:
        name, pos = read_cstr(payload, 0)
        sql, pos = read_cstr(payload, pos)
        (ntypes,) = struct.unpack_from("!h", payload, pos)
        types = payload[pos + 2 : pos + 2 + 4 * ntypes]
        stripped = sql.strip().rstrip(";").strip()
        if not stripped:
            plan = None
        else:
            statements = split(sql)
            if len(statements) > 1:
                raise SqlError("cannot insert multiple commands into a prepared statement", "42601")
            plan = self.session.plan(statements[0])
        if plan is None or plan.kind == "handler":
            self.stmts[name] = (plan, payload)
            self.send(message(b"1"))
            return
        self.run_prepare(plan)
        rewritten = cstr(name) + cstr(plan.pg_sql) + struct.pack("!h", ntypes) + types
        self.stmts[name] = (plan, rewritten)
        self.forward(message(b"P", rewritten), {b"1"})

    def run_prepare(self, plan: Plan) -> None:
        """Load external tables / refresh system views once per Sync batch (Parse and Bind both need it)."""
        if plan.prepare and id(plan) not in self.prepared:
            plan.prepare()
            self.prepared.add(id(plan))

    def forward(self, msg: bytes, done: set[bytes]) -> bytes:
        self.session.conn.send(msg + message(b"H"))
        kind = self.relay_until(done)
        if kind == b"E":
            self.skipping = True
        return kind

    def bind(self, payload: bytes) -> None:
        portal, pos = read_cstr(payload, 0)
        stmt, pos = read_cstr(payload, pos)
        if stmt not in self.stmts:
            raise SqlError(f'prepared statement "{stmt}" does not exist', "26000")
        plan, _ = self.stmts[stmt]
        (nfmt,) = struct.unpack_from("!h", payload, pos)
        pos += 2 + 2 * nfmt
        (nparams,) = struct.unpack_from("!h", payload, pos)
        pos += 2
        for _ in range(nparams):
            (size,) = struct.unpack_from("!i", payload, pos)
            pos += 4 + max(size, 0)
        (nres,) = struct.unpack_from("!h", payload, pos)
        formats = list(struct.unpack_from(f"!{nres}h", payload, pos + 2))
        self.portals[portal] = (plan, formats, payload)
        if plan is None or plan.kind == "handler":
            self.send(message(b"2"))
            return
        self.run_prepare(plan)
        self.forward(message(b"B", payload), {b"2"})

    def describe(self, payload: bytes) -> None:
        what, name = payload[:1], read_cstr(payload, 1)[0]
        if what == b"S":
            if name not in self.stmts:
                raise SqlError(f'prepared statement "{name}" does not exist', "26000")
            plan, _ = self.stmts[name]
            if plan is None or plan.kind == "handler":
                self.send(message(b"t", struct.pack("!h", 0)))
                self.send(row_description(plan.fields) if plan and plan.fields else message(b"n"))
                return
            self.forward(message(b"D", payload), {b"T", b"n"})
            return
        if name not in self.portals:
            raise SqlError(f'portal "{name}" does not exist', "34000")
        plan, formats, _ = self.portals[name]
        if plan is None or plan.kind == "handler":
            self.send(row_description(plan.fields, formats or [0]) if plan and plan.fields else message(b"n"))
            return
        self.forward(message(b"D", payload), {b"T", b"n"})

    def execute(self, payload: bytes) -> None:
        name = read_cstr(payload, 0)[0]
        if name not in self.portals:
            raise SqlError(f'portal "{name}" does not exist', "34000")
        plan, formats, _ = self.portals[name]
        s = self.session
        if plan is None:
            self.send(message(b"I"))
            return
        qid = s.warehouse.next_query_id()
        if plan.handler is not None:  # kind "handler"
            s.current_query = qid
            try:
                plan.handler(s, WireSink(self.send, formats, False))
            except SqlError:
                s.poison_transaction()
                raise
            s.last["query_id"] = qid
            return
        start = time.time()
        kind = self.forward(message(b"E", payload), {b"C", b"I", b"s"})
        s.last["query_id"] = qid
        if kind == b"C" and plan.after:
            plan.after(start, time.time())

    def close_item(self, payload: bytes) -> None:
        what, name = payload[:1], read_cstr(payload, 1)[0]
        table = self.stmts if what == b"S" else self.portals
        item = table.pop(name, None)
        plan = item[0] if item else None
        if item is None or plan is None or plan.kind == "handler":
            self.send(message(b"3"))
            return
        self.forward(message(b"C", payload), {b"3"})

    def sync(self) -> None:
        self.skipping = False
        self.prepared.clear()
        conn = self.session.conn
        conn.send(message(b"S"))
        while True:
            kind, payload = conn.recv()
            if kind == b"Z":
                break
            if kind in (b"N", b"S", b"A"):  # notices, parameter changes: pass on
                self.send(message(kind, payload))
        self.ready()


def md5_password(password: str, user: str) -> str:
    return "md5" + hashlib.md5((password + user).encode()).hexdigest()

"""PostgreSQL frontend/backend protocol 3.0: message framing and a small backend client.

The warehouse talks to its PostgreSQL server with :class:`PgConn` over the server's private
Unix socket (trust authentication: only this process can reach the socket folder).  The
wire proxy relays raw messages through the same class, so one implementation reads and
writes every message.  Everything is blocking I/O: each client connection has its own
thread (see ``proxy.py``).
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from .errors import SqlError

T = TypeVar("T")

PROTOCOL_3 = 196608
SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102

TEXT_OID = 25
INT8_OID = 20
INT4_OID = 23
BOOL_OID = 16
VARCHAR_OID = 1043


def message(kind: bytes, payload: bytes = b"") -> bytes:
    return kind + struct.pack("!I", len(payload) + 4) + payload


def cstr(value: str) -> bytes:
    return value.encode() + b"\0"


def read_cstr(data: bytes, pos: int) -> tuple[str, int]:
    end = data.index(b"\0", pos)
    return data[pos:end].decode(errors="replace"), end + 1


def error_payload(fields: dict[str, str]) -> bytes:
    return b"".join(k.encode() + cstr(v) for k, v in fields.items()) + b"\0"


def parse_error(payload: bytes) -> dict[str, str]:
    fields, pos = {}, 0
    while pos < len(payload) and payload[pos] != 0:
        code = chr(payload[pos])
        value, pos = read_cstr(payload, pos + 1)
        fields[code] = value
    return fields


@dataclass
class Field:
    name: str
    type_oid: int
    typmod: int = -1
    table_oid: int = 0
    column: int = 0
    typlen: int = -1
    fmt: int = 0


def row_description(fields: list[Field], formats: list[int] | None = None) -> bytes:
    parts = [struct.pack("!h", len(fields))]
    for i, f in enumerate(fields):
        fmt = _format_for(formats, i) if formats is not None else f.fmt
        parts.append(cstr(f.name) + struct.pack("!IhIhih", f.table_oid, f.column, f.type_oid, f.typlen, f.typmod, fmt))
    return message(b"T", b"".join(parts))


def parse_row_description(payload: bytes) -> list[Field]:
    (n,) = struct.unpack_from("!h", payload, 0)
    pos, out = 2, []
    for _ in range(n):
        name, pos = read_cstr(payload, pos)
        table_oid, column, type_oid, typlen, typmod, fmt = struct.unpack_from("!IhIhih", payload, pos)
        pos += 18
        out.append(Field(name, type_oid, typmod, table_oid, column, typlen, fmt))
    return out


def data_row(values: list[bytes | None]) -> bytes:
    parts = [struct.pack("!h", len(values))]
    for v in values:
        parts.append(b"\xff\xff\xff\xff" if v is None else struct.pack("!i", len(v)) + v)
    return message(b"D", b"".join(parts))


def parse_data_row(payload: bytes) -> list[bytes | None]:
    (n,) = struct.unpack_from("!h", payload, 0)
    pos = 2
    out: list[bytes | None] = []
    for _ in range(n):
        (size,) = struct.unpack_from("!i", payload, pos)
        pos += 4
        if size < 0:
            out.append(None)
        else:
            out.append(payload[pos : pos + size])
            pos += size
    return out


def not_null(value: T | None) -> T:
    """A value PostgreSQL cannot return NULL for here (``count(*)``, a ``NOT NULL`` column)."""
    if value is None:
        raise SqlError("internal error: unexpected NULL from the warehouse's server", "XX000")
    return value


# What a handler's row holds (Sink.row): text, integers, booleans; int() only for INT4/INT8 columns.
Cell = str | int | bool | None


def _format_for(formats: list[int] | None, i: int) -> int:
    if not formats:
        return 0
    return formats[0] if len(formats) == 1 else formats[i]


def encode_value(value: Cell, type_oid: int, fmt: int) -> bytes | None:
    """Encode a Python value the runtime itself produces (text, integers, booleans)."""
    if value is None:
        return None
    if fmt == 1:
        if type_oid == INT8_OID:
            return struct.pack("!q", int(value))
        if type_oid == INT4_OID:
            return struct.pack("!i", int(value))
        if type_oid == BOOL_OID:
            return b"\x01" if value else b"\x00"
        return str(value).encode()  # text/varchar: binary == UTF-8 bytes
    if type_oid == BOOL_OID:
        return b"t" if value else b"f"
    return str(value).encode()


class Reader:
    """Buffered message reader over a socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()

    def _fill(self, n: int) -> None:
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise ConnectionError("connection closed")
            self.buf += chunk

    def exact(self, n: int) -> bytes:
        self._fill(n)
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def startup(self) -> bytes:
        (size,) = struct.unpack("!I", self.exact(4))
        if size < 8 or size > 10000:
            raise ConnectionError("bad startup packet")
        return self.exact(size - 4)

    def message(self) -> tuple[bytes, bytes]:
        self._fill(5)
        kind = bytes(self.buf[:1])
        (size,) = struct.unpack_from("!I", self.buf, 1)
        if size < 4:
            raise ConnectionError("bad message length")
        self._fill(1 + size)
        payload = bytes(self.buf[5 : 1 + size])
        del self.buf[: 1 + size]
        return kind, payload


@dataclass
class Result:
    fields: list[Field] | None = None
    rows: list[list[bytes | None]] = field(default_factory=list)
    tag: str = ""

    @property
    def rowcount(self) -> int:
        parts = self.tag.split()
        if (
            parts
            and parts[-1].isdigit()
            and parts[0] in ("INSERT", "UPDATE", "DELETE", "SELECT", "COPY", "MERGE", "FETCH")
        ):
            return int(parts[-1])
        return -1

    def text_rows(self) -> list[list[str | None]]:
        return [[None if v is None else v.decode() for v in row] for row in self.rows]


class PgConn:
    """A session on the warehouse's PostgreSQL server (trust authentication on a private socket)."""

    def __init__(self, socket_path: str, user: str, database: str, params: dict[str, str] | None = None) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(socket_path)
        self.reader = Reader(self.sock)
        self.user = user
        self.database = database
        self.server_params: dict[str, str] = {}
        self.pid = 0
        self.secret = 0
        self.status = b"I"
        options = {"user": user, "database": database, "client_encoding": "UTF8", **(params or {})}
        body = struct.pack("!I", PROTOCOL_3) + b"".join(cstr(k) + cstr(v) for k, v in options.items()) + b"\0"
        self.sock.sendall(struct.pack("!I", len(body) + 4) + body)
        self.startup_messages: list[bytes] = []  # what a relaying proxy forwards to its client
        while True:
            kind, payload = self.reader.message()
            if kind == b"E":
                self.close()
                raise SqlError.from_fields(parse_error(payload))
            if kind == b"R":
                (code,) = struct.unpack_from("!I", payload)
                if code != 0:
                    self.close()
                    raise SqlError("internal connection needs trust authentication", "28000", "FATAL")
            elif kind == b"S":
                key, pos = read_cstr(payload, 0)
                self.server_params[key], _ = read_cstr(payload, pos)
            elif kind == b"K":
                self.pid, self.secret = struct.unpack("!Ii", payload)
            elif kind == b"Z":
                self.status = payload[:1]
                self.startup_messages.append(message(kind, payload))
                return
            self.startup_messages.append(message(kind, payload))

    # -- raw ------------------------------------------------------------------------------------
    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def recv(self) -> tuple[bytes, bytes]:
        kind, payload = self.reader.message()
        if kind == b"Z":
            self.status = payload[:1]
        return kind, payload

    # -- conveniences for the runtime's own statements --------------------------------------
    def simple(self, sql: str) -> list[Result]:
        """Run one or more statements with the simple protocol; raise the first error (after RFQ)."""
        self.send(message(b"Q", cstr(sql)))
        return self._collect_until_ready()

    def _collect_until_ready(self) -> list[Result]:
        results, current, error = [], Result(), None
        while True:
            kind, payload = self.recv()
            if kind == b"T":
                current.fields = parse_row_description(payload)
            elif kind == b"D":
                current.rows.append(parse_data_row(payload))
            elif kind in (b"C", b"I"):
                current.tag = read_cstr(payload, 0)[0] if kind == b"C" else ""
                results.append(current)
                current = Result()
            elif kind == b"E":
                error = error or SqlError.from_fields(parse_error(payload))
            elif kind == b"G":  # COPY FROM STDIN we did not ask for: refuse it
                self.send(message(b"f", cstr("COPY FROM STDIN is not supported")))
            elif kind == b"Z":
                if error:
                    raise error
                return results

    def query(self, sql: str, params: list | tuple = (), types: list[int] | None = None) -> Result:
        """One statement with the extended protocol, parameters as text; rows as text bytes."""
        values = [None if p is None else str(p).encode() for p in params]
        self.send(self.extended_messages(sql, values, types or [], [0] * len(values), [0]) + message(b"S"))
        results = self._collect_until_ready()
        return results[-1] if results else Result()

    @staticmethod
    def extended_messages(
        sql: str, values: list[bytes | None], types: list[int], param_formats: list[int], result_formats: list[int]
    ) -> bytes:
        parse = cstr("") + cstr(sql) + struct.pack("!h", len(types)) + b"".join(struct.pack("!I", t) for t in types)
        bind = [cstr(""), cstr(""), struct.pack("!h", len(param_formats))]
        bind += [struct.pack("!h", f) for f in param_formats]
        bind.append(struct.pack("!h", len(values)))
        for v in values:
            bind.append(b"\xff\xff\xff\xff" if v is None else struct.pack("!i", len(v)) + v)
        bind.append(struct.pack("!h", len(result_formats)) + b"".join(struct.pack("!h", f) for f in result_formats))
        return (
            message(b"P", parse)
            + message(b"B", b"".join(bind))
            + message(b"D", b"P\0")
            + message(b"E", cstr("") + struct.pack("!I", 0))
        )

    def copy_in(self, sql: str, chunks: Iterable[bytes]) -> int:
        """``COPY ... FROM STDIN`` fed from an iterable of bytes; returns the rows copied."""
        self.send(message(b"Q", cstr(sql)))
        error = None
        rows = 0
        while True:
            kind, payload = self.recv()
            if kind == b"G":
                try:
                    for chunk in chunks:
                        if chunk:
                            self.send(message(b"d", chunk))
                    self.send(message(b"c"))
                except Exception as exc:  # a reader failure must not leave the backend in COPY mode
                    self.send(message(b"f", cstr(f"load aborted: {exc}")))
                    error = exc
            elif kind == b"C":
                tag = read_cstr(payload, 0)[0]
                rows = int(tag.split()[-1]) if tag.split()[-1].isdigit() else 0
            elif kind == b"E":
                fields = parse_error(payload)
                if not isinstance(error, Exception) or isinstance(error, SqlError):
                    error = error or SqlError.from_fields(fields)
            elif kind == b"Z":
                if error:
                    raise error
                return rows

    def cancel(self) -> None:
        """Ask the server to cancel what this session runs (a second connection, as libpq does)."""
        peer = self.sock.getpeername()
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(peer)
            s.sendall(struct.pack("!IIIi", 16, CANCEL_REQUEST, self.pid, self.secret))

    def close(self) -> None:
        try:
            self.sock.sendall(message(b"X"))
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass

"""A TCP gate: the endpoint a learner connects to, with the firewall decision in front of it.

Each RDS instance gets one gate on 127.0.0.1:<its own port>.  For every new connection the
gate asks ``allow()`` (security groups, PubliclyAccessible) at that moment, so a rule change
applies to the next connection at once, as on AWS.  Denied connections are treated like
packets a security group drops: nothing is ever sent back, and the client's own connect
timeout fires (on AWS the TCP handshake itself gets no answer; locally the handshake
completes, but the MySQL greeting never comes — a client sees the same timeout).
Allowed connections are piped to ``backend()`` (the MariaDB server's internal port).
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import Callable

log = logging.getLogger("localcloud.tcpgate")

DROP_HOLD_S = 120  # how long a dropped connection is kept silent before the gate lets go of it


class Gate:
    def __init__(self, name: str, allow: Callable[[], bool],
                 backend: Callable[[], tuple[str, int] | None], host: str = "127.0.0.1") -> None:
        self.name = name
        self.allow = allow
        self.backend = backend
        self._sock = socket.create_server((host, 0), backlog=64)
        self.port = self._sock.getsockname()[1]
        self._closed = threading.Event()
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.stats = {"allowed": 0, "dropped": 0}
        threading.Thread(target=self._accept_loop, name=f"gate-{name}", daemon=True).start()

    def _track(self, *socks: socket.socket) -> None:
        with self._lock:
            self._conns.update(socks)

    def _untrack(self, *socks: socket.socket) -> None:
        with self._lock:
            for s in socks:
                self._conns.discard(s)
        for s in socks:
            try:
                s.close()
            except OSError:
                pass

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._sock.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._handle, args=(client,), daemon=True,
                             name=f"gate-{self.name}-conn").start()

    def _handle(self, client: socket.socket) -> None:
        self._track(client)
        try:
            allowed = self.allow()
        except Exception:  # a bug in the rule check must not open the gate
            log.exception("gate %s: rule check failed; dropping", self.name)
            allowed = False
        target = self.backend() if allowed else None
        if target is None:
            self.stats["dropped"] += 1
            self._drop(client)
            return
        self.stats["allowed"] += 1
        try:
            upstream = socket.create_connection(target, timeout=5)
            upstream.settimeout(None)
        except OSError:
            self._untrack(client)  # nothing listens (server stopping): the client sees a reset
            return
        self._track(upstream)
        t = threading.Thread(target=self._pipe, args=(upstream, client), daemon=True)
        t.start()
        self._pipe(client, upstream)
        t.join()
        self._untrack(client, upstream)

    def _drop(self, client: socket.socket) -> None:
        """Say nothing; read and discard until the client gives up (or DROP_HOLD_S passes)."""
        client.settimeout(DROP_HOLD_S)
        try:
            while client.recv(4096):
                pass
        except OSError:
            pass
        self._untrack(client)

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self) -> None:
        self._closed.set()
        try:
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        except OSError:
            pass
        try:
            self._sock.close()
        except OSError:
            pass
        with self._lock:
            conns = list(self._conns)
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass

"""A TCP gate: the endpoint a learner connects to, with the firewall decision in front of it.

Any engine whose resource listens on a TCP port behind security groups uses one gate per
resource on 127.0.0.1:<its own port> (RDS databases, EC2 instances' SSH servers; a Redshift
cluster on 5439 the same way).  ``allow()`` is the engine's answer for "would the security
groups let the learner in right now?" (:func:`localcloud.security_groups.allows`, plus anything
else AWS checks, such as PubliclyAccessible).

**Dropping the way AWS drops.**  A security group drops the client's SYN: the client retries it
and finally reports a *connect* timeout (``ssh: connect to host ... port 22: Connection timed
out``, MySQL's ``Can't connect ... (110)``), never a timeout during the server's greeting.  A
userland gate gets the same from the kernel: while ``allow()`` says no, the gate's listening
socket has a full accept queue — backlog 0 plus one connection the gate makes to itself and
does not accept — and Linux drops every further SYN on a listener whose accept queue is full
(``tcp_conn_request``: ``sk_acceptq_is_full`` → drop, whatever ``tcp_abort_on_overflow`` says,
which only concerns the final ACK).  When a rule allows again, the backlog is raised and the
gate's own connection is accepted and closed.  The decision is re-evaluated every
:data:`RECHECK_S` and at once after every EC2/RDS API call (:func:`recheck_all`, called by the
gateway), so a rule change applies to the next connection, as on AWS.  A connection that slipped
in just before a rule was revoked is checked again and held in silence
(:func:`localcloud.security_groups.hold_in_silence`).

Allowed connections go to ``backend()`` (an address ``(host, port)`` or a unix socket path the
gate pipes to; :data:`REFUSE` resets them: the host is up, nothing listens) or to
``handler(sock)`` (the gate hands the accepted socket over: the SSH server).
"""

from __future__ import annotations

import logging
import random
import select
import socket
import struct
import threading
import time
import weakref
from collections.abc import Callable

from .security_groups import hold_in_silence

log = logging.getLogger("localcloud.tcpgate")

# What ``backend()`` answers when the resource's host is up but nothing listens (a database
# restarting): the connection is reset at once, as a TCP stack does, instead of held in silence.
REFUSE = ("", -1)

OPEN_BACKLOG = 64
RECHECK_S = 0.5  # how often a gate asks allow() on its own (rule changes also wake it at once)

_gates: weakref.WeakSet[Gate] = weakref.WeakSet()
_gates_lock = threading.Lock()


def recheck_all() -> None:
    """Apply the current rules to every open gate now (the gateway calls it after EC2/RDS calls)."""
    with _gates_lock:
        gates = list(_gates)
    for gate in gates:
        gate.recheck()


class Gate:
    def __init__(
        self,
        name: str,
        allow: Callable[[], bool],
        backend: Callable[[], tuple[str, int] | str | None] | None = None,
        host: str = "127.0.0.1",
        handler: Callable[[socket.socket], None] | None = None,
        avoid_port: int = 0,
        port: int = 0,
    ) -> None:
        if (backend is None) == (handler is None):
            raise ValueError("a gate needs exactly one of backend= or handler=")
        self.name = name
        self.allow = allow
        self.backend = backend
        self.handler = handler
        self._host = host
        self._sock = _listen(host, avoid_port, port)
        self.port = self._sock.getsockname()[1]
        self._closed = threading.Event()
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._plug: socket.socket | None = None  # our own queued connection while the gate is shut
        self._old_plugs: set[tuple] = set()  # addresses of plugs still queued after the gate opened
        self._wake_r, self._wake_w = socket.socketpair()
        self.stats = {"allowed": 0, "dropped": 0}
        self.recheck()  # shut from the start when the rules say so
        with _gates_lock:
            _gates.add(self)
        threading.Thread(target=self._accept_loop, name=f"gate-{name}", daemon=True).start()

    # ---- the firewall state -----------------------------------------------------------------------

    @property
    def shut(self) -> bool:
        return self._plug is not None

    def _allowed_now(self) -> bool:
        try:
            return bool(self.allow())
        except Exception:  # a bug in the rule check must not open the gate
            log.exception("gate %s: rule check failed; dropping", self.name)
            return False

    def recheck(self) -> None:
        """Shut or open the listener to match ``allow()`` now."""
        if self._closed.is_set():
            return
        want_open = self._allowed_now()
        with self._state_lock:
            if self._closed.is_set():
                return
            if want_open and self._plug is not None:
                self._sock.listen(OPEN_BACKLOG)
                self._old_plugs.add(self._plug.getsockname())  # the accept loop takes it off the queue
                self._plug.close()
                self._plug = None
                self._wake()
            elif not want_open and self._plug is None:
                self._sock.listen(OPEN_BACKLOG)
                plug = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                plug.settimeout(5)
                try:
                    plug.connect((self._host, self.port))  # completes in the kernel: queued, never accepted
                except OSError:
                    plug.close()
                    log.exception("gate %s: could not shut the listener; connections are held instead", self.name)
                    return
                self._sock.listen(0)  # queue full: the kernel drops every new SYN
                self._plug = plug

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    # ---- accepting --------------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            watch = [self._wake_r] if self.shut else [self._wake_r, self._sock]
            try:
                ready, _, _ = select.select(watch, [], [], RECHECK_S)
            except (OSError, ValueError):
                return  # closed
            if self._wake_r in ready:
                try:
                    self._wake_r.recv(4096)
                except OSError:
                    return
            if self._closed.is_set():
                return
            if self._sock in ready:
                self._accept_pending()
            if not ready:
                self.recheck()  # a rule may have changed without an API call we saw (e.g. a reset)

    def _accept_pending(self) -> None:
        while True:
            with self._state_lock:  # never take our own plug off the queue while recheck() shuts it
                if self.shut:
                    return
                try:
                    client, peer = self._sock.accept()
                except (BlockingIOError, InterruptedError):
                    return
                except OSError:
                    return  # closed
            if peer in self._old_plugs:
                self._old_plugs.discard(peer)
                client.close()
                continue
            client.setblocking(True)
            threading.Thread(target=self._handle, args=(client,), daemon=True, name=f"gate-{self.name}-conn").start()

    def _handle(self, client: socket.socket) -> None:
        self._track(client)
        if not self._allowed_now():  # a rule revoked between the SYN and now
            self.stats["dropped"] += 1
            hold_in_silence(client)
            self._untrack(client)
            return
        if self.handler is not None:
            self.stats["allowed"] += 1
            self._untrack_only(client)  # the handler owns it now
            try:
                self.handler(client)
            except Exception:
                log.exception("gate %s: handler failed", self.name)
                client.close()
            return
        assert self.backend is not None
        target = self.backend()
        if target is None:
            self.stats["dropped"] += 1
            hold_in_silence(client)
            self._untrack(client)
            return
        if target == REFUSE:
            self.stats["refused"] = self.stats.get("refused", 0) + 1
            self._reset(client)
            return
        self.stats["allowed"] += 1
        try:
            if isinstance(target, str):
                upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                upstream.settimeout(5)
                upstream.connect(target)
            else:
                upstream = socket.create_connection(target, timeout=5)
            upstream.settimeout(None)
        except OSError:
            self._reset(client)  # nothing listens (server stopping): the client sees a reset
            return
        self._track(upstream)
        t = threading.Thread(target=self._pipe, args=(upstream, client), daemon=True)
        t.start()
        self._pipe(client, upstream)
        t.join()
        self._untrack(client, upstream)

    def _reset(self, client: socket.socket) -> None:
        """Close with a TCP reset (SO_LINGER 0), not a polite FIN: "connection reset by peer"."""
        try:
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self._untrack(client)

    def _track(self, *socks: socket.socket) -> None:
        with self._lock:
            self._conns.update(socks)

    def _untrack_only(self, sock: socket.socket) -> None:
        with self._lock:
            self._conns.discard(sock)

    def _untrack(self, *socks: socket.socket) -> None:
        with self._lock:
            for s in socks:
                self._conns.discard(s)
        for s in socks:
            try:
                s.close()
            except OSError:
                pass

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
        with self._state_lock:
            self._closed.set()
            if self._plug is not None:
                self._plug.close()
                self._plug = None
        self._wake()
        for s in (self._sock, self._wake_r, self._wake_w):
            try:
                s.close()
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
        with _gates_lock:
            _gates.discard(self)


RESTORE_PORT_WAIT_S = 3.0
GATE_PORTS = (20000, 32768)  # endpoints' ports: below the ephemeral range


def _listen(host: str, avoid_port: int, port: int = 0) -> socket.socket:
    """A non-blocking listener on ``host``: on ``port`` when it is given and free (a restored
    resource keeps its endpoint), else on a free port that is never ``avoid_port`` (a restarted
    instance gets a new address, as on AWS)."""
    if port and port != avoid_port:
        # A restart right after a stop can find the port still held for a moment (processes of the
        # old daemon that are still exiting): try for a few seconds before the endpoint moves.
        deadline = time.monotonic() + RESTORE_PORT_WAIT_S
        while True:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the old daemon's connections in TIME_WAIT
            try:
                sock.bind((host, port))
                sock.listen(OPEN_BACKLOG)
                sock.setblocking(False)
                return sock
            except OSError:
                sock.close()
                if time.monotonic() > deadline:
                    log.info("port %s is taken: the endpoint moves to a new port", port)
                    break
                time.sleep(0.1)
    while True:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # As every server does: the connections it accepts inherit SO_REUSEADDR, so those the old
        # daemon closed (TIME_WAIT, 60 s) do not keep the next start from binding this port again.
        # Without it a restored endpoint moved when localcloud restarted within a minute of closing
        # a connection (test_persistence in CI).
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            # Below Linux's ephemeral range (32768-60999): a client's outgoing connection can never
            # sit on this port while localcloud is stopped, so a restart finds the endpoint free.
            sock.bind((host, random.randrange(*GATE_PORTS)))
        except OSError:
            sock.close()
            continue
        if avoid_port and sock.getsockname()[1] == avoid_port:
            sock.close()
            continue
        sock.listen(OPEN_BACKLOG)
        sock.setblocking(False)
        return sock

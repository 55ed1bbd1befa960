"""SSH endpoints for the EC2 engine: one asyncssh listener per running instance.

All listeners share one asyncio loop on one thread ("localcloud-ssh"), started with the
first endpoint and stopped by :meth:`SshHub.close_all` (the engine's ``stop``/``reset``).
Each accepted connection is checked against the instance's security groups *before*
the SSH greeting is sent: a denied connection is held open in silence and closed after
``DROP_HOLD_S``, so the client sees what a dropped packet looks like — a timeout.

Commands run for real, as the daemon's own user, in the instance's home folder; the
shells are started through the daemon's supervisor so none can outlive it.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import pty
import shutil
import socket
import struct
import subprocess
import termios
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import asyncssh

log = logging.getLogger("localcloud.ec2_ssh")
logging.getLogger("asyncssh").setLevel(logging.WARNING)  # not a line per packet in daemon.log

DROP_HOLD_S = 30.0  # a denied connection is closed after this; clients give up much sooner
LOGIN_TIMEOUT_S = 30.0
SHELL = shutil.which("bash") or "/bin/sh"
SETSID = shutil.which("setsid")  # util-linux: gives an interactive shell its terminal


@dataclass
class Endpoint:
    """What one instance's SSH server needs to know; ``allowed()`` is asked per connection."""

    instance_id: str
    user: str  # the AMI's default user, the only login name accepted
    authorized_key: asyncssh.SSHKey | None  # the launch key pair's public key
    host_key: asyncssh.SSHKey
    home: Path
    allowed: Callable[[], bool]
    port: int = 0
    listener: socket.socket | None = None
    tasks: set = field(default_factory=set)
    connections: set = field(default_factory=set)
    children: list = field(default_factory=list)  # Child objects are not hashable


class _Server(asyncssh.SSHServer):
    def __init__(self, ep: Endpoint) -> None:
        self.ep = ep
        self.conn = None

    def connection_made(self, conn) -> None:
        self.conn = conn
        self.ep.connections.add(conn)

    def connection_lost(self, exc) -> None:
        self.ep.connections.discard(self.conn)

    def begin_auth(self, username: str) -> bool:
        return True  # always ask for a key, whatever the name

    def password_auth_supported(self) -> bool:
        return False  # EC2 images disable passwords: key pairs only

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        ak = self.ep.authorized_key
        return (username == self.ep.user and ak is not None
                and key.public_data == ak.public_data)


class SshHub:
    def __init__(self, spawn: Callable[..., object], terminate: Callable[[object], None]) -> None:
        self._spawn = spawn  # supervisor.spawn(argv, name=..., **popen_kwargs) -> Child
        self._terminate = terminate
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.endpoints: dict[str, Endpoint] = {}

    # ---- called from request threads ------------------------------------------------------

    def open(self, ep: Endpoint, avoid_port: int = 0) -> int:
        """Start listening for ``ep`` on a free loopback port (never ``avoid_port``); return it."""
        self._ensure_loop()
        sock = _listen_socket()
        if sock.getsockname()[1] == avoid_port:  # a restarted instance gets a new address
            other = _listen_socket()
            sock.close()
            sock = other
        ep.listener, ep.port = sock, sock.getsockname()[1]
        with self._lock:
            self.endpoints[ep.instance_id] = ep
        asyncio.run_coroutine_threadsafe(self._serve(ep), self._loop).result(10)
        return ep.port

    def close(self, instance_id: str) -> None:
        with self._lock:
            ep = self.endpoints.pop(instance_id, None)
        if ep is not None and self._loop is not None:
            asyncio.run_coroutine_threadsafe(self._shutdown(ep), self._loop).result(30)

    def close_all(self) -> None:
        for iid in list(self.endpoints):
            self.close(iid)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()
            self._loop = self._thread = None

    # ---- the loop -----------------------------------------------------------------------

    def _ensure_loop(self) -> None:
        with self._lock:
            if self._loop is not None:
                return
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._loop.run_forever, name="localcloud-ssh", daemon=True)
            self._thread.start()

    def _track(self, ep: Endpoint, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        ep.tasks.add(task)
        task.add_done_callback(ep.tasks.discard)

    async def _serve(self, ep: Endpoint) -> None:
        self._track(ep, self._accept_loop(ep))

    async def _accept_loop(self, ep: Endpoint) -> None:
        loop = asyncio.get_running_loop()
        while True:
            conn, _ = await loop.sock_accept(ep.listener)
            try:
                allowed = ep.allowed()
            except Exception:  # moto state mid-change: fail closed, like a firewall
                log.exception("security-group check failed for %s", ep.instance_id)
                allowed = False
            self._track(ep, self._ssh(ep, conn) if allowed else self._drop(conn))

    async def _drop(self, conn: socket.socket) -> None:
        """Say nothing: read and discard until the client gives up, then close."""
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(DROP_HOLD_S):
                while await loop.sock_recv(conn, 4096):
                    pass
        except (TimeoutError, OSError):
            pass
        finally:
            conn.close()

    async def _ssh(self, ep: Endpoint, conn: socket.socket) -> None:
        try:
            await asyncssh.run_server(
                conn, server_factory=lambda: _Server(ep), server_host_keys=[ep.host_key],
                process_factory=lambda proc: self._session(ep, proc), encoding=None,
                login_timeout=LOGIN_TIMEOUT_S, allow_scp=False, agent_forwarding=False,
                x11_forwarding=False, allow_pty=True)
        except (asyncssh.Error, OSError, asyncio.TimeoutError) as exc:
            log.info("ssh connection to %s ended before login: %s", ep.instance_id, exc)
            conn.close()

    async def _shutdown(self, ep: Endpoint) -> None:
        ep.listener.close()
        for conn in list(ep.connections):
            conn.abort()
        for task in list(ep.tasks):
            task.cancel()
        if ep.tasks:
            await asyncio.wait(list(ep.tasks), timeout=5)
        loop = asyncio.get_running_loop()
        for child in list(ep.children):
            await loop.run_in_executor(None, self._terminate, child)

    # ---- sessions: a real shell in the instance's home --------------------------------------

    def _env(self, ep: Endpoint, proc) -> dict[str, str]:
        env = {"HOME": str(ep.home), "USER": ep.user, "LOGNAME": ep.user, "SHELL": SHELL,
               "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "PWD": str(ep.home)}
        if proc.get_terminal_type():
            env["TERM"] = proc.get_terminal_type()
        return env

    async def _session(self, ep: Endpoint, proc: asyncssh.SSHServerProcess) -> None:
        task = asyncio.current_task()
        ep.tasks.add(task)
        child = None
        try:
            if proc.get_terminal_type():
                child, status = await self._run_pty(ep, proc)
            else:
                child, status = await self._run_pipes(ep, proc)
            proc.exit(status)
        except asyncio.CancelledError:
            proc.close()
            raise
        except Exception as exc:
            log.exception("session on %s failed", ep.instance_id)
            proc.stderr.write(f"localcloud: {exc}\n".encode())
            proc.exit(255)
        finally:
            ep.tasks.discard(task)

    def _argv(self, proc) -> list[str]:
        if proc.command is not None:
            return [SHELL, "-c", proc.command]
        return [SHELL, "-i"] if proc.get_terminal_type() else [SHELL]

    async def _start(self, ep: Endpoint, argv: list[str], **popen):
        loop = asyncio.get_running_loop()
        ep.home.mkdir(parents=True, exist_ok=True)
        child = await loop.run_in_executor(None, lambda: self._spawn(
            argv, name=f"ssh {ep.instance_id}", cwd=ep.home, **popen))
        ep.children.append(child)
        return child

    async def _finish(self, ep: Endpoint, child) -> int:
        code = await asyncio.get_running_loop().run_in_executor(None, child.popen.wait)
        if child in ep.children:
            ep.children.remove(child)
        return code if code >= 0 else 128 - code

    async def _run_pipes(self, ep, proc):
        P = subprocess.PIPE
        child = await self._start(ep, self._argv(proc), stdin=P, stdout=P, stderr=P, env=self._env(ep, proc))
        pumps = [asyncio.create_task(_pipe_out(child.popen.stdout, proc.stdout)),
                 asyncio.create_task(_pipe_out(child.popen.stderr, proc.stderr))]
        feeder = asyncio.create_task(_pipe_in(proc.stdin, child.popen.stdin))
        try:
            status = await self._finish(ep, child)
            await asyncio.gather(*pumps)
        finally:
            feeder.cancel()
            for p in pumps:
                p.cancel()
        return child, status

    async def _run_pty(self, ep, proc):
        master, slave = pty.openpty()
        _set_size(master, proc.get_terminal_size())
        argv = self._argv(proc)
        if SETSID:
            argv = [SETSID, "--ctty", *argv]  # the terminal becomes the shell's controlling tty
        try:
            child = await self._start(ep, argv, stdin=slave, stdout=slave, stderr=slave, env=self._env(ep, proc))
        finally:
            os.close(slave)
        loop = asyncio.get_running_loop()
        out_done = loop.create_future()

        def readable() -> None:
            try:
                data = os.read(master, 65536)
            except OSError:
                data = b""
            if data:
                proc.stdout.write(data)
            else:
                loop.remove_reader(master)
                if not out_done.done():
                    out_done.set_result(None)

        loop.add_reader(master, readable)

        async def feed() -> None:
            try:
                while True:
                    try:
                        data = await proc.stdin.read(65536)
                    except asyncssh.TerminalSizeChanged as exc:
                        _set_size(master, (exc.width, exc.height, exc.pixwidth, exc.pixheight))
                        continue
                    if not data:
                        break
                    os.write(master, data)
            except (OSError, asyncssh.BreakReceived, asyncssh.SignalReceived):
                pass

        feeder = asyncio.create_task(feed())
        try:
            status = await self._finish(ep, child)
            try:
                async with asyncio.timeout(2):
                    await out_done
            except TimeoutError:
                pass
        finally:
            feeder.cancel()
            loop.remove_reader(master)
            os.close(master)
        return child, status


def _listen_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.setblocking(False)
    return sock


def _set_size(fd: int, size) -> None:
    width, height = size[0] or 80, size[1] or 24
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))


async def _pipe_out(src, dst) -> None:
    """Copy a child's stdout/stderr pipe to the SSH channel until EOF."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), src)
    try:
        while data := await reader.read(65536):
            dst.write(data)
    finally:
        transport.close()


async def _pipe_in(src, dst) -> None:
    """Copy what the SSH client sends to the child's stdin; EOF closes it."""
    loop = asyncio.get_running_loop()
    try:
        while data := await src.read(65536):
            await loop.run_in_executor(None, dst.write, data)
            await loop.run_in_executor(None, dst.flush)
    except (OSError, asyncssh.Error, asyncssh.BreakReceived, asyncssh.SignalReceived):
        pass
    finally:
        try:
            dst.close()
        except OSError:
            pass

"""SSH endpoints for the EC2 engine: one asyncssh server per running instance, behind a TCP gate.

All servers share one asyncio loop on one thread ("localcloud-ssh"), started with the first
endpoint and stopped by :meth:`SshHub.close_all` (the engine's ``stop``/``reset``).  Each
endpoint listens through a :class:`localcloud.tcpgate.Gate`: while the instance's security
groups drop SSH, the kernel drops the client's SYN (a *connect* timeout, as on AWS); an allowed
connection is handed to asyncssh.

Commands, shells, ``scp`` (legacy ``-O`` mode runs ``scp -t``/``-f`` as a command) and the
``sftp`` subsystem (OpenSSH's ``sftp-server``, what ``scp`` uses by default) all run *inside*
the instance's sandbox (:mod:`localcloud.sandbox`): its own disk, process tree and network, as
the AMI's user.  Without a sandbox an instance refuses to run anything, and says why.
"""

from __future__ import annotations

import asyncio
import fcntl
import inspect
import logging
import os
import pty
import socket
import struct
import subprocess
import termios
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import IO, Any

import asyncssh
from asyncssh.constants import EXTENDED_DATA_STDERR
from asyncssh.stream import SSHReader, SSHWriter

from ... import sandbox as _sandbox
from ...processes import Child
from ...tcpgate import Gate

_Process = asyncssh.SSHServerProcess[bytes]  # encoding=None: every session carries bytes

log = logging.getLogger("localcloud.ec2_ssh")
logging.getLogger("asyncssh").setLevel(logging.WARNING)  # not a line per packet in daemon.log

LOGIN_TIMEOUT_S = 30.0
SHELL = "/bin/bash"  # inside the instance
SETSID = "/usr/bin/setsid"  # util-linux, inside the instance: gives an interactive shell its terminal


@dataclass
class Endpoint:
    """What one instance's SSH server needs to know; ``allowed()`` is asked by its gate."""

    instance_id: str
    user: str  # the AMI's default user, the only login name accepted
    authorized_key: asyncssh.SSHKey | None  # the launch key pair's public key
    host_key: asyncssh.SSHKey
    sandbox: _sandbox.InstanceSandbox | None  # None: no sandbox here, commands are refused
    allowed: Callable[[], bool]
    refusal: str = ""  # why commands are refused (no sandbox)
    port: int = 0
    gate: Gate | None = None
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    connections: set[asyncssh.SSHServerConnection] = field(default_factory=set)
    children: list[Child] = field(default_factory=list)  # Child objects are not hashable


class _SandboxProcess(asyncssh.SSHServerProcess):
    """A session whose ``sftp`` subsystem is a process like any command (OpenSSH's sftp-server,
    run inside the instance), not asyncssh's in-process SFTP server, which would serve the
    daemon's own files."""

    def subsystem_requested(self, subsystem: str) -> bool:
        return subsystem == "sftp" and bool(_sandbox.SFTP_SERVER)

    def session_started(self) -> None:
        if self._chan.get_subsystem() != "sftp":
            super().session_started()
            return
        stdin = SSHReader(self, self._chan)
        stdout = SSHWriter(self, self._chan)
        stderr = SSHWriter(self, self._chan, EXTENDED_DATA_STDERR)
        factory, conn = self._session_factory, self._conn
        if factory is None or conn is None:  # asyncssh's own session_started asserts the same
            raise RuntimeError("an SSH session started without its connection or session factory")
        handler = factory(stdin, stdout, stderr)
        if inspect.isawaitable(handler):
            conn.create_task(handler, stdin.logger)


class _Server(asyncssh.SSHServer):
    def __init__(self, ep: Endpoint, process_factory: Callable[[_Process], Awaitable[None]]) -> None:
        self.ep = ep
        self.conn: asyncssh.SSHServerConnection | None = None
        self._process_factory = process_factory

    def session_requested(self) -> asyncssh.SSHServerSession:
        return _SandboxProcess(self._process_factory, None, 3, False)

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        self.ep.connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.conn is not None:
            self.ep.connections.discard(self.conn)

    def begin_auth(self, username: str) -> bool:
        return True  # always ask for a key, whatever the name

    def password_auth_supported(self) -> bool:
        return False  # EC2 images disable passwords: key pairs only

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        ak = self.ep.authorized_key
        return username == self.ep.user and ak is not None and key.public_data == ak.public_data


class SshHub:
    def __init__(self, spawn: _sandbox.Spawn, terminate: Callable[[Child], None]) -> None:
        self._spawn = spawn  # supervisor.spawn(argv, name=..., **popen_kwargs) -> Child
        self._terminate = terminate
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.endpoints: dict[str, Endpoint] = {}

    # ---- called from request threads ------------------------------------------------------

    def open(self, ep: Endpoint, avoid_port: int = 0, port: int = 0) -> int:
        """Start serving ``ep`` on a free loopback port (never ``avoid_port``; ``port`` when it is
        free: a restored instance keeps its endpoint); return it."""
        loop = self._ensure_loop()

        def handler(sock: socket.socket) -> None:
            asyncio.run_coroutine_threadsafe(self._ssh(ep, sock), loop)

        ep.gate = Gate(
            f"ssh-{ep.instance_id}",
            allow=ep.allowed,
            handler=handler,
            avoid_port=avoid_port,
            port=port,
        )
        ep.port = ep.gate.port
        with self._lock:
            self.endpoints[ep.instance_id] = ep
        return ep.port

    def close(self, instance_id: str) -> None:
        with self._lock:
            ep = self.endpoints.pop(instance_id, None)
        if ep is not None and self._loop is not None:
            if ep.gate is not None:
                ep.gate.close()
            asyncio.run_coroutine_threadsafe(self._shutdown(ep), self._loop).result(30)

    def close_all(self) -> None:
        for iid in list(self.endpoints):
            self.close(iid)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._thread is not None:
                self._thread.join(10)
            self._loop.close()
            self._loop = self._thread = None

    # ---- the loop -----------------------------------------------------------------------

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is not None:
                return self._loop
            self._loop = loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=loop.run_forever, name="localcloud-ssh", daemon=True)
            self._thread.start()
            return loop

    async def _ssh(self, ep: Endpoint, conn: socket.socket) -> None:
        task = _current_task()
        ep.tasks.add(task)
        try:
            conn.setblocking(False)
            await asyncssh.run_server(
                conn,
                # sessions (commands, shells, scp -t/-f, the sftp subsystem) are _SandboxProcess
                server_factory=lambda: _Server(ep, lambda proc: self._session(ep, proc)),
                server_host_keys=[ep.host_key],
                encoding=None,
                login_timeout=LOGIN_TIMEOUT_S,
                allow_scp=False,  # legacy scp runs `scp -t/-f` inside the instance, as a command
                agent_forwarding=False,
                x11_forwarding=False,
                allow_pty=True,
            )
        except (TimeoutError, asyncssh.Error, OSError) as exc:
            log.info("ssh connection to %s ended before login: %s", ep.instance_id, exc)
            conn.close()
        finally:
            ep.tasks.discard(task)

    async def _shutdown(self, ep: Endpoint) -> None:
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

    async def _session(self, ep: Endpoint, proc: _Process) -> None:
        task = _current_task()
        ep.tasks.add(task)
        try:
            if ep.sandbox is None:
                proc.stderr.write(f"localcloud: {ep.refusal}\n".encode())
                proc.exit(1)
                return
            if proc.get_terminal_type():
                _, status = await self._run_pty(ep, ep.sandbox, proc)
            else:
                _, status = await self._run_pipes(ep, ep.sandbox, proc)
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

    def _argv(self, proc: _Process) -> list[str]:
        if proc.subsystem == "sftp" and _sandbox.SFTP_SERVER:
            return [_sandbox.SFTP_SERVER]
        if proc.subsystem:
            raise RuntimeError(f"subsystem {proc.subsystem!r} is not available on this instance")
        if proc.command is not None:
            return [SHELL, "-c", proc.command]
        return [SHELL, "-l", "-i"] if proc.get_terminal_type() else [SHELL, "-l"]

    async def _start(
        self, ep: Endpoint, box: _sandbox.InstanceSandbox, argv: list[str], term: str | None = None, **popen: Any
    ) -> Child:
        loop = asyncio.get_running_loop()
        argv, fds = box.session(argv)
        env = box.env(term)

        def spawn() -> Child:
            return self._spawn(argv, name=f"ssh {ep.instance_id}", cwd="/", env=env, pass_fds=fds, **popen)

        child = await loop.run_in_executor(None, spawn)
        ep.children.append(child)
        return child

    async def _finish(self, ep: Endpoint, child: Child) -> int:
        code = await asyncio.get_running_loop().run_in_executor(None, child.popen.wait)
        if child in ep.children:
            ep.children.remove(child)
        return code if code >= 0 else 128 - code

    async def _run_pipes(self, ep: Endpoint, box: _sandbox.InstanceSandbox, proc: _Process) -> tuple[Child, int]:
        P = subprocess.PIPE
        child = await self._start(ep, box, self._argv(proc), stdin=P, stdout=P, stderr=P)
        stdin, stdout, stderr = _pipes(child)
        pumps = [
            asyncio.create_task(_pipe_out(stdout, proc.stdout)),
            asyncio.create_task(_pipe_out(stderr, proc.stderr)),
        ]
        feeder = asyncio.create_task(_pipe_in(proc.stdin, stdin))
        try:
            status = await self._finish(ep, child)
            await asyncio.gather(*pumps)
        finally:
            feeder.cancel()
            for p in pumps:
                p.cancel()
        return child, status

    async def _run_pty(self, ep: Endpoint, box: _sandbox.InstanceSandbox, proc: _Process) -> tuple[Child, int]:
        master, slave = pty.openpty()
        _set_size(master, proc.get_terminal_size())
        argv = [SETSID, "--ctty", *self._argv(proc)]  # the terminal becomes the shell's controlling tty
        try:
            child = await self._start(
                ep, box, argv, term=proc.get_terminal_type(), stdin=slave, stdout=slave, stderr=slave
            )
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


def _current_task() -> asyncio.Task[Any]:
    """The task running this coroutine (every coroutine here runs in one)."""
    task = asyncio.current_task()
    if task is None:
        raise RuntimeError("not inside an asyncio task")
    return task


def _pipes(child: Child) -> tuple[IO[bytes], IO[bytes], IO[bytes]]:
    """A child's stdin, stdout and stderr pipes (it was spawned with all three piped)."""
    p = child.popen
    if p.stdin is None or p.stdout is None or p.stderr is None:
        raise RuntimeError(f"{child.name}: spawned without pipes")
    return p.stdin, p.stdout, p.stderr


def _set_size(fd: int, size: tuple[int, int, int, int]) -> None:
    width, height = size[0] or 80, size[1] or 24
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))


async def _pipe_out(src: IO[bytes], dst: SSHWriter[bytes]) -> None:
    """Copy a child's stdout/stderr pipe to the SSH channel until EOF."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), src)
    try:
        while data := await reader.read(65536):
            dst.write(data)
    finally:
        transport.close()


async def _pipe_in(src: SSHReader[bytes], dst: IO[bytes]) -> None:
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

"""One PostgreSQL server per warehouse: its data folder, its private socket, start and stop.

Debian's ``postgresql`` package provides the binaries (``make postgresql`` installs it).  A
template cluster is made once per runtime (``initdb`` plus the Redshift catalog from
``catalog.py``) and copied for each new warehouse: copying ~40 MB is much faster than initdb.

The server listens on no TCP port at all: only on a Unix socket in a 0700 folder, so the
only way in is the runtime's own proxy (where security groups are enforced) and its Data API.

PostgreSQL refuses to run as root.  When the runtime runs as root (CI, containers) the
server runs as the ``postgres`` account Debian's package creates, and its files live in a
folder that account owns: under the runtime's state folder when that account can reach it,
else in ``/tmp/localcloud-redshift-*`` (a state folder private to root is not traversable by
it; see :class:`Home`).
"""

from __future__ import annotations

import glob
import hashlib
import os
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import SqlError
from .pgwire import PgConn

INSTALL_HINT = (
    "The Redshift labs run a real PostgreSQL server on the local target and none was found "
    "(looked for /usr/lib/postgresql/*/bin/postgres and postgres on PATH). Install it with "
    "`sudo apt-get install postgresql` (Debian/Ubuntu; `make postgresql` does this when it can)."
)
INTERNAL_USER = "lc_internal"  # the bootstrap superuser; learners never log in as it
SOCKET_PORT = 5439  # only names the socket file (.s.PGSQL.5439); no TCP port is opened

# A lab warehouse: small memory, no parallel workers (2 shared cores), no JIT (its compile
# time dwarfs lab queries), commits that do not wait for the disk (a crash loses the last
# transactions, never consistency), minimal WAL so COPY into a new table skips it.
SERVER_SETTINGS = {
    "listen_addresses": "",
    "port": str(SOCKET_PORT),
    "unix_socket_permissions": "0700",
    "shared_buffers": "32MB",
    "max_connections": "60",
    "max_worker_processes": "2",
    "max_parallel_workers_per_gather": "0",
    "jit": "off",
    "synchronous_commit": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "password_encryption": "md5",
    "timezone": "UTC",
    "log_timezone": "UTC",
    "datestyle": "ISO, MDY",
    "lc_messages": "C",
    "log_min_messages": "warning",
    "logging_collector": "off",
    "dynamic_shared_memory_type": "posix",
}

Spawn = Callable[..., subprocess.Popen]


class PostgresMissing(RuntimeError):
    pass


def bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    which = shutil.which("postgres")
    if which:
        return Path(which).parent
    raise PostgresMissing(INSTALL_HINT)


def default_spawn(argv: list[str], name: str, **popen_kwargs: Any) -> subprocess.Popen:
    """Start a child process (tests and benchmarks; localcloud injects its Supervisor instead)."""
    popen_kwargs.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.Popen(argv, start_new_session=True, **popen_kwargs)


def _run_as() -> tuple[dict[str, Any], int | None, int | None]:
    """Popen arguments that drop root to the postgres account, and that account's ids."""
    if os.geteuid() != 0:
        return {}, None, None
    for name in ("postgres", "nobody"):
        try:
            pw = pwd.getpwnam(name)
        except KeyError:
            continue
        return {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}, pw.pw_uid, pw.pw_gid
    raise PostgresMissing("running as root and no 'postgres' account exists to run PostgreSQL as")


def chown_tree(path: Path, uid: int | None, gid: int | None) -> None:
    if uid is None or gid is None:  # both or neither (see _run_as)
        return
    for root, dirs, files in os.walk(path):
        os.chown(root, uid, gid)
        for name in dirs + files:
            os.lchown(os.path.join(root, name), uid, gid)


def _traversable(path: Path, uid: int, gid: int) -> bool:
    """Can the account ``uid``/``gid`` reach ``path`` (execute permission on every folder above it)?"""
    for folder in path.resolve().parents:
        try:
            st = folder.stat()
        except OSError:
            return False
        if st.st_uid == uid:
            bit = stat.S_IXUSR
        elif st.st_gid == gid:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not st.st_mode & bit:
            return False
    return True


def _pointed(pointer: Path) -> Path | None:
    """The temporary folder a pointer file names, if it is one of ours."""
    try:
        old = pointer.read_text().strip()
    except OSError:
        return None
    if old.startswith(tempfile.gettempdir()) and "localcloud-redshift-" in old:
        return Path(old)
    return None


class Home:
    """Where a runtime's server folders live: ``<state_dir>/pg`` when the server's account can reach
    it, else (root, with a state folder private to root) a ``/tmp/localcloud-redshift-*`` folder
    named by the pointer file ``<state_dir>/pg-home``.

    ``reuse``: keep what a previous daemon left (its warehouses come back, ``localcloud start``);
    otherwise whatever is there is removed first.  A folder in /tmp survives ``localcloud stop``
    and a crash, not necessarily a reboot (the restore then reports the warehouses as lost).
    """

    def __init__(self, state_dir: Path, reuse: bool = False) -> None:
        self.popen_user, self.uid, self.gid = _run_as()
        state_dir.mkdir(parents=True, exist_ok=True)
        self.pointer = state_dir / "pg-home"
        inside = state_dir / "pg"
        old = _pointed(self.pointer)
        if self.uid is None or self.gid is None or _traversable(inside, self.uid, self.gid):
            self.root, self.private = inside, False
            if old is not None:  # an earlier placement (another LAB_DIR layout): not ours any more
                shutil.rmtree(old, ignore_errors=True)
            self.pointer.unlink(missing_ok=True)
            if not reuse:
                shutil.rmtree(self.root, ignore_errors=True)
            self.root.mkdir(parents=True, exist_ok=True)
            if self.uid is not None and self.gid is not None:
                os.chown(self.root, self.uid, self.gid)
            return
        self.private = True
        if reuse and old is not None and old.is_dir():
            self.root = old
            return
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(inside, ignore_errors=True)
        self.root = Path(tempfile.mkdtemp(prefix="localcloud-redshift-"))
        os.chown(self.root, self.uid, self.gid)
        self.pointer.write_text(str(self.root))

    @staticmethod
    def wipe(state_dir: Path) -> None:
        """Remove every server folder a previous daemon left under (or pointed to from) ``state_dir``."""
        old = _pointed(state_dir / "pg-home")
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(state_dir, ignore_errors=True)

    def new_dir(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        os.chmod(path, 0o700)
        chown_tree(path, self.uid, self.gid)
        return path

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        if self.private:
            self.pointer.unlink(missing_ok=True)


class Server:
    """A PostgreSQL server process over ``datadir``, reachable at ``socket_path`` only."""

    def __init__(self, home: Home, datadir: Path, name: str, spawn: Spawn) -> None:
        self.home = home
        self.datadir = datadir
        self.name = name
        self.spawn = spawn
        self.proc: subprocess.Popen | None = None
        # Unix socket paths are limited to 107 bytes: a short folder in /tmp, not the state dir.
        self.socket_dir = Path(tempfile.mkdtemp(prefix="lcrs-"))
        os.chmod(self.socket_dir, 0o700)
        chown_tree(self.socket_dir, home.uid, home.gid)
        self.log = datadir.parent / f"{datadir.name}.log"

    @property
    def socket_path(self) -> str:
        return str(self.socket_dir / f".s.PGSQL.{SOCKET_PORT}")

    def start(self, timeout: float = 90.0, settings: dict[str, str] | None = None) -> None:
        argv = [str(bindir() / "postgres"), "-D", str(self.datadir), "-k", str(self.socket_dir)]
        for key, value in {**SERVER_SETTINGS, **(settings or {})}.items():
            argv += ["-c", f"{key}={value}"]
        (self.datadir / "postmaster.pid").unlink(missing_ok=True)  # stale after a hard kill
        logfile = open(self.log, "ab")
        try:
            self.proc = self.spawn(
                argv, name=f"postgres {self.name}", stdout=logfile, stderr=subprocess.STDOUT, **self.home.popen_user
            )
        finally:
            logfile.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"PostgreSQL did not start: {self.tail()}")
            try:
                PgConn(self.socket_path, INTERNAL_USER, "postgres").close()
                return
            except (OSError, ConnectionError):
                time.sleep(0.05)
            except SqlError as exc:  # "the database system is starting up"
                if exc.sqlstate != "57P03":
                    raise
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"PostgreSQL did not answer within {timeout:.0f} s: {self.tail()}")

    def connect(self, user: str = INTERNAL_USER, database: str = "postgres", **params: str) -> PgConn:
        return PgConn(self.socket_path, user, database, params)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 30.0, immediate: bool = False) -> None:
        """A "fast" shutdown (roll back sessions, checkpoint, exit), or "immediate" (no checkpoint)
        when the data folder is about to be deleted anyway."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGQUIT if immediate else signal.SIGINT)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def remove_socket_dir(self) -> None:
        shutil.rmtree(self.socket_dir, ignore_errors=True)

    def tail(self, lines: int = 5) -> str:
        try:
            text = self.log.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "(no log)"
        return " | ".join(text[-lines:])


_TEMPLATE_LOCK = threading.Lock()


def make_template(home: Home, spawn: Spawn, bootstrap_sql: str) -> Path:
    """initdb once, install the Redshift catalog into template1, stop: the copy source for warehouses."""
    with _TEMPLATE_LOCK:
        template = home.root / "template"
        # kept across daemons (a reused home): valid only when finished, and made by this catalog
        ready = home.root / "template.ready"
        stamp = hashlib.sha256(bootstrap_sql.encode()).hexdigest()
        if (template / "PG_VERSION").exists() and ready.is_file() and ready.read_text() == stamp:
            return template
        ready.unlink(missing_ok=True)
        shutil.rmtree(template, ignore_errors=True)
        home.new_dir("template")
        log = home.root / "initdb.log"
        with open(log, "wb") as out:
            proc = spawn(
                [
                    str(bindir() / "initdb"),
                    "-D",
                    str(template),
                    "-U",
                    INTERNAL_USER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-instructions",
                ],
                name="initdb redshift template",
                stdout=out,
                stderr=subprocess.STDOUT,
                **home.popen_user,
            )
            code = proc.wait(180)
        if code != 0:
            raise RuntimeError(f"initdb failed (exit {code}): {log.read_text(errors='replace')[-500:]}")
        server = Server(home, template, "template", spawn)
        try:
            server.start()
            conn = server.connect(database="template1")
            try:
                conn.simple(bootstrap_sql)
            finally:
                conn.close()
        finally:
            server.stop()
            server.remove_socket_dir()
        ready.write_text(stamp)
        return template


def copy_template(home: Home, template: Path, name: str) -> Path:
    target = home.root / name
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(template, target, symlinks=True)
    (target / "postmaster.pid").unlink(missing_ok=True)
    os.chmod(target, 0o700)
    chown_tree(target, home.uid, home.gid)
    return target

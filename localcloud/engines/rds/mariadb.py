"""One MariaDB server per RDS DB instance: its data folder, its command line, readiness, dumps.

Used by the ``rds_mariadb`` engine (labs 02, 03, 06).  Everything here runs through the
daemon's :class:`~localcloud.processes.Supervisor`, so no server outlives localcloud.

Every server writes a GTID binary log with its own ``server_id`` (what RDS turns on with
automated backups), so any instance can become the source of a read replica (lab 09), and
has an internal ``rdsadmin`` account (as RDS does) that only the engine knows the password of.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mysql.connector.abstracts import MySQLConnectionAbstract
    from mysql.connector.pooling import PooledMySQLConnection

from ... import sandbox
from ...config import free_port
from ...processes import Child, Supervisor

INSTALL_HINT = (
    "The RDS labs run a real MariaDB server on the local target, and none was found "
    "(looked for mariadbd/mysqld on PATH and in /usr/sbin). Install it with "
    "`sudo apt-get install mariadb-server` (Debian/Ubuntu; `make lab` does this when it "
    "can), then restart localcloud: `python -m localcloud stop` and run the cell again."
)

# The privileges RDS for MySQL gives the master user: no SUPER, no FILE, no SHUTDOWN, nothing that
# changes replication (RDS offers stored procedures for that); SLAVE MONITOR is MariaDB's name
# for what lets it run SHOW REPLICA STATUS, which the RDS master user may.
MASTER_PRIVILEGES = (
    "SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, RELOAD, PROCESS, REFERENCES, INDEX, "
    "ALTER, SHOW DATABASES, CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, "
    "REPLICATION SLAVE, REPLICATION CLIENT, SLAVE MONITOR, CREATE VIEW, SHOW VIEW, "
    "CREATE ROUTINE, ALTER ROUTINE, CREATE USER, EVENT, TRIGGER"
)
ADMIN_USER = "rdsadmin"  # the engine's own account (RDS has one of the same name)
# The engine reaches its servers through their unix sockets only ('localhost' accounts); the
# servers listen on TCP inside a network of their own (localcloud.sandbox.PrivateNetwork), where
# replicas reach their source at 127.0.0.1: no one outside can connect to a server's own port,
# learners come in through the security-group gate.
ADMIN_HOST = "localhost"
REPL_HOST = "127.0.0.1"


_TEMPLATE_LOCK = threading.Lock()  # one template build at a time


class MariaDBMissing(RuntimeError):
    pass


def _find(names: tuple[str, ...], extra_path: str) -> str | None:
    for name in names:
        found = shutil.which(name) or shutil.which(name, path=extra_path)
        if found:
            return found
    return None


def server_binary() -> str | None:
    return _find(("mariadbd", "mysqld"), "/usr/sbin:/usr/local/sbin")


def tools() -> dict[str, str]:
    """Paths of the server, the data-folder initialiser and the dump tool; MariaDBMissing if absent."""
    server = server_binary()
    install = _find(("mariadb-install-db", "mysql_install_db"), "/usr/bin:/usr/local/bin")
    dump = _find(("mariadb-dump", "mysqldump"), "/usr/bin:/usr/local/bin")
    client = _find(("mariadb", "mysql"), "/usr/bin:/usr/local/bin")
    if not (server and install and dump and client):
        raise MariaDBMissing(INSTALL_HINT)
    return {"server": server, "install": install, "dump": dump, "client": client}


def _as_root() -> list[str]:
    # mariadbd refuses to run as root unless told to; as anyone else --user is not needed.
    return ["--user=root"] if os.geteuid() == 0 else []


def _sql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class Server:
    """A MariaDB server with its own folder: ``<home>/data`` plus its log and pid file."""

    def __init__(self, home: Path, supervisor: Supervisor, owner: str, name: str) -> None:
        self.home = home
        self.datadir = home / "data"
        self.tmpdir = home / "tmp"  # this server's own: see start()
        self.files = home / "files"  # secure_file_priv
        self.supervisor = supervisor
        self.owner = owner
        self.name = name
        self.port = 0  # TCP port inside the servers' private network (replication); learners use the gate
        self.child: Child | None = None
        self._dirfd = -1  # the data folder, open: its socket is /proc/self/fd/<fd>/mysqld.sock (short path)
        # the servers' own network while this one runs in it: the prefix that enters it, the generation
        self._network: tuple[sandbox.PrivateNetwork, list[str], int] | None = None
        # Unique per instance and stable across restarts: replication needs both.
        self.server_id = zlib.crc32(name.encode()) % 4_000_000_000 + 1
        self.admin_password = secrets.token_urlsafe(24)  # set in the init file at creation

    # -- lifecycle -------------------------------------------------------------------------
    def initialise(self, template: Path | None = None) -> None:
        """Create the data folder (system tables only: no test database, no anonymous users).

        With ``template``, the system tables are made once there and copied for each new
        instance: copying 20 MB is much faster than running mariadb-install-db again.
        """
        self.home.mkdir(parents=True, exist_ok=True)
        if template is None:
            self._install(self.datadir, self.home / "install.log")
            return
        with _TEMPLATE_LOCK:
            if not (template / "mysql").is_dir():
                shutil.rmtree(template, ignore_errors=True)
                template.parent.mkdir(parents=True, exist_ok=True)
                self._install(template, template.parent / "template-install.log")
        shutil.copytree(template, self.datadir)

    def _install(self, datadir: Path, logfile: Path) -> None:
        t = tools()
        tmpdir = logfile.parent / f"{datadir.name}-tmp"
        tmpdir.mkdir(parents=True, exist_ok=True)
        with open(logfile, "wb") as log:
            child = self.supervisor.spawn(
                [
                    t["install"],
                    "--no-defaults",
                    f"--datadir={datadir}",
                    "--skip-test-db",
                    "--auth-root-authentication-method=socket",
                    "--innodb-log-file-size=8M",
                    f"--tmpdir={tmpdir}",  # the bootstrap server clears its tmpdir too
                    *_as_root(),
                ],
                name=f"mariadb-install-db {self.name}",
                owner=self.owner,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            code = child.popen.wait(120)
        if code != 0:
            shutil.rmtree(datadir, ignore_errors=True)
            tail = " | ".join(logfile.read_text(errors="replace").strip().splitlines()[-5:])
            raise RuntimeError(f"mariadb-install-db failed (exit {code}): {tail}")

    def start(
        self, master_user: str | None = None, password: str | None = None, options: dict[str, str] | None = None
    ) -> None:
        """Start the server; with ``master_user``, create that user first (RDS's master user)."""
        t = tools()
        for folder in (self.tmpdir, self.files):
            folder.mkdir(parents=True, exist_ok=True)
        argv = [
            t["server"],
            "--no-defaults",
            f"--datadir={self.datadir}",
            "--socket=mysqld.sock",  # relative to the datadir: short, whatever the project path
            f"--pid-file={self.home / 'mysqld.pid'}",
            f"--log-error={self.home / 'mysqld.err'}",
            # Nothing shared with another server: MariaDB deletes every #sql* file in its tmpdir when
            # it starts, so a shared /tmp breaks the temporary tables of every other server.
            f"--tmpdir={self.tmpdir}",
            f"--secure-file-priv={self.files}",  # LOAD DATA / SELECT ... INTO OUTFILE stay in here
            "--skip-networking=0",
            "--bind-address=127.0.0.1",
            "--skip-name-resolve",
            "--innodb-buffer-pool-size=64M",
            "--innodb-log-file-size=8M",
            "--performance-schema=OFF",
            "--max-connections=100",
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_general_ci",
            # binary log for replicas (lab 09): row-based, GTIDs, replicated changes logged too
            f"--server-id={self.server_id}",
            "--log-bin=mysql-bin",
            "--relay-log=relay-bin",
            "--binlog-format=ROW",
            "--gtid-strict-mode=1",
            "--log-slave-updates=1",
            *_as_root(),
        ]
        for key, value in (options or {}).items():
            argv.append(f"--{key.replace('_', '-')}={value}")
        init = None
        if master_user:
            # The init file holds the password: owner-only, deleted as soon as the server is up.
            init = self.home / "init.sql"
            fd = os.open(init, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                user = f"{_sql_string(master_user)}@'%'"
                admin = f"'{ADMIN_USER}'@'{ADMIN_HOST}'"
                fh.write(
                    f"CREATE USER IF NOT EXISTS {user} IDENTIFIED BY {_sql_string(password or '')};\n"
                    f"GRANT {MASTER_PRIVILEGES} ON *.* TO {user} WITH GRANT OPTION;\n"
                    f"CREATE USER IF NOT EXISTS {admin} IDENTIFIED BY {_sql_string(self.admin_password)};\n"
                    f"GRANT ALL PRIVILEGES ON *.* TO {admin} WITH GRANT OPTION;\n"
                )
            argv.append(f"--init-file={init}")
        try:
            if self._network is None and (network := sandbox.private_network(self.supervisor, self.owner)):
                self._network = (network, *network.enter())  # left in stop()
            inside = self._network[1] if self._network else []  # without a sandbox: the host's loopback
            if self._dirfd < 0:
                self._dirfd = os.open(self.datadir, os.O_PATH | os.O_DIRECTORY)
            for attempt in range(3):  # the free port can be taken between choosing and binding
                # Keep the port across restarts when it is still free: replicas point at it.
                self.port = self.port if attempt == 0 and self.port else free_port()
                # Errors before the error log opens (a bad option value) go to stderr: keep them.
                with open(self.home / "mysqld.stderr", "wb") as early:
                    self.child = self.supervisor.spawn(
                        inside + argv + [f"--port={self.port}"],
                        name=f"mariadbd {self.name}",
                        owner=self.owner,
                        stdout=subprocess.DEVNULL,
                        stderr=early,
                    )
                if self._wait_listening():
                    return
                if "Address already in use" not in self.log_tail():
                    break
            raise RuntimeError(f"MariaDB did not start: {self.log_tail()}")
        except BaseException:
            self.stop()  # nothing of a server that did not start stays: process, folder fd, network
            raise
        finally:
            if init is not None:
                init.unlink(missing_ok=True)

    @property
    def socket_path(self) -> str:
        """The server's unix socket, by a short path valid in this process and in children given
        :attr:`client_fds` (a datadir's own path can exceed the 108 characters a socket path may have)."""
        return f"/proc/self/fd/{self._dirfd}/mysqld.sock"

    @property
    def client_fds(self) -> tuple[int, ...]:
        return (self._dirfd,)

    def client_args(self) -> list[str]:
        """How the mariadb/mariadb-dump tools reach this server (spawn them with pass_fds=client_fds)."""
        return ["--protocol=socket", f"--socket={self.socket_path}"]

    def connect_kwargs(self) -> dict:
        """How mysql.connector reaches this server from the daemon."""
        return {"unix_socket": self.socket_path}

    def _wait_listening(self, timeout: float = 60.0) -> bool:
        """True once the server greets on its socket (the init file has run by then)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.child is None or not self.child.alive():
                return False
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    s.settimeout(1)
                    s.connect(self.socket_path)
                    s.settimeout(2)
                    if s.recv(4):  # the server's handshake packet
                        return True
            except OSError:
                pass
            time.sleep(0.02)
        return False

    def stop(self) -> None:
        if self.child is not None:
            self.supervisor.terminate(self.child, timeout=30)  # SIGTERM: a clean InnoDB shutdown
            self.child = None
        if self._dirfd >= 0:
            os.close(self._dirfd)
            self._dirfd = -1
        if self._network is not None:
            network, _, generation = self._network
            self._network = None
            network.leave(generation)

    @property
    def running(self) -> bool:
        return self.child is not None and self.child.alive()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)

    # -- data --------------------------------------------------------------------------------
    def dump(self, user: str, password: str, target: Path) -> None:
        """A consistent logical copy of every database (what a snapshot keeps)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, MYSQL_PWD=password)  # never on a command line (visible in ps)
        with open(target, "wb") as out, open(target.with_suffix(".log"), "wb") as log:
            child = self.supervisor.spawn(
                [
                    tools()["dump"],
                    "--no-defaults",
                    *self.client_args(),
                    "-u",
                    user,
                    "--all-databases",
                    "--lock-all-tables",  # a global read lock: --single-transaction fails (1412) on DDL meanwhile
                    "--routines",
                    "--events",
                ],
                name=f"mariadb-dump {self.name}",
                owner=self.owner,
                stdout=out,
                stderr=log,
                env=env,
                pass_fds=self.client_fds,
            )
            code = child.popen.wait(300)
        if code != 0:
            raise RuntimeError(f"mariadb-dump failed (exit {code}): {target.with_suffix('.log').read_text()[-500:]}")

    def admin(self, timeout: float = 15.0) -> PooledMySQLConnection | MySQLConnectionAbstract:
        """A connection as the engine's own ``rdsadmin`` account (all privileges)."""
        import mysql.connector

        return mysql.connector.connect(
            **self.connect_kwargs(), user=ADMIN_USER, password=self.admin_password, connection_timeout=timeout
        )

    def log_tail(self, lines: int = 5) -> str:
        """The last lines of the server's error log (why it stopped or did not start)."""
        tail = self._tail("mysqld.err", lines)
        early = self._tail("mysqld.stderr", lines)
        return tail if early == "(no log)" or not early else (early if tail == "(no log)" else f"{early} | {tail}")

    def _tail(self, name: str, lines: int = 5) -> str:
        try:
            text = (self.home / name).read_text(errors="replace").strip().splitlines()
        except OSError:
            return "(no log)"
        return " | ".join(text[-lines:])

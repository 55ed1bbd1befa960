"""MariaDB replication between two ``_mariadb.Server``s: what RDS does for read replicas (lab 09).

* :func:`seed_replica` copies the source consistently (``mariadb-dump --master-data --gtid``:
  the data and the GTID position it corresponds to, in one snapshot), loads it into the new
  server and starts GTID replication (``MASTER_USE_GTID=slave_pos``) as a dedicated
  replication user; the replica runs with ``read_only``.
* :func:`promote` is ``promote_read_replica``: apply what the replica already received, stop
  replication for good (``RESET SLAVE ALL``) and accept writes.
* :func:`install_procedures` adds RDS's ``mysql.rds_stop_replication`` /
  ``mysql.rds_start_replication``, so a learner pauses a replica with the same ``CALL`` on
  both targets (the master user may not run ``STOP SLAVE`` itself, on RDS or here).

Everything runs as the engine's ``rdsadmin`` account (:meth:`Server.admin`).  Changes the engine
makes *on a replica* are kept out of its binary log (``sql_log_bin=0``): a local GTID there would
clash with the source's under ``gtid_strict_mode``.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from .mariadb import REPL_HOST, Server, tools

REPL_USER = "rdsrepladmin"  # the account replicas connect as (RDS uses the same name)

_PROCEDURES = {
    "rds_stop_replication": ("STOP SLAVE", "Replica is down or disabled"),
    "rds_start_replication": ("START SLAVE", "Replica running normally"),
}


def _execute(server: Server, *statements: str, binlog: bool = True) -> None:
    with server.admin() as conn, conn.cursor() as cur:
        if not binlog:
            cur.execute("SET SESSION sql_log_bin = 0")
        for sql in statements:
            cur.execute(sql)


def install_procedures(server: Server, binlog: bool = True) -> None:
    """RDS's replication procedures, runnable by the master user (EXECUTE), acting as root."""
    stmts = [
        f"CREATE OR REPLACE DEFINER='root'@'localhost' PROCEDURE mysql.{name}() SQL SECURITY DEFINER "
        f"BEGIN {action}; SELECT '{message}' AS Message; END"
        for name, (action, message) in _PROCEDURES.items()
    ]
    _execute(server, *stmts, binlog=binlog)


def create_database(server: Server, name: str) -> None:
    """The database ``CreateDBInstance(DBName=...)`` asks for (a MySQL identifier, backquoted)."""
    _execute(server, "CREATE DATABASE IF NOT EXISTS `" + name.replace("`", "``") + "`")


def ensure_repl_user(source: Server, password: str) -> None:
    user = f"'{REPL_USER}'@'{REPL_HOST}'"
    _execute(
        source,
        f"CREATE USER IF NOT EXISTS {user} IDENTIFIED BY {_quote(password)}",
        f"ALTER USER {user} IDENTIFIED BY {_quote(password)}",
        f"GRANT REPLICATION SLAVE ON *.* TO {user}",
    )


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def seed_replica(source: Server, replica: Server, repl_password: str) -> None:
    """Copy ``source`` into the (running, empty) ``replica`` and start replicating from it."""
    t = tools()
    seed = replica.home / "seed.sql"
    env = dict(os.environ, MYSQL_PWD=source.admin_password)  # never on a command line (ps)
    ignore = [
        f"--ignore-table=mysql.{tbl}" for tbl in ("help_topic", "help_category", "help_relation", "help_keyword")
    ]  # static, already in the template
    try:
        with open(seed, "wb") as out, open(replica.home / "seed.log", "wb") as log:
            child = source.supervisor.spawn(
                [
                    t["dump"],
                    "--no-defaults",
                    *source.client_args(),
                    "-u",
                    "rdsadmin",
                    "--all-databases",
                    "--lock-all-tables",  # a global read lock: --single-transaction fails (1412) on DDL meanwhile
                    "--master-data=1",
                    "--gtid",
                    "--routines",
                    "--events",
                    "--triggers",
                    *ignore,
                ],
                name=f"mariadb-dump {source.name}",
                owner=source.owner,
                stdout=out,
                stderr=log,
                env=env,
                pass_fds=source.client_fds,
            )
            if child.popen.wait(600) != 0:
                raise RuntimeError(f"seeding {replica.name}: mariadb-dump failed: {_tail(replica.home / 'seed.log')}")
        # The dump replaces the replica's accounts with the source's: the master user's password
        # and rdsadmin's become the source's (RDS replicas share the source's master user).
        env = dict(os.environ, MYSQL_PWD=replica.admin_password)
        with open(seed, "rb") as inp, open(replica.home / "seed.log", "ab") as log:
            child = replica.supervisor.spawn(
                [
                    t["client"],
                    "--no-defaults",
                    *replica.client_args(),
                    "-u",
                    "rdsadmin",
                    "--init-command=SET SESSION sql_log_bin=0",
                ],
                name=f"mariadb (seed) {replica.name}",
                owner=replica.owner,
                stdin=inp,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                pass_fds=replica.client_fds,
            )
            if child.popen.wait(600) != 0:
                raise RuntimeError(
                    f"seeding {replica.name}: loading the copy failed: {_tail(replica.home / 'seed.log')}"
                )
    finally:
        seed.unlink(missing_ok=True)
    # The loaded accounts take effect at FLUSH PRIVILEGES: until then rdsadmin has its old password.
    _execute(
        replica,
        "FLUSH PRIVILEGES",
        "RESET MASTER",  # forget the replica's own start-up writes: its GTIDs follow the source's
        binlog=False,
    )
    replica.admin_password = source.admin_password
    start_replication(replica, source.port, repl_password)


def start_replication(replica: Server, source_port: int, repl_password: str) -> None:
    _execute(
        replica,
        "STOP SLAVE",
        f"CHANGE MASTER TO MASTER_HOST='{REPL_HOST}', MASTER_PORT={int(source_port)}, "
        f"MASTER_USER='{REPL_USER}', MASTER_PASSWORD={_quote(repl_password)}, "
        f"MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1",
        "START SLAVE",
        binlog=False,
    )


def _as_dict(row: object) -> dict[str, Any]:
    """A row of a ``cursor(dictionary=True)`` (mysql-connector's types do not say it is a dict)."""
    if not isinstance(row, dict):
        raise TypeError(f"expected a dictionary cursor's row, got {type(row).__name__}")
    return row


def status(server: Server) -> dict[str, Any]:
    """SHOW REPLICA STATUS as a dict ({} when the server replicates from nothing)."""
    with server.admin() as conn, conn.cursor(dictionary=True) as cur:
        cur.execute("SHOW SLAVE STATUS")
        rows = cur.fetchall()
    return _as_dict(rows[0]) if rows else {}


def repoint(replica: Server, source_port: int) -> None:
    """After the source restarted on another port: follow it, paused or not as before."""
    st = status(replica)
    if not st or int(st.get("Master_Port") or 0) == source_port:
        return
    running = st.get("Slave_IO_Running") in ("Yes", "Connecting")
    _execute(
        replica,
        "STOP SLAVE",
        f"CHANGE MASTER TO MASTER_PORT={int(source_port)}",
        *(["START SLAVE"] if running else []),
        binlog=False,
    )


def promote(replica: Server, apply_timeout: float = 60.0) -> None:
    """Apply every event already received, then stop replicating for good and accept writes.

    Only what reached the replica's relay log survives: a write the source committed but never
    sent (asynchronous replication, a paused or lagging replica) is not here, and never will be.
    """
    with replica.admin() as conn, conn.cursor(dictionary=True) as cur:
        cur.execute("SET SESSION sql_log_bin = 0")
        cur.execute("STOP SLAVE IO_THREAD")  # nothing new from the old source
        cur.execute("SHOW SLAVE STATUS")
        rows = cur.fetchall()
        if rows:
            received = str(_as_dict(rows[0]).get("Gtid_IO_Pos") or "")
            cur.execute("START SLAVE SQL_THREAD")  # apply the relay log even if it was paused
            if received:
                cur.execute("SELECT MASTER_GTID_WAIT(%s, %s) AS w", (received, apply_timeout))
                cur.fetchall()
            cur.execute("STOP SLAVE")
            cur.execute("RESET SLAVE ALL")
        cur.execute("SET GLOBAL read_only = OFF")


def _tail(path: Path, lines: int = 5) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return "(no log)"

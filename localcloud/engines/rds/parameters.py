"""DB parameter groups with real contents: the engine's defaults, RDS's settings, the learner's changes.

``describe_db_parameters`` lists, for a group of family ``mysql8.4``/``mysql8.0`` (or ``mariadb10.11``):

* ``Source=engine-default``: the value the server really runs with when nothing sets it, read from
  the real server (``mariadbd --no-defaults --verbose --help``, once);
* ``Source=system``: what RDS (and localcloud, for its own needs) sets, e.g. ``max_connections`` =
  ``{DBInstanceClassMemory/12582880}`` (the server gets the formula's value for its class);
* ``Source=user``: what ``modify_db_parameter_group`` set (moto keeps it), applied at the next boot.

Names are MySQL's.  MySQL 8.0.26+ and 8.4 (RDS for MySQL 8.4's parameter groups) call the
semi-synchronous replication settings ``rpl_semi_sync_source_*`` / ``rpl_semi_sync_replica_*``;
MariaDB keeps ``rpl_semi_sync_master_*`` / ``rpl_semi_sync_slave_*``.  Both names are accepted and
reach the same MariaDB variable.  A parameter the server has no variable for is refused with a
localcloud error naming the gap; paths and replication plumbing are RDS's, not modifiable.
"""

from __future__ import annotations

import functools
import subprocess
from dataclasses import dataclass

from .mariadb import server_binary
from .offerings import max_connections

# MySQL 8.4 name -> MariaDB variable (only where they differ).
MARIADB_NAME = {
    "rpl_semi_sync_source_enabled": "rpl_semi_sync_master_enabled",
    "rpl_semi_sync_replica_enabled": "rpl_semi_sync_slave_enabled",
    "rpl_semi_sync_source_timeout": "rpl_semi_sync_master_timeout",
    "rpl_semi_sync_source_wait_point": "rpl_semi_sync_master_wait_point",
    "time_zone": "default_time_zone",
}
# Settings RDS manages itself (and localcloud needs for replicas, the gate and its own folders).
NOT_MODIFIABLE = frozenset(
    {
        "basedir",
        "datadir",
        "tmpdir",
        "socket",
        "port",
        "bind_address",
        "skip_networking",
        "pid_file",
        "log_error",
        "secure_file_priv",
        "plugin_dir",
        "init_file",
        "user",
        "server_id",
        "log_bin",
        "relay_log",
        "gtid_strict_mode",
        "log_slave_updates",
        "log_replica_updates",
        "read_only",
        "innodb_buffer_pool_size",
        "innodb_log_file_size",
    }
)


@dataclass(frozen=True)
class Param:
    name: str  # MySQL's name
    description: str
    apply_type: str  # "dynamic" | "static"
    data_type: str  # "integer" | "boolean" | "string" | "list"
    allowed: str = ""
    system: str | None = None  # RDS's value (Source=system), or None: the engine's default


# The parameters listed (RDS lists about 400; these are the ones the labs and the AWS examples use,
# and the ones localcloud itself sets).  Descriptions follow the MySQL manual's one-liners.
CATALOGUE = (
    Param(
        "auto_increment_increment",
        "Intended for use with master-to-master replication, and can be used to control the operation of "
        "AUTO_INCREMENT columns.",
        "dynamic",
        "integer",
        "1-65535",
    ),
    Param(
        "auto_increment_offset",
        "Determines the starting point for the AUTO_INCREMENT column value.",
        "dynamic",
        "integer",
        "1-65535",
    ),
    Param("binlog_format", "Sets the binary logging format.", "dynamic", "string", "ROW,STATEMENT,MIXED", system="ROW"),
    Param(
        "character_set_server",
        "The server's default character set.",
        "dynamic",
        "string",
        "utf8mb4,utf8mb3,latin1,ascii,binary",
        system="utf8mb4",
    ),
    Param("collation_server", "The server's default collation.", "dynamic", "string", "", system="utf8mb4_general_ci"),
    Param("event_scheduler", "Indicates the status of the Event Scheduler.", "dynamic", "string", "ON,OFF"),
    Param("general_log", "Whether the general query log is enabled.", "dynamic", "boolean", "0,1"),
    Param(
        "innodb_buffer_pool_size",
        "The size in bytes of the memory buffer innodb uses to cache data and indexes of its tables "
        "(localcloud: 64 MiB per server; RDS: {DBInstanceClassMemory*3/4}).",
        "static",
        "integer",
        "",
        system="67108864",
    ),
    Param(
        "innodb_lock_wait_timeout",
        "Timeout in seconds an innodb transaction may wait for a row lock before giving up.",
        "dynamic",
        "integer",
        "1-1073741824",
    ),
    Param(
        "interactive_timeout",
        "The number of seconds the server waits for activity on an interactive connection before closing it.",
        "dynamic",
        "integer",
        "1-31536000",
    ),
    Param(
        "lower_case_table_names",
        "Affects how the server handles identifier case sensitivity.",
        "static",
        "integer",
        "0,1",
    ),
    Param("long_query_time", "Defines what MySQL considers long queries.", "dynamic", "float", "0-31536000"),
    Param(
        "max_allowed_packet",
        "This value by default is small, to catch large (possibly incorrect) packets. Must be increased if "
        "using large BLOB columns or long strings.",
        "dynamic",
        "integer",
        "1024-1073741824",
    ),
    Param(
        "max_connections",
        "The number of simultaneous client connections allowed.",
        "dynamic",
        "integer",
        "1-100000",
        system="{DBInstanceClassMemory/12582880}",
    ),
    Param(
        "net_read_timeout",
        "The number of seconds to wait for more data from a connection before aborting the read.",
        "dynamic",
        "integer",
        "1-31536000",
    ),
    Param(
        "net_write_timeout",
        "The number of seconds to wait for a block to be written to a connection before aborting the write.",
        "dynamic",
        "integer",
        "1-31536000",
    ),
    Param("performance_schema", "Enables or disables the Performance Schema.", "static", "boolean", "0,1", system="0"),
    Param(
        "rpl_semi_sync_replica_enabled",
        "Controls whether semisynchronous replication is enabled on the replica (MariaDB: "
        "rpl_semi_sync_slave_enabled).",
        "dynamic",
        "boolean",
        "0,1",
    ),
    Param(
        "rpl_semi_sync_source_enabled",
        "Controls whether semisynchronous replication is enabled on the source (MariaDB: "
        "rpl_semi_sync_master_enabled).",
        "dynamic",
        "boolean",
        "0,1",
    ),
    Param(
        "rpl_semi_sync_source_timeout",
        "Milliseconds the source waits for a replica acknowledgment before falling back to asynchronous "
        "replication (MariaDB: rpl_semi_sync_master_timeout).",
        "dynamic",
        "integer",
        "0-4294967295",
    ),
    Param(
        "rpl_semi_sync_source_wait_point",
        "When the source waits for the acknowledgment: AFTER_SYNC or AFTER_COMMIT (MariaDB: "
        "rpl_semi_sync_master_wait_point).",
        "dynamic",
        "string",
        "AFTER_SYNC,AFTER_COMMIT",
    ),
    Param("slow_query_log", "Whether the slow query log is enabled.", "dynamic", "boolean", "0,1"),
    Param("sql_mode", "Current SQL Server Mode.", "dynamic", "list", ""),
    Param("time_zone", "Sets the time zone of the server (MariaDB: default_time_zone).", "dynamic", "string", ""),
    Param(
        "transaction_isolation",
        "Sets the default transaction isolation level.",
        "dynamic",
        "string",
        "READ-UNCOMMITTED,READ-COMMITTED,REPEATABLE-READ,SERIALIZABLE",
    ),
    Param(
        "wait_timeout",
        "The number of seconds the server waits for activity on a non-interactive connection before closing it.",
        "dynamic",
        "integer",
        "1-31536000",
    ),
)
BY_NAME = {p.name: p for p in CATALOGUE}


class ParameterRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@functools.cache
def engine_defaults() -> dict[str, str]:
    """Every variable of the local server with its compiled-in default (``name`` with underscores)."""
    binary = server_binary()
    if not binary:
        return {}
    out = subprocess.run(
        [binary, "--no-defaults", "--verbose", "--help"], capture_output=True, text=True, timeout=60
    ).stdout
    values, started = {}, False
    for line in out.splitlines():
        if line.startswith("-----"):
            started = True
            continue
        if not started:
            continue
        if not line.strip():
            break
        name, _, value = line.partition(" ")
        value = value.strip()
        values[name.replace("-", "_")] = "" if value == "(No default value)" else value
    return values


def mariadb_name(name: str) -> str:
    return MARIADB_NAME.get(name, name)


def check_modifiable(name: str) -> None:
    """Refuse a parameter RDS keeps for itself, or one the local server cannot apply."""
    variable = mariadb_name(name)
    if name in NOT_MODIFIABLE or variable in NOT_MODIFIABLE:
        raise ParameterRefused("InvalidParameterValue", f"The parameter {name} cannot be modified.")
    if variable not in engine_defaults():
        raise ParameterRefused(
            "LocalCloudNotSupported",
            f"localcloud's server (MariaDB) has no variable for parameter {name}, so localcloud cannot apply "
            "it. The parameters it applies are the server's own variables under their MySQL names "
            "(describe_db_parameters lists the common ones).",
        )


def server_options(user_values: dict[str, str], instance_class: str) -> dict[str, str]:
    """``--option=value`` pairs for the server: RDS's settings, then the learner's."""
    opts = {"max_connections": str(max_connections(instance_class))}
    for name, value in user_values.items():
        if name in NOT_MODIFIABLE or mariadb_name(name) not in engine_defaults():
            continue  # refused when it was set; a group made before this check keeps its value unused
        opts[mariadb_name(name)] = value
    return opts


def _source_and_value(p: Param) -> tuple[str, str | None]:
    if p.system is not None:
        return "system", p.system
    value = engine_defaults().get(mariadb_name(p.name))
    if p.data_type == "boolean" and value in ("TRUE", "FALSE", "ON", "OFF"):
        value = "1" if value in ("TRUE", "ON") else "0"  # RDS writes booleans as 0/1
    return "engine-default", value


def _row(name: str, source: str, value: str | None, p: Param | None) -> dict:
    row = {
        "ParameterName": name,
        "Description": p.description if p else f"Set in this group (MariaDB variable {mariadb_name(name)}).",
        "Source": source,
        "ApplyType": p.apply_type if p else "dynamic",
        "DataType": p.data_type if p else "string",
        "IsModifiable": name not in NOT_MODIFIABLE,
        "ApplyMethod": "pending-reboot",
    }
    if p and p.allowed:
        row["AllowedValues"] = p.allowed
    if value not in (None, ""):
        row["ParameterValue"] = value
    return row


def describe(user_params: dict[str, dict], source: str | None = None, names: set[str] | None = None) -> list[dict]:
    """The rows of ``describe_db_parameters`` for a group whose user settings are ``user_params``
    (moto's ``{name: {"ParameterValue": ..., "ApplyMethod": ...}}``), sorted by name."""
    rows = {}
    for p in CATALOGUE:
        src, value = _source_and_value(p)
        rows[p.name] = _row(p.name, src, value, p)
    for name, spec in user_params.items():
        if spec.get("ParameterValue") is None:
            continue
        row = _row(name, "user", str(spec["ParameterValue"]), BY_NAME.get(name))
        row["ApplyMethod"] = spec.get("ApplyMethod") or "pending-reboot"
        rows[name] = row
    out = [rows[n] for n in sorted(rows)]
    if source:
        out = [r for r in out if r["Source"] == source]
    if names:
        out = [r for r in out if r["ParameterName"] in names]
    return out

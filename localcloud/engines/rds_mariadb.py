"""RDS for MySQL/MariaDB with a real database behind it (labs 02, 03 and 06).

moto keeps the API state (instances, snapshots, the managed secret); this engine adds
what moto cannot:

* a real MariaDB server per DB instance (``_mariadb.Server``), started in the background:
  the instance reports ``creating`` until the server answers, then ``available``, so
  notebooks wait with the ``db_instance_available`` waiter exactly as on AWS;
* an endpoint a client connects to directly: a TCP gate (``_tcpgate.Gate``) on
  127.0.0.1:<gate port> that enforces the instance's VPC security groups for the learner's
  address and ``PubliclyAccessible`` on every new connection (denied = dropped packets);
* ``ManageMasterUserPassword``: a generated password in the Secrets Manager secret moto
  creates (``{"username", "password"}``, as RDS stores it);
* stop/start/reboot, snapshots as ``mariadb-dump`` files, delete that removes the server
  and its data (the final snapshot stays when one was asked for);
* read replicas (lab 06): ``create_db_instance_read_replica`` seeds a new server from a
  consistent copy of its source and starts real GTID replication (``_replication``), read-only;
  ``promote_read_replica`` applies what the replica received, stops replication and makes it
  writable; deleting a source promotes its replicas, as RDS does for MySQL and MariaDB.
  Semi-synchronous replication is switched on with the real ``rpl_semi_sync_*`` parameters in
  a DB parameter group (applied at reboot);
* the validation AWS does and moto does not, with AWS's codes and messages.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import secrets
import shutil
import string
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..awserrors import error
from ..calls import Call, Response
from . import Engine, _replication as replication
from ._mariadb import MariaDBMissing, Server, tools
from ._tcpgate import Gate

log = logging.getLogger("localcloud.rds")

ENGINES = ("mysql", "mariadb")  # RDS engines this module runs for real
FORBIDDEN_PASSWORD_CHARS = set('/@" ')
MAX_PASSWORD = 41  # RDS for MySQL/MariaDB
# RDS generates managed passwords from printable ASCII minus the characters it forbids.
_PASSWORD_ALPHABET = string.ascii_letters + string.digits + "!#$%&()*+,-.:;<=>?[]^_{|}~"
# Parameter-group parameters that are passed to the server when it (re)starts.
SERVER_PARAMETERS = {"max_connections", "sql_mode", "time_zone", "wait_timeout", "max_allowed_packet",
                     "long_query_time", "slow_query_log", "general_log", "character_set_server",
                     "collation_server", "innodb_lock_wait_timeout", "lower_case_table_names",
                     # semi-synchronous replication (lab 06): MariaDB's own variables
                     "rpl_semi_sync_master_enabled", "rpl_semi_sync_slave_enabled",
                     "rpl_semi_sync_master_timeout", "rpl_semi_sync_master_wait_point"}
_PARAM_TO_OPTION = {"time_zone": "default_time_zone"}


def _bool(value: str | None) -> bool | None:
    return None if value is None else value.lower() == "true"


@dataclass
class Instance:
    ident: str
    server: Server
    gate: Gate
    user: str
    password: str = field(repr=False)
    lock: threading.Lock = field(default_factory=threading.Lock)
    source: str | None = None  # a read replica's source instance
    # the password replicas of this instance connect with (rdsrepladmin)
    repl_password: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)


class RdsMariaDB(Engine):
    name = "rds_mariadb"
    order = 20
    services = ("rds",)

    def start(self) -> None:
        self.instances: dict[str, Instance] = {}
        self._lock = threading.Lock()
        self._wipe()  # a daemon killed hard leaves data folders moto no longer knows

    # ---- paths and moto state -----------------------------------------------------------------
    @property
    def _instances_dir(self) -> Path:
        return self.ctx.state_dir / "instances"

    def _snapshot_file(self, snapshot_id: str) -> Path:
        return self.ctx.state_dir / "snapshots" / snapshot_id / "dump.sql"

    def _wipe(self, keep_template: bool = False) -> None:
        # The template (empty system tables) is a cache, not lab state: a reset may keep it.
        for sub in ("instances", "snapshots") + (() if keep_template else ("template",)):
            shutil.rmtree(self.ctx.state_dir / sub, ignore_errors=True)

    def _db(self, ident: str):
        return self.ctx.backend("rds").databases.get(ident.lower())

    def _set_status(self, ident: str, status: str) -> None:
        db = self._db(ident)
        if db is not None:
            db.status = status

    def _replicas_of(self, ident: str) -> list[Instance]:
        return [i for i in list(self.instances.values()) if i.source == ident]

    # ---- before: validation AWS does and moto does not ----------------------------------------
    def before(self, call: Call) -> Response | None:
        p = call.params
        if call.action == "CreateDBInstance" and p.get("Engine", "").lower() in ENGINES:
            return self._check_create(call)
        if call.action == "ModifyDBInstance":
            return (self._check_password(call, p.get("MasterUserPassword"))
                    or self._check_security_groups(call, call.param_list("VpcSecurityGroupIds.VpcSecurityGroupId")))
        if call.action == "DeleteDBInstance":
            if not _bool(p.get("SkipFinalSnapshot")) and not p.get("FinalDBSnapshotIdentifier"):
                return error(call, "InvalidParameterCombination",
                             "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.")
            inst = self.instances.get(p.get("DBInstanceIdentifier", "").lower())
            if inst is not None and inst.source and p.get("FinalDBSnapshotIdentifier") \
                    and not _bool(p.get("SkipFinalSnapshot")):
                return error(call, "InvalidParameterCombination",
                             "FinalDBSnapshotIdentifier can not be specified when deleting a replica instance")
        if call.action == "CreateDBInstanceReadReplica":
            return self._check_replica(call)
        if call.action in ("StopDBInstance", "StartDBInstance"):
            return self._check_stop(call)
        if call.action == "PromoteReadReplica":
            inst = self.instances.get(p.get("DBInstanceIdentifier", "").lower())
            if inst is not None and not inst.source:
                return error(call, "InvalidDBInstanceState", "DB Instance is not a read replica.")
        return None

    def _check_replica(self, call: Call) -> Response | None:
        p = call.params
        src = self._db(p.get("SourceDBInstanceIdentifier", ""))
        if src is None or src.engine.lower() not in ENGINES:
            return None  # moto answers DBInstanceNotFound, or it is not an engine this module runs
        if self._db(p.get("DBInstanceIdentifier", "")) is not None:
            return error(call, "DBInstanceAlreadyExists", "DB instance already exists")
        if getattr(src, "manage_master_user_password", False):
            # AWS: "Managing master user passwords with Secrets Manager isn't supported for ...
            # creating a read replica when the source DB manages credentials with Secrets Manager."
            return error(call, "InvalidParameterCombination",
                         "Creating a read replica isn't supported when the source DB instance manages "
                         "the master user password with Secrets Manager.")
        if not int(src.backup_retention_period or 0):
            return error(call, "InvalidDBInstanceState",
                         "Automated backups are not enabled for this database instance. To enable automated "
                         "backups, use ModifyDBInstance to set the backup retention period to a non-zero value.")
        if src.status != "available":
            return error(call, "InvalidDBInstanceState",
                         f"Instance {src.db_instance_identifier} is not in available state.")
        try:
            tools()
        except MariaDBMissing as exc:
            return error(call, "LocalCloudEngineMissing", str(exc))
        return None

    def _check_stop(self, call: Call) -> Response | None:
        ident = call.params.get("DBInstanceIdentifier", "").lower()
        inst = self.instances.get(ident)
        if inst is not None and inst.source:
            return error(call, "InvalidDBInstanceState", "Cannot stop or start a Read-Replica instance")
        if call.action == "StopDBInstance" and self._replicas_of(ident):
            names = ", ".join(sorted(r.ident for r in self._replicas_of(ident)))
            return error(call, "InvalidDBInstanceState",
                         f"Cannot stop instance {ident} because it is the source for read replica(s) {names}")
        return None

    def _check_create(self, call: Call) -> Response | None:
        p = call.params
        managed = _bool(p.get("ManageMasterUserPassword"))
        password = p.get("MasterUserPassword")
        if managed and password is not None:
            return error(call, "InvalidParameterCombination",
                         "Password can't be specified if ManageMasterUserPassword is turned on.")
        if not managed and not password:
            return error(call, "InvalidParameterValue",
                         "The parameter MasterUserPassword must be provided and must not be blank.")
        if not p.get("MasterUsername"):
            return error(call, "InvalidParameterValue",
                         "The parameter MasterUsername must be provided and must not be blank.")
        if self._db(p.get("DBInstanceIdentifier", "")) is not None:
            return error(call, "DBInstanceAlreadyExists", "DB instance already exists")
        found = (self._check_password(call, password)
                 or self._check_security_groups(call, call.param_list("VpcSecurityGroupIds.VpcSecurityGroupId")))
        if found:
            return found
        try:
            tools()
        except MariaDBMissing as exc:
            # localcloud-only: a set-up problem on this machine, never an AWS answer
            return error(call, "LocalCloudEngineMissing", str(exc))
        return None

    @staticmethod
    def _check_password(call: Call, password: str | None) -> Response | None:
        if password is None:
            return None
        if len(password) < 8:
            return error(call, "InvalidParameterValue", "The parameter MasterUserPassword is not a valid "
                         "password because it is shorter than 8 characters.")
        if len(password) > MAX_PASSWORD:
            return error(call, "InvalidParameterValue", "The parameter MasterUserPassword is not a valid "
                         f"password because it is longer than {MAX_PASSWORD} characters.")
        if FORBIDDEN_PASSWORD_CHARS & set(password) or not password.isascii() or not password.isprintable():
            return error(call, "InvalidParameterValue", "The parameter MasterUserPassword is not a valid "
                         "password. Only printable ASCII characters besides '/', '@', '\"', ' ' may be used.")
        return None

    def _check_security_groups(self, call: Call, group_ids: list[str]) -> Response | None:
        ec2 = self.ctx.backend("ec2")
        for gid in group_ids:
            if ec2.get_security_group_from_id(gid) is None:
                return error(call, "InvalidParameterValue", f"Invalid security group , groupId= {gid}, groupName=.")
        return None

    # ---- after: real servers behind moto's answers --------------------------------------------
    def after(self, call: Call, response: Response) -> Response | None:
        if response.status >= 300 or call.action is None:
            return None
        p = call.params
        ident = p.get("DBInstanceIdentifier", "").lower()
        act = call.action
        if act == "CreateDBInstance" and p.get("Engine", "").lower() in ENGINES:
            self._create(ident, p)
        elif act == "CreateDBInstanceReadReplica" and p.get("SourceDBInstanceIdentifier", "").lower() in self.instances:
            self._create_replica(ident, p["SourceDBInstanceIdentifier"].lower())
        elif act == "PromoteReadReplica" and ident in self.instances:
            self._transition(ident, "modifying", "available", self._promote)
        elif act == "DeleteDBInstance" and ident in self.instances:
            self._delete(ident, None if _bool(p.get("SkipFinalSnapshot")) else p.get("FinalDBSnapshotIdentifier"))
            for replica in self._replicas_of(ident):
                # RDS for MySQL/MariaDB: deleting a source promotes its replicas to standalone instances
                rdb = self._db(replica.ident)
                if rdb is not None:
                    rdb.is_replica, rdb.source_db_instance_identifier = False, None
                self._transition(replica.ident, "modifying", "available", self._promote)
        elif act == "StopDBInstance" and ident in self.instances:
            if p.get("DBSnapshotIdentifier"):
                self._snapshot(ident, p["DBSnapshotIdentifier"])
            self._transition(ident, "stopping", "stopped", self._stop_server)
        elif act == "StartDBInstance" and ident in self.instances:
            self._transition(ident, "starting", "available", self._start_server)
        elif act == "RebootDBInstance" and ident in self.instances:
            self._transition(ident, "rebooting", "available", self._restart_server)
        elif act == "CreateDBSnapshot" and ident in self.instances:
            self._snapshot(ident, p["DBSnapshotIdentifier"])
        elif act == "DeleteDBSnapshot":
            shutil.rmtree(self._snapshot_file(p.get("DBSnapshotIdentifier", "")).parent, ignore_errors=True)
        elif act == "ModifyDBInstance" and ident in self.instances and p.get("MasterUserPassword"):
            self._change_password(ident, p["MasterUserPassword"])
        if b"<DBInstance>" in response.body:
            return self._rewrite_endpoints(response)
        return None

    def _create(self, ident: str, p: dict) -> None:
        db = self._db(ident)
        if db.publicly_accessible is None and not p.get("DBSubnetGroupName"):
            # AWS: without a subnet group the instance goes to the default VPC, whose internet
            # gateway makes it public by default.
            db.publicly_accessible = True
        user = p["MasterUsername"]
        password = p.get("MasterUserPassword")
        if _bool(p.get("ManageMasterUserPassword")):
            password = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(28))
            self._store_managed_secret(db, user, password)
        server = Server(self._instances_dir / ident, self.ctx.processes, self.name, ident)
        gate = Gate(ident, allow=lambda: self._allowed(ident), backend=lambda: self._backend(ident))
        inst = Instance(ident, server, gate, user, password)
        with self._lock:
            self.instances[ident] = inst
        db.status = "creating"

        def create() -> None:
            server.initialise(template=self.ctx.state_dir / "template")
            server.start(user, password, self._server_options(ident))
            replication.install_procedures(server)

        self._run(inst, create, "available")

    def _create_replica(self, ident: str, source_ident: str) -> None:
        db, src = self._db(ident), self.instances[source_ident]
        # moto's replica is a shallow copy of the source: give it what RDS gives a replica, and
        # lists of its own (a change to one must not show on the other).
        db.backup_retention_period = 0  # "RDS creates read replicas with backups disabled"
        for attr in ("vpc_security_group_ids", "tags"):
            if isinstance(getattr(db, attr, None), list):
                setattr(db, attr, list(getattr(db, attr)))
        server = Server(self._instances_dir / ident, self.ctx.processes, self.name, ident)
        gate = Gate(ident, allow=lambda: self._allowed(ident), backend=lambda: self._backend(ident))
        # A replica has its source's master user and password (the copy brings the accounts along).
        inst = Instance(ident, server, gate, src.user, src.password, source=source_ident)
        with self._lock:
            self.instances[ident] = inst
        db.status = "creating"

        def create() -> None:
            server.initialise(template=self.ctx.state_dir / "template")
            server.start(src.user, src.password, self._server_options(ident))
            with src.lock:  # no reboot or delete of the source while it is copied
                if not src.server.running:
                    raise RuntimeError(f"source {source_ident} is not running")
                replication.ensure_repl_user(src.server, src.repl_password)
                replication.seed_replica(src.server, server, src.repl_password)
            replication.install_procedures(server, binlog=False)

        self._run(inst, create, "available")

    def _promote(self, inst: Instance) -> None:
        replication.promote(inst.server)
        source, inst.source = inst.source, None
        db, src_db = self._db(inst.ident), self._db(source) if source else None
        if db is not None:
            db.is_replica, db.source_db_instance_identifier = False, None
        if src_db is not None and inst.ident in src_db.replicas:
            src_db.replicas.remove(inst.ident)

    def _store_managed_secret(self, db, user: str, password: str) -> None:
        """Put the generated credentials in the secret moto made (moto's holds a fixed one)."""
        secret = db.master_user_secret.secret
        value = json.dumps({"username": user, "password": password})
        secret.secret_string = value
        for version in secret.versions.values():
            version["secret_string"] = value

    def _run(self, inst: Instance, work, final_status: str) -> None:
        """Do ``work`` in the background under the instance's lock, then set ``final_status``."""
        def body() -> None:
            with inst.lock:
                try:
                    work()
                except Exception:
                    log.exception("rds instance %s failed", inst.ident)
                    self._set_status(inst.ident, "failed")
                    return
                if inst.ident in self.instances:
                    self._set_status(inst.ident, final_status)

        threading.Thread(target=body, name=f"rds-{inst.ident}", daemon=True).start()

    def _transition(self, ident: str, during: str, final: str, work) -> None:
        inst = self.instances[ident]
        self._set_status(ident, during)
        self._run(inst, lambda: work(inst), final)

    def _stop_server(self, inst: Instance) -> None:
        inst.server.stop()

    def _start_server(self, inst: Instance) -> None:
        inst.server.start(options=self._server_options(inst.ident))
        for replica in self._replicas_of(inst.ident):  # its port may have changed
            if replica.server.running:
                try:
                    replication.repoint(replica.server, inst.server.port)
                except Exception:
                    log.exception("could not repoint replica %s", replica.ident)

    def _restart_server(self, inst: Instance) -> None:
        inst.server.stop()
        self._start_server(inst)

    def _server_options(self, ident: str) -> dict[str, str]:
        """Parameters the learner set in the instance's own parameter group (applied at boot)."""
        db = self._db(ident)
        name = getattr(db, "db_parameter_group_name", None)
        group = self.ctx.backend("rds").db_parameter_groups.get(name) if name else None
        opts = {}
        for pname, param in (group.parameters.items() if group else ()):
            if pname in SERVER_PARAMETERS and param.get("ParameterValue") is not None:
                opts[_PARAM_TO_OPTION.get(pname, pname)] = str(param["ParameterValue"])
        inst = self.instances.get(ident)
        if inst is not None and inst.source:
            opts["read_only"] = "1"  # RDS's replica parameter: read_only = {TrueIfReplica}
        return opts

    def _delete(self, ident: str, final_snapshot: str | None) -> None:
        with self._lock:
            inst = self.instances.pop(ident)
        with inst.lock:  # after a create/start in flight
            if final_snapshot and inst.server.running:
                self._dump(inst, final_snapshot)
            inst.gate.close()
            inst.server.remove()

    def _snapshot(self, ident: str, snapshot_id: str) -> None:
        inst = self.instances[ident]
        with inst.lock:
            if inst.server.running:
                self._dump(inst, snapshot_id)

    def _dump(self, inst: Instance, snapshot_id: str) -> None:
        try:
            inst.server.dump(inst.user, inst.password, self._snapshot_file(snapshot_id))
        except Exception:
            log.exception("snapshot %s of %s failed", snapshot_id, inst.ident)

    def _change_password(self, ident: str, password: str) -> None:
        import mysql.connector

        inst = self.instances[ident]
        with inst.lock:
            if inst.server.running:
                with mysql.connector.connect(host="127.0.0.1", port=inst.server.port, user=inst.user,
                                             password=inst.password, connection_timeout=5) as conn:
                    with conn.cursor() as cur:
                        cur.execute("ALTER USER %s@'%%' IDENTIFIED BY %s", (inst.user, password))
            inst.password = password

    # ---- the gate's two questions -------------------------------------------------------------
    def _allowed(self, ident: str) -> bool:
        """Would AWS let a packet from the learner's address reach this instance's port?"""
        db = self._db(ident)
        if db is None or not db.publicly_accessible:
            return False  # a private instance has no route from outside its VPC
        learner = ipaddress.ip_address(self.ctx.learner_ip)
        ec2 = self.ctx.backend("ec2")
        for gid in db.vpc_security_group_ids or []:
            sg = ec2.get_security_group_from_id(gid)
            for rule in (sg.ingress_rules if sg else []):
                if rule.ip_protocol not in ("-1", "tcp"):
                    continue
                if rule.ip_protocol == "tcp" and not rule.from_port <= int(db.port) <= rule.to_port:
                    continue
                cidr = rule.ip_range.get("CidrIp")
                if cidr and learner in ipaddress.ip_network(cidr, strict=False):
                    return True
        return False

    def _backend(self, ident: str) -> tuple[str, int] | None:
        inst = self.instances.get(ident)
        db = self._db(ident)
        if inst is None or db is None or db.status != "available" or not inst.server.running:
            return None
        return ("127.0.0.1", inst.server.port)

    # ---- the endpoint clients see -------------------------------------------------------------
    _INSTANCE = re.compile(rb"<DBInstance>(.*?)</DBInstance>", re.S)
    _IDENT = re.compile(rb"<DBInstanceIdentifier>([^<]*)</DBInstanceIdentifier>")
    _ENDPOINT = re.compile(rb"<Endpoint>.*?</Endpoint>", re.S)
    _STATUS = re.compile(rb"<DBInstanceStatus>[^<]*</DBInstanceStatus>")
    _BACKUPS = re.compile(rb"<BackupRetentionPeriod>\d*</BackupRetentionPeriod>")

    def _rewrite_endpoints(self, response: Response) -> Response:
        def fix(m: re.Match) -> bytes:
            block = m.group(1)
            ident = self._IDENT.search(block)
            inst = self.instances.get(ident.group(1).decode()) if ident else None
            if inst is None:
                return m.group(0)
            db = self._db(inst.ident)
            if db is not None:  # moto answered before this engine moved the status on
                block = self._STATUS.sub(b"<DBInstanceStatus>%s</DBInstanceStatus>" % db.status.encode(),
                                         block, count=1)
                block = self._BACKUPS.sub(b"<BackupRetentionPeriod>%d</BackupRetentionPeriod>"
                                          % int(db.backup_retention_period or 0), block, count=1)
            if db is not None and db.status == "creating":
                new = b""  # as on AWS: no endpoint until the instance exists
            else:
                new = (b"<Endpoint><Address>127.0.0.1</Address><Port>%d</Port>"
                       b"<HostedZoneId>Z2R2ITUGPM61AM</HostedZoneId></Endpoint>" % inst.gate.port)
            return b"<DBInstance>" + self._ENDPOINT.sub(lambda _: new, block, count=1) + b"</DBInstance>"

        response.body = self._INSTANCE.sub(fix, response.body)
        return response

    # ---- lifecycle of the engine itself -------------------------------------------------------
    def _close_all(self, keep_template: bool = False) -> None:
        with self._lock:
            insts = list(self.instances.values())
            self.instances.clear()
        for inst in insts:
            inst.gate.close()
            with inst.lock:  # let a create/start in flight finish, then stop what it started
                inst.server.stop()
        self.ctx.processes.stop_all(owner=self.name, timeout=30)
        self._wipe(keep_template)

    def reset(self) -> None:
        self._close_all(keep_template=True)

    def stop(self) -> None:
        self._close_all()

    def status(self) -> dict:
        return {ident: {"status": getattr(self._db(ident), "status", "?"), "gate_port": inst.gate.port,
                        "server_running": inst.server.running, "replica_of": inst.source, **inst.gate.stats}
                for ident, inst in list(self.instances.items())}


ENGINE = RdsMariaDB

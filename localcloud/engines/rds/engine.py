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
* read replicas (lab 09): ``create_db_instance_read_replica`` seeds a new server from a
  consistent copy of its source and starts real GTID replication (``_replication``), read-only;
  ``promote_read_replica`` applies what the replica received, stops replication and makes it
  writable; deleting a source promotes its replicas, as RDS does for MySQL and MariaDB.
  Semi-synchronous replication is switched on with the real ``rpl_semi_sync_*`` parameters in
  a DB parameter group (applied at reboot);
* the validation AWS does and moto does not, with AWS's codes and messages: engine versions,
  instance classes, storage sizes and master user names (``offerings``); an engine with no local
  server (PostgreSQL, ...) is refused with a localcloud error rather than created with nothing behind it;
* the RDS for MySQL version a learner gets on AWS (8.4 by default; ``EngineVersion="8.4"`` resolves to
  a full version as RDS does) while the server is MariaDB 10.11 (``localcloud status`` says so);
  ``describe_db_engine_versions``, ``describe_orderable_db_instance_options`` and parameter groups
  with the engine's real defaults (``parameters``);
* failures said through the API, not only in the daemon's log: an instance that goes to ``failed``
  records why as an RDS event (``describe_events``), as do reboots, stops and starts;
* a watchdog that notices a server that died and restarts it, as RDS restarts a crashed engine:
  the instance is ``rebooting`` meanwhile and the events say what happened.  Connections that the
  security group allows while the server is down are reset at once (a host with nothing
  listening), not held in silence like packets a security group drops.
"""

from __future__ import annotations

import json
import logging
import secrets
import shutil
import string
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ... import seam, security_groups
from ...awserrors import error
from ...calls import Call, Response
from ...seam.models import RdsInstance, RdsParameterGroup
from ...tcpgate import REFUSE, Gate
from .. import Engine
from . import offerings, parameters, replication
from .mariadb import MariaDBMissing, Server, tools
from .persist import RdsPersistence

log = logging.getLogger("localcloud.rds")

ENGINES = ("mysql", "mariadb")  # RDS engines this module runs for real
# The API reference (botocore 1.44.8, CreateDBInstance.MasterUserPassword) excludes '/', '"' and '@'
# only, but RDS itself also refuses the space: its error text names it ("Only printable ASCII
# characters besides '/', '@', '"', ' ' may be used.", in public logs of real calls 2021-2025, e.g.
# alphagov/govuk-infrastructure#1270).  localcloud refuses what RDS refuses.
FORBIDDEN_PASSWORD_CHARS = set('/@" ')
MAX_PASSWORD = 41  # RDS for MySQL/MariaDB
# RDS generates managed passwords from printable ASCII minus the characters it forbids.
_PASSWORD_ALPHABET = string.ascii_letters + string.digits + "!#$%&()*+,-.:;<=>?[]^_{|}~"
# The parameter group families whose contents this module describes (others: moto's answer).
FAMILIES = tuple(f"mysql{major}" for major in offerings.MYSQL_VERSIONS) + (f"mariadb{offerings.MARIADB_MAJOR}",)
WATCH_INTERVAL_S = 1.0  # how often the watchdog looks for a server that died
# While a server is down, a connection the security group lets through is reset (the host is up,
# nothing listens) in these states; in the others the instance has no host to answer at all.
_NO_HOST = ("creating", "stopping", "stopped", "starting", "deleting")
_SERVING = ("available", "modifying", "backing-up")
MAX_RECORDS = 100  # the Describe* default page size


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
    failure: str | None = None  # why it last went to "failed" (also an RDS event)
    recoveries: int = 0  # crashes the watchdog recovered from


class RdsMariaDB(RdsPersistence, Engine):
    name = "rds_mariadb"
    order = 20
    services = ("rds",)

    def start(self) -> None:
        self.instances: dict[str, Instance] = {}
        self._lock = threading.Lock()
        # data folders from an earlier run: restore() keeps those the saved state describes
        self._stopping = threading.Event()
        seam.db_set_default_engine_version("mysql", offerings.default_version("mysql"))
        seam.db_set_default_engine_version("mariadb", offerings.default_version("mariadb"))
        threading.Thread(target=self._watch, name="rds-watchdog", daemon=True).start()

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

    @staticmethod
    def _db(ident: str) -> RdsInstance | None:
        return seam.find_db_instance(ident)

    def _set_status(self, ident: str, status: str) -> None:
        db = self._db(ident)
        if db is not None:
            db.status = status

    @staticmethod
    def _event(ident: str, message: str, *categories: str) -> None:
        seam.db_add_event(ident, message, list(categories))

    def _replicas_of(self, ident: str) -> list[Instance]:
        return [i for i in list(self.instances.values()) if i.source == ident]

    # ---- before: validation AWS does and moto does not ----------------------------------------
    def _ident(self, call: Call) -> str:
        return call.params.get("DBInstanceIdentifier", "").lower()

    def _api_CreateDBInstance(self, call: Call) -> Response | None:
        engine = call.params.get("Engine", "").lower()
        if engine in ENGINES:
            return self._check_create(call)
        if engine:
            # localcloud-only: nothing here would answer such an instance, so it is not created
            return error(
                call,
                "LocalCloudNotSupported",
                f"localcloud runs RDS for MySQL (and MariaDB) on a real {offerings.server_description()} server; "
                f"engine {engine!r} has no local server, so localcloud does not create it. Use Engine='mysql' "
                "locally, or LAB_TARGET=aws for other engines.",
            )
        return None

    def _api_ModifyDBInstance(self, call: Call) -> Response | None:
        return (
            self._check_password(call, call.params.get("MasterUserPassword"))
            or self._check_security_groups(call, call.param_list("VpcSecurityGroupIds.VpcSecurityGroupId"))
            or self._check_lifecycle_change(call)
        )

    def _check_lifecycle_change(self, call: Call) -> Response | None:
        db = self._db(self._ident(call))
        lifecycle = call.params.get("EngineLifecycleSupport")
        if db is None or lifecycle is None or db.engine.lower() not in ENGINES:
            return None  # moto answers DBInstanceNotFound; nothing to change
        try:
            call.notes["lifecycle"] = offerings.check_lifecycle(
                db.engine.lower(), lifecycle, db.engine_version, creating=False
            )
        except offerings.Refused as exc:
            return error(call, exc.code, exc.message)
        return None

    def _api_DeleteDBInstance(self, call: Call) -> Response | None:
        p = call.params
        final = not _bool(p.get("SkipFinalSnapshot"))
        if final and not p.get("FinalDBSnapshotIdentifier"):
            return error(
                call,
                "InvalidParameterCombination",
                "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.",
            )
        inst = self.instances.get(self._ident(call))
        if inst is not None and inst.source and final and p.get("FinalDBSnapshotIdentifier"):
            return error(
                call,
                "InvalidParameterCombination",
                "FinalDBSnapshotIdentifier can not be specified when deleting a replica instance",
            )
        return None

    def _api_CreateDBInstanceReadReplica(self, call: Call) -> Response | None:
        return self._check_replica(call)

    def _api_StopDBInstance(self, call: Call) -> Response | None:
        return self._check_stop(call)

    _api_StartDBInstance = _api_StopDBInstance

    def _api_RestoreDBInstanceFromDBSnapshot(self, call: Call) -> Response | None:
        # localcloud-only: moto would create an instance with no server behind it
        return error(
            call,
            "LocalCloudNotSupported",
            f"localcloud does not restore RDS snapshots into new instances yet ({call.operation}): the "
            "instance would have no database server behind it. The snapshot is kept as a mariadb-dump file "
            "(localcloud's state folder, engines/rds_mariadb/snapshots/); load it into a new instance with the "
            "mysql client, or use LAB_TARGET=aws.",
        )

    _api_RestoreDBInstanceToPointInTime = _api_RestoreDBInstanceFromDBSnapshot

    def _api_PromoteReadReplica(self, call: Call) -> Response | None:
        inst = self.instances.get(self._ident(call))
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
            return error(
                call,
                "InvalidParameterCombination",
                "Creating a read replica isn't supported when the source DB instance manages "
                "the master user password with Secrets Manager.",
            )
        if not int(src.backup_retention_period or 0):
            return error(
                call,
                "InvalidDBInstanceState",
                "Automated backups are not enabled for this database instance. To enable automated "
                "backups, use ModifyDBInstance to set the backup retention period to a non-zero value.",
            )
        if src.status != "available":
            return error(
                call, "InvalidDBInstanceState", f"Instance {src.db_instance_identifier} is not in available state."
            )
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
        if call.operation == "StopDBInstance" and self._replicas_of(ident):
            names = ", ".join(sorted(r.ident for r in self._replicas_of(ident)))
            return error(
                call,
                "InvalidDBInstanceState",
                f"Cannot stop instance {ident} because it is the source for read replica(s) {names}",
            )
        return None

    def _check_offering(self, call: Call) -> Response | None:
        """Engine version, instance class, storage and master user name, as RDS checks them; the
        version the request names ("8.4", or none) becomes the full one RDS would pick."""
        p = call.params
        engine = p["Engine"].lower()
        try:
            version = offerings.resolve_version(engine, p.get("EngineVersion"))
            offerings.check_class(engine, p.get("DBInstanceClass", ""), version)
            storage_type = p.get("StorageType") or ("io1" if p.get("Iops") else None)
            others = seam.db_allocated_storage_total(call.region)
            offerings.check_storage(engine, storage_type, p.get("AllocatedStorage"), others)
            if p.get("MasterUsername"):
                offerings.check_username(p["MasterUsername"])
            call.notes["lifecycle"] = offerings.check_lifecycle(engine, p.get("EngineLifecycleSupport"), version)
        except offerings.Refused as exc:
            return error(call, exc.code, exc.message)
        if p.get("EngineVersion") != version:
            call.replace_params(EngineVersion=version)
        return None

    def _check_create(self, call: Call) -> Response | None:
        p = call.params
        refused = self._check_offering(call)
        if refused:
            return refused
        managed = _bool(p.get("ManageMasterUserPassword"))
        password = p.get("MasterUserPassword")
        if managed and password is not None:
            return error(
                call,
                "InvalidParameterCombination",
                "Password can't be specified if ManageMasterUserPassword is turned on.",
            )
        if not managed and not password:
            return error(
                call,
                "InvalidParameterValue",
                "The parameter MasterUserPassword must be provided and must not be blank.",
            )
        if not p.get("MasterUsername"):
            return error(
                call, "InvalidParameterValue", "The parameter MasterUsername must be provided and must not be blank."
            )
        if self._db(p.get("DBInstanceIdentifier", "")) is not None:
            return error(call, "DBInstanceAlreadyExists", "DB instance already exists")
        found = self._check_password(call, password) or self._check_security_groups(
            call, call.param_list("VpcSecurityGroupIds.VpcSecurityGroupId")
        )
        if found:
            return found
        try:
            tools()
        except MariaDBMissing as exc:
            # localcloud-only: a set-up problem on this machine, never an AWS answer
            return error(call, "LocalCloudEngineMissing", str(exc))
        return None

    # ---- parameter groups, engine versions, orderable options ------------------------------------
    def _api_DescribeDBParameterGroups(self, call: Call) -> Response | None:
        name = call.params.get("DBParameterGroupName")
        if name and self._parameter_group(name, call.region) is None:
            return error(call, "DBParameterGroupNotFound", f"DBParameterGroup not found: {name}", status=404)
        return None

    def _api_DescribeDBParameters(self, call: Call) -> Response | None:
        name = call.params.get("DBParameterGroupName", "")
        group = self._parameter_group(name, call.region)
        if group is None:
            return error(call, "DBParameterGroupNotFound", f"DBParameterGroup not found: {name}", status=404)
        if group.family not in FAMILIES:
            return None  # a family this module does not run: moto's answer
        rows = parameters.describe(
            seam.db_user_parameters(group), call.params.get("Source"), self._filter_names(call, "parameter-name")
        )
        page, marker = self._page(call, rows)
        return self._render(call, {"Parameters": page, "Marker": marker})

    def _api_DescribeEngineDefaultParameters(self, call: Call) -> Response | None:
        family = call.params.get("DBParameterGroupFamily", "")
        if family not in FAMILIES:
            return None
        page, marker = self._page(call, parameters.describe({}))
        return self._render(
            call, {"EngineDefaults": {"DBParameterGroupFamily": family, "Parameters": page, "Marker": marker}}
        )

    def _api_ModifyDBParameterGroup(self, call: Call) -> Response | None:
        names = [v for k, v in sorted(call.params.items()) if k.endswith(".ParameterName")]
        for name in names:
            try:
                parameters.check_modifiable(name)
            except parameters.ParameterRefused as exc:
                return error(call, exc.code, exc.message)
        return None

    def _api_DescribeDBEngineVersions(self, call: Call) -> Response | None:
        p = call.params
        engine = (p.get("Engine") or "").lower() or None
        rows = offerings.engine_versions(
            engine, p.get("EngineVersion"), p.get("DBParameterGroupFamily"), bool(_bool(p.get("DefaultOnly")))
        )
        page, marker = self._page(call, rows)
        return self._render(call, {"DBEngineVersions": page, "Marker": marker})

    def _api_DescribeOrderableDBInstanceOptions(self, call: Call) -> Response | None:
        p = call.params
        engine = (p.get("Engine") or "").lower()
        if engine not in ENGINES:
            return None  # moto answers (Aurora PostgreSQL, Neptune) or lists nothing
        rows = offerings.orderable_options(engine, p.get("EngineVersion"), p.get("DBInstanceClass"))
        if p.get("LicenseModel"):
            rows = [r for r in rows if r["LicenseModel"] == p["LicenseModel"]]
        page, marker = self._page(call, rows)
        return self._render(call, {"OrderableDBInstanceOptions": page, "Marker": marker})

    @staticmethod
    def _parameter_group(name: str, region: str) -> RdsParameterGroup | None:
        """The group, or None; RDS's default groups (``default.mysql8.4``) always exist."""
        group = seam.find_db_parameter_group(name, region)
        family = name.lower().removeprefix("default.")
        if group is None and name.lower().startswith("default.") and family in FAMILIES:
            group = seam.db_create_parameter_group(
                name.lower(), family, f"Default parameter group for {family}", region
            )
        return group

    @staticmethod
    def _filter_names(call: Call, filter_name: str) -> set[str] | None:
        for i in range(1, 11):
            if call.params.get(f"Filters.Filter.{i}.Name") == filter_name:
                return set(call.param_list(f"Filters.Filter.{i}.Values.Value"))
        return None

    @staticmethod
    def _page(call: Call, rows: list) -> tuple[list, str | None]:
        start = int(call.params.get("Marker") or 0)
        size = int(call.params.get("MaxRecords") or MAX_RECORDS)
        end = start + size
        return rows[start:end], (str(end) if end < len(rows) else None)

    @staticmethod
    def _render(call: Call, result: dict[str, Any]) -> Response:
        if call.operation is None:  # only the _api_<Operation> handlers render
            raise ValueError("an RDS answer needs the call's operation")
        status, headers, body = seam.render(call.service, call.operation, result, call.protocol)
        return Response(status, headers, body)

    @staticmethod
    def _check_password(call: Call, password: str | None) -> Response | None:
        if password is None:
            return None
        if len(password) < 8:
            return error(
                call,
                "InvalidParameterValue",
                "The parameter MasterUserPassword is not a valid password because it is shorter than 8 characters.",
            )
        if len(password) > MAX_PASSWORD:
            return error(
                call,
                "InvalidParameterValue",
                "The parameter MasterUserPassword is not a valid "
                f"password because it is longer than {MAX_PASSWORD} characters.",
            )
        if FORBIDDEN_PASSWORD_CHARS & set(password) or not password.isascii() or not password.isprintable():
            return error(
                call,
                "InvalidParameterValue",
                "The parameter MasterUserPassword is not a valid "
                "password. Only printable ASCII characters besides '/', '@', '\"', ' ' may be used.",
            )
        return None

    @staticmethod
    def _check_security_groups(call: Call, group_ids: list[str]) -> Response | None:
        for gid in group_ids:
            if not seam.ec2_group_exists(gid):
                return error(call, "InvalidParameterValue", f"Invalid security group , groupId= {gid}, groupName=.")
        return None

    # ---- after: real servers behind moto's answers --------------------------------------------
    def after(self, call: Call, response: Response) -> Response | None:
        replaced = super().after(call, response)  # _after_<Operation>, for a successful answer
        if response.status < 300 and seam.has_db_instances((replaced or response).body):
            return self._rewrite_endpoints(replaced or response)
        return replaced

    def _after_CreateDBInstance(self, call: Call, response: Response) -> None:
        if call.params.get("Engine", "").lower() in ENGINES:
            self._create(self._ident(call), call.params, call.notes["lifecycle"])

    def _after_CreateDBInstanceReadReplica(self, call: Call, response: Response) -> None:
        source = call.params.get("SourceDBInstanceIdentifier", "").lower()
        if source in self.instances:
            self._create_replica(self._ident(call), source)

    def _after_PromoteReadReplica(self, call: Call, response: Response) -> None:
        if self._ident(call) in self.instances:
            self._transition(self._ident(call), "modifying", "available", self._promote)

    def _after_DeleteDBInstance(self, call: Call, response: Response) -> None:
        ident, p = self._ident(call), call.params
        if ident not in self.instances:
            return
        self._delete(ident, None if _bool(p.get("SkipFinalSnapshot")) else p.get("FinalDBSnapshotIdentifier"))
        for replica in self._replicas_of(ident):
            # RDS for MySQL/MariaDB: deleting a source promotes its replicas to standalone instances
            seam.db_detach_replica(replica.ident, None)
            self._transition(replica.ident, "modifying", "available", self._promote)

    def _after_StopDBInstance(self, call: Call, response: Response) -> None:
        ident = self._ident(call)
        if ident in self.instances:
            if call.params.get("DBSnapshotIdentifier"):
                self._snapshot(ident, call.params["DBSnapshotIdentifier"])
            self._transition(
                ident, "stopping", "stopped", self._stop_server, done=(("DB instance stopped.", "notification"),)
            )

    def _after_StartDBInstance(self, call: Call, response: Response) -> None:
        if self._ident(call) in self.instances:
            self._transition(
                self._ident(call),
                "starting",
                "available",
                self._start_server,
                done=(("DB instance started.", "notification"),),
            )

    def _after_RebootDBInstance(self, call: Call, response: Response) -> None:
        if self._ident(call) in self.instances:
            self._event(self._ident(call), "DB instance shutdown.", "availability")
            self._transition(
                self._ident(call),
                "rebooting",
                "available",
                self._restart_server,
                done=(("DB instance restarted.", "availability"),),
            )

    def _after_CreateDBSnapshot(self, call: Call, response: Response) -> None:
        if self._ident(call) in self.instances:
            self._snapshot(self._ident(call), call.params["DBSnapshotIdentifier"])

    def _after_DeleteDBSnapshot(self, call: Call, response: Response) -> None:
        shutil.rmtree(self._snapshot_file(call.params.get("DBSnapshotIdentifier", "")).parent, ignore_errors=True)

    def _after_ModifyDBInstance(self, call: Call, response: Response) -> None:
        if self._ident(call) in self.instances and call.params.get("MasterUserPassword"):
            self._change_password(self._ident(call), call.params["MasterUserPassword"])
        db = self._db(self._ident(call))
        if db is not None and "lifecycle" in call.notes:  # after() then shows it in this answer too
            seam.db_set_lifecycle(db, call.notes["lifecycle"])

    def _moto_db(self, ident: str) -> RdsInstance:
        """moto's DB instance, which moto has just made (after a successful create)."""
        db = self._db(ident)
        if db is None:
            raise seam.NotFound("rds db instance", ident)
        return db

    def _create(self, ident: str, p: dict[str, str], lifecycle: str) -> None:
        db = self._moto_db(ident)
        seam.db_set_lifecycle(db, lifecycle)
        if db.publicly_accessible is None and not p.get("DBSubnetGroupName"):
            # AWS: without a subnet group the instance goes to the default VPC, whose internet
            # gateway makes it public by default.
            db.publicly_accessible = True
        user = p["MasterUsername"]
        password = p.get("MasterUserPassword")
        if _bool(p.get("ManageMasterUserPassword")):
            password = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(28))
            self._store_managed_secret(db, user, password)
        if password is None:  # _check_create refused this create before moto saw it
            raise ValueError(f"{ident}: neither MasterUserPassword nor ManageMasterUserPassword")
        server = Server(self._instances_dir / ident, self.ctx.processes, self.name, ident)
        gate = Gate(ident, allow=lambda: self._allowed(ident), backend=lambda: self._backend(ident))
        inst = Instance(ident, server, gate, user, password)
        with self._lock:
            self.instances[ident] = inst
        db.status = "creating"

        database = p.get("DBName")

        def create() -> None:
            server.initialise(template=self.ctx.state_dir / "template")
            server.start(user, password, self._server_options(ident))
            replication.install_procedures(server)
            if database:  # DBName: RDS creates that database in the new instance
                replication.create_database(server, database)

        self._run(inst, create, "available", failed="The DB instance creation failed.")

    def _create_replica(self, ident: str, source_ident: str) -> None:
        db, src = self._moto_db(ident), self.instances[source_ident]
        # moto's replica is a shallow copy of the source: give it what RDS gives a replica, and
        # lists of its own (a change to one must not show on the other).
        db.backup_retention_period = 0  # "RDS creates read replicas with backups disabled"
        seam.db_unshare_replica_lists(db)
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

        self._run(inst, create, "available", failed="Read replica creation failed.")

    def _promote(self, inst: Instance) -> None:
        replication.promote(inst.server)
        source, inst.source = inst.source, None
        seam.db_detach_replica(inst.ident, source)

    @staticmethod
    def _store_managed_secret(db: RdsInstance, user: str, password: str) -> None:
        """Put the generated credentials in the secret moto made (moto's holds a fixed one)."""
        seam.db_set_managed_secret(db, json.dumps({"username": user, "password": password}))

    def _run(
        self,
        inst: Instance,
        work: Callable[[], None],
        final_status: str,
        failed: str = "Error restarting mysql:",
        done: tuple[tuple[str, str], ...] = (),
    ) -> None:
        """Do ``work`` in the background under the instance's lock, then set ``final_status`` and
        record the events ``done``; when it fails, the instance is ``failed`` and an event says why
        (``failed`` is the start of RDS's message for that kind of failure)."""

        def body() -> None:
            with inst.lock:
                try:
                    work()
                except Exception as exc:
                    log.exception("rds instance %s failed", inst.ident)
                    if inst.ident in self.instances:
                        inst.failure = f"{failed} {exc}"
                        self._set_status(inst.ident, "failed")
                        self._event(inst.ident, f"{inst.failure} RDS recommends a point-in-time restore.", "failure")
                    return
                if inst.ident in self.instances:
                    inst.failure = None
                    self._set_status(inst.ident, final_status)
                    for message, category in done:
                        self._event(inst.ident, message, category)

        threading.Thread(target=body, name=f"rds-{inst.ident}", daemon=True).start()

    def _transition(self, ident: str, during: str, final: str, work: Callable[[Instance], None], **events: Any) -> None:
        inst = self.instances[ident]
        self._set_status(ident, during)
        self._run(inst, lambda: work(inst), final, **events)

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
        """RDS's settings for the instance's class, then the parameters the learner set in the
        instance's own parameter group (applied at boot)."""
        db = self._db(ident)
        params = seam.db_parameters(getattr(db, "db_parameter_group_name", None))
        opts = parameters.server_options(params, getattr(db, "db_instance_class", "") or "")
        inst = self.instances.get(ident)
        if inst is not None and inst.source:
            opts["read_only"] = "1"  # RDS's replica parameter: read_only = {TrueIfReplica}
            # A replica logs what it applies; with the source's semi-sync parameters it would hold
            # each applied transaction for rpl_semi_sync_master_timeout, waiting for a semi-sync
            # replica of its own it never has (an RDS replica keeps no binary log to wait on).
            opts["rpl_semi_sync_master_wait_no_slave"] = "OFF"
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
                with mysql.connector.connect(
                    **inst.server.connect_kwargs(),
                    user=inst.user,
                    password=inst.password,
                    connection_timeout=5,
                ) as conn:
                    with conn.cursor() as cur:
                        cur.execute("ALTER USER %s@'%%' IDENTIFIED BY %s", (inst.user, password))
            inst.password = password

    # ---- the gate's two questions -------------------------------------------------------------
    def _allowed(self, ident: str) -> bool:
        """Would AWS let a packet from the learner's address reach this instance's port?"""
        db = self._db(ident)
        if db is None or not db.publicly_accessible:
            return False  # a private instance has no route from outside its VPC
        rules = seam.ec2_ingress_rules(db.vpc_security_group_ids or [])
        return security_groups.allows(rules, self.ctx.learner_ip, "tcp", int(db.port or 0))

    def _backend(self, ident: str) -> str | tuple[str, int] | None:
        """Where an allowed connection goes: the server's unix socket (never its port: that is in the
        servers' own network); a reset when the instance's host is up but its server is not
        (rebooting, crashed, failed); None (silence) when there is no host."""
        inst = self.instances.get(ident)
        db = self._db(ident)
        if inst is None or db is None or db.status in _NO_HOST:
            return None
        if db.status in _SERVING and inst.server.running:
            return inst.server.socket_path
        return REFUSE

    # ---- the watchdog: RDS restarts a database engine that died ------------------------------------
    def _watch(self) -> None:
        while not self._stopping.wait(WATCH_INTERVAL_S):
            for inst in list(self.instances.values()):
                try:
                    self._check_alive(inst)
                except Exception:
                    log.exception("rds watchdog: %s", inst.ident)

    def _check_alive(self, inst: Instance) -> None:
        db = self._db(inst.ident)
        if db is None or db.status != "available" or inst.server.child is None or inst.server.running:
            return
        if not inst.lock.acquire(blocking=False):
            return  # a create, reboot or delete is under way: it decides what runs
        try:
            if inst.ident not in self.instances or inst.server.child is None or inst.server.running:
                return
            code = inst.server.child.popen.poll()
            log.warning(
                "rds instance %s: its server exited (status %s) while available; restarting it, as RDS "
                "does. Last lines of its log: %s",
                inst.ident,
                code,
                inst.server.log_tail(),
            )
            inst.recoveries += 1
            self._set_status(inst.ident, "rebooting")
            self._event(
                inst.ident,
                "Recovery of the DB instance has started. Recovery time will vary with the amount of data to be "
                "recovered.",
                "recovery",
            )
        finally:
            inst.lock.release()
        self._run(
            inst,
            lambda: self._restart_server(inst),
            "available",
            done=(("DB instance restarted.", "availability"), ("Recovery of the DB instance is complete.", "recovery")),
        )

    # ---- the endpoint clients see -------------------------------------------------------------
    def _endpoint_edit(self, ident: str) -> seam.DbInstanceEdit | None:
        """How an answer shows one of this engine's instances: its state now, its gate's port."""
        inst = self.instances.get(ident)
        if inst is None:
            return None
        db = self._db(inst.ident)
        if db is None:  # moto answered for an instance deleted since
            return seam.DbInstanceEdit(endpoint=("127.0.0.1", inst.gate.port))
        # moto answered before this engine moved the status on; no endpoint until it exists (as on AWS)
        endpoint = None if db.status == "creating" else ("127.0.0.1", inst.gate.port)
        lifecycle = seam.db_lifecycle(db) or offerings.EXTENDED_SUPPORT  # the API's default
        return seam.DbInstanceEdit(
            db.status, int(db.backup_retention_period or 0), endpoint, engine_lifecycle_support=lifecycle
        )

    def _rewrite_endpoints(self, response: Response) -> Response:
        response.body = seam.edit_db_instances(response.body, self._endpoint_edit)
        return response

    # ---- lifecycle of the engine itself -------------------------------------------------------
    def _close_all(self, keep_template: bool = False, wipe: bool = True) -> None:
        with self._lock:
            insts = list(self.instances.values())
            self.instances.clear()
        for inst in insts:
            inst.gate.close()
            with inst.lock:  # let a create/start in flight finish, then stop what it started
                inst.server.stop()
        self.ctx.processes.stop_all(owner=self.name, timeout=30)
        if wipe:
            self._wipe(keep_template)

    def reset(self) -> None:
        self._close_all(keep_template=True)

    def stop(self) -> None:
        self._stopping.set()
        self._close_all(wipe=False)  # servers shut down cleanly; their data is restored at the next start

    def status(self) -> dict:
        return {
            # what really answers, and what the API reports (lab 02 teaches the difference)
            "server": f"{offerings.server_description()}, reported to the RDS API as MySQL "
            f"{offerings.default_version('mysql')} (EngineVersion)",
            "instances": {
                ident: {
                    "status": getattr(self._db(ident), "status", "?"),
                    "engine_version": getattr(self._db(ident), "engine_version", "?"),
                    "gate_port": inst.gate.port,
                    "server_running": inst.server.running,
                    "replica_of": inst.source,
                    "failure": inst.failure,
                    "crash_recoveries": inst.recoveries,
                    **inst.gate.stats,
                }
                for ident, inst in list(self.instances.items())
            },
        }
